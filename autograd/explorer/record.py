"""The explorer's data: the graph's record and the engine's backward sweep, as one plain object.

:func:`build_record` reads a graph (never changing it) and returns a JSON-ready dict that the page's
script draws from: ``nodes`` (each Value drawn, and those its panels name, in topological order,
with its one name, op, data, inputs and their local derivatives, and where each view draws it),
``steps`` (the steps worth taking: the forward pass one operation at a time from the inputs on,
the seed, then the backward pass one chain-rule contribution at a time in the engine's order,
:func:`autograd.backward_steps`, less the zero ones and those into constants) and the colour
scale. Every number is written here, with significant digits, as a string beside the float it came
from: the page computes nothing.

>>> from autograd import Value
>>> a, b = Value(2.0, "a"), Value(-3.0, "b")
>>> c = a * b; c.label = "c"
>>> record = build_record(c)
>>> [(s["kind"], s.get("receiverName", "")) for s in record["steps"]]
[('forward', ''), ('seed', ''), ('backward', 'a'), ('backward', 'b')]
>>> [i["local"] for i in record["nodes"][2]["inputs"]]   # dc/da = b, dc/db = a
['-3', '2']
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from ..colors import significant
from ..layout import select
from ..names import node_names, op_display
from ..replay import Written
from ..steps import HookStep, Step, backward_steps
from ..sweep import _check_finite, topological_order
from ..value import Value
from .network import Network, network_view
from .placement import place
from .scale import DEFAULT_FLOOR, DivergingScale

DEFAULT_DIGITS = 7
BOX_DIGITS = 4
BOX_NAME = 10  # characters of a name a box shows (a longer one ends in "…"; the panel shows it whole)


def check_digits(digits: int) -> None:
    """Raise unless ``digits`` is a number of significant digits a float can show (1 to 17)."""
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 17:
        raise ValueError(f"digits must be an int from 1 to 17 (significant digits shown), not {digits!r}")


def box_name(name: str) -> str:
    """``name`` as a box shows it: whole when short, else cut to :data:`BOX_NAME` characters with "…"."""
    return name if len(name) <= BOX_NAME else name[: BOX_NAME - 1] + "…"


def build_record(
    root: Value,
    *,
    max_nodes: int | None = None,
    digits: int = DEFAULT_DIGITS,
    floor: float = DEFAULT_FLOOR,
    params: Collection[Value] = (),
    labels: Mapping[Value, str] | None = None,
    notes: Mapping[Value, str] | None = None,
    network: Network | None = None,
    code: Callable[[Mapping[Value, str]], tuple[Written | None, str]] | None = None,
    title: str = "",
) -> dict[str, Any]:
    """The page's whole state for ``root``'s graph.

    ``max_nodes``: draw at most this many Values, those nearest the output (all when None).
    ``params``: Values styled as parameters. ``labels``: names to use instead of the derived ones.
    ``notes``: a line of text per Value, shown in its record. ``network``: the units and weights of
    a network view. ``code``: called with the page's names (only when nothing is left out) for the
    code pane's source and its map.
    Raises ValueError if a gradient overflows, as ``backward()`` does.
    """
    check_digits(digits)
    order = topological_order(root)
    index = {v: k for k, v in enumerate(order)}
    chosen = select(root, order, max_nodes, None)
    drawn = {index[v] for v in chosen.drawn}
    sweep = backward_steps(root)  # edge steps and hook steps, in the engine's order
    steps = [s for s in sweep if isinstance(s, Step)]
    hooks = [s for s in sweep if isinstance(s, HookStep)]
    _check_finite([s.receiver for s in steps], [s.total for s in steps], "explore: the gradient reaching")
    _check_finite([h.node for h in hooks], [h.after for h in hooks], "explore: after its hooks, the gradient of")
    params = set(params)
    # As the code writer reads a graph: unlabelled leaves are constants, unless no leaf has a label
    # (micrograd-style code labels nothing): then every leaf is an input.
    named = bool(params) or any(v.label for v in order if v.is_leaf)
    kinds = [_kind(v, root, params, named) for v in order]
    # Constants are folded into the name of the Value using them: no box, no steps into them.
    boxed = [k for k in sorted(drawn) if kinds[k] != "constant" or k == len(order) - 1]
    named_as = node_names(root, labels)  # the one name per Value that pictures and code use too
    names = [named_as[v] for v in order]

    def fmt(x: float) -> str:
        return significant(x, digits)

    def box(x: float) -> str:
        return significant(x, BOX_DIGITS)

    worth = [
        s for s in steps
        if index[s.receiver] in drawn and kinds[index[s.receiver]] != "constant" and s.contribution != 0.0
    ]
    scale = DivergingScale.of(
        [1.0, *(s.total for s in worth), *(s.contribution for s in worth), *(h.after for h in hooks)], floor
    )
    final = {root: 1.0}
    for s in steps:
        final[s.receiver] = s.total
    for h in hooks:  # a hook's result is the gradient from then on
        final[h.node] = h.after
    def texts(n: int) -> tuple[str, str, str]:  # what box n shows: name, data, gradient
        v = order[boxed[n]]
        return box_name(names[boxed[n]]), box(v.data), box(final.get(v, 0.0))

    where = place([order[k] for k in boxed], {order[k]: n for n, k in enumerate(boxed)}, texts)
    boxes = dict(zip(boxed, where))
    # The page lists the Values it draws, their inputs and the senders of its steps: never more, so
    # a capped page stays small however large the graph. Records refer to them by list position.
    listed = set(drawn) | {index[s.consumer] for s in worth}
    listed |= {index[i] for k in drawn for i in order[k].inputs}
    pos = {k: p for p, k in enumerate(sorted(listed))}
    net = network_view(network, order, index, root, boxed, names, box, final, pos) if network is not None else None
    traced, code_note = (None, "the code pane is off (explore(..., code=False))") if code is None else (None, "")
    if code is not None and len(drawn) < len(order):
        code_note = (f"the code pane is off for a capped graph: its code would run to some {len(order):,} lines "
                     "(raise max_nodes to see it)")
    elif code is not None:
        traced, code_note = code(dict(zip(order, names)))
    notes = notes or {}
    nodes = []
    for k in sorted(listed):
        v = order[k]
        g = final.get(v, 0.0)
        nodes.append({
            "index": k,
            "name": names[k], "nameBox": box_name(names[k]),
            "label": v.label,
            "op": op_display(v),
            "kind": kinds[k],
            "data": fmt(v.data), "dataValue": v.data, "dataBox": box(v.data),
            "grad": fmt(g), "gradValue": g, "gradBox": box(g),
            "fill": scale.fill(g),
            "inputs": [
                {"node": pos.get(index[i], -1), "name": names[index[i]], "local": fmt(d), "localValue": d}
                for i, d in zip(v.inputs, v.local_grads)
            ],
            "box": boxes.get(k),
            "layer": net["layerOf"].get(pos[k], boxes[k]["rank"] if k in boxes else None) if net else (
                boxes[k]["rank"] if k in boxes else None),
            "note": notes.get(v, ""),
            "forwardLines": [traced.value_line[v]] if traced is not None and v in traced.value_line else [],
            "gradientLines": [traced.grad_line[v]] if traced is not None and v in traced.grad_line else [],
        })
    forward = sorted((k for k in boxed if order[k].inputs), key=lambda k: (boxes[k]["rank"], boxes[k]["row"]))
    root_at = pos[len(order) - 1]
    records: list[dict[str, Any]] = [{"kind": "forward", "node": pos[k]} for k in forward] or [
        {"kind": "forward", "node": root_at}
    ]
    records.append({
        "kind": "seed", "node": root_at, "total": fmt(1.0), "totalBox": box(1.0),
        "fill": scale.fill(1.0), "totalColor": scale.edge_color(1.0), "totalWidth": scale.width(1.0),
    })
    spans = traced.term_span if traced is not None else {}
    before: dict[Value, float] = {}  # each receiver's running sum before a step (the engine's own totals)
    kept = {id(s) for s in worth}
    last = {s.receiver: id(s) for s in worth}  # complete: the last step taken into a receiver
    where_is = {v: pos[k] for k, v in enumerate(order) if k in pos}
    for k, item in enumerate(sweep):
        if isinstance(item, HookStep):
            if index[item.node] in boxes:
                records.append(_hook(item, where_is, names, index, fmt, box, scale))
            continue
        prior = before.get(item.receiver, 0.0)
        before[item.receiver] = item.total
        if id(item) in kept:
            shown = _backward(item, prior, where_is, names, index, fmt, box, scale)
            term = spans.get((item.consumer, item.index))
            records.append({**shown, "complete": last[item.receiver] == id(item), "term": term, "sweep": k})
    skipped = {
        "zero": sum(1 for s in steps if s.contribution == 0.0),
        "constant": sum(1 for s in steps if kinds[index[s.receiver]] == "constant" and s.contribution != 0.0),
    }
    return {
        "title": title,
        "root": {"name": names[-1], "node": root_at},
        "digits": digits,
        "nodes": nodes,
        "steps": records,
        "forwardSteps": len(records) - 1 - len([r for r in records if r["kind"] in ("backward", "hook")]),
        "sweepSteps": len(steps),
        "skipped": skipped,
        "graph": _extent(where),
        "network": net,
        "legend": scale.legend(fmt),
        "code": None if traced is None else {"lines": traced.source.splitlines()},
        "codeNote": code_note,
        "cap": _cap_note(len(order), len(drawn), len(steps) - sum(1 for s in steps if index[s.receiver] in drawn),
                         max_nodes),
    }


def _kind(v: Value, root: Value, params: Collection[Value], named: bool) -> str:
    if v is root:
        return "output"
    if v in params:
        return "parameter"
    if v.is_leaf:
        return "input" if v.label or not named else "constant"
    return "operation"


def _extent(boxes: list[dict[str, Any]]) -> dict[str, float]:
    return {
        "width": max((b["x"] + b["w"] for b in boxes), default=0.0),
        "height": max((b["y"] + b["h"] for b in boxes), default=0.0),
    }


def _hook(
    h: HookStep, pos: Mapping[Value, int], names: list[str], index: Mapping[Value, int],
    fmt: Callable[[float], str], box: Callable[[float], str], scale: DivergingScale,
) -> dict[str, Any]:
    """A hook step: the Value's hooks turned its gradient ``before`` into ``after``."""
    return {
        "kind": "hook", "node": pos[h.node], "receiverName": names[index[h.node]],
        "before": fmt(h.before), "beforeValue": h.before, "total": fmt(h.after), "totalValue": h.after,
        "totalBox": box(h.after), "complete": True, "fill": scale.fill(h.after),
        "totalColor": scale.edge_color(h.after), "totalWidth": scale.width(h.after),
    }


