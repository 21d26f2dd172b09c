"""The static helper functions a generated C file may define: each only when some loop calls it.

`gg_max`/`gg_min` propagate NaN as numpy's maximum/minimum do (C's fmax does not); `gg_sigmoid`
is numpy's `exp(-logaddexp(0, -x))`, case for case; `gg_tanh` is written without branches so that
compilers vectorize the loops that call it (glibc's scalar tanh is ~10x slower than numpy's SIMD
tanh), to within 3 ulp of numpy's, and so is `gg_exp` (glibc's exp is scalar), to within 1 ulp;
both evaluate one polynomial (`gg_expm1_small`), with fused multiply-adds where the target has
fast ones (`GG_FMA`); `gg_log` is fdlibm's log without branches (the `log` op and log_softmax's
per-row log-sums), within 1 ulp of numpy's; `gg_dgemm`/`gg_sgemm` call CBLAS when the file is compiled with
-DGRAPHGRAD_CBLAS and run a cache-blocked loop otherwise; `gg_index` wraps and clamps an index
of a gather or scatter. float32 variants end in `f`.
"""
from __future__ import annotations

_MINMAX = '''\
GG_INLINE {T} gg_{name}{f}({T} a, {T} b)
{{
    /* numpy's {name}imum: NaN if either operand is NaN */
    return (a {op} b || a != a) ? a : b;
}}
'''

_SIGN = '''\
GG_INLINE {T} gg_sign{f}({T} x)
{{
    /* -1, 0 or 1; NaN stays NaN */
    return x > 0 ? 1.0{f} : (x < 0 ? -1.0{f} : x);
}}
'''

_SIGMOID = '''\
GG_INLINE double gg_sigmoid(double x)
{
    /* exp(-logaddexp(0, -x)), with numpy's logaddexp: stable for large |x| */
    const double t = -x;
    double l;
    if (t == 0.0) {
        l = 0.6931471805599453;
    } else if (-t > 0) {
        l = log1p(exp(t));
    } else if (-t <= 0) {
        l = t + log1p(exp(-t));
    } else {
        l = -t;
    }
    return exp(-l);
}
'''

_FMA = '''\
/* a * b + c, fused (one rounding) where the target has a fast fma (FP_FAST_FMA, C99): the
   polynomials and range reductions of gg_exp and gg_tanh take half the instructions then.
   Elsewhere two roundings. */
#ifdef FP_FAST_FMA
#define GG_FMA(a, b, c) fma(a, b, c)
#else
#define GG_FMA(a, b, c) ((a) * (b) + (c))
#endif
'''

_EXPM1_SMALL = '''\
GG_INLINE double gg_expm1_small(double r)
{
    /* expm1(r) for |r| <= ln2/2: r + r^2 q(r), q(r) = 1/2 + r s(r), in Estrin's form. s, of degree
       9, is the minimax polynomial for the relative error of expm1 on |r| <= 1.0005 ln2/2 (Remez
       exchange at 45 digits): 2.7e-19, and 1.8e-18 (0.02 ulp) with its coefficients rounded to
       double, in one term fewer than the Taylor polynomial that came within 0.05 ulp */
    const double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
    const double q01 = GG_FMA(r, 0.16666666666666677, 0.5);
    const double q23 = GG_FMA(r, 0.008333333333322123, 0.041666666666666574);
    const double q45 = GG_FMA(r, 0.00019841269885049188, 0.001388888888894284);
    const double q67 = GG_FMA(r, 2.755724517383209e-06, 2.48015871979707e-05);
    const double q89 = GG_FMA(r, 2.5108732509318496e-08, 2.7557387155347667e-07);
    const double q = GG_FMA(r8, GG_FMA(r2, 2.087891301694296e-09, q89),
                            GG_FMA(r4, GG_FMA(r2, q67, q45), GG_FMA(r2, q23, q01)));
    return GG_FMA(r2, q, r);
}
'''

