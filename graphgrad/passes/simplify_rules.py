"""The simplification table: algebraic and structural identities, one line of algebra each.

A rule may only return an operand (or a cheaper expression) when the result keeps the node's
shape and dtype: `x + 0 -> x` is wrong when the 0 broadcasts x to a larger shape, hence the
`keeps("x")` guards. `x * 0 -> 0` and `x - x -> 0` are deliberately absent: they are false for
inf and NaN. As in every compiler that drops `+ 0`, the sign of a zero may change (-0.0 + 0 is
+0.0); values compare equal.
STRUCTURAL is shared with the Jacobian rewrite, which runs it to a fixed point with its own table.
"""
from __future__ import annotations

from .patterns import ONE, ZERO, Rule, both, keeps

ELEMENTWISE_BINARY = "@binary|@compare"
ELEMENTWISE_UNARY = "@unary|cast"


def _is_identity(axes) -> bool:
    return tuple(axes) == tuple(range(len(axes)))


def _compose(m):
    """transpose(transpose(x, p), q): the result's axis j is x's axis p[q[j]]."""
    p, q = m.t.attrs["axes"], m.attrs["axes"]
    return m.make("transpose", m.x, axes=tuple(p[j] for j in q))


def _unflattens_an_operand(m) -> bool:
    """f's operands have f's shape (or are scalars), and one of them is a reshape of a value of
    the node's shape."""
    shape = m.f.shape
    return (shape != () and all(v.shape in (shape, ()) for v in (m.u, m.v))
            and any(v.op == "reshape" and v.inputs[0].shape == m.shape for v in (m.u, m.v)))


def _reshape_inside(m):
    """f(reshape(u, s), reshape(v, s)), scalars left as they are, f's attributes kept (the
    reshapes simplify as they are made)."""
    operands = (v if v.shape == () else m.make("reshape", v, shape=m.shape) for v in (m.u, m.v))
    return m.make(m.f.op, *operands, **m.f.attrs)


def _unbroadcast(m):
    """f(x, broadcast_to(y, s)) -> f(x, y), keeping the operand order of f."""
    return m.make(m.op, *(m.y if v is m.b else v for v in m.inputs))


def _reshapes_of_one_shape(m) -> bool:
    """Both operands are reshapes to the node's shape of values of one shape (no broadcasting)."""
    return m.ra.shape == m.rb.shape == m.shape and m.a.shape == m.b.shape


def _reshape_outside(m):
    """f(reshape(a), reshape(b)) -> reshape(f(a, b)), f's attributes kept."""
    return m.make("reshape", m.make(m.op, m.a, m.b, **m.attrs), shape=m.shape)


def _full_slice(m) -> bool:
    return all(not isinstance(e, int) and e == (0, d, 1)
               for e, d in zip(m.attrs["index"], m.x.shape))


def _swaps_last_two(t) -> bool:
    r = len(t.shape) - 2
    return r >= 1 and t.attrs["axes"] == tuple(range(r)) + (r + 1, r)


def _batch_letters(r) -> str:
    return "abcdefghij"[:r]  # distinct from the matrix letters k, m, n


def _sums_the_batch(m, r) -> bool:
    """The sum (or sum_to) adds over exactly the r leading axes, none kept."""
    if m.op == "sum":
        return m.attrs["axis"] == tuple(range(r)) and not m.attrs["keepdims"]
    return True  # sum_to: the caller checks the result's shape


def _summed_gram_left(m) -> bool:
    """sum((aᵀ)_b · g_b over every batch axis): a and g share their batch axes and rows."""
    a, g = m.a, m.g
    return (_swaps_last_two(m.t) and len(g.shape) == len(a.shape) and a.shape[:-1] == g.shape[:-1]
            and m.shape == (a.shape[-1], g.shape[-1]) and _sums_the_batch(m, len(a.shape) - 2))


def _summed_gram_right(m) -> bool:
    """sum(g_b · (bᵀ)_b over every batch axis): g and b share their batch axes and columns."""
    b, g = m.b, m.g
    return (_swaps_last_two(m.t) and len(g.shape) == len(b.shape)
            and g.shape[:-2] == b.shape[:-2] and g.shape[-1] == b.shape[-1]
            and m.shape == (g.shape[-2], b.shape[-2]) and _sums_the_batch(m, len(b.shape) - 2))


