"""Building generated C in-process: the system C compiler and a cache of shared libraries keyed
by a hash of source, flags and compiler (the CPython entry points: pyentry.py; ctypes: call.py).

The compiler is `$CC` or the first of cc, gcc, clang on PATH. Flags: `-std=c99 -O3
-ffp-contract=off` (the graph's arithmetic is never contracted into fused multiply-adds, so
results match numpy's; only the helpers' own polynomials and range reductions call fma,
helpers.py) `-fno-math-errno -fno-trapping-math` (value-preserving; they let loops over libm
calls and `gg_tanh` vectorize), plus `$GRAPHGRAD_CFLAGS`. In-process builds also tune for this
machine (`-march=native`: the loops over `gg_tanh` and other elementwise work run 4 or 8 wide
instead of SSE2's 2; 512-bit vectors for modules with polynomials, `host_flags`), since their
library runs where it is built; the cache key names the CPU, `GRAPHGRAD_HOST_TUNED=0` turns it
off, and a compiler that rejects the flag builds without it. Exported files carry no flags.
Matmuls call CBLAS when one is found: `$GRAPHGRAD_BLAS_LIBS`, else numpy's bundled OpenBLAS
(numpy_blas.py), else the system's libopenblas (`GRAPHGRAD_CBLAS=system` skips numpy's and,
like `=1`, is an error without one); `GRAPHGRAD_CBLAS=0` builds plain loops.
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
import tempfile
import threading

from ...graph.errors import GraphError
from .numpy_blas import numpy_blas

FLAGS = ("-std=c99", "-O3", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math")
HOST_FLAGS = ("-march=native",)
WIDE_FLAGS = ("-mprefer-vector-width=512",)
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
    if setting in ("1", "system"):
        raise GraphError(f"GRAPHGRAD_CBLAS={setting} but no libopenblas was found; install libopenblas-dev "
                         "or set GRAPHGRAD_BLAS_LIBS to the link flags of your CBLAS")
    return []


def inprocess_blas() -> tuple:
    """(C put before the source, flags) of the BLAS an in-process build calls: `$GRAPHGRAD_BLAS_LIBS`
    when set, else numpy's own OpenBLAS where its wheel bundles one (numpy_blas.py; not with
    `GRAPHGRAD_CBLAS=system`), else `blas_flags()`'s."""
    setting = os.environ.get("GRAPHGRAD_CBLAS", "")
    if setting != "0" and setting != "system" and not os.environ.get("GRAPHGRAD_BLAS_LIBS"):
        bundled = numpy_blas()
        if bundled is not None:
            return bundled.shim(), bundled.flags()
    return "", blas_flags()


def host_flags(polynomial=False) -> list:
    """The flags that tune an in-process build for this machine, unless GRAPHGRAD_HOST_TUNED=0;
    with `polynomial` (the source evaluates exp, tanh or log polynomials) on a CPU with AVX-512,
    512-bit vectors, in which those throughput-bound loops run faster; other code keeps the
    compiler's choice, which is faster for it (docs/c-backend.md, Speed)."""
    if os.environ.get("GRAPHGRAD_HOST_TUNED", "") == "0":
        return []
    return [*HOST_FLAGS, *(WIDE_FLAGS if polynomial and _has_avx512() else ())]


def _has_avx512() -> bool:
    return "avx512f" in _cpu_flags()


@functools.lru_cache(maxsize=None)
def _cpu_flags() -> frozenset:
    """The x86 feature flags of /proc/cpuinfo (empty where there is none)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            return frozenset(next((ln.split(":", 1)[1].split() for ln in f if ln.startswith("flags")), ()))
    except OSError:
        return frozenset()


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


def build_command(cmd, source_path, library_path, blas, host=(), includes=()) -> list:
    extra = [*host, *shlex.split(os.environ.get("GRAPHGRAD_CFLAGS", ""))]
    link = [f for f in blas if not f.startswith("-D")]
    defines = [f for f in blas if f.startswith("-D")] + [f"-I{folder}" for folder in includes]
    return [*cmd, *FLAGS, *extra, *defines, "-fPIC", "-shared", "-o", str(library_path),
            str(source_path), *link, "-lm"]


def cache_dir() -> pathlib.Path:
    root = os.environ.get("GRAPHGRAD_CACHE")
    if root:
        return pathlib.Path(root)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return pathlib.Path(base) / "graphgrad" / "c"


def build_settings(includes=(), polynomial=False) -> str:
    """Everything besides the source that decides what a build makes: flags, BLAS (its shim
    too), compiler and CPU; the cache key, and the CPython module's name (pyentry.py), hash it."""
    cmd, host = find_compiler(), host_flags(polynomial)
    shim, blas = inprocess_blas()
    return "\0".join([" ".join(FLAGS), os.environ.get("GRAPHGRAD_CFLAGS", ""), shim, " ".join(blas),
                      _identity(cmd), " ".join(host), _cpu_identity() if host else "", *includes])


def build_library(source: str, includes=(), polynomial=False) -> pathlib.Path:
    """The shared library of `source`, compiled now or found in the cache; `includes`: header
    folders it needs beyond the C library's (the CPython entry points', pyentry.py);
    `polynomial`: see `host_flags`."""
    cmd, host = find_compiler(), host_flags(polynomial)
    shim, blas = inprocess_blas()
    source = shim + source
    key = hashlib.sha256("\0".join([source, build_settings(includes, polynomial)]).encode()).hexdigest()[:40]
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
        command = build_command(cmd, src, out, blas, host, includes)
        done = _run_compiler(cmd, command)
        if done.returncode != 0 and host:  # a compiler that knows no -march=native
            command = build_command(cmd, src, out, blas, (), includes)
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
