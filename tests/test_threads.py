"""Concurrency: threads (and asyncio tasks) building and differentiating graphs that share leaves.

Every check compares with the closed form of the graph, written here, not with the engine. A tiny
switch interval makes the interpreter change threads every few bytecodes, so an unprotected
read-add-write of a shared ``.grad`` or a process-wide grad mode would be caught in a few runs.
"""

from __future__ import annotations

import asyncio
import math
import sys
import threading
from collections.abc import Callable, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value

THREADS = 4


@pytest.fixture(autouse=True)
def fast_switching() -> Iterator[None]:
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def reporting_thread(work: Callable[[], None], errors: list[BaseException]) -> threading.Thread:
    """A thread running ``work`` that keeps its failure in ``errors`` for the main thread to raise
    (an exception left in a thread only warns: the test would pass)."""

    def target() -> None:
        try:
            work()
        except BaseException as e:
            errors.append(e)

    return threading.Thread(target=target)


def run_threads(work: Callable[[int], None], n: int = THREADS) -> None:
    """Run ``work(k)`` in ``n`` threads at once; re-raise the first failure of any of them."""
    errors: list[BaseException] = []
    start = threading.Barrier(n)

    def after_barrier(k: int) -> Callable[[], None]:
        def run() -> None:
            start.wait()
            work(k)

        return run

    threads = [reporting_thread(after_barrier(k), errors) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def test_concurrent_grad_calls_are_exact_and_touch_no_grad() -> None:
    ps = [Value(0.1 * i + 0.1) for i in range(50)]
    for p in ps:
        p.grad = 7.0  # grad() must leave these as they are

    def work(k: int) -> None:
        for _ in range(300):
            s = autograd.sum([p * p * (k + 1) for p in ps])
            assert autograd.grad(s, ps) == [2.0 * (k + 1) * p.data for p in ps]

    run_threads(work)
    assert [p.grad for p in ps] == [7.0] * len(ps)


def test_concurrent_backward_into_shared_leaves_adds_every_pass() -> None:
    ps = [Value(0.5 + 0.01 * i) for i in range(40)]
    passes = 50

    def work(k: int) -> None:
        for _ in range(passes):
            # d/dp of sum(p * c) is c: small integers, so every sum below is exact in floats.
            autograd.sum([p * float(k + 1) for p in ps]).backward()

    run_threads(work)
    expected = passes * sum(k + 1 for k in range(THREADS))
    assert [p.grad for p in ps] == [float(expected)] * len(ps)


def test_backward_and_grad_mixed_with_intermediates_shared() -> None:
    x = Value(1.5)
    shared = x * x  # an intermediate node both threads' graphs go through

    def work(k: int) -> None:
        for _ in range(80):
            y = shared * 3.0 + x
            if k % 2:
                assert autograd.grad(y, [x]) == [6.0 * 1.5 + 1.0]
            else:
                y.backward()

    run_threads(work)
    backward_passes = 80 * (THREADS // 2)
    assert x.grad == backward_passes * (6.0 * 1.5 + 1.0)
    assert shared.grad == backward_passes * 3.0


def test_no_grad_in_one_thread_does_not_stop_another_recording() -> None:
    w = Value(0.3)
    unrecorded: list[int] = []
    stop = threading.Event()

    started = threading.Event()

    def evaluate() -> None:
        try:
            while not stop.is_set():
                with autograd.no_grad():
                    started.set()
                    assert (w * 2.0).is_leaf
        finally:
            started.set()  # a failing evaluator must not leave train() waiting

    def train() -> None:
        started.wait()
        for _ in range(3000):
            if (w * 2.0).is_leaf:
                unrecorded.append(1)
        stop.set()

    errors: list[BaseException] = []
    evaluator = reporting_thread(evaluate, errors)
    evaluator.start()
    try:
        train()
    finally:
        stop.set()
        evaluator.join()
    if errors:
        raise errors[0]
    assert unrecorded == []
    assert autograd.is_grad_enabled()


def test_interleaved_no_grad_blocks_restore_each_threads_mode() -> None:
    @autograd.no_grad()  # one decorator object entered by every thread at once
    def inside() -> bool:
        return autograd.is_grad_enabled()

    def work(k: int) -> None:
        for _ in range(3000):
            assert inside() is False
            assert autograd.is_grad_enabled()

    run_threads(work)
    assert autograd.is_grad_enabled() and not (Value(1.0) * 2.0).is_leaf


def test_grad_mode_is_per_asyncio_task() -> None:
    async def evaluator(entered: asyncio.Event, release: asyncio.Event) -> bool:
        with autograd.no_grad():
            entered.set()
            await release.wait()
            return autograd.is_grad_enabled()

    async def trainer(entered: asyncio.Event, release: asyncio.Event) -> bool:
        await entered.wait()  # the other task is inside no_grad now
        recorded = not (Value(2.0) * 3.0).is_leaf
        release.set()
        return recorded

    async def main() -> tuple[bool, bool]:
        entered, release = asyncio.Event(), asyncio.Event()
        inside, recorded = await asyncio.gather(evaluator(entered, release), trainer(entered, release))
        return inside, recorded

    assert asyncio.run(main()) == (False, True)


Term = tuple[int, int, float]


@st.composite
def shared_leaf_graphs(draw: st.DrawFn) -> tuple[list[float], list[list[Term]]]:
    """Leaves, and per thread a list of terms ``c * x_i * x_j`` (a quadratic form over shared leaves)."""
    n = draw(st.integers(2, 6))
    xs = draw(st.lists(st.floats(-2.0, 2.0, allow_nan=False), min_size=n, max_size=n))
    term = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.sampled_from([-2.0, -1.0, 0.5, 1.0, 3.0]))
    per_thread = draw(st.lists(st.lists(term, min_size=1, max_size=8), min_size=2, max_size=3))
    return xs, per_thread


def closed_form_gradient(xs: list[float], terms: list[Term]) -> list[float]:
    g = [0.0] * len(xs)
    for i, j, c in terms:
        g[i] += c * xs[j]
        g[j] += c * xs[i]
    return g


@settings(max_examples=15)
@given(shared_leaf_graphs())
def test_random_graphs_on_shared_leaves_in_threads(case: tuple[list[float], list[list[Term]]]) -> None:
    xs, per_thread = case
    leaves = [Value(x) for x in xs]

    def work(k: int) -> None:
        terms = per_thread[k]
        for _ in range(5):
            out = autograd.sum([leaves[i] * leaves[j] * c for i, j, c in terms])
            got = autograd.grad(out, leaves)
            want = closed_form_gradient(xs, terms)
            assert got == pytest.approx(want, rel=1e-12, abs=1e-12)
            out.backward()

    run_threads(work, n=len(per_thread))
    want_total = [5 * sum(col) for col in zip(*(closed_form_gradient(xs, t) for t in per_thread))]
    assert [p.grad for p in leaves] == pytest.approx(want_total, rel=1e-12, abs=1e-12)
    assert all(math.isfinite(p.grad) for p in leaves)
