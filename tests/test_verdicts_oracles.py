"""diagnose's verdicts on small graphs worked by hand: which earlier wrong numbers a claim inherits
(the ``upstream`` cause's detail), and the wording of rounding, slips and inherited mistakes.

Every expected value is written here from the graph as drawn in each test's comment: the claims
are chosen so that one number is mis-copied and what follows is worked correctly from it.
"""

from __future__ import annotations

import math

import pytest

from autograd import Value
from autograd.diagnose import diagnose


def chain() -> Value:
    """a = 2, b = 3, c = a * b = 6, d = c + 1 = 7, e = d * d = 49; de/dd = 14, de/dc = 14, de/da = 42."""
    a, b = Value(2.0, "a"), Value(3.0, "b")
    c = a * b
    c.label = "c"
    d = c + 1.0
    d.label = "d"
    e = d * d
    e.label = "e"
    return e


def summed(n: int) -> Value:
    """s = u1 + u2 + ... + un added left to right, u_i = 2 * x_i with x_i = i: s = n * (n + 1)."""
    us = []
    for i in range(1, n + 1):
        u = Value(float(i), f"x{i}") * 2.0
        u.label = f"u{i}"
        us.append(u)
    s = us[0]
    for u in us[1:]:
        s = s + u
    s.label = "s"
    return s


def two_paths() -> Value:
    """q = 3p, r = 4p, o = q * r with p = 1.5: do/dq = r = 6, do/dr = q = 4.5, do/dp = 6 * 3 + 4.5 * 4 = 36."""
    p = Value(1.5, "p")
    q, r = p * 3.0, p * 4.0
    q.label, r.label = "q", "r"
    o = q * r
    o.label = "o"
    return o


def pair() -> Value:
    """y = tanh(s), s = x0 w0 + x1 w1 = -2.5 with x = (1, 2), w = (0.5, -1.5): dy/dw_i = x_i dy/ds."""
    xs = [Value(1.0, "x[0]"), Value(2.0, "x[1]")]
    w = [Value(0.5, "w[0]"), Value(-1.5, "w[1]")]
    s = xs[0] * w[0] + xs[1] * w[1]
    s.label = "s"
    y = s.tanh()
    y.label = "y"
    return y


def test_a_value_worked_from_a_slip_names_it_and_a_claimed_value_cuts_the_walk():
    # c mis-copied as 5.5 (6); d = 5.5 + 1 and e = 6.5 * 6.5 worked right from it
    r = diagnose(chain(), data={"c": "5.5", "d": "6.5", "e": "42.25"})
    assert r["c"].causes == ("slip",) and r["c"].details == {"slip": "c = 5.5 where its own numbers give 6"}
    assert r["c"].expected == 6.0 and r["c"].key == "c" and r["c"].kind == "data" and r["c"].claimed == "5.5"
    assert r["d"].verdict == "wrong" and r["d"].causes == ("upstream",)
    assert r["d"].details == {"upstream": "from c"}
    assert r["e"].causes[0] == "upstream" and r["e"].details["upstream"] == "from d"  # not c: d carries it
    # with d not claimed, e is computed from c through it
    r = diagnose(chain(), data={"c": "5.5", "e": "42.25"})
    assert r["e"].causes == ("upstream",) and r["e"].details == {"upstream": "from c"}
    # right leaves before the slip are not sources
    r = diagnose(chain(), data={"a": "2", "b": "3", "c": "5.5", "d": "6.5"})
    assert [r[n].verdict for n in "abcd"] == ["agrees", "agrees", "wrong", "wrong"]
    assert r["d"].details == {"upstream": "from c"}


