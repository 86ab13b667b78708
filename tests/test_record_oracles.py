"""The explorer's record (autograd/explorer/record.py) of small graphs, every field against a hand
computation: steps, hooks, node rows, counts, the cap's note, names, layers and code lines.

The first graph: y = x * x with x = 1.2345678 and a hook on x that doubles its gradient: the sweep
sends dy/dx = x twice (one step per input slot: before 0 then x, total x then 2x), then the hook
turns 2x into 4x. The colour scale is logarithmic over the magnitudes shown, here from 1 (the seed)
to 4x (the hook's result), and a line's width runs from 1 to 6 px along it.
"""
from __future__ import annotations

import math

import pytest

from autograd import Value
from autograd.colors import PALETTE
from autograd.explorer.record import build_record

X = 1.2345678


def width(v: float) -> float:
    """The documented width: 1 px at the faint end (1), 6 px at the deep end (4x), log in between."""
    return round(1.0 + 5.0 * math.log(v) / math.log(4 * X), 2)


def hooked() -> tuple[Value, Value]:
    x = Value(X, "x")
    y = x * x
    y.label = "y"
    x.register_hook(lambda g: 2 * g)
    return x, y


def test_each_backward_step_and_the_hook_step_carry_the_hand_computed_numbers():
    record = build_record(hooked()[1])
    seed, first, second, hook = record["steps"][1:]
    assert [s["kind"] for s in record["steps"]] == ["forward", "seed", "backward", "backward", "hook"]
    assert seed["totalColor"] == PALETTE["pos-faint"] and seed["totalWidth"] == 1.0
    # the record's node list: x then y (topological order)
    common = {"kind": "backward", "consumer": 1, "consumerName": "y", "node": 0, "receiverName": "x",
              "upstream": "1", "upstreamValue": 1.0, "local": "1.234568", "localValue": X,
              "contribution": "1.234568", "contributionValue": X, "term": None}
    expected = [
        {**common, "input": 0, "before": "0", "beforeValue": 0.0, "total": "1.234568", "totalValue": X,
         "totalBox": "1.235", "complete": False, "sweep": 0},
        {**common, "input": 1, "before": "1.234568", "beforeValue": X, "total": "2.469136", "totalValue": 2 * X,
         "totalBox": "2.469", "complete": True, "sweep": 1},
    ]
    assert [{key: step.get(key) for key in want} for step, want in zip((first, second), expected)] == expected
    for step in (first, second):
        assert step.keys() == {*expected[0], "fill", "totalColor", "totalWidth", "edgeColor", "edgeWidth"}
        assert step["edgeWidth"] == width(X) and step["edgeColor"] == first["totalColor"]
    assert (first["totalWidth"], second["totalWidth"]) == (width(X), width(2 * X))
    assert first["fill"] != second["fill"]
    assert hook == {
        "kind": "hook", "node": 0, "receiverName": "x", "before": "2.469136", "beforeValue": 2 * X,
        "total": "4.938271", "totalValue": 4 * X, "totalBox": "4.938", "complete": True,
        "fill": record["nodes"][0]["fill"], "totalColor": PALETTE["pos"], "totalWidth": 6.0,
    }
    assert record["nodes"][0]["grad"] == "4.938271" and record["nodes"][0]["gradValue"] == 4 * X


def test_fewer_digits_shorten_every_number_but_the_boxes():
    record = build_record(hooked()[1], digits=3)
    hook = record["steps"][-1]
    assert (hook["before"], hook["total"], hook["totalBox"]) == ("2.47", "4.94", "4.938")
    assert [s.get("local") for s in record["steps"][2:4]] == ["1.23", "1.23"]


