"""Placeholder: the tutorial walkthrough lands with the nn issue."""

from autograd import Value

a, b = Value(2.0, "a"), Value(-3.0, "b")
c = a * b
c.backward()
print(f"c = a * b = {c.data};  dc/da = {a.grad}, dc/db = {b.grad}")