_TANH = '''\
GG_INLINE double gg_tanh(double x)
{
    /* tanh(|x|) = t / (-2 - t), t = expm1(-2|x|) = 2^k (p + 1) - 1, where k = round(-2|x| / ln2)
       and p = expm1(r) on |r| <= ln2/2. |x| is clamped to 22, where tanh is 1.0 in double; NaN
       stays NaN. No branches, so that loops over it vectorize. The division stays: it runs on
       its own unit beside the polynomial's multiply-adds, where Newton steps for 1 / (t + 2)
       would add to them. */
    const double shift = 6755399441055744.0; /* 1.5 * 2^52: adding it rounds to an integer */
    const double ax = fabs(x);
    const double a = ax > 22.0 ? 22.0 : ax;
    const double u = -2.0 * a;
    const double z = GG_FMA(u, 1.4426950408889634, shift);
    const double kd = z - shift;
    const double r = GG_FMA(kd, -1.9082149292705877e-10, GG_FMA(kd, -0.6931471803691238, u));
    unsigned long long bits; /* of z: k in the low bits, then 2^k from its exponent field */
    double two_k, t;
    memcpy(&bits, &z, sizeof bits);
    bits = (bits + 1023u) << 52;
    memcpy(&two_k, &bits, sizeof two_k);
    t = GG_FMA(two_k, gg_expm1_small(r), two_k - 1.0);
    return copysign(t / (-2.0 - t), x);
}
'''

_EXP = '''\
GG_INLINE double gg_exp(double x)
{
    /* exp(x) = 2^k (1 + expm1(r)), k = round(x / ln2), r = x - k ln2 in two parts (|r| <= ln2/2;
       the high part of ln2 has 32 bits, so k ln2hi is exact). 2^k is applied as 2^k1 2^k2 with
       k1 = floor(k/2), k2 = ceil(k/2), so that subnormal results round once and no factor
       overflows early; both come from z's bits by integer shifts. x is clamped to [-746, 710],
       beyond which exp is 0 or inf in double; NaN stays NaN. No branches, so that loops over
       it vectorize (glibc's exp is scalar). */
    const double shift = 6755399441055744.0; /* 1.5 * 2^52: adding it rounds to an integer */
    const double hi = x > 710.0 ? 710.0 : x;
    const double a = hi < -746.0 ? -746.0 : hi;
    const double z = GG_FMA(a, 1.4426950408889634, shift);
    const double kd = z - shift;
    const double r = GG_FMA(kd, -1.9082149292705877e-10, GG_FMA(kd, -0.6931471803691238, a));
    unsigned long long b1, b2; /* z's bits are shift's (even) plus k: halved, floor(k/2) */
    double s1, s2;
    memcpy(&b2, &z, sizeof b2);
    b1 = b2 >> 1;
    b2 -= b1; /* shift's half plus ceil(k/2) */
    b1 = (b1 + 1023u) << 52; /* the low 12 bits become the exponent field: 2^k1 */
    b2 = (b2 + 1023u) << 52;
    memcpy(&s1, &b1, sizeof s1);
    memcpy(&s2, &b2, sizeof s2);
    return ((1.0 + gg_expm1_small(r)) * s1) * s2;
}
'''

_LOG = '''\
GG_INLINE double gg_log(double x)
{
    /* fdlibm's log (error below 1 ulp), without branches so that loops over it vectorize:
       x = 2^k (1 + f) with 1 + f in [sqrt(2)/2, sqrt(2)), log(1 + f) = f - f^2/2 + s (f^2/2 + R)
       with s = f / (2 + f) and R a polynomial in s^2; fdlibm's second form, f - s (f - R), is
       selected where it takes it. Subnormals are scaled by 2^54 first; log(0) = -inf,
       log(inf) = inf, NaN and negative x give NaN. k becomes a double through the bits of
       2^52 + k + 1023 (a conversion of a 64-bit integer vectorizes only with AVX-512). */
    const double lg1 = 6.666666666666735130e-01, lg2 = 3.999999999940941908e-01;
    const double lg3 = 2.857142874366239149e-01, lg4 = 2.222219843214978396e-01;
    const double lg5 = 1.818357216161805012e-01, lg6 = 1.531383769920937332e-01;
    const double lg7 = 1.479819860511658591e-01;
    const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
    const double least = 2.2250738585072014e-308; /* below it x is subnormal (or not positive) */
    const double y = x < least ? x * 18014398509481984.0 : x; /* 2^54 */
    unsigned long long b, m, i, h;
    double one_f, kz, dk, f, s, z, w, r, hfsq, wide, narrow;
    memcpy(&b, &y, sizeof b);
    m = b & 0x000fffffffffffffu;
    h = m >> 32;
    i = (m + 0x00095f6400000000u) & 0x0010000000000000u; /* 2^52 where 1 + m / 2^52 >= sqrt(2) */
    b = ((b >> 52) & 0x7ffu) + (i >> 52) + 0x4330000000000000u; /* 2^52 + k + 1023 */
    m |= i ^ 0x3ff0000000000000u; /* 1 + f: exponent 0, or -1 where the mantissa is >= sqrt(2) */
    memcpy(&one_f, &m, sizeof one_f);
    memcpy(&kz, &b, sizeof kz);
    dk = (kz - 4503599627371519.0) - (x < least ? 54.0 : 0.0); /* 2^52 + 1023 */
    f = one_f - 1.0;
    s = f / (2.0 + f);
    z = s * s;
    w = z * z;
    r = z * (lg1 + w * (lg3 + w * (lg5 + w * lg7))) + w * (lg2 + w * (lg4 + w * lg6));
    hfsq = 0.5 * f * f;
    wide = dk * ln2_hi - ((hfsq - (s * (hfsq + r) + dk * ln2_lo)) - f);
    narrow = dk * ln2_hi - ((s * (f - r) - dk * ln2_lo) - f);
    r = (h >= 0x6147au && h <= 0x6b851u) ? wide : narrow;
    return (x > 0.0 && x < INFINITY) ? r : (x == 0.0 ? -INFINITY : (x < 0.0 ? NAN : x));
}
'''

