"""Check a hand derivation: find *which step* went wrong, not just that a number differs.

:func:`diagnose` compares numbers someone claimed (values, gradients, local derivatives, chain-rule
terms, updated weights) with the recorded graph, and explains each difference by re-running the
engine on a *mutated* derivation: a sign flipped, a factor dropped, softmax's off-diagonal
derivatives left out, one consumer's path kept, the student's rounded numbers carried forward.
The smallest set of mutations that reproduces a claim to its printed digits is its cause.

>>> from autograd import Value

>>> from autograd.diagnose import diagnose
>>> x = Value(2.0, "x"); y = (x * x).sigmoid(); y.label = "y"
>>> report = diagnose(y, grads={"x": "-0.0707"})       # the sign lost
>>> entry = report["dy/dx"]
>>> entry.verdict, entry.causes
('wrong', ('sign',))
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import Any

from ..sweep import _check_finite as check_finite
from ..sweep import is_grad_enabled
from ..value import Value, as_float
from .claims import Pair, exact_value, read_claims
from .derivation import Graph, carried_forward, claim_flags, exact_forward, sweep
from .mutations import diagonal_sites, factor_mutations, sign_sites, single_path_sites
from .report import CAUSES, Entry, Report, explain
from .search import Context, Search
from .verdicts import entries

__all__ = ["CAUSES", "Entry", "Report", "diagnose", "explain"]


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
    for argument, given in (("grads", grads), ("data", data), ("partials", partials), ("terms", terms),
                            ("updates", updates)):
        if given is not None and not isinstance(given, Mapping):
            raise TypeError(f"diagnose's {argument} must be a mapping (a dict of label -> number), not "
                            f"{type(given).__name__}: {given!r:.60}")
    if updates and lr is None:
        raise ValueError("updates are w - lr * grad: pass the learning rate as lr=...")
    rate = as_float(lr, "lr") if lr is not None else None
    graph = Graph(output)
    out = output.label or "out"
    claims = read_claims(graph, out, grads or {}, data or {}, partials or {}, terms or {}, updates or {}, rate)

    # The exact numbers, and which claims are wrong beyond rounding (their numbers, carried forward,
    # make what follows "upstream").
    exact = exact_forward(graph)
    truth = sweep(exact, None)
    # As backward() refuses it: an exact gradient that overflows cannot be what a claim is judged by.
    check_finite(list(truth.grads), list(truth.grads.values()), "the gradient reaching")
    for c in claims:
        c.exact = exact_value(c, truth.grads, truth.terms, rate)
        if not math.isfinite(c.exact):  # a term or an update (lr * grad) can overflow where grads do not
            raise ValueError(f"the exact value of {c.name} overflows a float ({c.exact}); nothing can be judged "
                             "against it (scale the inputs, the loss or lr down)")

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
    search = Search(claims, contexts, local, factor_mutations(graph, rate), rate, graph)
    return Report(out, entries(claims, search, graph), time.perf_counter() - started, search.sweeps)
