"""Calling a generated C function from Python through ctypes, with as little work per call as
possible: on small graphs the hand-off, not the arithmetic, is what a call costs.

Everything that does not depend on the arguments is decided once, when the function is loaded:
the ctypes signature, each output's shape and dtype, and a Python entry point written out for
this function's arity (no loops over arguments, no per-call lookups). Each thread has its own
workspace and its own output arrays, so the callable may be used from several threads at once.
"""
from __future__ import annotations

import ctypes
import sys
import threading

import numpy as np

from ...graph.errors import GraphError


def _pointer_reader():
    """`a`'s data pointer as a ctypes.c_void_p, read where numpy keeps it: right after the object
    header of the array (PyArrayObject). That costs a quarter of building `a.ctypes`, and ctypes
    passes the c_void_p as it is. Checked here on this interpreter and numpy; where the layout
    differs, `c_void_p(a.ctypes.data)`."""
    offset = ctypes.sizeof(ctypes.c_ssize_t) + ctypes.sizeof(ctypes.c_void_p)  # refcount, type
    read = ctypes.c_void_p.from_address
    probes = [np.arange(3.0), np.zeros((2, 2), dtype=np.float32)[1:], np.empty(0)]
    try:
        if all(read(id(a) + offset).value == a.ctypes.data for a in probes):
            return lambda a: read(id(a) + offset)
    except (ValueError, OverflowError):  # pragma: no cover - id() is no address here (PyPy)
        pass
    return lambda a: ctypes.c_void_p(a.ctypes.data)  # pragma: no cover


pointer = _pointer_reader()


def data_pointer(a) -> int:
    """The address of an array's first element, as `a.ctypes.data` gives it."""
    return pointer(a).value


_FREE = 2  # sys.getrefcount of an array that only its pool entry holds (and the call itself)
_HELD_ARRAY = np.empty(0)  # referenced here, so never free: a pool starting with it allocates
_HELD = (_HELD_ARRAY, None)


class CCall:
    """Calls one generated C function on numpy arrays: contiguous inputs, output arrays, and
    each thread's workspace, passed as pointers.

    Output arrays that nobody references any more when a later call starts (the caller dropped
    them) are written again instead of allocated anew: fresh memory costs page faults, which on
    small graphs take longer than the arithmetic. An array the caller still holds, or a view of
    it, is never touched again. Each thread keeps at most two sets of outputs for this, so that
    `out = f(x)` in a loop alternates between two arrays without allocating.
    """

    def __init__(self, lib, info, entries=None):
        self.name, self.info, self._entries = info.name, info, entries
        params = info.params
        if info.packed:  # more arguments than ctypes passes: the array entry point
            packed = getattr(lib, f"{info.name}_packed")
            packed.argtypes, packed.restype = [ctypes.c_void_p], None
            array = ctypes.c_void_p * (len(params) + 1)
            fn = lambda *ptrs: packed(array(*ptrs))  # noqa: E731
        else:  # no argtypes: every argument is a c_void_p already, which ctypes passes as it is
            fn = getattr(lib, info.name)
            fn.restype = None
        self._outs = [(tuple(p.spec.shape), np.dtype(p.spec.dtype)) for p in params if p.io == "output"]
        self._bytes = info.plan.workspace_bytes
        size = getattr(lib, f"{info.name}_workspace_bytes")
        size.restype = ctypes.c_size_t
        if size() != self._bytes:  # pragma: no cover - the library and the plan disagree
            raise GraphError(f"{info.name}: library reports {size()} workspace bytes, plan {self._bytes}")
        self._local = threading.local()
        self._names = {"fn": fn, "local": self._local, "new_state": self._new_state, "fresh": self._fresh,
                       "contiguous": np.ascontiguousarray, "ptr": pointer, "refcount": sys.getrefcount,
                       "ndarray": np.ndarray}
        self._inputs = [(tuple(p.spec.shape), np.dtype(p.spec.dtype)) for p in params if p.io == "input"]
        self._call = _entry(len(self._inputs), [shape == () for shape, _ in self._outs], self._names)
        self.entry = "ctypes"
        if entries is not None:  # the CPython entry point, with this path for what it does not take
            self._call, self.entry = entries.entry(info.name, self._call), "cpython"

    def checked(self, slow):
        """This call behind the checks of `CompiledFunction`, written into one function: positional
        arguments that are plain arrays of the declared shapes and dtypes go straight to C; any
        others (or a wrong number of them) to `slow(*args)`, which binds and checks them."""
        if self._entries is not None:
            return self._entries.entry(self.name, slow)
        return _entry(len(self._inputs), [shape == () for shape, _ in self._outs],
                      {**self._names, "slow": slow}, self._inputs)

    def __call__(self, *args):
        return self._call(*args)

    def _new_state(self):
        """This thread's (workspace pointer, newest outputs, older outputs), made on its first
        call; the workspace array itself is kept alive beside them."""
        buf = np.empty(self._bytes + 64, dtype=np.uint8)
        ws = ctypes.c_void_p((buf.ctypes.data + 63) & ~63)
        state = (ws, [_HELD] * len(self._outs), [_HELD] * len(self._outs))
        self._local.buffer, self._local.state = buf, state
        return state

    def _fresh(self, newest, older, i):
        """A new (array, pointer) for output i, which becomes the newest of its pool."""
        arr = np.empty(*self._outs[i])
        entry = (arr, ctypes.c_void_p(arr.ctypes.data))
        older[i], newest[i] = newest[i], entry
        return entry


