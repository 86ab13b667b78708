"""Reading the recorded graph: every node in topological order, and who consumes each node.

(``autograd.topological_order``, which checks its argument, is :func:`sorted_graph`'s first list.)

Nothing here recurses over the graph, so a chain of a million operations is fine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the Value type only: value.py itself sorts graphs with this module (to pickle them)
    from .value import Value

Edge = tuple["Value", int]
"""``(consumer, index)``: the edge from ``consumer.inputs[index]`` into ``consumer``."""


def sorted_graph(root: Value) -> tuple[list[Value], list[Value], set[Value]]:
    """The topological order, the operation nodes (non-leaves) of it in the same order, and the
    set of every node (for membership tests).

    The backward sweep walks only the second list: most nodes of a network are leaves (weights,
    biases, inputs), which receive gradients but have nothing to send on.
    """
    # The post-order of a recursive DFS (inputs in order, first visit wins) on a flat stack: a node,
    # then a None marker, then its inputs reversed; popping the marker means the node's inputs are
    # placed. No per-node tuple or iterator is allocated, so long chains give the cyclic GC nothing
    # to scan. A node popped again after its first visit is already placed (the graph is a DAG).
    order: list[Value] = []
    operations: list[Value] = []
    seen: set[Value] = set()
    stack: list[Value | None] = [root]
    pop, push, place, place_operation = stack.pop, stack.append, order.append, operations.append
    while stack:
        node = pop()
        if node is None:
            node = pop()
            place(node)  # type: ignore[arg-type]  # the marker always sits on its node
            place_operation(node)  # type: ignore[arg-type]
        elif node not in seen:
            seen.add(node)
            inputs = node.inputs
            if inputs:
                push(node)
                push(None)
                stack.extend(inputs[::-1])
            else:
                place(node)
    return order, operations, seen


def consumers(order: list[Value]) -> dict[Value, list[Edge]]:
    """For each node of ``order``, the edges ``(consumer, index)`` that read it, in order.

    >>> from autograd import Value
    >>> x = Value(2.0, "x"); y = x * x
    >>> order, operations, _ = sorted_graph(y)
    >>> [v.label or v.op for v in order], consumers(order)[x] == [(y, 0), (y, 1)]
    (['x', '*'], True)
    """
    found: dict[Value, list[Edge]] = {v: [] for v in order}
    for v in order:
        for i, u in enumerate(v.inputs):
            found[u].append((v, i))
    return found
