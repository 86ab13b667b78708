"""Derivations to compare a claim with: the recorded one, the student's numbers carried forward, and
either with some local derivatives changed (a mutation), all run by the engine's own sweep.

Nothing here knows a network: a forward pass is re-run node by node with :func:`autograd.apply`
on the node's own op (``Value._rule``), and a backward pass is :func:`autograd.backward_steps`
with its ``local`` hook, then summed again with the student's own gradients put in where they
wrote one. Flags follow each number: whether it depends on a claimed number that was wrong
(:data:`WRONG`) or on one that was rounded (:data:`ROUNDED`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from .. import ops
from ..names import node_names
from ..steps import Step, backward_steps
from ..sweep import run_hooks, topological_order
from ..value import Value, apply
from .claims import CLOSE, PrintedNumber

WRONG = 1
ROUNDED = 2

Edge = tuple[Value, int]
"""``(consumer, index)``: the edge from ``consumer.inputs[index]`` into ``consumer``."""


class Graph:
    """The output's graph read once: order, consumers of each node, each node's depth and name."""

    def __init__(self, output: Value) -> None:
        self.output = output
        self.order = topological_order(output)
        self.position = {v: k for k, v in enumerate(self.order)}
        self.consumers: dict[Value, list[Edge]] = {v: [] for v in self.order}
        for v in self.order:
            for i, u in enumerate(v.inputs):
                self.consumers[u].append((v, i))
        # Longest distance from the output: the nodes of one layer share it.
        self.depth: dict[Value, int] = {output: 0}
        for v in reversed(self.order):
            d = self.depth.get(v, 0)
            for u in v.inputs:
                if self.depth.get(u, -1) < d + 1:
                    self.depth[u] = d + 1
        self.by_label: dict[str, list[Value]] = {}
        for v in self.order:
            if v.label:
                self.by_label.setdefault(v.label, []).append(v)

    @cached_property
    def names(self) -> dict[Value, str]:
        """Each node's one display name (:func:`autograd.names.node_names`), as pictures and the explorer write it."""
        return node_names(self.output)


@dataclass
class ForwardPass:
    """One forward pass of the graph: the original graph, or one re-run on the student's numbers.

    ``node`` maps each original Value to its Value in this pass, ``original`` the other way.
    ``computed[v]`` is what this pass computes for ``v`` from its inputs (before the student's own
    number for ``v``, if any, replaces it for what follows); ``in_flags[v]`` the flags of that
    computation, ``flags[v]`` those of the number passed on; ``edge_flags`` those of local derivatives.
    """

    root: Value
    node: dict[Value, Value]
    original: dict[Value, Value]
    computed: dict[Value, float]
    flags: dict[Value, int] = field(default_factory=dict)
    in_flags: dict[Value, int] = field(default_factory=dict)
    edge_flags: dict[Edge, int] = field(default_factory=dict)


def exact_forward(graph: Graph) -> ForwardPass:
    """The recorded graph itself."""
    same = {v: v for v in graph.order}
    return ForwardPass(graph.output, same, same, {v: v.data for v in graph.order})