def test_a_sum_of_many_slips_names_the_nearest_three_and_counts_the_rest():
    # u_i mis-copied as 2i + 0.5; s = sum of them: (n(n+1) + n/2), each u_i a source
    five = {**{f"u{i}": f"{2 * i + 0.5}" for i in range(1, 6)}, "s": "32.5"}
    r = diagnose(summed(5), data=five)
    assert [r[f"u{i}"].causes for i in range(1, 6)] == [("slip",)] * 5
    # u5 is added last, so it is one step from s; u1 and u2 are the furthest
    assert r["s"].causes == ("upstream",) and r["s"].details == {"upstream": "from u5, u4, u3 and 2 more"}
    four = {**{f"u{i}": f"{2 * i + 0.5}" for i in range(1, 5)}, "s": "22"}
    assert diagnose(summed(4), data=four)["s"].details == {"upstream": "from u4, u3, u2 and 1 more"}
    three = {**{f"u{i}": f"{2 * i + 0.5}" for i in range(1, 4)}, "s": "13.5"}
    assert diagnose(summed(3), data=three)["s"].details == {"upstream": "from u3, u2, u1"}
    # a right one among them is no source: u2 = 4 agrees
    mixed = {"u1": "2.5", "u2": "4", "u3": "6.5", "s": "13.0"}
    r = diagnose(summed(3), data=mixed)
    assert r["u2"].verdict == "agrees" and r["s"].details == {"upstream": "from u3, u1"}


def test_a_gradient_worked_from_a_slip_names_the_consumer_it_reads():
    # de/dd mis-copied as 15.1 (14); de/dc = de/dd * 1, de/da = de/dc * b = 15.1 * 3 = 45.3
    r = diagnose(chain(), grads={"d": "15.1", "c": "15.1", "a": "45.3"})
    assert r["de/dd"].causes == ("slip",)
    assert r["de/dd"].details == {"slip": "de/dd = 15.1 where its own numbers give 14"}
    assert r["de/dd"].key == "d" and r["de/dd"].kind == "grad"
    assert r["de/dc"].causes == ("upstream",) and r["de/dc"].details == {"upstream": "from de/dd"}
    assert r["de/da"].causes[0] == "upstream" and r["de/da"].details["upstream"] == "from de/dc"
    # de/dc not claimed: de/da reads de/dd through it
    r = diagnose(chain(), grads={"d": "15.1", "a": "45.3"})
    assert r["de/da"].causes == ("upstream",) and r["de/da"].details == {"upstream": "from de/dd"}


def test_a_value_reached_twice_is_named_once_and_the_walk_goes_on_past_it():
    # s = t + (q + r) with q = 2p, r = 3p: p = 1, t = 5, s = 10; p mis-copied as 1.5 and t as 5.5,
    # s worked from them: 5.5 + 3 + 4.5 = 13. p is reached through r, then again through q.
    p = Value(1.0, "x") * 1.0
    p.label = "p"
    t = Value(5.0, "y") * 1.0
    t.label = "t"
    s = t + (p * 2.0 + p * 3.0)
    s.label = "s"
    r = diagnose(s, data={"p": "1.5", "t": "5.5", "s": "13.0"})
    assert r["s"].causes == ("upstream",) and r["s"].details == {"upstream": "from p, t"}


def test_a_consumer_reached_twice_is_walked_once_and_the_walk_goes_on_past_it():
    # x = 2, y = 2x = 4, m = x * y = 8, w = 3y = 12, o = m + w; do/dw = do/dm = 1, do/dy = x + 3 = 5,
    # do/dx = 2 * 5 + y = 14. do/dw mis-copied as 1.5: do/dy = 2 + 4.5 = 6.5, do/dx = 13 + 4 = 17.
    # From x the walk meets m twice (x's consumer, y's consumer) before reaching w through y.
    x = Value(2.0, "x")
    y = x * 2.0
    y.label = "y"
    m = x * y
    m.label = "m"
    w = y * 3.0
    w.label = "w"
    o = m + w
    o.label = "o"
    r = diagnose(o, grads={"w": "1.5", "x": "17"})
    assert r["do/dw"].causes == ("slip",)
    assert r["do/dx"].causes == ("upstream",) and r["do/dx"].details == {"upstream": "from do/dw"}