def _backward(
    s: Step,
    prior: float,
    pos: Mapping[Value, int],
    names: list[str],
    index: Mapping[Value, int],
    fmt: Callable[[float], str],
    box: Callable[[float], str],
    scale: DivergingScale,
) -> dict[str, Any]:
    return {
        "kind": "backward",
        "consumer": pos[s.consumer],
        "consumerName": names[index[s.consumer]],
        "input": s.index,
        "node": pos[s.receiver],
        "receiverName": names[index[s.receiver]],
        "upstream": fmt(s.upstream), "upstreamValue": s.upstream,
        "local": fmt(s.local), "localValue": s.local,
        "contribution": fmt(s.contribution), "contributionValue": s.contribution,
        "before": fmt(prior), "beforeValue": prior,
        "total": fmt(s.total), "totalValue": s.total, "totalBox": box(s.total),
        "fill": scale.fill(s.total),
        "totalColor": scale.edge_color(s.total),
        "totalWidth": scale.width(s.total),
        "edgeColor": scale.edge_color(s.contribution),
        "edgeWidth": scale.width(s.contribution),
    }


def _cap_note(total: int, shown: int, steps_left_out: int, max_nodes: int | None) -> str:
    if shown == total:
        return ""
    return (
        f"Large graph: showing {shown:,} of {total:,} values (max_nodes={max_nodes}, those nearest the "
        f"output); {total - shown:,} values and the {steps_left_out:,} backward steps into them are left "
        "out. Gradients shown are still the whole graph's."
    )
