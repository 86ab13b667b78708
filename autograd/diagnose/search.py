"""The search: which smallest set of mutations reproduces each claimed number.

Every set is run in up to three *contexts*: ``exact`` (the recorded derivation), ``rounded`` (the
forward pass re-run on the student's own printed values) and ``carried`` (that, plus the student's
own gradients, local derivatives and chain-rule terms put in wherever they wrote one, so a step is
judged on the numbers it was computed from). The search is bounded: every local mutation alone, then
pairs of the :data:`BEAM` local mutations that bring the most claims closer; on top of each, output
mutations (sign, one factor, transposed, swapped inputs) up to :data:`MAX_MUTATIONS` in all.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import ops
from ..value import Value
from .claims import CLOSE, Claim
from .derivation import ROUNDED, WRONG, ForwardPass, Given, Graph, LocalRule, Sweep, sweep
from .mutations import TRANSPOSE, Mutation, local_rule, log_distance, scalings, swap_mutations

MAX_MUTATIONS = 3
"""At most this many mutations explain one number."""

BEAM = 8
"""Pairs of local mutations are tried among this many of the most helpful single ones."""

SINGLES = 48
"""A deep graph has a sign site per layer: beyond this many single local mutations, only those a
first-order estimate (:func:`estimated`) finds most helpful are run as whole sweeps, so the cost of
a claim grows linearly with the graph, not with its square."""

GROUP_CLOSE = math.log(1.5)
"""A vector or matrix no set reproduces gets its closest set named if that set is, on average over
its unexplained entries, within this log-distance of the claims (a factor 1.5)."""


@dataclass
class Context:
    """A derivation to run the mutations in; ``carried`` ones put the student's own numbers in."""

    name: str
    rank: int
    fwd: ForwardPass
    grads: dict[Value, Given] = field(default_factory=dict)
    terms: dict[tuple[Value, Value], Given] = field(default_factory=dict)
    locals: dict[tuple[Value, int], tuple[float, int]] = field(default_factory=dict)


@dataclass
class Explanation:
    """A set of mutations that reproduces a claim in a context (``quality`` 0: to its digits, 1: close)."""

    mutations: tuple[Mutation, ...]
    context: str
    flags: int
    quality: int
    value: float
    score: tuple[int, int, int, int] = (0, 0, 0, 0)


Base = tuple[float, int, float | None]  # value, flags, the transposed entry's value


