"""Grad mode: whether operations record a graph, per thread and per asyncio task (``no_grad``)."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import threading
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

# A context variable, so each thread and each asyncio task has its own mode.
_recording: contextvars.ContextVar[bool] = contextvars.ContextVar("chainrule_recording", default=True)
_saved: contextvars.ContextVar[tuple[bool, ...]] = contextvars.ContextVar("chainrule_no_grad_saved", default=())


class GradMode:
    """How many ``no_grad`` blocks are open in any thread or task (changed under ``lock``).

    apply() reads this plain count first: while it is 0 (nearly always) every context records and
    the context variable, which costs more to read, need not be read.
    """

    disabled = 0
    lock = threading.Lock()


def is_grad_enabled() -> bool:
    """Whether operations currently record a graph (in this thread or task)."""
    return _recording.get()


def recording() -> contextvars.ContextVar[bool]:
    """The context variable behind :func:`is_grad_enabled` (the engine sets it to build gradient graphs)."""
    return _recording


class no_grad(contextlib.ContextDecorator):
    """Inside ``with no_grad():`` (or a function decorated ``@no_grad()``) operations record no graph:
    their results are leaves. Used for evaluation. Per thread and per asyncio task: another thread
    training meanwhile keeps recording. A decorated ``async def`` or generator function records
    nothing while its own code runs, and leaves its caller's mode alone between awaits and yields.

    >>> from autograd import Value
    >>> @no_grad()
    ... def evaluate(x):
    ...     yield x * 2
    >>> [y.is_leaf for y in evaluate(Value(1.0))]
    [True]
    """

    def __init__(self, *args: object) -> None:
        if args:  # @no_grad without parentheses passes the function here
            raise TypeError("no_grad takes no arguments; as a decorator write @no_grad() with parentheses")

    def __enter__(self) -> no_grad:
        # The previous mode is saved in the context too, so one no_grad object may be entered by
        # several threads (a decorated function) without mixing up what each restores.
        _saved.set((*_saved.get(), _recording.get()))
        _recording.set(False)
        with GradMode.lock:
            GradMode.disabled += 1
        return self

    def __exit__(self, *exc: object) -> None:
        *rest, previous = _saved.get()
        _saved.set(tuple(rest))
        _recording.set(previous)
        with GradMode.lock:
            GradMode.disabled -= 1

    def __call__(self, func: F) -> F:
        # A plain wrapper would only cover the call that creates the coroutine or generator, not
        # the code that runs later: these wrappers switch the mode around each step instead.
        import inspect  # here, not at the top: it costs a third of the engine's import time

        if inspect.isasyncgenfunction(func):
            return _async_generator(self, func)  # type: ignore[return-value]
        if inspect.iscoroutinefunction(func):
            return _coroutine(self, func)  # type: ignore[return-value]
        if inspect.isgeneratorfunction(func):
            return _generator(self, func)  # type: ignore[return-value]
        return super().__call__(func)


def _coroutine(mode: no_grad, func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    async def run(*args: Any, **kwargs: Any) -> Any:
        with mode:  # the context is the task's own, so other tasks keep their mode across awaits
            return await func(*args, **kwargs)

    return run


def _generator(mode: no_grad, func: Callable[..., Generator[Any, Any, Any]]) -> Callable[..., Any]:
    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        with mode:
            gen = func(*args, **kwargs)
        try:
            with mode:
                item = next(gen)
            while True:
                try:
                    sent = yield item
                except GeneratorExit:
                    with mode:
                        gen.close()
                    raise
                except BaseException as error:
                    with mode:
                        item = gen.throw(error)
                else:
                    with mode:
                        item = gen.send(sent)
        except StopIteration as stop:
            return stop.value

    return run


def _async_generator(mode: no_grad, func: Callable[..., AsyncGenerator[Any, Any]]) -> Callable[..., Any]:
    @functools.wraps(func)
    async def run(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
        gen = func(*args, **kwargs)
        try:
            with mode:
                item = await gen.__anext__()
            while True:
                try:
                    sent = yield item
                except GeneratorExit:
                    with mode:
                        await gen.aclose()
                    raise
                except BaseException as error:
                    with mode:
                        item = await gen.athrow(error)
                else:
                    with mode:
                        item = await gen.asend(sent)
        except StopAsyncIteration:
            return

    return run