def _gram_left(m):
    batch = _batch_letters(len(m.a.shape) - 2)
    return m.make("einsum", m.a, m.g, subscripts=f"{batch}mk,{batch}mn->kn")


def _gram_right(m):
    batch = _batch_letters(len(m.b.shape) - 2)
    return m.make("einsum", m.g, m.b, subscripts=f"{batch}mn,{batch}kn->mk")


ALGEBRA = (
    # x + 0 = x and 0 + x = x (only when the zero does not broadcast x to a bigger shape)
    Rule("x + 0 = x", ("add", "x", ZERO), lambda m: m.x, keeps("x")),
    Rule("0 + x = x", ("add", ZERO, "x"), lambda m: m.x, keeps("x")),
    # x - 0 = x
    Rule("x - 0 = x", ("subtract", "x", ZERO), lambda m: m.x, keeps("x")),
    # 0 - x = -x
    Rule("0 - x = -x", ("subtract", ZERO, "x"), lambda m: m.make("negative", m.x), keeps("x")),
    # x * 1 = x and 1 * x = x
    Rule("x * 1 = x", ("multiply", "x", ONE), lambda m: m.x, keeps("x")),
    Rule("1 * x = x", ("multiply", ONE, "x"), lambda m: m.x, keeps("x")),
    # x / 1 = x
    Rule("x / 1 = x", ("divide", "x", ONE), lambda m: m.x, keeps("x")),
    # -(-x) = x
    Rule("-(-x) = x", ("negative", ("negative", "x")), lambda m: m.x),
    # x + (-y) = x - y and (-y) + x = x - y
    Rule("x + (-y) = x - y", ("add", "x", ("negative", "y")), lambda m: m.make("subtract", m.x, m.y)),
    Rule("(-y) + x = x - y", ("add", ("negative", "y"), "x"), lambda m: m.make("subtract", m.x, m.y)),
    # x - (-y) = x + y
    Rule("x - (-y) = x + y", ("subtract", "x", ("negative", "y")), lambda m: m.make("add", m.x, m.y)),
    # -x outwards, where it meets a subtraction or the small side of a reduction (one pass over
    # the large array fewer): sum(-x) = -sum(x), and through * and / when it keeps its size
    Rule("sum(-x) = -sum(x)", ("sum|sum_to|mean", ("negative", "x")),
         lambda m: m.make("negative", m.make(m.op, m.x, **m.attrs))),
    Rule("(-x) / y = -(x / y)", ("divide", ("negative=n", "x"), "y"),
         lambda m: m.make("negative", m.make("divide", m.x, m.y)), keeps("n")),
    Rule("x * (-y) = -(x * y)", ("multiply", "x", ("negative=n", "y")),
         lambda m: m.make("negative", m.make("multiply", m.x, m.y)), keeps("n")),
    Rule("(-x) * y = -(x * y)", ("multiply", ("negative=n", "x"), "y"),
         lambda m: m.make("negative", m.make("multiply", m.x, m.y)), keeps("n")),
    # x ** 1 = x
    Rule("x ** 1 = x", ("power", "x"), lambda m: m.x, lambda m: m.attrs["exponent"] == 1.0),
    # x ** 2 = square(x)  (one multiply, and the form the tracer writes)
    Rule("x ** 2 = square(x)", ("power", "x"), lambda m: m.make("square", m.x),
         lambda m: m.attrs["exponent"] == 2.0),
    # Σ_b a_bᵀ · g_b = einsum(bmk,bmn->kn): the weight gradient of a batched x @ W is one
    # contraction over the stacked rows (one BLAS call), not a matmul per batch element and a sum
    # (the only rule here that reassociates a sum: values agree to rounding, not to the bit)
    Rule("Σ_b a_bᵀ · g_b = einsum(bmk,bmn->kn)", ("sum_to|sum", ("matmul", ("transpose=t", "a"), "g")),
         _gram_left, _summed_gram_left),
    # Σ_b g_b · b_bᵀ = einsum(bmn,bkn->mk)
    Rule("Σ_b g_b · b_bᵀ = einsum(bmn,bkn->mk)", ("sum_to|sum", ("matmul", "g", ("transpose=t", "b"))),
         _gram_right, _summed_gram_right),
    # cast(x, dtype of x) = x
    Rule("cast(x, x.dtype) = x", ("cast", "x"), lambda m: m.x, keeps("x")),
)