def test_each_node_record_holds_its_values_local_derivatives_and_kind():
    # a = 2 (an input), b = -3 (a parameter), c = a * b = -6, c + 1 = -5, relu(c + 1) = 0, d = relu(...) + a = 2;
    # dd/da = 1 through the + alone (the relu is off), dd/db = 0; dc/da = b, dc/db = a
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    c = a * b
    c.label = "c"
    d = (c + 1.0).relu() + a
    d.label = "d"
    record = build_record(d, notes={a: "the input"}, title="T", params=[b])
    rows = [(n["index"], n["name"], n["label"], n["op"], n["kind"], n["data"], n["dataValue"], n["grad"],
             n["gradValue"], [(i["node"], i["name"], i["local"], i["localValue"]) for i in n["inputs"]])
            for n in record["nodes"]]
    assert rows == [
        (0, "a", "a", "", "input", "2", 2.0, "1", 1.0, []),
        (1, "b", "b", "", "parameter", "-3", -3.0, "0", 0.0, []),
        (2, "c", "c", "*", "operation", "-6", -6.0, "0", 0.0, [(0, "a", "-3", -3.0), (1, "b", "2", 2.0)]),
        (3, "1", "", "", "constant", "1", 1.0, "0", 0.0, []),
        (4, "c+1", "", "+", "operation", "-5", -5.0, "0", 0.0, [(2, "c", "1", 1.0), (3, "1", "1", 1.0)]),
        (5, "relu(c+1)", "", "relu", "operation", "0", 0.0, "1", 1.0, [(4, "c+1", "0", 0.0)]),
        (6, "d", "d", "+", "output", "2", 2.0, "1", 1.0, [(5, "relu(c+1)", "1", 1.0), (0, "a", "1", 1.0)]),
    ]
    assert [n["note"] for n in record["nodes"]] == ["the input", "", "", "", "", "", ""]
    assert [(n["nameBox"], n["dataBox"], n["gradBox"]) for n in record["nodes"]][5] == ("relu(c+1)", "0", "1")
    assert record["nodes"][3]["box"] is None and record["nodes"][3]["layer"] is None  # a constant has no box
    assert all(n["box"] is not None for k, n in enumerate(record["nodes"]) if k != 3)
    zero = record["nodes"][1]["fill"]
    assert [n["fill"] == zero for n in record["nodes"]] == [False, True, True, True, True, False, False]
    # 7 chain-rule steps, 5 of them zero (everything below the relu): 2 backward records
    assert (record["sweepSteps"], record["skipped"]) == (7, {"zero": 5, "constant": 0})
    assert [s["kind"] for s in record["steps"]] == ["forward"] * 4 + ["seed", "backward", "backward"]
    assert record["forwardSteps"] == 4 and [s["node"] for s in record["steps"][:4]] == [2, 4, 5, 6]
    assert record["root"] == {"name": "d", "node": 6} and record["title"] == "T" and record["digits"] == 7
    assert record["cap"] == "" and record["code"] is None and record["network"] is None


def test_a_constant_is_no_step_but_is_counted():
    # y = x * 3 with x = 2: the step into the constant 3 (dy/d3 = x = 2) is counted, not shown
    x = Value(2.0, "x")
    y = x * 3.0
    record = build_record(y)
    assert record["sweepSteps"] == 2 and record["skipped"] == {"zero": 0, "constant": 1}
    (step,) = [s for s in record["steps"] if s["kind"] == "backward"]
    assert (step["receiverName"], step["local"], step["total"]) == ("x", "3", "3")


