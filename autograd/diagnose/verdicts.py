"""From the search's explanations to each claim's verdict and causes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..value import Value
from .claims import Claim
from .derivation import Graph
from .report import CAUSES, Entry, Verdict, fmt
from .search import Search, flags_causes, ordered


class Inheritance:
    """Which wrong numbers written earlier a number depends on, for the ``upstream`` cause's detail.

    Entries are judged in chain order, so everything a number depends on is judged before it.
    A claimed number cuts the walk: what lies beyond it reached this number only through it.
    """

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.data: dict[Value, tuple[str, bool]] = {}
        self.grads: dict[Value, tuple[str, bool]] = {}
        self.terms: dict[tuple[Value, Value], tuple[str, bool]] = {}
        self.locals: dict[tuple[Value, Value], tuple[str, bool]] = {}

    def record(self, c: Claim, e: Entry) -> None:
        """Remember a judged claim (name, wrong?) where later numbers can find it."""
        item = (e.name, e.verdict == "wrong")
        if c.kind == "data":
            self.data[c.node] = item
        elif c.kind == "grad":
            self.grads[c.node] = item
        elif c.kind == "term" and c.wrt is not None:
            self.terms[(c.node, c.wrt)] = item
        elif c.kind == "local" and c.wrt is not None:
            self.locals[(c.node, c.wrt)] = item

    def sources(self, c: Claim) -> list[str]:
        """The wrong claimed numbers this claim's number is computed from."""
        if c.kind == "data":
            return self._data_sources(c.node)
        if c.kind == "local":  # a local derivative is computed from its op's inputs and output
            own = self.data.get(c.node)
            return list(dict.fromkeys(([own[0]] if own is not None and own[1] else []) + self._data_sources(c.node)))
        found: list[str] = []
        seen: set[Value] = set()
        start = c.node
        if c.kind in ("update", "term") and start in self.grads:  # a term reads its consumer's gradient
            return [self.grads[start][0]] if self.grads[start][1] else []
        stack = [start]
        while stack:
            r = stack.pop()
            for consumer, _ in self.graph.consumers[r]:
                local = self.locals.get((consumer, r))
                if local is not None and local[1]:
                    found.append(local[0])
                term = self.terms.get((consumer, r))
                if term is not None:  # the term written down carries everything along this edge
                    found += [term[0]] if term[1] else []
                    continue
                if consumer in seen:
                    continue
                seen.add(consumer)
                if consumer in self.grads:
                    found += [self.grads[consumer][0]] if self.grads[consumer][1] else []
                else:
                    stack.append(consumer)
        return list(dict.fromkeys(found))

    def _data_sources(self, node: Value) -> list[str]:
        """The wrong claimed values ``node``'s value is computed from, nearest first."""
        found: list[str] = []
        seen: set[Value] = set()
        stack = list(node.inputs)
        while stack:
            u = stack.pop()
            if u in seen:
                continue
            seen.add(u)
            if u in self.data:
                found += [self.data[u][0]] if self.data[u][1] else []
            else:
                stack.extend(u.inputs)
        return found


def entries(claims: list[Claim], search: Search, graph: Graph) -> list[Entry]:
    """Every claim's entry, in chain order, with the wrong numbers an ``upstream`` one inherits."""
    inheritance = Inheritance(graph)
    out = []
    for c in claims:
        e = entry(c, search, claims)
        if "upstream" in e.causes:
            names = inheritance.sources(c)
            if names:
                more = f" and {len(names) - 3} more" if len(names) > 3 else ""
                e.details["upstream"] = "from " + ", ".join(names[:3]) + more
        inheritance.record(c, e)
        out.append(e)
    return out


def entry(c: Claim, search: Search, claims: list[Claim]) -> Entry:
    """The entry for one claim: agrees; rounding (explained by rounded numbers alone); or wrong, with
    the smallest set that reproduces it, else the closest set for its vector, else a slip."""
    p = c.printed

    def make(verdict: Verdict, causes: Sequence[str] = (), **more: Any) -> Entry:
        return Entry(c.key, c.name, c.kind, p.text, c.exact, verdict, tuple(dict.fromkeys(causes)), **more)

    if p.agrees(c.exact):
        return make("agrees")
    best = search.best.get(c)
    details: dict[str, str] = {}
    if best is not None and not best.mutations and not best.flags & 1:
        cause = "truncated" if best.context == "exact" and p.truncates(c.exact) else "rounded-input"
        if cause == "truncated":
            details[cause] = f"{fmt(c.exact)} cut to {p.text}"
        return make("rounding", (cause,), details=details)
    if best is not None:
        names = [m.cause for m in best.mutations]
        for m in best.mutations:
            details.setdefault(m.cause, m.detail)
        causes = ordered(names, CAUSES) + flags_causes(best.flags, best.context)
        others = []
        for tie in search.ties.get(c, []):
            alt = tuple(dict.fromkeys(ordered([m.cause for m in tie.mutations], CAUSES)
                                      + flags_causes(tie.flags, tie.context)))
            if alt and alt != tuple(dict.fromkeys(causes)) and alt not in others:
                others.append(alt)
        return make("wrong", causes, details=details, alternatives=tuple(others))
    group = [g for g in claims if g.group == c.group and g in search.open and g not in search.best]
    given = search.bases.get(((), "carried")) or search.bases.get(((), "rounded")) or search.bases[((), "exact")]
    flags = given[c][1]
    # Where its own inputs were already wrong, a closest set says little about this step: a slip.
    # One number alone always has some set that comes close by chance: only a vector or matrix counts.
    found = None if flags & 1 or len(group) < 2 else search.closest(group, ("exact", "rounded", "carried"))
    expected = search.final(c, given[c][0], 1.0)
    if found is not None:
        muts, context, _ = found
        changed = search.changes(c, muts, context)
        for m in changed:
            details.setdefault(m.cause, m.detail)
        local = tuple(m for m in muts if m.is_local)
        ctx_flags = search.bases[(local, context)][c][1]
        causes = ordered([m.cause for m in changed], CAUSES) + flags_causes(ctx_flags, context) + ["unexplained"]
    else:
        causes = ["slip", *flags_causes(flags & 1, "carried")]
        details["slip"] = f"{c.name} = {p.text} where its own numbers give {fmt(expected)}"
    return make("wrong", causes, details=details, expected=expected)