def _entry(n_in, scalars, names, checks=None):
    """The Python function behind a CCall, written out for its number of inputs and outputs:
    inputs made contiguous, per output a free array from the thread's pool (else a new one),
    one ctypes call, the outputs returned (a scalar output as a numpy scalar, one output alone,
    several as a tuple, none as ()). With `checks` ((shape, dtype) per input), the function
    first checks its arguments and hands any it does not take to `slow`."""
    ins = [f"a{i}" for i in range(n_in)]
    namespace = dict(names)
    if checks is None:
        lines = [f"def call({', '.join(ins)}):"]
    else:
        lines = ["def call(*args):", f"    if len(args) != {n_in}:", "        return slow(*args)"]
        if ins:
            lines.append(f"    {', '.join(ins)}, = args")
        for i, (shape, dtype) in enumerate(checks):
            namespace[f"s{i}"], namespace[f"d{i}"] = shape, dtype  # builtin dtypes are singletons
            lines += [f"    if type(a{i}) is not ndarray or a{i}.dtype is not d{i} or a{i}.shape != s{i}:",
                      "        return slow(*args)"]
    lines += ["    try:", "        ws, newest, older = local.state",
              "    except AttributeError:", "        ws, newest, older = new_state()"]
    lines += [f"    {a} = contiguous({a})" for a in ins]
    for i in range(len(scalars)):
        lines += [f"    o{i} = newest[{i}]", f"    if refcount(o{i}[0]) > {_FREE}:",
                  f"        o{i} = older[{i}]", f"        if refcount(o{i}[0]) > {_FREE}:",
                  f"            o{i} = fresh(newest, older, {i})"]
    ptrs = [f"ptr({a})" for a in ins] + [f"o{i}[1]" for i in range(len(scalars))] + ["ws"]
    lines.append(f"    fn({', '.join(ptrs)})")
    results = [f"o{i}[0][()]" if scalar else f"o{i}[0]" for i, scalar in enumerate(scalars)]
    tail = results[0] if len(results) == 1 else f"({', '.join(results)},)" if results else "()"
    lines.append(f"    return {tail}")
    exec(compile("\n".join(lines) + "\n", "<graphgrad C call>", "exec"), namespace)  # noqa: S102
    return namespace["call"]
