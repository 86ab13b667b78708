"""The lesson: the tutorial's network and its printed numbers, the walkthrough, experiments, exercises,
the demo and the ``chainrule`` command. Built on the library; nothing in the library imports it.

>>> import nn.lesson
>>> nn.lesson.tutorial.network().layers[0].activation
'relu'
"""

from . import tutorial

__all__ = ["tutorial"]
