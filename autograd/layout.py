"""Where the drawing code decides what to draw and how Graphviz should arrange it.

* :func:`select` — which Values and which input edges a capped picture keeps (the ones nearest the
  output, breadth first), so that both the node count and the edge count stay bounded;
* :func:`emit_clusters` — nested boxes for grouped nodes;
* :func:`emit_columns` — ordered columns (left to right in ``rankdir=LR``): every node of column
  ``k`` is ranked after every node of the columns before it, through invisible anchor nodes
  ``col0``, ``col1``, ... and invisible edges. Nothing here recurses over the graph.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import graphviz

from .colors import PALETTE
from .value import Value

Body = list[tuple[str, dict[str, str]]]
TOP_WEIGHT = "4"


@dataclass
class Selection:
    """What a picture draws: ``drawn`` Values (topological order), and for each drawn operation the
    positions of its inputs whose edges are drawn (``edges[id(v)]``); the rest is counted as cut.
    A computed Value without an entry is drawn without its operation (the edge budget ran out)."""

    drawn: list[Value]
    edges: dict[int, tuple[int, ...]] = field(default_factory=dict)
    total_values: int = 0
    total_edges: int = 0
    drawn_edges: int = 0

    @property
    def cut_values(self) -> int:
        return self.total_values - len(self.drawn)

    @property
    def cut_edges(self) -> int:
        return self.total_edges - self.drawn_edges


def edge_count(order: Iterable[Value]) -> int:
    """Edges a full picture draws: one per input of each operation and one from it to its result."""
    return sum(len(v.inputs) + 1 for v in order if not v.is_leaf)


def select(root: Value, order: Sequence[Value], max_nodes: int | None, max_edges: int | None) -> Selection:
    """The Values and edges to draw: everything when it fits both caps, else those nearest ``root``.

    Breadth first from ``root``: an operation's edge to its result always counts; each input edge is
    kept while the edge budget lasts and its input is drawn (or fits the node budget).
    """
    total_edges = edge_count(order)
    if (max_nodes is None or len(order) <= max_nodes) and (max_edges is None or total_edges <= max_edges):
        edges = {id(v): tuple(range(len(v.inputs))) for v in order if not v.is_leaf}
        return Selection(list(order), edges, len(order), total_edges, total_edges)
    nodes_left = len(order) if max_nodes is None else max_nodes
    edges_left = total_edges if max_edges is None else max_edges
    chosen = {id(root)}
    nodes_left -= 1
    kept: dict[int, tuple[int, ...]] = {}
    queue = deque([root])
    drawn_edges = 0
    while queue:
        node = queue.popleft()
        if node.is_leaf or edges_left < 1:
            continue
        edges_left -= 1  # operation -> result
        drawn_edges += 1
        positions = []
        for position, inp in enumerate(node.inputs):
            if edges_left < 1:
                break
            if id(inp) not in chosen:
                if nodes_left < 1:
                    continue
                chosen.add(id(inp))
                nodes_left -= 1
                queue.append(inp)
            positions.append(position)
            edges_left -= 1
            drawn_edges += 1
        kept[id(node)] = tuple(positions)
    drawn = [v for v in order if id(v) in chosen]
    return Selection(drawn, kept, len(order), total_edges, drawn_edges)


def emit_clusters(
    graph: graphviz.Digraph, bodies: dict[tuple[str, ...], Body], label: type[str], font: str
) -> None:
    """Write node statements, each group as a (nested) cluster, in the order groups first appear.

    A subgraph is copied into its parent when attached, so clusters are attached deepest first,
    each one complete. No recursion: the nesting is walked by path length. ``label`` wraps cluster
    titles so that one looking like HTML (``<b>x</b>``) stays text.
    """
    for name, attrs in bodies[()]:
        graph.node(name, **attrs)
    paths: dict[tuple[str, ...], None] = {}  # ancestors too (even if empty), in first-seen order
    for p in bodies:
        for k in range(1, len(p) + 1):
            paths.setdefault(p[:k], None)
    clusters: dict[tuple[str, ...], graphviz.Digraph] = {}
    for index, p in enumerate(paths):
        sub = graphviz.Digraph(name=f"cluster_{index}")
        sub.attr(label=label(p[-1]), style="rounded,dashed", color=PALETTE["cluster"], fontname=font, fontsize="11")
        for name, attrs in bodies.get(p, ()):
            sub.node(name, **attrs)
        clusters[p] = sub
    for p in sorted(paths, key=lambda p: -len(p)):  # stable: siblings keep their first-seen order
        parent = clusters[p[:-1]] if len(p) > 1 else graph
        parent.subgraph(clusters[p])


def emit_columns(
    graph: graphviz.Digraph, column_of: dict[str, int], edges: Sequence[tuple[str, str]], leaves: set[str]
) -> None:
    """Lay the nodes of each column out after the columns before it, in order.

    ``column_of`` maps node names to column numbers, in the order the nodes should stack (top to
    bottom in ``rankdir=LR``); nodes left out are placed freely. ``edges`` are the picture's edges
    (tail, head); ``leaves`` the names of nodes without inputs. A column's leaves (its parameters,
    say) share one rank with the previous column's last nodes, so each column starts where the
    previous one ends; an invisible anchor node ``col{k}`` just before them points to them in order
    (``ordering=out`` keeps it), and every other node of the column comes after the anchor.
    """
    columns = sorted(set(column_of.values()))
    if len(columns) < 2:
        return
    inside = [(t, h) for t, h in edges if column_of.get(t) == column_of.get(h) is not None]
    has_pred_inside = {h for _, h in inside}
    has_succ_inside = {t for t, _ in inside}
    invisible = {"style": "invis", "weight": "0"}
    previous_exits: list[str] = []
    firsts: list[str] = []
    for k in columns:
        members = [name for name, c in column_of.items() if c == k]
        starts = [n for n in members if n in leaves] if k != columns[0] else members
        graph.node(f"col{k}", label="", shape="point", style="invis", width="0", height="0", ordering="out")
        for name in starts:
            graph.edge(f"col{k}", name, **invisible)
        for name in members:
            if name not in has_pred_inside and name not in starts:
                graph.edge(f"col{k}", name, **invisible)
        if previous_exits and starts:
            with graph.subgraph() as same:
                same.attr(rank="same")
                for name in [*previous_exits, *starts]:
                    same.node(name)
        previous_exits = [n for n in members if n not in has_succ_inside]
        if starts:
            firsts.append(starts[0])
    for a, b in itertools.pairwise(firsts):  # line the columns' tops up: no staircase
        graph.edge(a, b, style="invis", weight=TOP_WEIGHT)
    _keep_order(graph, column_of, inside, leaves)


def _keep_order(
    graph: graphviz.Digraph, column_of: dict[str, int], inside: Sequence[tuple[str, str]], leaves: set[str]
) -> None:
    """Nodes of a column at the same depth in it (longest path from its first nodes, counting its
    own edges only) go in one rank, in column order: an invisible flat edge keeps each above the
    next. So a layer's outputs stay in neuron order however the loss after them pulls. The last
    column (what follows the layers: a loss) is left to Graphviz."""
    preds: dict[str, list[str]] = {}
    for t, h in inside:
        preds.setdefault(h, []).append(t)
    depth: dict[str, int] = {}
    pending = list(column_of)
    while pending:  # column_of lists each value before its operation: settle in a few passes, no recursion
        later = []
        for name in pending:
            ps = preds.get(name, ())
            if all(p in depth for p in ps):
                depth[name] = 1 + max((depth[p] for p in ps), default=-1)
            else:
                later.append(name)
        if len(later) == len(pending):  # a cycle cannot happen in a computation graph; stop anyway
            break
        pending = later
    groups: dict[tuple[int, int], list[str]] = {}
    last = max(column_of.values())
    for name, k in column_of.items():
        if name not in leaves and name in depth and k != last:
            groups.setdefault((k, depth[name]), []).append(name)
    for names in groups.values():
        if len(names) < 2:
            continue
        with graph.subgraph() as same:
            same.attr(rank="same")
            for name in names:
                same.node(name)
        for a, b in itertools.pairwise(names):
            graph.edge(a, b, style="invis")