def carried_forward(graph: Graph, claims: dict[Value, PrintedNumber]) -> ForwardPass:
    """The forward pass re-run with the student's numbers (``claims``: node -> printed) carried forward.

    Each operation node is rebuilt with ``apply(node._rule, *new_inputs)`` in topological order (an
    old -> new map, no recursion); where the student wrote a number for a node, that number replaces
    the computed one and the node's local derivatives are re-evaluated at it. A number passed on is
    flagged WRONG if it is close neither to the exact value nor to what its own inputs give, and
    otherwise carries its inputs' flags (and ROUNDED if it differs from the exact value at all).
    """
    new: dict[Value, Value] = {}
    fwd = ForwardPass(graph.output, new, {}, {})
    for v in graph.order:
        rule = v._rule
        if v.inputs and rule is not None:
            ins = [new[u] for u in v.inputs]
            fwd.in_flags[v] = _union(fwd.flags[u] for u in v.inputs)
            try:
                n = apply(rule, *ins)
            except (ArithmeticError, ValueError):
                # The student's numbers put this op outside its domain (log of a negative): it keeps
                # its exact number, and what follows is marked as resting on a wrong one.
                n = apply(rule, *v.inputs)
                n.inputs = tuple(ins)
                fwd.in_flags[v] |= WRONG
            if not n.inputs:
                raise RuntimeError("diagnose re-runs the forward pass and needs grad mode: call it outside no_grad()")
            n.label = v.label
        else:
            n, fwd.in_flags[v] = v, 0
        fwd.computed[v] = n.data
        claim = claims.get(v)
        if claim is not None:
            if n.inputs and rule is not None:
                n.data = claim.value
                # No derivative at the student's number (log at 0): keep the one at the computed number.
                with contextlib.suppress(ArithmeticError, ValueError):
                    n.local_grads = ops.local_floats(rule, n.data, tuple(u.data for u in n.inputs))
            else:  # a leaf the student wrote down: a copy, the user's Value stays as it is
                n = Value(claim.value, v.label)
            if claim.close(v.data):
                fwd.flags[v] = ROUNDED if claim.value != v.data else 0
            elif claim.close(fwd.computed[v]):
                fwd.flags[v] = fwd.in_flags[v] | ROUNDED
            else:
                fwd.flags[v] = WRONG
        else:
            fwd.flags[v] = fwd.in_flags[v]
            if fwd.flags[v] & WRONG and abs(n.data - v.data) <= CLOSE * abs(v.data):
                fwd.flags[v] = ROUNDED  # a wrong input that makes no real difference here (sigmoid of 4.001)
        new[v] = n
        fwd.original[n] = v
    _coupled_claims(graph, fwd, claims)
    for v in graph.order:
        _flag_edges(fwd, v, new[v])
    fwd.root = new[graph.output]
    return fwd


class _Given(ops.FloatMath):
    """Float math whose softmax is the student's own outputs (their rounded numbers, not recomputed)."""

    def __init__(self, probs: tuple[float, ...]) -> None:
        self.probs = probs

    def softmax(self, xs: object) -> tuple[float, ...]:
        return self.probs


def _coupled_claims(graph: Graph, fwd: ForwardPass, claims: dict[Value, PrintedNumber]) -> None:
    """A softmax output's local derivatives read its siblings (o_a * (delta_ab - o_b)): where the student
    wrote the siblings down, the derivatives are evaluated on those numbers, as a student would."""
    groups: dict[tuple[int, ...], list[Value]] = {}
    for v in graph.order:
        rule = v._rule
        if rule is not None and rule.coupled:
            groups.setdefault(tuple(id(u) for u in v.inputs), []).append(v)
    for members in groups.values():
        if not any(v in claims for v in members):
            continue
        n = fwd.node[members[0]]
        probs = list(ops.softmax_floats(tuple(u.data for u in n.inputs)))
        for v in members:
            if v in claims:
                probs[v._rule.param] = claims[v].value  # type: ignore[union-attr]
        given = _Given(tuple(probs))
        for v in members:
            n, rule = fwd.node[v], v._rule
            assert rule is not None
            n.local_grads = rule.local(given, n.data, tuple(u.data for u in n.inputs), rule.param)


def _flag_edges(fwd: ForwardPass, v: Value, n: Value) -> None:
    """Flags of n's local derivatives: its own number's, and an input's where the derivative reads it."""
    if not n.inputs:
        return
    own = fwd.flags[v]
    for i in range(len(n.inputs)):
        fwd.edge_flags[(v, i)] = own & ROUNDED
    for k, u in enumerate(v.inputs):
        f = fwd.flags[u]
        if not f:
            continue
        # Does the rule read this input? Evaluate it with the input's exact number instead.
        xs = [w.data for w in n.inputs]
        xs[k] = u.data
        rule = v._rule
        assert rule is not None
        try:
            again = rule.local(ops.FLOATS, n.data, tuple(xs), rule.param)
        except (ArithmeticError, ValueError):
            again = (float("nan"),) * len(n.inputs)  # it reads the input (and fails without it)
        for i, (a, b) in enumerate(zip(again, n.local_grads)):
            if a != b:
                fwd.edge_flags[(v, i)] |= f
    # The node's own number, if wrong, reaches every local derivative evaluated at it.
    if own & WRONG:
        for i in range(len(n.inputs)):
            fwd.edge_flags[(v, i)] |= WRONG


def _union(flags: object) -> int:
    out = 0
    for f in flags:  # type: ignore[attr-defined]
        out |= f
    return out


LocalRule = Callable[[Value, int, float], float]
"""``rule(consumer, index, recorded) -> local derivative``: consumer is the original graph's node."""


