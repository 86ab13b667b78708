"""From the search's explanations to each claim's verdict and causes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .claims import Claim
from .report import CAUSES, Entry, Verdict
from .search import Search, flags_causes, ordered


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
            details[cause] = f"{c.exact:.7g} cut to {p.text}"
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
        details["slip"] = f"{c.name} = {p.text} where its own numbers give {expected:.7g}"
    return make("wrong", causes, details=details, expected=expected)