def test_a_capped_record_says_exactly_what_it_left_out():
    # x times 1.5, six times: 13 Values (x, six constants, six products) and 12 steps (two per product).
    # The 3 nearest the output are the last product and its two inputs; the 2 steps into those are kept.
    y = Value(1.0, "x")
    for _ in range(6):
        y = y * 1.5
    record = build_record(y, max_nodes=3, code=lambda names: (None, "never asked"))
    assert record["cap"] == (
        "Large graph: showing 3 of 13 values (max_nodes=3, those nearest the output); 10 values and the 10 "
        "backward steps into them are left out. Gradients shown are still the whole graph's."
    )
    assert record["code"] is None and record["codeNote"] == (
        "the code pane is off for a capped graph: its code would run to some 13 lines (raise max_nodes to see it)"
    )
    # listed: the three drawn (two with boxes: the constant is folded into its product) and the inputs of
    # the drawn product, x * 1.5^5 and its constant; their own inputs are not listed (-1)
    rows = [(n["index"], [i["node"] for i in n["inputs"]], n["box"] is not None) for n in record["nodes"]]
    assert rows == [(8, [-1, -1], False), (9, [], False), (10, [0, 1], True), (11, [], False), (12, [2, 3], True)]


def test_the_graphs_extent_reaches_the_far_edge_of_every_box_and_no_further():
    x = Value(2.0, "x")
    y = (x * x + x).tanh()
    record = build_record(y)
    boxes = [n["box"] for n in record["nodes"] if n["box"] is not None]
    assert len(boxes) == 4
    assert record["graph"] == {"width": max(b["x"] + b["w"] for b in boxes),
                               "height": max(b["y"] + b["h"] for b in boxes)}
    assert all(b["w"] > 0 and b["h"] > 0 for b in boxes)


def test_names_given_params_named_and_a_long_name_cut_in_its_box():
    # with params given, the unlabelled leaves are constants, even though no leaf has a label
    a, w, b = Value(1.0), Value(3.0), Value(2.0)
    record = build_record(a * w + b, params=[w], labels={w: "weight_of_the_first_unit"})
    assert [n["kind"] for n in record["nodes"]] == ["constant", "parameter", "operation", "constant", "output"]
    (weight,) = [n for n in record["nodes"] if n["kind"] == "parameter"]
    assert weight["name"] == "weight_of_the_first_unit" and weight["nameBox"] == "weight_of…"
    assert record["title"] == ""
    # a name of 10 characters fits a box whole; 11 are cut to 9 and "…"
    ten, eleven = Value(1.0, "abcdefghij"), Value(1.0, "abcdefghijk")
    names = [(n["name"], n["nameBox"]) for n in build_record(ten * eleven)["nodes"][:2]]
    assert names == [("abcdefghij", "abcdefghij"), ("abcdefghijk", "abcdefghi…")]


def test_the_code_pane_gets_the_pages_names_and_says_why_when_off():
    x = Value(2.0, "x")
    y = x * 3.0
    y.label = "y"
    record = build_record(y, code=lambda names: (None, "names: " + ", ".join(names.values())))
    assert record["codeNote"] == "names: x, 3, y" and record["code"] is None
    assert build_record(y)["codeNote"] == "the code pane is off (explore(..., code=False))"


def test_the_colour_floor_is_the_one_given():
    # x times 1.5 six times: the magnitudes shown run from the seed's 1 to dy/dx = 1.5^6 = 11.39; below
    # 0.1 x 11.39 = 1.139 lies the seed alone
    y = Value(1.0, "x")
    for _ in range(6):
        y = y * 1.5
    note = build_record(y, floor=0.1)["legend"]["note"]
    assert note.endswith("magnitudes below 0.1 × the largest (1.139063) are drawn faintest (1 here)")


def test_in_a_network_view_each_value_sits_in_its_layers_column():
    import nn
    from nn.draw import explore

    model = nn.MLP(2, [2, 1], ["tanh", "sigmoid"], seed=0)
    record = explore(model, model([0.5, -1.0])[0]).record
    # the inputs in column 0; the first layer's weights, biases and units in 1; the output layer's in 2
    column = {"x": 0, "W_ij": 1, "b_j": 1, "h1_in": 1, "h1_out": 1, "W_jk": 2, "b_k": 2, "O_in": 2, "O_out": 2}
    assert {n["name"]: n["layer"] for n in record["nodes"]} == {
        n["name"]: column[n["name"].split("[")[0]] for n in record["nodes"]
    }


