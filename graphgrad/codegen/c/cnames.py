"""C identifiers for generated code: readable names from the user's hints that can never clash.

A name that reaches C source is a plain ASCII identifier (`names.sanitize` first), never a C or C++
keyword, never a name the C library, libm or CBLAS declares or defines as a macro (a local `exp`
would hide the function, a parameter `I` would meet complex.h's macro in a user's file), never a
reserved identifier (a leading underscore), and never one of the generated code's own names
(`gg_*` helpers, loop indices, `ws`). Clashes get a `_1`, `_2` suffix, as in the Python emitter.
"""
from __future__ import annotations

import re

from ...graph.errors import GraphError
from ..names import sanitize

C_KEYWORDS = frozenset("""
auto break case char const continue default do double else enum extern float for goto if inline int
long register restrict return short signed sizeof static struct switch typedef union unsigned void
volatile while alignas alignof bool constexpr false nullptr static_assert thread_local true typeof
typeof_unqual asm fortran
""".split())

CXX_KEYWORDS = frozenset("""
and and_eq bitand bitor catch char8_t char16_t char32_t class compl concept consteval constinit
const_cast co_await co_return co_yield decltype delete dynamic_cast explicit export final friend
import module mutable namespace new noexcept not not_eq operator or or_eq override private
protected public reinterpret_cast requires static_cast template this throw try typeid typename
using virtual wchar_t xor xor_eq
""".split())

_MATH_FUNCTIONS = """
acos asin atan atan2 cos sin tan acosh asinh atanh cosh sinh tanh exp exp2 expm1 exp10 frexp ilogb
ldexp log log10 log1p log2 logb modf scalbn scalbln cbrt fabs hypot pow pow10 sqrt erf erfc lgamma
tgamma gamma ceil floor nearbyint rint lrint llrint round lround llround trunc fmod remainder
remquo copysign nan nextafter nexttoward fdim fmax fmin fma drem finite significand sincos j0 j1
jn y0 y1 yn
""".split()

LIBC_NAMES = frozenset(
    [f + suffix for f in _MATH_FUNCTIONS for suffix in ("", "f", "l")] + """
fpclassify isfinite isinf isnan isnormal signbit isgreater isgreaterequal isless islessequal
islessgreater isunordered HUGE_VAL HUGE_VALF HUGE_VALL INFINITY NAN FP_INFINITE FP_NAN FP_NORMAL
FP_SUBNORMAL FP_ZERO FP_FAST_FMA FP_FAST_FMAF FP_ILOGB0 FP_ILOGBNAN MATH_ERRNO MATH_ERREXCEPT
math_errhandling float_t double_t signgam M_E M_LOG2E M_LOG10E M_LN2 M_LN10 M_PI M_PI_2 M_PI_4
M_1_PI M_2_PI M_2_SQRTPI M_SQRT2 M_SQRT1_2
size_t ptrdiff_t NULL offsetof max_align_t wchar_t
int8_t int16_t int32_t int64_t uint8_t uint16_t uint32_t uint64_t intptr_t uintptr_t intmax_t
uintmax_t
main abs labs llabs div ldiv lldiv exit abort atexit malloc calloc realloc free memcpy memset
memmove memcmp memchr strlen strcpy strncpy strcmp strncmp strcat printf fprintf sprintf snprintf
puts putchar getchar fopen fclose fread fwrite stdin stdout stderr FILE EOF errno assert time clock
rand srand qsort bsearch atoi atol atof strtod strtol getenv system signal raise setjmp longjmp
complex imaginary I CMPLX CMPLXF cpu_set_t
""".split())

# Prefixes of names BLAS headers declare (cblas_dgemm, CblasRowMajor, CBLAS_ORDER, openblas_*,
# blasint, BLASLONG, goto_set_num_threads, xerbla) and of the generated code's own helpers.
_RESERVED_PREFIX = re.compile(r"^(cblas|blas|openblas|goto_|xerbla|lapack|gg_|graphgrad)",
                              re.IGNORECASE)

# The generated code's own locals: the workspace, loop indices, accumulators and gathered or
# windowed positions (q, q0, ...).
INTERNAL_NAMES = frozenset(["ws", "workspace", "acc", "top", "total", "lse", "i", "j", "k", "l", "q",
                            "c_in", "c_out", "part", "lane"]
                           + [f"i{n}" for n in range(64)] + [f"q{n}" for n in range(16)])

RESERVED = C_KEYWORDS | CXX_KEYWORDS | LIBC_NAMES | INTERNAL_NAMES
_SUFFIX = re.compile(r"^(.*?)_(\d+)$")


def why_reserved(name: str):
    """Why `name` may not be a C identifier in generated code (None when it may)."""
    if name in C_KEYWORDS:
        return "a C keyword"
    if name in CXX_KEYWORDS:
        return "a C++ keyword (the header is for C++ too)"
    if name in LIBC_NAMES:
        return "a name of the C library or libm"
    if name.startswith("_"):
        return "reserved to the C implementation (a leading underscore)"
    if _RESERVED_PREFIX.match(name):
        return "in the namespace of BLAS or of graphgrad's generated helpers"
    if name in INTERNAL_NAMES:
        return "a name the generated C uses itself"
    return None


def is_reserved(name: str) -> bool:
    """Whether `name` may not be used as a C identifier in generated code."""
    return why_reserved(name) is not None


def check_function_name(name: str) -> str:
    """A public C symbol (the graph function) must be usable as it is: renaming it silently would
    change the API, so a clash is a GraphError that says how to choose another name."""
    if not (isinstance(name, str) and name.isidentifier() and name.isascii()):
        raise GraphError(f"function name {name!r} is not an ASCII C identifier; pass name=")
    why = why_reserved(name)
    if why:
        raise GraphError(f"function name {name!r} is {why}, so the C function cannot have it; "
                         "pass another name=")
    return name


class CNamer:
    """Unique C names in the order asked for; the same requests always give the same names."""

    def __init__(self, taken=()):
        self._used = set(taken)
        self._next = {}

    def reserve(self, name: str) -> None:
        self._used.add(name)

    def taken(self) -> set:
        return set(self._used)

    def fresh(self, hint, fallback: str = "t") -> str:
        base = sanitize(hint, fallback)
        if not base.isascii() or not base.isidentifier():
            base = fallback
        base = base.lstrip("_") or fallback
        if base[0].isdigit():
            base = "v" + base
        if _RESERVED_PREFIX.match(base):  # a suffix would not help: cblas_dgemm_1 is still BLAS's
            base = "v_" + base
        if base not in self._used and not is_reserved(base):
            self._used.add(base)
            return base
        match = _SUFFIX.match(base)
        stem = match.group(1) if match and match.group(1) else base
        i = self._next.get(stem, 1)
        while f"{stem}_{i}" in self._used or is_reserved(f"{stem}_{i}"):
            i += 1
        self._next[stem] = i + 1
        name = f"{stem}_{i}"
        self._used.add(name)
        return name
