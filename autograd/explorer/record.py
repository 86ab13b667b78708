"""The explorer's data: the graph's record and the engine's backward sweep, as one plain object.

:func:`build_record` reads a graph (never changing it) and returns a JSON-ready dict that the page's
script draws from: ``nodes`` (each Value drawn, in topological order, with its op, data, inputs
and their local derivatives), ``steps`` (the forward pass one Value at a time, the seed, then the
backward pass one chain-rule contribution at a time, exactly :func:`autograd.backward_steps`) and
the colour scale. Every number is written here, with significant digits, as a string beside the
float it came from: the page shows the strings and computes nothing.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from ..colors import significant
from ..steps import HookStep, Step, backward_steps
from ..sweep import topological_order
from ..value import Value
from .code import Code, Span
from .scale import DEFAULT_FLOOR, DivergingScale

DEFAULT_DIGITS = 7
BOX_DIGITS = 4


def node_name(v: Value, index: int) -> str:
    """How the page names a Value: its label, else its op (or ``const``) and topological index (``tanh#12``)."""
    if v.label:
        return v.label
    return f"{_op_name(v)}#{index}" if v.inputs else f"const#{index}"


def check_digits(digits: int) -> None:
    """Raise unless ``digits`` is a number of significant digits a float can show (1 to 17)."""
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 17:
        raise ValueError(f"digits must be an int from 1 to 17 (significant digits shown), not {digits!r}")


def _op_name(v: Value) -> str:
    from ..draw import op_name  # not at the top: autograd.draw re-exports explore (no import cycle)

    return op_name(v)


def build_record(
    root: Value,
    *,
    drawn: Collection[int] | None = None,
    digits: int = DEFAULT_DIGITS,
    floor: float = DEFAULT_FLOOR,
    params: Collection[int] = (),
    steps: list[Step] | list[Step | HookStep] | None = None,
    code: Code | None = None,
    code_note: str = "",
    title: str = "",
    max_nodes: int | None = None,
) -> dict[str, Any]:
    """The page's whole state for ``root``'s graph.

    ``drawn``: topological indices of the Values the picture shows (all when None); the others are
    left out of the forward steps, and a backward step is kept only when its receiver is drawn.
    ``params``: ids of Values styled as parameters. ``steps``: ``backward_steps(root)`` if already
    at hand. ``code``: the backward pass written out (:func:`.code.written_out`), or None with
    ``code_note`` saying why.
    """
    check_digits(digits)
    order = topological_order(root)
    index = {id(v): i for i, v in enumerate(order)}
    shown = sorted(set(range(len(order))) if drawn is None else set(drawn))
    pos = {i: k for k, i in enumerate(shown)}  # topological index -> position in "nodes"
    root_name = root.label or "out"

    def fmt(x: float) -> str:
        return significant(x, digits)

    # Hook steps are not drawn yet: the edge steps' totals before hooks are what this page shows.
    steps = [s for s in (backward_steps(root) if steps is None else steps) if isinstance(s, Step)]
    kept = [s for s in steps if index[id(s.receiver)] in pos]
    scale = DivergingScale.of([1.0, *(s.total for s in steps), *(s.contribution for s in steps)], floor)

    final = {id(root): 1.0}
    for s in steps:
        final[id(s.receiver)] = s.total
    names = [node_name(v, i) for i, v in enumerate(order)]
    names[-1] = root_name  # the root is last in topological order
    nodes = [
        _node(order[i], i, index, pos, names, fmt, final.get(id(order[i]), 0.0), scale, root, params, code)
        for i in shown
    ]
    before: dict[int, float] = {}  # each receiver's running sum before a step (the engine's own totals)
    terms = _terms(steps, index, code)
    records: list[dict[str, Any]] = [{"kind": "forward", "node": k} for k in range(len(shown))]
    records.append(
        {
            "kind": "seed",
            "node": pos[index[id(root)]],
            "total": fmt(1.0),
            "totalBox": significant(1.0, BOX_DIGITS),
            "fill": scale.fill(1.0),
            "totalColor": scale.edge_color(1.0),
            "totalWidth": scale.width(1.0),
        }
    )
    for k, s in enumerate(steps):
        r = id(s.receiver)
        prior = before.get(r, 0.0)
        before[r] = s.total
        if index[id(s.receiver)] in pos:
            records.append({**_backward(s, prior, index, pos, names, fmt, scale), "term": terms[k]})
    steps_left_out = len(steps) - len(kept)
    return {
        "title": title,
        "root": {"name": root_name, "node": pos[index[id(root)]]},
        "digits": digits,
        "nodes": nodes,
        "steps": records,
        "forwardSteps": len(shown),
        "legend": scale.legend(fmt),
        "code": None if code is None else {"lines": code.source.splitlines()},
        "codeNote": code_note,
        "cap": _cap_note(len(order), len(shown), steps_left_out, max_nodes),
    }


def _node(
    v: Value,
    i: int,
    index: dict[int, int],
    pos: dict[int, int],
    names: list[str],
    fmt: Any,
    grad: float,
    scale: DivergingScale,
    root: Value,
    params: Collection[int],
    code: Code | None,
) -> dict[str, Any]:
    if v is root:
        kind = "output"
    elif id(v) in params:
        kind = "parameter"
    elif v.is_leaf:
        kind = "input" if v.label else "constant"
    else:
        kind = "operation"
    inputs = []
    for inp, local in zip(v.inputs, v.local_grads):
        j = index[id(inp)]
        inputs.append({"node": pos.get(j, -1), "name": names[j], "local": fmt(local), "localValue": local})
    lines = code.lines[i] if code is not None else None
    return {
        "title": f"v{i}",
        "op": f"o{i}" if v.inputs else "",
        "index": i,
        "name": names[i],
        "label": v.label,
        "opName": _op_name(v) if v.inputs else "",
        "kind": kind,
        "data": fmt(v.data),
        "dataValue": v.data,
        "dataBox": significant(v.data, BOX_DIGITS),
        "inputs": inputs,
        "grad": fmt(grad),
        "gradValue": grad,
        "gradBox": significant(grad, BOX_DIGITS),
        "fill": scale.fill(grad),
        "forwardLines": list(lines.forward) if lines else [],
        "gradientLines": list(lines.gradient) if lines else [],
    }


def _backward(
    s: Step, prior: float, index: dict[int, int], pos: dict[int, int], names: list[str], fmt: Any, scale: DivergingScale
) -> dict[str, Any]:
    c, r = index[id(s.consumer)], index[id(s.receiver)]
    return {
        "kind": "backward",
        "consumer": pos.get(c, -1),
        "consumerName": names[c],
        "input": s.index,
        "node": pos[r],
        "receiverName": names[r],
        "upstream": fmt(s.upstream),
        "upstreamValue": s.upstream,
        "local": fmt(s.local),
        "localValue": s.local,
        "contribution": fmt(s.contribution),
        "contributionValue": s.contribution,
        "before": fmt(prior),
        "beforeValue": prior,
        "total": fmt(s.total),
        "totalValue": s.total,
        "totalBox": significant(s.total, BOX_DIGITS),
        "sent": s.sent,
        "complete": s.complete,
        "fill": scale.fill(s.total),
        "totalColor": scale.edge_color(s.total),
        "totalWidth": scale.width(s.total),
        "edgeColor": scale.edge_color(s.contribution),
        "edgeWidth": scale.width(s.contribution),
    }


def _terms(steps: list[Step], index: dict[int, int], code: Code | None) -> list[Span | None]:
    """For each step, the term of its receiver's gradient sum in the code that adds this step's
    contribution; None where the code's terms do not pair one to one with the steps."""
    if code is None:
        return [None] * len(steps)
    count: dict[int, int] = {}
    for s in steps:
        count[id(s.receiver)] = count.get(id(s.receiver), 0) + 1
    seen: dict[int, int] = {}
    found: list[Span | None] = []
    for s in steps:
        k = seen[id(s.receiver)] = seen.get(id(s.receiver), -1) + 1
        spans = code.terms[index[id(s.receiver)]]
        found.append(spans[k] if len(spans) == count[id(s.receiver)] else None)
    return found


def _cap_note(total: int, shown: int, steps_left_out: int, max_nodes: int | None) -> str:
    if shown == total:
        return ""
    return (
        f"Large graph: showing {shown:,} of {total:,} values (max_nodes={max_nodes}, those nearest the "
        f"output); {total - shown:,} values and the {steps_left_out:,} backward steps into them are left "
        "out. Gradients shown are still the whole graph's."
    )
