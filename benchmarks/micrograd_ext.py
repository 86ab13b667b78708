"""Benchmark-only: micrograd 0.1.0 with ``exp``, ``log`` and ``sigmoid`` added, for workload B.

micrograd 0.1.0 has no exp, log or sigmoid, which the tutorial network needs. This module adds
them to micrograd's own ``Value`` class, written the way micrograd writes its ops (a result Value
plus a ``_backward`` closure), so the comparison is micrograd-with-the-same-ops. It patches the
class in this process only, only where the method is missing, and is imported only by the
benchmarks; nothing of micrograd is part of chainrule.
"""

from __future__ import annotations

import math
from typing import Any


def patched_value_class() -> Any:
    """micrograd's Value class with exp, log and sigmoid (raises ImportError without micrograd)."""
    from micrograd.engine import Value

    def exp(self: Any) -> Any:
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward() -> None:
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def log(self: Any) -> Any:
        out = Value(math.log(self.data), (self,), "log")

        def _backward() -> None:
            self.grad += (1.0 / self.data) * out.grad

        out._backward = _backward
        return out

    def sigmoid(self: Any) -> Any:
        out = Value(1.0 / (1.0 + math.exp(-self.data)), (self,), "sigmoid")

        def _backward() -> None:
            self.grad += out.data * (1.0 - out.data) * out.grad

        out._backward = _backward
        return out

    for name, fn in (("exp", exp), ("log", log), ("sigmoid", sigmoid)):
        if not hasattr(Value, name):
            setattr(Value, name, fn)
    return Value