def test_a_local_derivative_worked_from_a_wrong_value_names_it():
    # e = d * d: de/dd = 2d = 14; with d mis-copied as 7.5, 2 * 7.5 = 15
    r = diagnose(chain(), data={"d": "7.5"}, partials={("e", "d"): "15.0"})
    assert r["d"].causes == ("slip",)
    assert r["de/dd"].key == ("e", "d") and r["de/dd"].kind == "local"
    assert r["de/dd"].causes == ("upstream",) and r["de/dd"].details == {"upstream": "from d"}


def test_of_two_consumers_each_wrong_one_and_each_wrong_term_is_a_source():
    # q = 3p, r = 4p, o = q * r with p = 1.5: do/dq = r = 6, do/dr = q = 4.5, do/dp = 6 * 3 + 4.5 * 4 = 36
    o = two_paths()
    # do/dq mis-copied as 6.5: do/dp = 6.5 * 3 + 4.5 * 4 = 37.5
    report = diagnose(o, grads={"q": "6.5", "r": "4.5", "p": "37.5"})
    assert report["do/dr"].verdict == "agrees" and report["do/dq"].causes == ("slip",)
    assert report["do/dp"].causes == ("upstream",) and report["do/dp"].details == {"upstream": "from do/dq"}
    # and do/dr as 5.0: 6.5 * 3 + 5 * 4 = 39.5
    report = diagnose(o, grads={"q": "6.5", "r": "5.0", "p": "39.5"})
    assert report["do/dp"].causes == ("upstream",) and report["do/dp"].details == {"upstream": "from do/dq, do/dr"}
    # the terms do/dq * dq/dp = 18 and do/dr * dr/dp = 18 mis-copied as 19.5 and 20: their sum is 39.5
    report = diagnose(o, terms={("q", "p"): "19.5", ("r", "p"): "20"}, grads={"p": "39.5"})
    assert report["do/dq*dq/dp"].key == ("q", "p") and report["do/dq*dq/dp"].causes == ("slip",)
    assert report["do/dp"].details == {"upstream": "from do/dq*dq/dp, do/dr*dr/dp"}


def test_terms_read_their_consumers_gradient_and_gradients_read_the_terms_written():
    # the term de/dd * dd/dc = 14 * 1; written from de/dd = 15.1 it is 15.1
    r = diagnose(chain(), grads={"d": "15.1"}, terms={("d", "c"): "15.1"})
    assert r["de/dd*dd/dc"].causes == ("upstream",) and r["de/dd*dd/dc"].details == {"upstream": "from de/dd"}
    # the term mis-copied: de/dc = that term (c has one consumer), de/da = 15.1 * 3
    r = diagnose(chain(), terms={("d", "c"): "15.1"}, grads={"c": "15.1", "a": "45.3"})
    assert r["de/dd*dd/dc"].causes == ("slip",)
    assert r["de/dc"].causes == ("upstream",) and r["de/dc"].details == {"upstream": "from de/dd*dd/dc"}
    assert r["de/da"].details["upstream"] == "from de/dc"


def test_a_wrong_local_derivative_is_a_source_of_the_gradient_through_it():
    # dd/dc = 1 mis-copied as 1.25: de/dc = 14 * 1.25 = 17.5, de/da = 17.5 * 3 = 52.5
    r = diagnose(chain(), partials={("d", "c"): "1.25"}, grads={"c": "17.5", "a": "52.5"})
    assert r["dd/dc"].causes == ("slip",)
    assert r["dd/dc"].details == {"slip": "dd/dc = 1.25 where its own numbers give 1"}
    assert r["de/dc"].causes == ("upstream",) and r["de/dc"].details == {"upstream": "from dd/dc"}
    assert r["de/da"].details["upstream"] == "from de/dc"


