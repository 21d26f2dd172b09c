"""Building generated C in-process: the system C compiler, a cache of shared libraries keyed by
a hash of source, flags and compiler, and ctypes calls behind the usual checked callable.

The compiler is `$CC` or the first of cc, gcc, clang on PATH. Flags: `-std=c99 -O3
-ffp-contract=off` (no fused multiply-add, so results match numpy's) `-fno-math-errno
-fno-trapping-math` (value-preserving; they let loops over libm calls and `gg_tanh` vectorize),
plus `$GRAPHGRAD_CFLAGS`. In-process builds also tune for this machine (`-march=native`: the
loops over `gg_tanh` and other elementwise work run 4 or 8 wide instead of SSE2's 2), since their
library runs where it is built; the cache key names the CPU, `GRAPHGRAD_HOST_TUNED=0` turns it
off, and a compiler that rejects the flag builds without it. Exported files carry no flags. With a CBLAS found (libopenblas, or
`$GRAPHGRAD_BLAS_LIBS`), `-DGRAPHGRAD_CBLAS` and its link flags; `GRAPHGRAD_CBLAS=0` turns it off.
Libraries live in `$GRAPHGRAD_CACHE` (default `~/.cache/graphgrad/c`) as `<sha256>.so`; a second
build of the same source runs no compiler, and a library already loaded is not loaded again.
"""
from __future__ import annotations

import ctypes
import functools
import glob
import hashlib
import os
import pathlib
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading

import numpy as np

from ...graph.errors import GraphError

