"""Check a hand derivation: find *which step* went wrong, not just that a number differs.

:func:`diagnose` compares numbers someone claimed (values, gradients, local derivatives, chain-rule
terms, updated weights) with the recorded graph, and explains each difference by re-running the
engine on a *mutated* derivation: a sign flipped, a factor dropped, softmax's off-diagonal
derivatives left out, one consumer's path kept, the student's rounded numbers carried forward.
The smallest set of mutations that reproduces a claim to its printed digits is its cause.

>>> from autograd import Value, diagnose
>>> x = Value(2.0, "x"); y = (x * x).sigmoid(); y.label = "y"
>>> report = diagnose(y, grads={"x": "-0.0707"})       # the sign lost
>>> entry = report["dy/dx"]
>>> entry.verdict, entry.causes
('wrong', ('sign',))
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from ..backward import is_grad_enabled
from ..value import Value, as_float
from .claims import Printed, base_name, printed, transposed
from .derivation import Graph, carried_forward, claim_flags, exact_forward, sweep
from .mutations import diagonal_sites, factor_mutations, sign_sites, single_path_sites
from .report import CAUSES, ROUNDING_CAUSES, Entry, Report, explain
from .search import Claim, Context, Search, flags_causes, ordered

__all__ = ["CAUSES", "Entry", "Report", "diagnose", "explain"]

Pair = tuple[str, str]


def diagnose(
    output: Value,
    grads: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
    *,
    partials: Mapping[Pair, Any] | None = None,
    terms: Mapping[Pair, Any] | None = None,
    updates: Mapping[str, Any] | None = None,
    lr: float | None = None,
) -> Report:
    """Compare claimed numbers with ``output``'s recorded graph and name the cause of each difference.

    Keys are labels of Values in ``output``'s graph; claims are numbers as written (a str keeps the
    printed digits: ``"0.3685"``; an int or float counts with its shortest repr's digits).

    - ``grads``: label -> claimed d(output)/d(that Value);
    - ``data``: label -> claimed value of that Value;
    - ``partials``: ``(of, wrt)`` -> claimed local derivative d(of)/d(wrt) (``wrt`` an input of ``of``);
    - ``terms``: ``(of, wrt)`` -> claimed chain-rule term d(output)/d(of) * d(of)/d(wrt);
    - ``updates``: label -> claimed value after one step ``w - lr * d(output)/dw`` (needs ``lr``).

    Returns a :class:`Report` of :class:`Entry` (``.name .kind .claimed .exact .verdict .causes``),
    printable as a table. Nothing passed in is changed.
    """
    started = time.perf_counter()
    if not isinstance(output, Value):
        raise TypeError(f"diagnose takes the output Value whose graph the claims are about, not {output!r}")
    if not is_grad_enabled():
        raise RuntimeError("diagnose re-runs the forward pass and needs grad mode on: call it outside no_grad()")
    if updates and lr is None:
        raise ValueError("updates are w - lr * grad: pass the learning rate as lr=...")
    rate = as_float(lr, "lr") if lr is not None else None
    graph = Graph(output)
    out = output.label or "out"
    claims = _claims(graph, out, grads or {}, data or {}, partials or {}, terms or {}, updates or {}, rate)

    # The exact numbers, and which claims are wrong beyond rounding (their numbers, carried forward,
    # make what follows "upstream").
    exact = exact_forward(graph)
    truth = sweep(exact, None)
    for c in claims:
        c.exact = _exact(c, truth.grads, truth.terms, rate)

    contexts = [Context("exact", 0, exact)]
    data_claims = {c.node: c.printed for c in claims if c.kind == "data"}
    fwd = exact
    if data_claims:
        fwd = carried_forward(graph, data_claims)
        contexts.append(Context("rounded", 1, fwd))
    carried = Context("carried", 2, fwd)
    for c in claims:
        if c.kind == "grad":
            carried.grads[c.node] = (c.printed, c.exact)
        elif c.kind == "term":
            assert c.wrt is not None
            carried.terms[(c.node, c.wrt)] = (c.printed, c.exact)
        elif c.kind == "local" and len(c.edges) == 1:
            own = fwd.node[c.node].local_grads[c.edges[0]]
            carried.locals[(c.node, c.edges[0])] = (c.printed.value, claim_flags((c.printed, c.exact), own, 0))
    if carried.grads or carried.terms or carried.locals:
        contexts.append(carried)

    local = [*sign_sites(graph), *diagonal_sites(graph), *single_path_sites(graph)]
    search = Search(claims, contexts, local, factor_mutations(graph, rate), rate)
    entries = [_entry(c, search, claims) for c in claims]
    return Report(out, entries, time.perf_counter() - started, search.sweeps)


def _entry(c: Claim, search: Search, claims: list[Claim]) -> Entry:
    p = c.printed
    common = {"key": c.key, "name": c.name, "kind": c.kind, "claimed": p.text, "exact": c.exact}
    if p.agrees(c.exact):
        return Entry(**common, verdict="agrees")  # type: ignore[arg-type]
    best = search.best.get(c)
    details: dict[str, str] = {}
    if best is not None and not best.mutations and not best.flags & 1:
        cause = "truncated" if best.context == "exact" and p.truncates(c.exact) else "rounded-input"
        if cause == "truncated":
            details[cause] = f"{c.exact:.7g} cut to {p.text}"
        return Entry(**common, verdict="rounding", causes=(cause,), details=details)  # type: ignore[arg-type]
    if best is not None:
        names = [m.cause for m in best.mutations]
        for m in best.mutations:
            details.setdefault(m.cause, m.detail)
        causes = ordered(names, CAUSES) + flags_causes(best.flags, best.context)
        others = []
        for tie in search.ties.get(c, []):
            alt = tuple(dict.fromkeys(ordered([m.cause for m in tie.mutations], CAUSES)
                                      + flags_causes(tie.flags, tie.context)))
            if alt and alt != tuple(dict.fromkeys(causes)) and alt not in others:
                others.append(alt)
        return Entry(**common, verdict="wrong", causes=tuple(dict.fromkeys(causes)),  # type: ignore[arg-type]
                     details=details, alternatives=tuple(others))
    group = [g for g in claims if g.group == c.group and g in search.open and g not in search.best]
    given = search.bases.get(((), "carried")) or search.bases.get(((), "rounded")) or search.bases[((), "exact")]
    flags = given[c][1]
    # Where its own inputs were already wrong, a closest set says little about this step: a slip.
    # One number alone always has some set that comes close by chance: only a vector or matrix counts.
    found = None if flags & 1 or len(group) < 2 else search.closest(group, ("exact", "rounded", "carried"))
    expected = search.final(c, given[c][0], 1.0)
    if found is not None:
        muts, context, _ = found
        changed = search.changes(c, muts, context)
        for m in changed:
            details.setdefault(m.cause, m.detail)
        local = tuple(m for m in muts if m.is_local)
        ctx_flags = search.bases[(local, context)][c][1]
        causes = ordered([m.cause for m in changed], CAUSES) + flags_causes(ctx_flags, context) + ["unexplained"]
    else:
        causes = ["slip", *flags_causes(flags & 1, "carried")]
        details["slip"] = f"{c.name} = {p.text} where its own numbers give {expected:.7g}"
    return Entry(**common, verdict="wrong", causes=tuple(dict.fromkeys(causes)), details=details,  # type: ignore[arg-type]
                 expected=expected)


# --- reading the claims ---------------------------------------------------------------------------


def _node(graph: Graph, label: object, what: str) -> Value:
    if not isinstance(label, str):
        raise TypeError(f"{what} are keyed by a Value's label (a str), not {type(label).__name__}: {label!r}")
    found = graph.by_label.get(label)
    if not found:
        known = ", ".join(sorted(graph.by_label)[:12])
        raise KeyError(f"no Value labelled {label!r} in the output's graph ({what}); labels there include: {known}")
    if len(found) > 1:
        raise ValueError(f"{len(found)} Values in the output's graph are labelled {label!r}; labels must be unique")
    return found[0]


def _pair(graph: Graph, key: object, what: str) -> tuple[Value, Value, tuple[int, ...]]:
    if not (isinstance(key, tuple) and len(key) == 2):
        raise TypeError(f"{what} are keyed by a pair of labels (of, wrt), not {key!r}")
    of, wrt = _node(graph, key[0], what), _node(graph, key[1], what)
    edges = tuple(i for i, u in enumerate(of.inputs) if u is wrt)
    if not edges:
        raise ValueError(f"{what}: {key[1]!r} is not an input of {key[0]!r}; only direct edges have a local derivative")
    return of, wrt, edges


def _claims(
    graph: Graph, out: str, grads: Mapping[str, Any], data: Mapping[str, Any], partials: Mapping[Pair, Any],
    terms: Mapping[Pair, Any], updates: Mapping[str, Any], lr: float | None,
) -> list[Claim]:
    claims = []
    for label, claim in data.items():
        node = _node(graph, label, "data")
        claims.append(Claim(label, label, "data", printed(claim, label), node, partner=_partner(graph, label),
                            group=("data", base_name(label))))
    for label, claim in grads.items():
        node = _node(graph, label, "grads")
        claims.append(Claim(label, f"d{out}/d{label}", "grad", printed(claim, f"d{out}/d{label}"), node,
                            partner=_partner(graph, label), group=("grad", base_name(label))))
    for key, claim in partials.items():
        of, wrt, edges = _pair(graph, key, "partials")
        name = f"d{of.label}/d{wrt.label}"
        claims.append(Claim(key, name, "local", printed(claim, name), of, wrt, edges,
                            group=("local", base_name(of.label), base_name(wrt.label))))
    for key, claim in terms.items():
        of, wrt, edges = _pair(graph, key, "terms")
        name = f"d{out}/d{of.label}*d{of.label}/d{wrt.label}"
        claims.append(Claim(key, name, "term", printed(claim, name), of, wrt, edges,
                            group=("term", base_name(of.label), base_name(wrt.label))))
    for label, claim in updates.items():
        node = _node(graph, label, "updates")
        if node.inputs:
            raise ValueError(f"updates are for parameters (leaves); {label!r} is computed by {node.op!r}")
        claims.append(Claim(label, f"{label}'", "update", printed(claim, f"{label}'"), node,
                            group=("update", base_name(label))))
    order = {"data": 0, "grad": 1, "local": 2, "term": 3, "update": 4}
    position = graph.position
    return sorted(claims, key=lambda c: (
        c.kind == "update", 0 if c.kind == "data" else 1,
        position[c.node] if c.kind == "data" else -position[c.node], order[c.kind],
        position[c.wrt] if c.wrt is not None else 0,
    ))


def _partner(graph: Graph, label: str) -> Value | None:
    other = transposed(label)
    found = graph.by_label.get(other) if other else None
    return found[0] if found and len(found) == 1 else None


def _exact(c: Claim, grads: dict[Value, float], terms: dict[tuple[Value, Value], float], lr: float | None) -> float:
    if c.kind == "data":
        return c.node.data
    if c.kind == "grad":
        return grads.get(c.node, 0.0)
    if c.kind == "local":
        return sum(c.node.local_grads[i] for i in c.edges)
    if c.kind == "term":
        assert c.wrt is not None
        return terms.get((c.node, c.wrt), 0.0)
    assert lr is not None
    return c.node.data - lr * grads.get(c.node, 0.0)


_ = (Printed, ROUNDING_CAUSES)
