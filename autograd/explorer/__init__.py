"""See backpropagation happen: a step-through page for any graph, in one self-contained HTML file.

:func:`explore` returns an :class:`Explorer`; ``save_html(path)`` writes the page, and in Jupyter it
shows inline. The page plays the forward pass one Value at a time, then the backward pass one
chain-rule contribution at a time, in the engine's own order (:func:`autograd.backward_steps`):
each step lights up its edge and writes ``upstream x local = contribution`` and the receiver's
running sum, beside the line of the generated code that computes it (:mod:`autograd.replay`).
Keys: arrows step, Home/End jump, space plays; click a node for its whole record.

>>> from autograd import Value
>>> from autograd.explorer import explore
>>> x = Value(3.0, "x"); y = x * x + 2 * x; y.label = "y"
>>> page = explore(y)               # page.save_html("y.html") writes it
>>> "step 1 of" in page.html() and page.record["nodes"][-1]["name"]
'y'

"""

from .network import Network, Unit
from .page import Explorer, explore

__all__ = ["Explorer", "Network", "Unit", "explore"]
