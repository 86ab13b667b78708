"""The code pane's source: the backward pass written out by :func:`autograd.replay.written`, which
returns, with the source, where each Value's line and each chain-rule term sits in it (built while
the code is written: nothing here reads the source back).

>>> from autograd import Value
>>> x = Value(3.0, "x"); y = x * x; y.label = "y"
>>> code, note = written_out(y, {x: "x", y: "y"})
>>> code.source.splitlines()[code.grad_line[x] - 1].strip(), note
('d_x = x * d_y + x * d_y', '')
"""

from __future__ import annotations

from collections.abc import Mapping

from .. import replay
from ..value import Value


def written_out(root: Value, names: Mapping[Value, str]) -> tuple[replay.Written | None, str]:
    """The backward pass of ``root``'s graph as code, its variables named after ``names`` (through
    :func:`autograd.replay.identifier`), or None and the reason it could not be written."""
    try:
        return replay.written(root, names), ""
    except Exception as err:  # any failure only costs the code pane; the page says why
        return None, f"the backward pass could not be written out as code here ({type(err).__name__}: {err})"