_VIA_DOUBLE = '''\
GG_INLINE float gg_{name}f(float x)
{{
    return (float)gg_{name}((double)x);
}}
'''

_CBLAS = '''\
#ifdef GRAPHGRAD_CBLAS
/* The CBLAS routines used (an LP64 CBLAS: int arguments), declared here rather than through
   cblas.h so that no BLAS header is needed and none of its names meet the generated ones. */
void cblas_{p}gemm(int order, int trans_a, int trans_b, int m, int n, int k, {T} alpha,
                 const {T} *a, int lda, const {T} *b, int ldb, {T} beta, {T} *c, int ldc);
void cblas_{p}gemv(int order, int trans, int m, int n, {T} alpha, const {T} *a, int lda,
                 const {T} *x, int incx, {T} beta, {T} *y, int incy);
#endif
'''

_GEMM = '''\
static void gg_{p}gemm(char trans_a, char trans_b, long m, long n, long k, const {T} *a, long lda,
                     const {T} *b, long ldb, {T} *c, long ldc)
{{
    /* c = op(a) @ op(b), all row-major; op(x) is x for 'N' and x^T for 'T'; c is m x n */
    long i, j, p, p0;
    if (m <= 0 || n <= 0) {{
        return;
    }}
#ifdef GRAPHGRAD_CBLAS
    /* CBLAS sizes are ints: a size or stride past 2^31 - 1 takes the loops below instead (all are
       non-negative, so their bitwise or fits in 31 bits exactly when each does) */
    if (k > 0 && (m | n | k | lda | ldb | ldc) <= 2147483647L) {{
        const int ta = trans_a == 'T' ? 112 : 111, tb = trans_b == 'T' ? 112 : 111;
        if (n == 1) {{ /* a matrix times a vector */
            const int incx = trans_b == 'T' ? 1 : (int)ldb;
            cblas_{p}gemv(101, ta, trans_a == 'T' ? (int)k : (int)m, trans_a == 'T' ? (int)m : (int)k,
                        1.0{f}, a, (int)lda, b, incx, 0.0{f}, c, (int)ldc);
        }} else if (m == 1) {{ /* a vector times a matrix: c^T = op(b)^T a^T */
            const int incx = trans_a == 'T' ? (int)lda : 1;
            cblas_{p}gemv(101, tb == 112 ? 111 : 112, trans_b == 'T' ? (int)n : (int)k,
                        trans_b == 'T' ? (int)k : (int)n, 1.0{f}, b, (int)ldb, a, incx, 0.0{f}, c, 1);
        }} else {{
            cblas_{p}gemm(101, ta, tb, (int)m, (int)n, (int)k, 1.0{f}, a, (int)lda, b, (int)ldb, 0.0{f},
                        c, (int)ldc);
        }}
        return;
    }}
#endif
    if (trans_b == 'N') {{
        /* rows of c accumulate rows of b, a block of k at a time so that they stay in cache */
        for (i = 0; i < m; ++i) {{
            for (j = 0; j < n; ++j) {{
                c[i * ldc + j] = 0.0{f};
            }}
        }}
        for (p0 = 0; p0 < k; p0 += 128) {{
            const long p1 = p0 + 128 < k ? p0 + 128 : k;
            for (i = 0; i < m; ++i) {{
                {T} *ci = c + i * ldc;
                for (p = p0; p < p1; ++p) {{
                    const {T} aip = trans_a == 'N' ? a[i * lda + p] : a[p * lda + i];
                    const {T} *bp = b + p * ldb;
                    for (j = 0; j < n; ++j) {{
                        ci[j] += aip * bp[j];
                    }}
                }}
            }}
        }}
    }} else {{
        /* each element of c is the dot product of a row of op(a) and a row of b */
        for (i = 0; i < m; ++i) {{
            for (j = 0; j < n; ++j) {{
                const {T} *bj = b + j * ldb;
                {T} acc = 0.0{f};
                for (p = 0; p < k; ++p) {{
                    acc += (trans_a == 'N' ? a[i * lda + p] : a[p * lda + i]) * bj[p];
                }}
                c[i * ldc + j] = acc;
            }}
        }}
    }}
}}
'''