class Search:
    """Runs the bounded search for a set of claims; ``best[claim]`` is its explanation, if any."""

    def __init__(
        self, claims: Sequence[Claim], contexts: Sequence[Context], local: Sequence[Mutation],
        factors: Sequence[Mutation], lr: float | None, graph: Graph | None = None,
    ) -> None:
        self.claims = list(claims)
        self.open = [c for c in claims if not c.printed.agrees(c.exact)]
        self.contexts = list(contexts)
        self.factors = list(factors)
        self.lr = lr
        self.best: dict[Claim, Explanation] = {}
        self.ties: dict[Claim, list[Explanation]] = {}
        self.bases: dict[tuple[tuple[Mutation, ...], str], dict[Claim, Base]] = {}
        self._seq = 0
        self._help: dict[int, int] = {}
        self.sweeps = 0
        needs_sweep = any(c.kind in ("grad", "term", "update") for c in self.open)
        self._needs_sweep = needs_sweep
        if not self.open:
            return
        self.run(())
        for c in self.open:
            if c.kind == "local":
                self._swaps(c)
        singles = [m for m in local if self._touches(m)]
        if len(singles) > SINGLES and graph is not None:
            singles = self._likeliest(singles, graph)
        for m in singles:
            self.run((m,))
        helpful = sorted(singles, key=lambda m: -self._helpfulness(m))[:BEAM]
        helpful = [m for m in helpful if self._helpfulness(m) > 0]
        for a, b in itertools.combinations(helpful, 2):
            if not a.edges & b.edges:
                self.run((a, b))
        self._settle_ties()

    def _settle_ties(self) -> None:
        """Where sets explain a number equally simply, take the one that explains the most numbers of
        the whole derivation: one mistake explains all it changed, a coincidence only a few."""
        def causes(e: Explanation) -> tuple[str, ...]:
            return tuple(sorted({m.cause for m in e.mutations}))

        votes: dict[tuple[str, ...], int] = {}
        for ties in self.ties.values():
            for key in {causes(e) for e in ties}:
                votes[key] = votes.get(key, 0) + 1
        for c, ties in self.ties.items():
            best = self.best[c]
            if ties and ties[0].score[:2] == best.score[:2]:
                self.best[c] = max(ties, key=lambda e: (votes.get(causes(e), 0), -e.score[2], -e.score[3]))

    # --- running ------------------------------------------------------------------------------

    def _touches(self, m: Mutation) -> bool:
        """A local mutation matters only if some claimed gradient, term or local derivative can see it."""
        return self._needs_sweep or self._changes_a_local_claim(m)

    def _changes_a_local_claim(self, m: Mutation) -> bool:
        return any(c.kind == "local" and any((c.node, i) in m.edges for i in c.edges) for c in self.open)

    def run(self, muts: tuple[Mutation, ...]) -> None:
        rule = local_rule(muts)
        for ctx in self.contexts:
            sw = None
            if self._needs_sweep:
                sw = sweep(ctx.fwd, rule, ctx.grads, ctx.terms, ctx.locals)
                self.sweeps += 1
            bases = {c: self._base(c, ctx, rule, sw) for c in self.open}
            self.bases[(muts, ctx.name)] = bases
            for c in self.open:
                self._consider(c, muts, ctx, bases[c])

    def _base(self, c: Claim, ctx: Context, rule: LocalRule | None, sw: Sweep | None) -> Base:
        fwd = ctx.fwd
        if c.kind == "data":
            partner = fwd.computed[c.partner] if c.partner is not None else None
            return fwd.computed[c.node], fwd.in_flags.get(c.node, 0), partner
        if c.kind == "local":
            n = fwd.node[c.node]
            total, flags = 0.0, 0
            for i in c.edges:
                d = n.local_grads[i]
                total += rule(c.node, i, d) if rule is not None else d
                flags |= fwd.edge_flags.get((c.node, i), 0)
            return total, flags, None
        assert sw is not None
        if c.kind == "term":
            assert c.wrt is not None
            key = (c.node, c.wrt)
            return sw.terms.get(key, 0.0), sw.term_flags.get(key, 0), None
        if c.kind == "update" and c.node in ctx.grads:
            return ctx.grads[c.node][0].value, sw.claim_flags[c.node], None
        partner = sw.grads.get(c.partner, 0.0) if c.partner is not None else None
        return sw.grads.get(c.node, 0.0), sw.grad_flags.get(c.node, 0), partner

    def final(self, c: Claim, base: float, scale: float) -> float:
        """The number a claim would read for a base value under an output scaling."""
        if c.kind == "update":
            assert self.lr is not None
            return c.node.data - self.lr * (scale * base)
        return scale * base

    def _consider(self, c: Claim, muts: tuple[Mutation, ...], ctx: Context, base: Base) -> None:
        value, flags, partner = base
        budget = MAX_MUTATIONS - len(muts)
        for source, extra in ((value, ()), (partner, (TRANSPOSE,))):
            if source is None or len(extra) > budget:
                continue
            for scale, outs in scalings(self.factors, budget - len(extra)):
                self._check(c, muts + extra + outs, ctx, flags, self.final(c, source, scale))

    def _check(self, c: Claim, muts: tuple[Mutation, ...], ctx: Context, flags: int, v: float) -> None:
        quality = 0 if c.printed.agrees(v) else 1 if close(c, v, self.lr) else -1
        if quality < 0:
            return
        self._seq += 1
        score = (len(muts) + (1 if flags & WRONG else 0), quality, ctx.rank, self._seq)
        found = Explanation(muts, ctx.name, flags, quality, v, score)
        old = self.best.get(c)
        if old is None or score < old.score:
            self.best[c] = found
        # Other sets that explain it as simply (a 2-class softmax makes some causes look alike).
        ties = self.ties.setdefault(c, [])
        if ties and ties[0].score[:2] > score[:2]:
            ties.clear()
        if not ties or ties[0].score[:2] == score[:2]:
            ties.append(found)

    def _swaps(self, c: Claim) -> None:
        """``wrong-index``: the local derivative's own rule evaluated with two inputs swapped."""
        for ctx in self.contexts:
            n = ctx.fwd.node[c.node]
            rule = n._rule
            assert rule is not None
            flags = 0
            for i in c.edges:
                flags |= ctx.fwd.edge_flags.get((c.node, i), 0)
            for m in swap_mutations(len(n.inputs)):
                assert m.swap is not None
                a, b = m.swap
                xs = [u.data for u in n.inputs]
                xs[a], xs[b] = xs[b], xs[a]
                try:
                    got = rule.local(ops.FLOATS, n.data, tuple(xs), rule.param)
                except (ArithmeticError, ValueError):
                    continue
                value = math.fsum(got[i] for i in c.edges)
                for scale, outs in scalings(self.factors, MAX_MUTATIONS - 1):
                    self._check(c, (m, *outs), ctx, flags, scale * value)

    def _likeliest(self, singles: list[Mutation], graph: Graph) -> list[Mutation]:
        """The :data:`SINGLES` local mutations whose first-order estimate brings the most open claims
        closer (ties: the graph's order), those that change a claimed local derivative first."""
        exact = self.bases[((), "exact")]
        g = sweep(self.contexts[0].fwd, None).grads
        counts = [len(self.open) + 1 if self._changes_a_local_claim(m) else 0 for m in singles]
        for c in self.open:
            if c.kind in ("data", "local"):
                continue
            t = tangent(c.node, graph)  # one claim at a time: memory stays linear in the graph
            for k, m in enumerate(singles):
                counts[k] += self._closer(c, exact[c][0], estimated(c, m, g, t))
        ranked = sorted(range(len(singles)), key=lambda k: (-counts[k], k))
        return [singles[k] for k in ranked[:SINGLES]]

    # --- the beam ------------------------------------------------------------------------------

    def _scaled_distance(self, c: Claim, value: float) -> float:
        return min(distance(c, self.final(c, value, s)) for s, _ in scalings(self.factors, 2))

    def _closer(self, c: Claim, before: float, after: float) -> bool:
        """``after`` comes nearer the claim than ``before`` (up to a scaling)."""
        return after != before and self._scaled_distance(c, after) < self._scaled_distance(c, before) - 1e-9

    def _helpfulness(self, m: Mutation) -> int:
        """How many open claims this mutation alone brings closer (up to a scaling), in any context."""
        cached = self._help.get(id(m))
        if cached is not None:
            return cached
        count = 0
        for c in self.open:
            for ctx in self.contexts:
                before = self.bases[((), ctx.name)][c][0]
                after = self.bases[((m,), ctx.name)][c][0]
                if self._closer(c, before, after):
                    count += 1
                    break
        self._help[id(m)] = count
        return count

    # --- what no set reproduces -----------------------------------------------------------------

    def closest(
        self, group: Sequence[Claim], contexts: Sequence[str]
    ) -> tuple[tuple[Mutation, ...], str, float] | None:
        """The set (in one of ``contexts``) whose numbers come closest to a group's claims, on average."""
        best: tuple[float, int, tuple[Mutation, ...], str] | None = None
        baseline = math.inf
        for (muts, ctx_name), bases in self.bases.items():
            if ctx_name not in contexts:
                continue
            budget = MAX_MUTATIONS - len(muts)
            for scale, outs in scalings(self.factors, budget):
                d = sum(distance(c, self.final(c, bases[c][0], scale)) for c in group) / len(group)
                if not muts and not outs:
                    baseline = min(baseline, d)
                key = (d, len(muts) + len(outs), muts + outs, ctx_name)
                if best is None or key[:2] < best[:2]:
                    best = key
        if best is None or best[0] > GROUP_CLOSE or best[0] >= baseline - 1e-9 or not best[2]:
            return None
        return best[2], best[3], best[0]

    def changes(self, c: Claim, muts: tuple[Mutation, ...], ctx_name: str) -> list[Mutation]:
        """The mutations of a set that change this claim's number (the others are not its causes)."""
        local = tuple(m for m in muts if m.is_local)
        out = []
        for m in muts:
            if not m.is_local:
                out.append(m)
                continue
            without = tuple(x for x in local if x is not m)
            a = self.bases.get((local, ctx_name), {}).get(c)
            b = self.bases.get((without, ctx_name), {}).get(c)
            if a is None or b is None or a[0] != b[0]:
                out.append(m)
        return out


