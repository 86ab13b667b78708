"""Trace once, replay fast: a recorded graph written out as straight-line Python.

A dynamic step rebuilds its graph every time: one :class:`~autograd.Value` per operation, then a
topological sort, then the reverse sweep. When the *shape* of the graph does not change from step
to step (the same network on the same kind of input), all of that bookkeeping can be done once.
:func:`trace` takes a built graph and writes one Python function that computes the output and the
gradients of chosen parameters from plain floats::

    step = replay.trace(loss, params=model.parameters())
    value, grads = step()          # reads the current .data of the parameters
    for p, g in zip(step.params, grads):
        p.data -= 0.1 * g

The function is generated from the ops' own definitions. Each op's derivative rule ``local`` is
evaluated once on small symbolic expressions (:class:`Expr`) instead of floats, so ``out * (1.0 -
out)`` for a sigmoid prints as ``h2_out_0 * (1.0 - h2_out_0)``: the same rule that runs in every
dynamic step, with no second table of derivatives. Its results are identical to the dynamic
engine's, bit for bit: the same float operations run in the same order (see ``_FORWARD`` for the one
place the forward computations are spelled out, and why). ``print(step.source)`` shows the code: the
backward pass, written out.

What a replay assumes, and what it checks:

- The parameters (``params``) and the data inputs (``inputs``) are read afresh on each call; every
  other leaf is a constant, written into the code. Each call checks that those constant leaves
  still hold their traced values and raises :class:`ReplayMismatch` if one has changed (declare it
  in ``inputs`` instead).
- Every op is replayed with its own rules on the new numbers, so a relu that switches off, a
  sigmoid that saturates or a softmax that moves is handled exactly; nothing is specialised to the
  traced numbers. If a derivative rule itself branches on a number (no built-in op's does; a
  custom op's might), the branch taken at trace time becomes a guard in the code; a call where a
  guard fails is computed op by op instead (still exact; counted in :attr:`Replay.slow_calls`).
- A branch in *your* code (``if x.data > 0: ...``) is invisible to a trace: the replay keeps
  computing the graph that was recorded. :meth:`Replay.check` compares a freshly built graph with
  the trace and raises :class:`ReplayMismatch` at the first difference; call it now and then, or
  trace again when the graph's shape can change.
- chainrule's number policy holds: if any number of the step is not finite, or an op is used
  outside its domain, the call is re-run op by op through the engine's own rules, which raise the
  engine's own error. (Gradients are computed only where they reach a parameter; an overflow
  confined to a gradient nothing asked for goes unreported, where ``backward()`` would raise.)
- Hooks are not replayed: tracing a graph that has hooks raises.
- Labels and names are text, never code: they reach the source only through :func:`identifier`.
  :func:`written` returns the source with the map of where each Value and chain-rule term sits.

:func:`batch` goes one step further: it traces the loss of ONE sample and writes the step for a
whole batch as array code (numpy, or torch), each layer's dot nodes found and written as one matrix
product (``H1_in = X @ W_ij + b_j``, ``d_W_ij = X.T @ d_H1_in``). See docs/matrices.md.

Nothing here recurses over the graph, and long gradient sums are split over statements, so deep and
wide graphs trace fine. Tracing costs about what Python's compiler takes for the code: micrograd's
demo step (7,881 nodes, 15,543 lines) traces and compiles in about 0.4 s.
"""

from .batch import Batch, batch, batch_source
from .expr import _FORWARD, Expr  # noqa: F401  (_FORWARD: read by the tests)
from .identifier import identifier
from .source_map import NodeLines, Written, node_lines, written
from .step import Replay, ReplayMismatch, trace

__all__ = [
    "Batch", "Expr", "NodeLines", "Replay", "ReplayMismatch", "Written",
    "batch", "batch_source", "identifier", "node_lines", "trace", "written",
]
