"""Trace once, replay fast: a recorded graph written out as straight-line Python.

When the shape of a step's graph does not change between steps, :func:`trace` writes it once as one
Python function computing the output and the gradients of the params from plain floats, bit for bit
the engine's numbers (each op's own derivative rule evaluated on symbolic :class:`Expr`)::

    step = replay.trace(loss, params=model.parameters())
    value, grads = step()          # reads the current .data of the parameters
    print(step.source)             # the backward pass, written out

What a replay assumes and checks is in docs/replay.md. Labels reach the code only through
:func:`identifier`; :func:`written` returns the source with where each Value and term sits.
:func:`batch` traces ONE sample's loss and writes the step for a whole batch as array code, each
layer one matrix product (``H1_in = X @ W_ij + b_j``, ``d_W_ij = X.T @ d_H1_in``): docs/matrices.md.
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