def test_an_update_worked_from_a_wrong_gradient_names_it():
    # a' = 2 - 0.1 * de/da; with de/da mis-copied as 45.3 (42): 2 - 4.53 = -2.53
    r = diagnose(chain(), grads={"a": "45.3"}, updates={"a": "-2.53"}, lr=0.1)
    assert r["de/da"].causes == ("slip",)
    assert r["a'"].causes == ("upstream",) and r["a'"].details == {"upstream": "from de/da"}
    assert r["a'"].key == "a" and r["a'"].kind == "update"
    # from a right gradient, a wrong update is its own slip: 2 - 0.1 * 42 = -2.2
    r = diagnose(chain(), grads={"a": "42"}, updates={"a": "-2.5"}, lr=0.1)
    assert r["a'"].causes == ("slip",) and r["a'"].details == {"slip": "a' = -2.5 where its own numbers give -2.2"}


@pytest.mark.parametrize(("text", "verdict", "causes", "details"), [
    ("0.667", "agrees", (), {}),
    ("0.666", "rounding", ("truncated",), {"truncated": "0.6666667 cut to 0.666"}),
    ("0.6666", "rounding", ("truncated",), {"truncated": "0.6666667 cut to 0.6666"}),
    ("0.6668", "rounding", ("rounded-input",), {}),  # not 2/3 cut: one unit too high
])
def test_two_thirds_printed_short(text, verdict, causes, details):
    y = Value(2.0, "x") / 3.0
    y.label = "y"
    entry = diagnose(y, data={"y": text})["y"]
    assert (entry.verdict, entry.causes, entry.details) == (verdict, causes, details)
    assert entry.alternatives == () and entry.expected is None


def test_a_local_derivative_read_from_its_ops_own_wrong_output_names_it():
    # t = tanh(u), u = 0.5: t = 0.4621, dt/du = 1 - t^2 = 0.7864; t mis-copied as 0.45, 1 - 0.45^2 = 0.7975
    u = Value(0.5, "u")
    t = u.tanh()
    t.label = "t"
    o = t * 2.0
    o.label = "o"
    r = diagnose(o, data={"t": "0.45"}, partials={("t", "u"): "0.7975"})
    assert r["t"].causes == ("slip",)
    assert r["dt/du"].causes == ("upstream",) and r["dt/du"].details == {"upstream": "from t"}


def test_a_gradient_through_a_wrong_local_derivative_also_names_the_wrong_gradient_beyond_it():
    # de/dc = de/dd * dd/dc = 14 * 1; both mis-copied (15.1 and 1.25): 15.1 * 1.25 = 18.875
    r = diagnose(chain(), grads={"d": "15.1", "c": "18.875"}, partials={("d", "c"): "1.25"})
    assert r["de/dc"].causes == ("upstream",) and r["de/dc"].details == {"upstream": "from dd/dc, de/dd"}


def test_a_right_term_is_no_source():
    # q = 3p, r = 4p, o = q * r, p = 1.5: the term do/dq * dq/dp = 6 * 3 = 18 written right, do/dr = 4.5
    # mis-copied as 5.0: do/dp = 18 + 5 * 4 = 38 (36)
    o = two_paths()
    report = diagnose(o, terms={("q", "p"): "18"}, grads={"r": "5.0", "p": "38"})
    assert report["do/dq*dq/dp"].verdict == "agrees"
    assert report["do/dp"].causes == ("upstream",) and report["do/dp"].details == {"upstream": "from do/dr"}


def test_a_lost_sign_carried_down_is_named_with_the_upstream_reading_as_its_alternative():
    # de/dd = 14 written -14, then de/dc = -14 * 1 and de/da = -14 * 3 worked from it: each is the sign
    # lost again, or the wrong number carried down (equally simple), which the report lists as alternatives
    r = diagnose(chain(), grads={"d": "-14", "c": "-14", "a": "-42"})
    assert [(e.name, e.causes, e.details, e.alternatives) for e in r] == [
        ("de/dd", ("sign",), {"sign": "the whole number negated"}, ()),
        ("de/dc", ("sign",), {"sign": "the whole number negated"}, (("upstream",),)),
        ("de/da", ("sign",), {"sign": "the whole number negated"}, (("upstream", "rounded-input"),)),
    ]
    assert all(e.verdict == "wrong" and e.expected is None for e in r)