FLAGS = ("-std=c99", "-O3", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math")
HOST_FLAGS = ("-march=native",)
STATS = {"compiler_runs": 0, "cache_hits": 0}
_LOADED = {}
_LOCK = threading.Lock()


def find_compiler() -> list:
    """The C compiler command: `$CC`, else cc, gcc or clang from PATH (GraphError if none)."""
    if os.environ.get("CC"):
        return shlex.split(os.environ["CC"])
    for name in ("cc", "gcc", "clang"):
        path = shutil.which(name)
        if path:
            return [path]
    raise GraphError("the C backend needs a C compiler on PATH (cc, gcc or clang) or in $CC: "
                     "run `make setup` (it installs gcc) or `apt-get install gcc`")


def _identity(cmd) -> str:
    """Which compiler binary this is, without running it: its real path, size and mtime."""
    path = shutil.which(cmd[0]) or cmd[0]
    real = os.path.realpath(path)
    try:
        st = os.stat(real)
    except OSError:
        return real
    return f"{real}:{st.st_size}:{st.st_mtime_ns}:{' '.join(cmd[1:])}"


def _library_dirs() -> list:
    dirs = [d for d in os.environ.get("LIBRARY_PATH", "").split(os.pathsep) if d]
    dirs += ["/usr/lib", "/usr/lib64", "/usr/local/lib", "/opt/homebrew/opt/openblas/lib",
             "/usr/local/opt/openblas/lib"]
    return dirs + sorted(glob.glob("/usr/lib/*-linux-gnu"))


def blas_flags() -> list:
    """Compiler flags that make matmuls call CBLAS, or [] when none is available."""
    setting = os.environ.get("GRAPHGRAD_CBLAS", "")
    if setting == "0":
        return []
    if os.environ.get("GRAPHGRAD_BLAS_LIBS"):
        return ["-DGRAPHGRAD_CBLAS", *shlex.split(os.environ["GRAPHGRAD_BLAS_LIBS"])]
    for d in _library_dirs():
        for lib in ("libopenblas.so", "libopenblas.dylib"):
            if os.path.exists(os.path.join(d, lib)):
                return ["-DGRAPHGRAD_CBLAS", f"-L{d}", "-lopenblas"]
    if setting == "1":
        raise GraphError("GRAPHGRAD_CBLAS=1 but no libopenblas was found; install libopenblas-dev "
                         "or set GRAPHGRAD_BLAS_LIBS to the link flags of your CBLAS")
    return []


def host_flags() -> list:
    """The flags that tune an in-process build for this machine, unless GRAPHGRAD_HOST_TUNED=0."""
    return [] if os.environ.get("GRAPHGRAD_HOST_TUNED", "") == "0" else list(HOST_FLAGS)


@functools.lru_cache(maxsize=None)
def _cpu_identity() -> str:
    """Which CPU this is, for the cache key of host-tuned libraries (a cache folder shared by
    machines must not hand one machine's `-march=native` library to another); read once."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            lines = [ln for ln in f if ln.startswith(("model name", "flags", "Features", "CPU part"))]
        return hashlib.sha256("".join(sorted(set(lines))).encode()).hexdigest()
    except OSError:
        import platform

        return f"{platform.machine()} {platform.processor()} {platform.platform()}"


def build_command(cmd, source_path, library_path, blas, host=()) -> list:
    extra = [*host, *shlex.split(os.environ.get("GRAPHGRAD_CFLAGS", ""))]
    link = [f for f in blas if not f.startswith("-D")]
    defines = [f for f in blas if f.startswith("-D")]
    return [*cmd, *FLAGS, *extra, *defines, "-fPIC", "-shared", "-o", str(library_path),
            str(source_path), *link, "-lm"]


def cache_dir() -> pathlib.Path:
    root = os.environ.get("GRAPHGRAD_CACHE")
    if root:
        return pathlib.Path(root)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return pathlib.Path(base) / "graphgrad" / "c"


def build_library(source: str) -> pathlib.Path:
    """The shared library of `source`, compiled now or found in the cache."""
    cmd, blas, host = find_compiler(), blas_flags(), host_flags()
    key_text = "\0".join([source, " ".join(FLAGS), os.environ.get("GRAPHGRAD_CFLAGS", ""),
                          " ".join(blas), _identity(cmd), " ".join(host), _cpu_identity() if host else ""])
    key = hashlib.sha256(key_text.encode()).hexdigest()[:40]
    folder = cache_dir()
    library = folder / f"{key}.so"
    if library.exists():
        STATS["cache_hits"] += 1
        return library
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise GraphError(f"cannot create the C build cache {folder} ({e}); set GRAPHGRAD_CACHE "
                         "to a writable folder") from None
    with tempfile.TemporaryDirectory(dir=folder, prefix="build-") as tmp:
        src, out = pathlib.Path(tmp) / f"{key}.c", pathlib.Path(tmp) / f"{key}.so"
        src.write_text(source, encoding="utf-8")
        command = build_command(cmd, src, out, blas, host)
        done = _run_compiler(cmd, command)
        if done.returncode != 0 and host:  # a compiler that knows no -march=native
            command = build_command(cmd, src, out, blas)
            done = _run_compiler(cmd, command)
        if done.returncode != 0:
            detail = "\n".join((done.stderr or done.stdout).strip().splitlines()[:20])
            raise GraphError(f"the C compiler rejected the generated code (a bug in graphgrad's C "
                             f"backend); {' '.join(command)}:\n{detail}")
        os.replace(src, folder / f"{key}.c")  # kept beside the library, for reading
        os.replace(out, library)
    return library


def _run_compiler(cmd, command) -> subprocess.CompletedProcess:
    STATS["compiler_runs"] += 1
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise GraphError(f"the C compiler {cmd[0]!r} could not run: {e}") from None


def load_library(path) -> ctypes.CDLL:
    with _LOCK:
        lib = _LOADED.get(str(path))
        if lib is None:
            lib = _LOADED[str(path)] = ctypes.CDLL(str(path))
        return lib


def _data_pointer_reader():
    """A fast `a.ctypes.data`: numpy arrays keep their data pointer right after the object
    header (PyArrayObject), which ctypes reads in a quarter of the time numpy takes to build
    `a.ctypes`. Checked here on this interpreter and numpy; `a.ctypes.data` where it differs."""
    offset = ctypes.sizeof(ctypes.c_ssize_t) + ctypes.sizeof(ctypes.c_void_p)  # refcount, type
    read = ctypes.c_void_p.from_address
    probes = [np.arange(3.0), np.zeros((2, 2), dtype=np.float32)[1:], np.empty(0)]
    try:
        if all(read(id(a) + offset).value == a.ctypes.data for a in probes):
            return lambda a: read(id(a) + offset).value
    except (ValueError, OverflowError):  # pragma: no cover - id() is no address here (PyPy)
        pass
    return lambda a: a.ctypes.data  # pragma: no cover


data_pointer = _data_pointer_reader()


class CCall:
    """Calls one generated C function on numpy arrays: allocates the outputs, passes pointers,
    and gives each thread its own workspace (so the callable may be used from several threads).

    Output arrays that nobody references any more when a later call starts (the caller dropped
    them) are written again instead of allocated anew: fresh memory costs page faults, which on
    small graphs take longer than the arithmetic. An array the caller still holds, or a view of
    it, is never touched again. Each thread keeps at most two sets of outputs for this.
    """

    def __init__(self, lib, info):
        self.name, self.info = info.name, info
        params = info.params
        if info.packed:  # more arguments than ctypes passes: the array entry point
            packed = getattr(lib, f"{info.name}_packed")
            packed.argtypes, packed.restype = [ctypes.c_void_p], None
            array = ctypes.c_void_p * (len(params) + 1)
            self._fn = lambda *ptrs: packed(array(*ptrs))
        else:
            fn = getattr(lib, info.name)
            fn.argtypes = [ctypes.c_void_p] * (len(params) + 1)
            fn.restype = None
            self._fn = fn
        self._outs = [(tuple(p.spec.shape), np.dtype(p.spec.dtype)) for p in params if p.io == "output"]
        self._scalars = [shape == () for shape, _ in self._outs]
        self._bytes = info.plan.workspace_bytes
        self._local = threading.local()
        size = getattr(lib, f"{info.name}_workspace_bytes")
        size.restype = ctypes.c_size_t
        if size() != self._bytes:  # pragma: no cover - the library and the plan disagree
            raise GraphError(f"{info.name}: library reports {size()} workspace bytes, plan {self._bytes}")

    def _state(self):
        """This thread's workspace address and, per output, its recent arrays with addresses."""
        state = getattr(self._local, "state", None)
        if state is None:
            buf = np.empty(self._bytes + 64, dtype=np.uint8)
            state = self._local.state = [buf, (buf.ctypes.data + 63) & ~63, [[] for _ in self._outs]]
        return state

    def _output(self, i, pool):
        """(array, address) for output i: a recent array nobody holds, else a new one (the pool
        keeps the two most recent: `out = f(x)` in a loop holds the last while making the next)."""
        for entry in pool:
            if sys.getrefcount(entry[0]) <= _FREE:
                return entry
        arr = np.empty(*self._outs[i])
        entry = (arr, arr.ctypes.data)
        pool.insert(0, entry)
        del pool[2:]
        return entry

    def __call__(self, *args):
        ins = [np.ascontiguousarray(a) for a in args]
        state = self._state()
        outs = [self._output(i, pool) for i, pool in enumerate(state[2])]
        self._fn(*[data_pointer(a) for a in ins], *[p for _, p in outs], state[1])
        results = [a[()] if scalar else a for (a, _), scalar in zip(outs, self._scalars)]
        return results[0] if len(results) == 1 else tuple(results)  # () for no outputs


_FREE = 2  # sys.getrefcount of an array only its pool entry holds (and the call itself)