@dataclass
class Sweep:
    """The results of one backward pass: gradients and chain-rule terms, each with its flags."""

    grads: dict[Value, float]
    grad_flags: dict[Value, int]
    terms: dict[tuple[Value, Value], float]  # local x upstream, before any claimed term is put in
    term_flags: dict[tuple[Value, Value], int]
    claim_flags: dict[Value, int]  # what each claimed gradient that was put in passed on


Given = tuple[PrintedNumber, float]
"""A number the student wrote, and the exact one."""


def claim_flags(given: Given, own: float, own_flags: int) -> int:
    """What a claimed number passes on: nothing wrong if it is close to the exact number, or to what the
    student's own earlier numbers give (``own``, then it carries their flags), else WRONG."""
    printed, exact = given
    if printed.close(exact):
        return ROUNDED if printed.value != exact else 0
    if printed.close(own):
        return own_flags | ROUNDED
    return WRONG


def sweep(
    fwd: ForwardPass,
    rule: LocalRule | None,
    grad_overrides: dict[Value, Given] | None = None,
    term_overrides: dict[tuple[Value, Value], Given] | None = None,
    local_overrides: dict[Edge, tuple[float, int]] | None = None,
) -> Sweep:
    """Run the engine's backward sweep on ``fwd`` with local derivatives from ``rule``, then add it up
    again with the student's own gradients (``grad_overrides``: node -> (printed, exact)) and chain-rule
    terms (``term_overrides``: (consumer, receiver) -> (printed, exact)) put in where they wrote one,
    and local derivatives (``local_overrides``: edge -> (value, flags))."""
    original = fwd.original
    overridden = local_overrides or {}

    def local(consumer: Value, index: int) -> float:
        v = original[consumer]
        found = overridden.get((v, index))
        recorded = found[0] if found is not None else consumer.local_grads[index]
        return recorded if rule is None else rule(v, index, recorded)

    # Hooks run here, on the sums this function makes, as the engine runs them on its own.
    steps = backward_steps(fwd.root, local=local if (rule or overridden) else None, hooks=False)
    root = original[fwd.root]
    acc: dict[Value, float] = {root: 1.0}
    flags: dict[Value, int] = {root: 0}
    terms: dict[tuple[Value, Value], float] = {}
    term_flags: dict[tuple[Value, Value], int] = {}
    gover = grad_overrides or {}
    tover = term_overrides or {}
    given_flags: dict[Value, int] = {}
    edge_flags = fwd.edge_flags
    hooked: set[Value] = set()
    for s in steps:
        assert isinstance(s, Step)
        c, r = original[s.consumer], original[s.receiver]
        if c not in hooked:  # c's gradient is complete at its first outgoing edge: its hooks run now
            hooked.add(c)
            acc[c] = run_hooks(c, acc.get(c, 0.0))
        if c in gover:
            up = gover[c][0].value
            uf = given_flags.get(c, -1)
            if uf < 0:  # its own gradient is complete now: all its consumers came before it
                uf = given_flags[c] = claim_flags(gover[c], acc.get(c, 0.0), flags.get(c, 0))
        else:
            up, uf = acc.get(c, 0.0), flags.get(c, 0)
        lf = edge_flags.get((c, s.index), 0)
        found = overridden.get((c, s.index))
        if found is not None:
            lf = found[1]
        key = (c, r)
        raw, rf = s.local * up, uf | lf
        terms[key] = terms.get(key, 0.0) + raw
        term_flags[key] = term_flags.get(key, 0) | rf
        if key in tover:
            contribution, cf = tover[key][0].value, claim_flags(tover[key], raw, rf)
            if terms[key] != raw:  # a term claimed once for two edges: count it once
                contribution = 0.0
        else:
            contribution, cf = raw, rf
        acc[r] = acc.get(r, 0.0) + contribution
        flags[r] = flags.get(r, 0) | cf
    for v in [v for v in acc if v not in hooked]:  # the leaves' hooks
        acc[v] = run_hooks(v, acc[v])
    for v, given in gover.items():  # the leaves: a claimed weight gradient feeds an update
        if v not in given_flags:
            given_flags[v] = claim_flags(given, acc.get(v, 0.0), flags.get(v, 0))
    return Sweep(acc, flags, terms, term_flags, given_flags)