def test_the_forward_pass_goes_layer_by_layer_and_each_value_points_at_its_line():
    # out = (2x + 1) * 3x: x*2 and x*3 both read x alone (layer 1), x*2+1 reads x*2 (layer 2)
    from autograd.explorer.code import written_out

    x = Value(2.0, "x")
    out = (x * 2.0 + 1.0) * (x * 3.0)
    record = build_record(out, code=lambda names: written_out(out, names))
    names = [n["name"] for n in record["nodes"]]
    forward = [names[s["node"]] for s in record["steps"] if s["kind"] == "forward"]
    assert forward == ["x·2", "x·3", "x·2+1", "(x·2+1)·x·3"]
    assert [(n["name"], n["layer"]) for n in record["nodes"] if n["kind"] != "constant"] == [
        ("x", 0), ("x·2", 1), ("x·2+1", 2), ("x·3", 1), ("(x·2+1)·x·3", 3)]
    lines = record["code"]["lines"]
    assert {n["name"]: [lines[k - 1].strip() for k in n["forwardLines"]] for n in record["nodes"]} == {
        "x": ["(x,) = params"], "2": [], "1": [], "3": [], "x·2": ["x_2 = x * 2.0"], "x·2+1": ["x_2_1 = x_2 + 1.0"],
        "x·3": ["x_3 = x * 3.0"], "(x·2+1)·x·3": ["x_2_1_x_3 = x_2_1 * x_3"]}
    gradients = [lines[n["gradientLines"][0] - 1].split(" = ")[0].strip() for n in record["nodes"]
                 if n["gradientLines"]]
    assert gradients == ["d_x", "d_x_2", "d_x_2_1", "d_x_3", "d_x_2_1_x_3"]


def test_a_hook_midway_changes_what_flows_on():
    # h = x * x = 4 (x = 2) with a hook doubling its gradient, z = 3h: dz/dh = 3, doubled to 6; then
    # each of h's two input slots sends 6 * x = 12 to x: 12, then 24
    x = Value(2.0, "x")
    h = x * x
    h.label = "h"
    h.register_hook(lambda g: 2 * g)
    z = h * 3.0
    z.label = "z"
    record = build_record(z)
    steps = [(s["kind"], s["receiverName"], s.get("before"), s["total"]) for s in record["steps"][3:]]
    assert steps == [("backward", "h", "0", "3"), ("hook", "h", "3", "6"), ("backward", "x", "0", "12"),
                     ("backward", "x", "12", "24")]
    seed = record["steps"][2]
    assert seed == {"kind": "seed", "node": 3, "total": "1", "totalBox": "1", "fill": record["nodes"][3]["fill"],
                    "totalColor": PALETTE["pos-faint"], "totalWidth": 1.0}
    only = build_record(Value(3.0, "v"))
    assert only["steps"][0] == {"kind": "forward", "node": 0} and only["forwardSteps"] == 1


@pytest.mark.parametrize("digits", [0, 18, True, 2.0])
def test_digits_outside_1_to_17_are_refused(digits):
    with pytest.raises(ValueError, match=r"digits must be an int from 1 to 17 \(significant digits shown\), not "):
        build_record(Value(1.0, "x"), digits=digits)


def test_one_and_seventeen_digits_are_the_ends():
    x = Value(2 / 3, "x")
    assert [build_record(x, digits=d)["nodes"][0]["data"] for d in (1, 17)] == ["0.7", f"{2 / 3:.17g}"]


def test_a_box_is_sized_to_show_its_gradient():
    # y = x * c: x's box shows the name x, the value 2 and the gradient c; only c's width differs
    widths = []
    for c in (3.0, -0.123456):
        x = Value(2.0, "x")
        record = build_record(x * c)
        assert record["nodes"][0]["gradBox"] == ("3" if c == 3.0 else "-0.1235")
        widths.append(record["nodes"][0]["box"]["w"])
    assert widths[1] > widths[0]