_INDEX = '''\
GG_INLINE long gg_index(long long i, long n)
{
    /* an index into an axis of n > 0 elements: wrapped once if negative (as numpy's), then
       clamped into [0, n) (as jax's gathers), so that no access is ever out of bounds */
    if (i < 0) {
        i += n;
    }
    return i < 0 ? 0 : (i >= n ? n - 1 : (long)i);
}
'''

_INLINE = '''\
/* Elementwise helpers are inlined into every loop, so that the loops vectorize (GCC and Clang
   otherwise keep a helper called from many loops as a call, which stops vectorization). */
#if defined(__GNUC__)
#define GG_INLINE static inline __attribute__((always_inline))
#else
#define GG_INLINE static inline
#endif
'''


def _typed(template, **kw):
    return {"double": template.format(T="double", f="", p="d", **kw),
            "float": template.format(T="float", f="f", p="s", **kw)}


def _build() -> dict:
    """name -> (source, names of the helpers and declarations it needs first)."""
    out = {"gg_inline": (_INLINE, ())}
    for name, op in (("max", ">="), ("min", "<=")):
        src = _typed(_MINMAX, name=name, op=op)
        out[f"gg_{name}"], out[f"gg_{name}f"] = (src["double"], ("gg_inline",)), (src["float"], ("gg_inline",))
    src = _typed(_SIGN)
    out["gg_sign"], out["gg_signf"] = (src["double"], ("gg_inline",)), (src["float"], ("gg_inline",))
    out["gg_sigmoid"] = (_SIGMOID, ("gg_inline",))
    out["gg_index"] = (_INDEX, ("gg_inline",))
    out["gg_fma"] = (_FMA, ())
    out["gg_expm1_small"] = (_EXPM1_SMALL, ("gg_inline", "gg_fma"))
    out["gg_tanh"] = (_TANH, ("gg_expm1_small",))
    out["gg_exp"] = (_EXP, ("gg_expm1_small",))
    out["gg_log"] = (_LOG, ("gg_inline",))
    for name in ("sigmoid", "tanh", "exp", "log"):
        out[f"gg_{name}f"] = (_VIA_DOUBLE.format(name=name), (f"gg_{name}", "gg_inline"))
    cblas, gemm = _typed(_CBLAS), _typed(_GEMM)
    out["cblas_d"], out["cblas_s"] = (cblas["double"], ()), (cblas["float"], ())
    out["gg_dgemm"], out["gg_sgemm"] = (gemm["double"], ("cblas_d",)), (gemm["float"], ("cblas_s",))
    return out


HELPERS = _build()
# the branch-free polynomials: their bit casts go through memcpy, and loops over them are bound by
# floating-point throughput, so they run faster with the widest vectors (build.py)
POLYNOMIALS = frozenset({"gg_tanh", "gg_exp", "gg_log"})
NEEDS_STRING_H = POLYNOMIALS


def helper_closure(used) -> set:
    """The helpers in `used` and those they need (`gg_tanhf` needs `gg_tanh`)."""
    wanted, stack = set(), list(used)
    while stack:
        name = stack.pop()
        if name not in wanted:
            wanted.add(name)
            stack.extend(HELPERS[name][1])
    return wanted


def helper_sources(used) -> list:
    """The sources of the helpers in `used` and of those they need, in a fixed order."""
    wanted = helper_closure(used)
    return [HELPERS[name][0] for name in HELPERS if name in wanted]