STRUCTURAL = (
    # reshape(x, x.shape) = x
    Rule("reshape(x, x.shape) = x", ("reshape", "x"), lambda m: m.x, keeps("x")),
    # reshape(reshape(x, s1), s2) = reshape(x, s2): both keep row-major element order
    Rule("reshape(reshape(x, s1), s2) = reshape(x, s2)", ("reshape", ("reshape", "x")),
         lambda m: m.make("reshape", m.x, shape=m.shape)),
    # reshape(f(reshape(a, s1)), a.shape) = f(a) for an elementwise f
    Rule("reshape(f(reshape(a)), a.shape) = f(a)", ("reshape", (ELEMENTWISE_UNARY + "=f", ("reshape", "a"))),
         lambda m: m.make(m.f.op, m.a, **m.f.attrs), lambda m: m.a.shape == m.shape),
    # reshape(f(u, v), s) = f(reshape(u, s), reshape(v, s)) for an elementwise f that does not
    # broadcast, when u or v is a reshape of a value of shape s: at any rank, the flatten ->
    # f -> unflatten round trip of a Jacobian-style step becomes f on the unflattened operands
    # (reshape(reshape(b, s1), s) = reshape(b, s) and reshape(a, a.shape) = a then drop out)
    Rule("reshape(f(u, v), s) = f(reshape(u, s), reshape(v, s))",
         ("reshape", (ELEMENTWISE_BINARY + "=f", "u", "v")), _reshape_inside, _unflattens_an_operand),
    # f(reshape(a, s), reshape(b, s)) = reshape(f(a, b), s) when a and b share a shape: the
    # reshape moves outwards, where it meets the next one (a tangent of a Jacobian-style gradient
    # multiplies flattened values)
    Rule("f(reshape(a, s), reshape(b, s)) = reshape(f(a, b), s)",
         (ELEMENTWISE_BINARY, ("reshape=ra", "a"), ("reshape=rb", "b")), _reshape_outside,
         _reshapes_of_one_shape),
    # f(x, broadcast_to(y, s)) = f(x, y) when x has shape s (f broadcasts y itself)
    Rule("f(x, broadcast_to(y, s)) = f(x, y)", (ELEMENTWISE_BINARY, "x", ("broadcast_to=b", "y")),
         _unbroadcast, both(keeps("x"), lambda m: m.x is not m.b)),
    Rule("f(broadcast_to(y, s), x) = f(y, x)", (ELEMENTWISE_BINARY, ("broadcast_to=b", "y"), "x"),
         _unbroadcast, both(keeps("x"), lambda m: m.x is not m.b)),
    # transpose(x, (0, 1, ..., n-1)) = x
    Rule("transpose(x, identity) = x", ("transpose", "x"), lambda m: m.x,
         lambda m: _is_identity(m.attrs["axes"])),
    # transpose(transpose(x, p), q) = transpose(x, p∘q)
    Rule("transpose(transpose(x, p), q) = transpose(x, p∘q)", ("transpose", ("transpose=t", "x")), _compose),
    # broadcast_to(x, x.shape) = x
    Rule("broadcast_to(x, x.shape) = x", ("broadcast_to", "x"), lambda m: m.x, keeps("x")),
    # broadcast_to(broadcast_to(x, s1), s2) = broadcast_to(x, s2)
    Rule("broadcast_to(broadcast_to(x, s1), s2) = broadcast_to(x, s2)",
         ("broadcast_to", ("broadcast_to", "x")), lambda m: m.make("broadcast_to", m.x, shape=m.shape)),
    # sum_to(x, x.shape) = x
    Rule("sum_to(x, x.shape) = x", ("sum_to", "x"), lambda m: m.x, keeps("x")),
    # sum, mean or max over no axis at all = x
    Rule("reduce(x, axis=()) = x", ("sum|mean|max", "x"), lambda m: m.x,
         both(keeps("x"), lambda m: m.attrs["axis"] == ())),
    # x[:, :, ...] = x (a slice that keeps every element in order)
    Rule("x[:, ...] = x", ("slice", "x"), lambda m: m.x, both(keeps("x"), _full_slice)),
    # pad(x, zero widths) = x (widths are non-negative: the same shape means zero widths)
    Rule("pad(x, 0) = x", ("pad", "x"), lambda m: m.x, keeps("x")),
    # concatenate([x]) = x
    Rule("concatenate([x]) = x", ("concatenate", "x"), lambda m: m.x, keeps("x")),
)