def test_a_slip_is_measured_against_the_writers_own_earlier_numbers():
    # de/dd = 14 mis-copied as 15.1; de/dc = 16.1 is then a second slip: its own numbers give 15.1, not 14
    r = diagnose(chain(), grads={"d": "15.1", "c": "16.1"})
    assert r["de/dc"].causes == ("slip", "upstream") and r["de/dc"].expected == 15.1
    assert r["de/dc"].details == {"slip": "de/dc = 16.1 where its own numbers give 15.1", "upstream": "from de/dd"}
    # the same with values: c = 6 mis-copied as 5.5, then d = 7.5 where 5.5 + 1 = 6.5
    r = diagnose(chain(), data={"c": "5.5", "d": "7.5"})
    assert r["d"].causes == ("slip", "upstream") and r["d"].expected == 6.5
    assert r["d"].details == {"slip": "d = 7.5 where its own numbers give 6.5", "upstream": "from c"}
    # an update alone: a' = 2 - 0.1 * 42 = -2.2
    r = diagnose(chain(), updates={"a": "-2.5"}, lr=0.1)
    assert r["a'"].causes == ("slip",) and r["a'"].expected == -2.2


def test_a_pair_of_entries_near_a_mistake_is_that_mistake_unexplained():
    # y = tanh(x0 w0 + x1 w1) with x = (1, 2), w = (0.5, -1.5): dy/dw_i = x_i (1 - tanh(-2.5)^2);
    # written with the sign lost and 5 % and 3 % off: no set of mistakes reproduces them, the sign
    # comes closest for the pair; one entry alone would be a slip
    y = pair()
    d = 1 - math.tanh(-2.5) ** 2
    claims = {"w[0]": f"{-d * 1.05:.4f}", "w[1]": f"{-2 * d * 0.97:.4f}"}
    r = diagnose(y, grads=claims)
    for i in range(2):
        e = r[f"dy/dw[{i}]"]
        assert e.causes == ("sign", "unexplained") and e.details == {"sign": "the whole number negated"}
        assert e.expected == pytest.approx((i + 1) * d, rel=1e-12)
    assert diagnose(y, grads={"w[0]": claims["w[0]"]})["dy/dw[0]"].causes == ("slip",)


@pytest.mark.parametrize(("claims", "causes"), [
    # dy/ds = 1 - tanh(-2.5)^2 = 0.02659 written 0.027 (rounding); the pair written as -0.027 x_i times
    # 1.04 and 1.03: nearest to the writer's own 0.027, so the rounding they carried is a cause
    ({"grads": {"s": "0.027", "w[0]": "-0.02808", "w[1]": "-0.05562"}}, ("sign", "rounded-input", "unexplained")),
    # the pair as -0.02659 x_i times 0.97 and 0.98: nearest to the exact numbers
    ({"grads": {"s": "0.027", "w[0]": "-0.02579", "w[1]": "-0.05212"}}, ("sign", "unexplained")),
    # s written -2.6, where 1 - tanh(-2.6)^2 = 0.02182: the pair as -0.02182 x_i times 0.97 and 0.98,
    # nearest to the values carried forward from s (not to 0.027, not to the exact 0.02659)
    ({"data": {"s": "-2.6"}, "grads": {"s": "0.027", "w[0]": "-0.02117", "w[1]": "-0.04278"}},
     ("sign", "rounded-input", "unexplained")),
])
def test_a_pair_is_compared_with_the_exact_carried_and_own_numbers_and_the_nearest_named(claims, causes):
    r = diagnose(pair(), **claims)
    assert [r[f"dy/dw[{i}]"].causes for i in range(2)] == [causes, causes]
