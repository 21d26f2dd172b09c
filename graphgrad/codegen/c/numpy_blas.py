"""In-process C builds call numpy's own OpenBLAS, so that a process holds one BLAS and one
thread pool, and the C backend's matmuls run the very code numpy's `a @ b` does.

numpy's wheels bundle OpenBLAS under renamed symbols (`scipy_cblas_dgemm64_`: a prefix, and
64-bit integers for the ILP64 build) so that it cannot clash with another BLAS. The generated C
declares LP64 `cblas_?gemm`/`cblas_?gemv` (int arguments, helpers.py); a build for this process
puts `shim` before it: its `#define`s rename those four to static functions that convert the
integers and call the bundled library, which the link names by path. A two-BLAS process would
have two thread pools spinning against each other (docs/c-backend.md, Speed). Exported files
never see any of this.
"""
from __future__ import annotations

import ctypes
import functools
import glob
import os
from dataclasses import dataclass

import numpy as np

# (prefix, suffix, integer type) of the CBLAS names a bundled OpenBLAS may export, newest first
_NAMINGS = (("scipy_", "64_", "long long"), ("scipy_", "", "int"), ("", "64_", "long long"), ("", "", "int"))
_ROUTINES = {  # routine: its parameters as declared in the generated code (I: BLAS integer, T: element)
    "gemm": ("int order", "int trans_a", "int trans_b", "I m", "I n", "I k", "T alpha", "const T *a",
             "I lda", "const T *b", "I ldb", "T beta", "T *c", "I ldc"),
    "gemv": ("int order", "int trans", "I m", "I n", "T alpha", "const T *a", "I lda", "const T *x",
             "I incx", "T beta", "T *y", "I incy"),
}


@dataclass(frozen=True)
class NumpyBlas:
    """numpy's bundled OpenBLAS: the library file and how its CBLAS routines are named."""

    library: str
    prefix: str
    suffix: str
    integer: str

    def symbol(self, name: str) -> str:
        return f"{self.prefix}cblas_{name}{self.suffix}"

    def flags(self) -> list:
        """Link flags: the library by path, and where the loader finds it again (-Xlinker, so
        that a comma in the folder's name is not taken for a separator)."""
        folder = os.path.dirname(self.library)
        return ["-DGRAPHGRAD_CBLAS", self.library, "-Xlinker", "-rpath", "-Xlinker", folder]

    def shim(self) -> str:
        """C put before the generated source: cblas_?gemm/?gemv renamed to static inline functions
        that call the bundled routines (a later plain declaration of a static function stays
        static, C99 6.2.2)."""
        lines = [f"/* In-process build: matmuls call numpy's OpenBLAS ({os.path.basename(self.library)}) */",
                 "#if defined(__GNUC__)  /* a module without float32 matmuls leaves two of them unused */",
                 "#define GG_NUMPY_UNUSED __attribute__((unused))", "#else", "#define GG_NUMPY_UNUSED",
                 "#endif"]
        for t, p in (("double", "d"), ("float", "s")):
            for routine, params in _ROUTINES.items():
                name = f"{p}{routine}"
                typed = [q.replace("I ", "int ").replace("T ", f"{t} ") for q in params]
                wide = [q.replace("I ", f"{self.integer} ").replace("T ", f"{t} ") for q in params]
                args = ", ".join(q.split()[-1].lstrip("*") for q in params)
                lines += [f"void {self.symbol(name)}({', '.join(wide)});",
                          f"static inline GG_NUMPY_UNUSED void gg_numpy_{name}({', '.join(typed)})",
                          f"{{\n    {self.symbol(name)}({args});\n}}",
                          f"#define cblas_{name} gg_numpy_{name}"]
        return "\n".join(lines) + "\n"


@functools.lru_cache(maxsize=None)
def numpy_blas():
    """The OpenBLAS numpy was built with, where its wheel bundles one that exports CBLAS (None
    otherwise: numpy on Accelerate, MKL or a system BLAS; the system's libopenblas is used then)."""
    root = os.path.dirname(os.path.dirname(np.__file__))
    candidates = sorted(glob.glob(os.path.join(root, "numpy.libs", "*openblas*"))
                        + glob.glob(os.path.join(os.path.dirname(np.__file__), ".dylibs", "*openblas*")))
    for path in candidates:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix, integer in _NAMINGS:
            found = NumpyBlas(path, prefix, suffix, integer)
            if all(hasattr(lib, found.symbol(p + r)) for p in "ds" for r in _ROUTINES):
                return found
    return None
