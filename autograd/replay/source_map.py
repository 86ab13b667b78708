"""The generated code with its map: which line computes each Value and its gradient, where each term sits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..sweep import topological_order
from ..value import Value
from .codegen import Span
from .step import Replay, trace


@dataclass(frozen=True)
class Written:
    """A graph's backward pass as code, with the map the explorer reads (built while emitting).

    ``source``: the generated function. ``value_line``: the 1-based line computing a Value's data
    (for a param, unpacking it). ``grad_line``: the line where its gradient is final. ``term_span``:
    for each edge (consumer, input index), the ``(line, start column, end column)`` of its
    chain-rule term in the consumer's input's gradient sum (end exclusive). Constants written into
    the code, and Values no gradient reaches, have no entries.
    """

    source: str
    value_line: dict[Value, int]
    grad_line: dict[Value, int]
    term_span: dict[tuple[Value, int], Span]


def written(root: Value, names: Mapping[Value, str] | None = None) -> Written:
    """``root``'s backward pass written out as code, with where each Value and term sits in it.

    The leaves with a label are the params (each gets a gradient line); unlabelled leaves are
    constants written into the code, as a reader would write them; with no label at all, every leaf
    is a param. ``names`` (any text) name the variables through
    :func:`~autograd.replay.identifier`, by default the labels. Raises what :func:`trace` raises
    (hooks, a non-finite output).

    >>> from autograd import Value
    >>> x = Value(3.0, "x"); y = x * x; y.label = 'say ' + '"' * 3 + 'hi'
    >>> code = written(y)
    >>> lines = code.source.splitlines()
    >>> lines[code.value_line[y] - 1].strip(), lines[code.grad_line[x] - 1].strip()
    ('say_hi = x * x', 'd_x = x * d_say_hi + x * d_say_hi')
    >>> line, start, end = code.term_span[(y, 1)]
    >>> lines[line - 1][start:end]
    'x * d_say_hi'
    """
    order = topological_order(root)
    leaves = [v for v in order if v.is_leaf]
    step = trace(root, params=[v for v in leaves if v.label] or leaves, names=names)
    lines = step.lines
    return Written(
        step.source,
        {order[k]: n for k, n in lines.value.items()},
        {order[k]: numbers[-1] for k, numbers in lines.gradient.items()},
        {(order[k], i): span for (k, i), span in lines.term.items()},
    )


class NodeLines(tuple[tuple[int, ...], tuple[int, ...]]):
    """Where one node lives in a replay's ``source``: ``(forward, gradient)`` 1-based line numbers.

    ``forward``: the statement computing (or, for a param, unpacking) the node's value; ``gradient``:
    the statement(s) computing d(output)/d(node), several when a long sum is split. Either is empty
    when the code has none (a constant written into the code; a node no gradient is asked for).
    """

    __slots__ = ()

    @property
    def forward(self) -> tuple[int, ...]:
        return self[0]

    @property
    def gradient(self) -> tuple[int, ...]:
        return self[1]


def node_lines(step: Replay) -> list[NodeLines]:
    """For each node of the traced graph, in topological order, its lines in ``step.source``.

    >>> from autograd import Value
    >>> from autograd.replay import trace
    >>> x = Value(3.0, "x"); y = x * x; y.label = "y"
    >>> step = trace(y, params=[x])
    >>> lines = step.source.splitlines()
    >>> [lines[n - 1].strip() for n in node_lines(step)[1].gradient]
    ['d_y = 1.0']
    >>> [lines[n - 1].strip() for n in node_lines(step)[0].gradient]
    ['d_x = x * d_y + x * d_y']
    """
    where = step.lines
    return [
        NodeLines((
            (where.value[k],) if k in where.value else (),
            tuple(where.gradient.get(k, ())),
        ))
        for k in range(step.n_nodes)
    ]