def close(c: Claim, v: float, lr: float | None) -> bool:
    """Rounding-level: an update is judged by its step ``w - w'``, which is what was computed."""
    if c.kind != "update":
        return c.printed.close(v)
    step = c.node.data - v
    return abs(v - c.printed.value) <= max(c.printed.unit * (1 + 1e-9), CLOSE * abs(step)) + 1e-15


def distance(c: Claim, v: float) -> float:
    """How far a number is from a claim, in log-ratio (of the steps, for an update)."""
    if c.kind == "update":
        return log_distance(c.node.data - v, c.node.data - c.printed.value)
    return log_distance(v, c.printed.value)


def estimated(c: Claim, m: Mutation, g: dict[Value, float], t: dict[Value, float]) -> float:
    """A gradient, term or update claim's base number (for an update, its gradient) with ``m``'s edges
    negated or dropped, to first order: each edge's share of the gradient (upstream x local x
    d(input)/d(node), from ``t``: :func:`tangent` of the claim's node) taken off twice or once. Exact
    for a sign site (a path crosses a layer once)."""
    node = c.node
    k = 2.0 if m.action == "negate" else 1.0
    share = 0.0
    for consumer, i in m.edges:
        share += g.get(consumer, 0.0) * consumer.local_grads[i] * t.get(consumer.inputs[i], 0.0)
    grad = g.get(node, 0.0) - k * share
    if c.kind == "term":
        local = 0.0
        for i in c.edges:
            d = node.local_grads[i]
            local += d * (1.0 - k) if (node, i) in m.edges else d
        return local * grad
    return grad


def tangent(node: Value, graph: Graph) -> dict[Value, float]:
    """d(v)/d(node) for every v computed from ``node`` (forward mode, in topological order)."""
    t = {node: 1.0}
    for v in graph.order[graph.position[node] + 1:]:
        total, reached = 0.0, False
        for u, d in zip(v.inputs, v.local_grads):
            du = t.get(u)
            if du is not None:
                total, reached = total + d * du, True
        if reached:
            t[v] = total
    return t


def flags_causes(flags: int, context: str) -> list[str]:
    """The causes a context adds: numbers it inherits that were wrong, or rounded."""
    causes = []
    if context != "exact" and flags & WRONG:
        causes.append("upstream")
    if context != "exact" and flags & ROUNDED:
        causes.append("rounded-input")
    return causes


def ordered(names: list[str], catalogue: Any) -> list[str]:
    """Names without repeats, in catalogue order."""
    seen = dict.fromkeys(names)
    return [c for c in catalogue if c in seen]
