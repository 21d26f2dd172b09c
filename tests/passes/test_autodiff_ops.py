"""Table-driven gradient tests over the op table: every differentiable op, both styles.

Each case builds loss = sum(op(inputs) * W) with fixed random weights W and compares `gg.grad`
in both styles with central differences (rtol 1e-6), with `jax.grad` of the same jnp expression
(rtol 1e-10), with each other (1e-12), and in float32 with jax (rtol 2e-3). Inputs are drawn
float32-representable, so one float64 jax gradient serves both dtypes.
"""
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import graphgrad as gg
from graphgrad.graph import OPS, Tensor, evaluate_all
from graphgrad.graph.ops_structural import index_to_slices
from graphgrad.graph.shapes import sum_to_axes
from graphgrad.passes.autodiff.rules import NO_GRADIENT, RULES
from graphgrad.passes.check import numeric_gradient

jax.config.update("jax_enable_x64", True)

SEEDS = (0, 1)


@dataclass
class Case:
    """One op's test: gg and jnp spellings, variants (operand shapes, keyword args), domains."""

    op: str
    gg_fn: object
    jax_fn: object
    variants: list
    domains: tuple = ("any",)          # per operand: any, pos (0.5..2), nonzero (±0.5..2)
    other_dtype: bool = False          # operands use the other float dtype (cast)
    tags: dict = field(default_factory=dict)


def raw(op, *xs, **attrs):
    """A node of an op the front end has no function for (sum_to, unslice)."""
    return Tensor(xs[0].graph.add(op, tuple(x.value for x in xs), attrs))


def _ints(like, values):
    return gg.constant(np.asarray(values, np.int64), graph=like.graph)


def _jax_scatter_along(g, indices, axis, shape):
    index = list(np.ix_(*[np.arange(d) for d in g.shape]))
    index[axis] = indices
    return jnp.zeros(shape, g.dtype).at[tuple(index)].add(g)


def _conv_attrs(a, like):
    """Front-end conv arguments as the op's canonical attributes (the transposes are internal)."""
    nd = like.ndim - 2
    tup = (lambda v: (v,) * nd if isinstance(v, int) else tuple(v))
    padding = a.get("padding", 0)
    pairs = [(p, p) if isinstance(p, int) else tuple(p) for p in (padding if isinstance(padding, tuple) else (padding,) * nd)]
    return dict(stride=tup(a.get("stride", 1)), dilation=tup(a.get("dilation", 1)), groups=a.get("groups", 1),
                padding=tuple(v for pair in pairs for v in pair))


def jconv(x, w, stride=1, padding=0, dilation=1, groups=1):
    """jax's convolution with the front end's argument conventions."""
    nd = x.ndim - 2
    tup = (lambda v: (v,) * nd if isinstance(v, int) else tuple(v))
    pads = padding.upper() if isinstance(padding, str) else [
        (p, p) if isinstance(p, int) else tuple(p) for p in (padding if isinstance(padding, tuple) else (padding,) * nd)]
    return jax.lax.conv_general_dilated(x, w, tup(stride), pads, rhs_dilation=tup(dilation),
                                        feature_group_count=groups)


def _flat_pairs(padding):
    return [(padding[i], padding[i + 1]) for i in range(0, len(padding), 2)]


def jwindows(x, kernel, stride, padding, dilation):
    xp = jnp.pad(x, [(0, 0), (0, 0)] + _flat_pairs(padding))
    out = [(n - d * (k - 1) - 1) // s + 1 for n, k, s, d in zip(xp.shape[2:], kernel, stride, dilation)]
    taps = [xp[(slice(None),) * 2 + tuple(slice(t * d, t * d + s * (o - 1) + 1, s)
                                          for t, d, s, o in zip(tap, dilation, stride, out))]
            for tap in np.ndindex(*kernel)]
    return jnp.stack(taps, axis=-1).reshape(x.shape[:2] + tuple(out) + tuple(kernel))


def jtranspose(fn, shape):
    """The transpose of a linear jax function from arrays of `shape`."""
    return lambda g: jax.linear_transpose(fn, jax.ShapeDtypeStruct(shape, g.dtype))(g)[0]


def jpool(op, x, kernel, stride=None, padding=0):
    stride = kernel if stride is None else stride
    pads = ((0, 0), (0, 0)) + ((padding, padding),) * 2 if isinstance(padding, int) else padding
    if op == "max":
        return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 1) + kernel, (1, 1) + stride, pads)
    return jax.lax.reduce_window(x, 0.0, jax.lax.add, (1, 1) + kernel, (1, 1) + stride, pads) / np.prod(kernel)


def jnp_sum_to(x, shape):
    lead, ones = sum_to_axes(x.shape, shape)
    return jnp.sum(x, axis=lead + ones, keepdims=True).reshape(shape)


def jnp_unslice(g, index, shape):
    return jnp.zeros(shape, g.dtype).at[index_to_slices(index)].set(g)


UNARY = [(((),), {}), (((1,),), {}), (((5,),), {}), (((3, 4),), {}), (((1, 1),), {}),
         (((4, 1),), {}), (((2, 3, 4),), {})]
BINARY = [(((), ()), {}), (((5,), (5,)), {}), (((3, 4), (3, 4)), {}), (((3, 4), ()), {}),
          (((), (4,)), {}), (((3, 1), (1, 4)), {}), (((2, 3, 4), (4,)), {}),
          (((1,), (2, 3, 1)), {}), (((1, 1), (1, 1)), {})]
REDUCE = [(((),), dict(axis=None)), (((5,),), dict(axis=None)), (((5,),), dict(axis=0, keepdims=True)),
          (((3, 4),), dict(axis=1)), (((3, 4),), dict(axis=(0,), keepdims=True)),
          (((2, 3, 4),), dict(axis=(0, 2))), (((2, 3, 4),), dict(axis=-1, keepdims=True)),
          (((1, 1),), dict(axis=None)), (((4, 1),), dict(axis=1))]
SOFTMAX = [(((5,),), dict(axis=-1)), (((3, 4),), dict(axis=0)), (((3, 4),), dict(axis=1)),
           (((2, 3, 4),), dict(axis=1)), (((1,),), dict(axis=0)), (((1, 1),), dict(axis=1)),
           (((4, 1),), dict(axis=0)), (((2, 3, 4),), dict(axis=-1))]


JAX_SPELLINGS = {"sigmoid": jax.nn.sigmoid, "relu": jax.nn.relu}  # else jnp's function of that name
DOMAINS = {"log": ("pos",), "sqrt": ("pos",), "log1p": ("pos",), "divide": ("any", "nonzero")}


def _elementwise_cases():
    """A case for every differentiable elementwise op of the op table without attributes."""
    out = []
    for op, d in OPS.items():
        if d.category in ("unary", "binary") and not d.attrs and RULES.get(op) is not NO_GRADIENT:
            jfn = JAX_SPELLINGS.get(op) or getattr(jnp, op)
            out.append(Case(op, getattr(gg, op), jfn, UNARY if d.arity == 1 else BINARY,
                            DOMAINS.get(op, ("any",) * d.arity)))
    return out


CASES = [
    *_elementwise_cases(),
    Case("power", lambda x: x ** 3, lambda x: x ** 3.0, UNARY),
    Case("power", lambda x: x ** -1.5, lambda x: x ** -1.5, UNARY, ("pos",), tags={"id": "power-1.5"}),
    Case("power", lambda x: gg.power(x, 0.5), lambda x: x ** 0.5, UNARY, ("pos",), tags={"id": "power0.5"}),
    Case("cast", lambda x: x.astype("float64" if x.dtype == "float32" else "float32"),
         lambda x: x.astype(jnp.float64 if x.dtype == jnp.float32 else jnp.float32), UNARY,
         other_dtype=True),
    Case("where", lambda a, b, c: gg.where(c > 0, a, b), lambda a, b, c: jnp.where(c > 0, a, b),
         [(((), (), ()), {}), (((5,), (5,), (5,)), {}), (((3, 4), (), (3, 4)), {}),
          (((3, 1), (1, 4), (3, 4)), {}), (((2, 3, 4), (4,), (3, 1)), {}), (((1,), (1,), (1,)), {}),
          (((3, 4), (3, 4), ()), {})], ("any", "any", "nonzero")),
    Case("sum", gg.sum, jnp.sum, REDUCE),
    Case("mean", gg.mean, jnp.mean, REDUCE),
    Case("max", gg.max, jnp.max, REDUCE),
    Case("sum_to", lambda x, shape: raw("sum_to", x, shape=shape), jnp_sum_to,
         [(((3, 4),), dict(shape=(4,))), (((3, 4),), dict(shape=(1, 4))), (((3, 4),), dict(shape=(3, 1))),
          (((2, 3, 4),), dict(shape=(3, 1))), (((5,),), dict(shape=())),
          (((2, 3, 4),), dict(shape=(1, 1, 4))), (((1, 1),), dict(shape=(1,))), (((4, 1),), dict(shape=()))]),
    Case("softmax", gg.softmax, jax.nn.softmax, SOFTMAX),
    Case("log_softmax", gg.log_softmax, jax.nn.log_softmax, SOFTMAX),
    Case("reshape", gg.reshape, jnp.reshape,
         [(((),), dict(shape=(1,))), (((6,),), dict(shape=(2, 3))), (((3, 4),), dict(shape=(12,))),
          (((3, 4),), dict(shape=(2, 6))), (((2, 3, 4),), dict(shape=(4, 6))),
          (((1, 1),), dict(shape=())), (((2, 3, 4),), dict(shape=(6, -1)))]),
    Case("transpose", gg.transpose, jnp.transpose,
         [(((),), dict(axes=None)), (((5,),), dict(axes=None)), (((3, 4),), dict(axes=None)),
          (((3, 4),), dict(axes=(1, 0))), (((2, 3, 4),), dict(axes=(1, 2, 0))),
          (((2, 3, 4),), dict(axes=(2, 0, 1))), (((1, 1),), dict(axes=None)), (((4, 1),), dict(axes=(-1, 0)))]),
    Case("broadcast_to", gg.broadcast_to, jnp.broadcast_to,
         [(((),), dict(shape=(3,))), (((1,),), dict(shape=(4,))), (((4,),), dict(shape=(3, 4))),
          (((3, 1),), dict(shape=(3, 4))), (((1, 4),), dict(shape=(2, 3, 4))),
          (((3, 4),), dict(shape=(3, 4))), (((1, 1),), dict(shape=(2, 1, 3)))]),
    Case("concatenate", lambda *xs, axis: gg.concatenate(xs, axis), lambda *xs, axis: jnp.concatenate(xs, axis),
         [(((3,), (2,)), dict(axis=0)), (((2, 3), (4, 3)), dict(axis=0)),
          (((2, 3), (2, 1), (2, 2)), dict(axis=1)), (((2, 3, 4), (2, 1, 4)), dict(axis=1)),
          (((1,), (1,)), dict(axis=0)), (((3, 4),), dict(axis=0)), (((2, 2, 3), (2, 2, 1)), dict(axis=-1))]),
    Case("slice", lambda x, key: x[key], lambda x, key: x[key],
         [(((5,),), dict(key=slice(1, 3))), (((5,),), dict(key=slice(None, None, 2))),
          (((5,),), dict(key=1)), (((3, 4),), dict(key=(slice(None), slice(1, None)))),
          (((2, 3, 4),), dict(key=(Ellipsis, 0))), (((5,),), dict(key=slice(None, None, -1))),
          (((2, 3, 4),), dict(key=(0, slice(1, 3), slice(None, None, 2)))),
          (((1, 1),), dict(key=(slice(0, 1), 0)))]),
    Case("unslice", lambda g, index, shape: raw("unslice", g, index=index, shape=shape), jnp_unslice,
         [(((2,),), dict(index=((1, 3, 1),), shape=(5,))), (((),), dict(index=(2,), shape=(5,))),
          (((3, 2),), dict(index=((0, 3, 1), (1, 4, 2)), shape=(3, 4))),
          (((3, 2),), dict(index=(1, (0, 3, 1), (4, 0, -2)), shape=(2, 3, 5))),
          (((1,),), dict(index=((0, 1, 1),), shape=(1,))), (((5,),), dict(index=((4, -1, -1),), shape=(5,))),
          (((2, 4),), dict(index=((0, 2, 1), (0, 4, 1)), shape=(3, 4)))]),
    Case("take", lambda x, indices, axis: gg.take(x, indices, axis), jnp.take,
         [(((5,),), dict(indices=np.array([0, 4, 4, 2]), axis=None)),
          (((3, 4),), dict(indices=np.array([[1, 1], [0, 3]]), axis=None)),
          (((3, 4),), dict(indices=np.array([2, 0, 2]), axis=0)),
          (((3, 4),), dict(indices=np.array([3, -1]), axis=1)),
          (((2, 3, 4),), dict(indices=np.array([[0], [2]]), axis=1)),
          (((5, 2),), dict(indices=np.array(3), axis=0)),
          (((1, 1),), dict(indices=np.array([0, 0, 0]), axis=-1))]),
    Case("take_along_axis", lambda x, indices, axis: gg.take_along_axis(x, indices, axis),
         jnp.take_along_axis,
         [(((3, 4),), dict(indices=np.array([[0], [3], [3]]), axis=1)),
          (((3, 4),), dict(indices=np.array([[0, 0, 1, 2]]), axis=0)),
          (((3, 4),), dict(indices=np.array([[1, 1], [2, 0], [3, 3]]), axis=-1)),
          (((2, 3, 4),), dict(indices=np.zeros((2, 3, 1), np.int64), axis=2)),
          (((2, 3, 4),), dict(indices=np.array([[[2, 2, 0, 1]]]), axis=1)),
          (((5,),), dict(indices=np.array([4, 4, 0]), axis=0)),
          (((1, 1),), dict(indices=np.array([[0, 0]]), axis=1))]),
    Case("scatter_add", lambda g, indices, axis, shape: raw("scatter_add", g, _ints(g, indices), axis=axis,
                                                           shape=shape),
         lambda g, indices, axis, shape: jnp.zeros(shape).at[(slice(None),) * (axis % len(shape)) + (indices,)].add(g)
         if axis is not None else jnp.zeros(int(np.prod(shape))).at[indices].add(g).reshape(shape),
         [(((4,),), dict(indices=np.array([0, 4, 4, 2]), axis=None, shape=(5,))),
          (((2, 2),), dict(indices=np.array([[1, 1], [0, 3]]), axis=None, shape=(3, 4))),
          (((3, 4),), dict(indices=np.array([2, 0, 2]), axis=0, shape=(3, 4))),
          (((3, 2),), dict(indices=np.array([3, 3]), axis=1, shape=(3, 4))),
          (((2, 2, 1, 4),), dict(indices=np.array([[0], [2]]), axis=1, shape=(2, 3, 4))),
          (((2,),), dict(indices=np.array(3), axis=0, shape=(5, 2))),
          (((1, 3),), dict(indices=np.array([0, 0, 0]), axis=-1, shape=(1, 1)))]),
    Case("scatter_along_axis", lambda g, indices, axis, shape: raw("scatter_along_axis", g, _ints(g, indices),
                                                                  axis=axis, shape=shape),
         lambda g, indices, axis, shape: _jax_scatter_along(g, indices, axis, shape),
         [(((3, 1),), dict(indices=np.array([[0], [3], [3]]), axis=1, shape=(3, 4))),
          (((1, 4),), dict(indices=np.array([[0, 0, 1, 2]]), axis=0, shape=(3, 4))),
          (((3, 2),), dict(indices=np.array([[1, 1], [2, 0], [3, 3]]), axis=1, shape=(3, 4))),
          (((2, 3, 1),), dict(indices=np.zeros((2, 3, 1), np.int64), axis=2, shape=(2, 3, 4))),
          (((2, 1, 4),), dict(indices=np.array([[[2, 2, 0, 1]]]), axis=1, shape=(2, 3, 4))),
          (((3,),), dict(indices=np.array([4, 4, 0]), axis=0, shape=(5,))),
          (((1, 2),), dict(indices=np.array([[0, 0]]), axis=1, shape=(1, 1)))]),
    Case("einsum", lambda *xs, subscripts: gg.einsum(subscripts, *xs),
         lambda *xs, subscripts: jnp.einsum(subscripts, *xs),
         [(((3, 4), (4, 2)), dict(subscripts="ij,jk->ik")), (((2, 3, 4), (2, 4, 5)), dict(subscripts="bij,bjk->bik")),
          (((3, 3),), dict(subscripts="ii->i")), (((3, 3),), dict(subscripts="ii")),
          (((3, 4), (3, 4)), dict(subscripts="ij,ij->")), (((3,), (4,)), dict(subscripts="i,j->ij")),
          (((2, 3, 4),), dict(subscripts="ijk->ki")), (((2, 3), (3, 4), (4,)), dict(subscripts="ab,bc,c->a")),
          (((3, 4),), dict(subscripts="ij->"))]),
    Case("logsumexp", gg.logsumexp, jax.scipy.special.logsumexp, REDUCE),
    Case("conv", lambda x, w, **a: (gg.conv1d if x.ndim == 3 else gg.conv2d)(x, w, **a), jconv,
         [(((2, 3, 7, 6), (4, 3, 3, 3)), dict(stride=2)), (((1, 2, 5, 5), (3, 2, 3, 3)), dict(padding="same")),
          (((2, 2, 7, 7), (2, 2, 3, 3)), dict(dilation=2)), (((1, 4, 5, 4), (6, 2, 3, 2)), dict(groups=2)),
          (((2, 3, 4, 4), (2, 3, 1, 1)), {}), (((1, 2, 6, 4), (3, 2, 2, 3)), dict(padding=(1, 2))),
          (((1, 1, 3, 3), (1, 1, 3, 3)), {}), (((2, 3, 8), (4, 3, 3)), dict(stride=2, padding="same")),
          (((1, 2, 5, 6), (2, 2, 2, 2)), dict(stride=(2, 1), padding=((1, 0), (0, 1)), dilation=(1, 2)))]),
    Case("conv_input_grad",
         lambda w, gy, shape, **a: raw("conv_input_grad", gy, w, shape=shape, **_conv_attrs(a, w)),
         lambda w, gy, shape, **a: jtranspose(lambda x: jconv(x, w, **a), shape)(gy),
         [(((4, 3, 3, 3), (2, 4, 3, 2)), dict(shape=(2, 3, 7, 6), stride=2)),
          (((3, 2, 3, 3), (1, 3, 3, 3)), dict(shape=(1, 2, 5, 5))),
          (((2, 2, 3, 3), (2, 2, 3, 3)), dict(shape=(2, 2, 7, 7), dilation=2)),
          (((6, 2, 3, 2), (1, 6, 3, 3)), dict(shape=(1, 4, 5, 4), groups=2)),
          (((2, 3, 1, 1), (2, 2, 4, 4)), dict(shape=(2, 3, 4, 4))),
          (((3, 2, 2, 3), (1, 3, 7, 6)), dict(shape=(1, 2, 6, 4), padding=((1, 1), (2, 2)))),
          (((4, 3, 3), (2, 4, 4)), dict(shape=(2, 3, 8), stride=2, padding=((0, 1),)))]),
    Case("conv_filter_grad",
         lambda x, gy, shape, **a: raw("conv_filter_grad", x, gy, shape=shape, **_conv_attrs(a, x)),
         lambda x, gy, shape, **a: jtranspose(lambda w: jconv(x, w, **a), shape)(gy),
         [(((2, 3, 7, 6), (2, 4, 3, 2)), dict(shape=(4, 3, 3, 3), stride=2)),
          (((1, 2, 5, 5), (1, 3, 3, 3)), dict(shape=(3, 2, 3, 3))),
          (((2, 2, 7, 7), (2, 2, 3, 3)), dict(shape=(2, 2, 3, 3), dilation=2)),
          (((1, 4, 5, 4), (1, 6, 3, 3)), dict(shape=(6, 2, 3, 2), groups=2)),
          (((2, 3, 4, 4), (2, 2, 4, 4)), dict(shape=(2, 3, 1, 1))),
          (((1, 2, 6, 4), (1, 3, 7, 6)), dict(shape=(3, 2, 2, 3), padding=((1, 1), (2, 2)))),
          (((2, 3, 8), (2, 4, 4)), dict(shape=(4, 3, 3), stride=2, padding=((0, 1),)))]),
    Case("im2col", lambda x, **a: raw("im2col", x, **a), jwindows,
         [(((2, 3, 5, 4),), dict(kernel=(3, 2), stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1))),
          (((1, 2, 6, 6),), dict(kernel=(3, 3), stride=(2, 2), padding=(1, 1, 1, 1), dilation=(1, 1))),
          (((1, 2, 7, 5),), dict(kernel=(2, 2), stride=(1, 2), padding=(0, 1, 2, 0), dilation=(2, 1))),
          (((2, 1, 4, 4),), dict(kernel=(1, 1), stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1))),
          (((1, 3, 6),), dict(kernel=(3,), stride=(2,), padding=(1, 1), dilation=(1,))),
          (((1, 1, 3, 3),), dict(kernel=(3, 3), stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1))),
          (((2, 2, 5, 3),), dict(kernel=(2, 3), stride=(3, 1), padding=(1, 0, 0, 0), dilation=(1, 1)))]),
    Case("col2im", lambda p, shape, **a: raw("col2im", p, shape=shape, **a),
         lambda p, shape, **a: jtranspose(lambda x: jwindows(x, **a), shape)(p),
         [(((2, 3, 3, 3, 3, 2),), dict(shape=(2, 3, 5, 4), kernel=(3, 2), stride=(1, 1), padding=(0, 0, 0, 0),
                                       dilation=(1, 1))),
          (((1, 2, 3, 3, 3, 3),), dict(shape=(1, 2, 6, 6), kernel=(3, 3), stride=(2, 2), padding=(1, 1, 1, 1),
                                       dilation=(1, 1))),
          (((1, 2, 6, 3, 2, 2),), dict(shape=(1, 2, 7, 5), kernel=(2, 2), stride=(1, 2), padding=(0, 1, 2, 0),
                                       dilation=(2, 1))),
          (((2, 1, 4, 4, 1, 1),), dict(shape=(2, 1, 4, 4), kernel=(1, 1), stride=(1, 1), padding=(0, 0, 0, 0),
                                       dilation=(1, 1))),
          (((1, 3, 3, 3),), dict(shape=(1, 3, 6), kernel=(3,), stride=(2,), padding=(1, 1), dilation=(1,))),
          (((1, 1, 1, 1, 3, 3),), dict(shape=(1, 1, 3, 3), kernel=(3, 3), stride=(1, 1), padding=(0, 0, 0, 0),
                                       dilation=(1, 1))),
          (((2, 2, 2, 1, 2, 3),), dict(shape=(2, 2, 5, 3), kernel=(2, 3), stride=(3, 1), padding=(1, 0, 0, 0),
                                       dilation=(1, 1)))]),
    *(Case(op, lambda x, op=op, **a: getattr(gg, f"{op}2d")(x, **a), lambda x, op=op, **a: jpool(op[:3], x, **a),
           [(((2, 3, 4, 4),), dict(kernel=(2, 2))), (((1, 2, 5, 5),), dict(kernel=(3, 3), stride=(2, 2))),
            (((1, 2, 5, 4),), dict(kernel=(2, 3), stride=(1, 1))), (((2, 1, 6, 6),), dict(kernel=(3, 3), padding=1)),
            (((1, 3, 3, 3),), dict(kernel=(3, 3))), (((1, 1, 4, 6),), dict(kernel=(2, 2), stride=(2, 1))),
            (((1, 2, 5, 5),), dict(kernel=(1, 1))),
            (((1, 2, 5, 7),), dict(kernel=(2, 3)))]) for op in ("max_pool", "avg_pool")),
    Case("pad", lambda x, pad_width, value: gg.pad(x, pad_width, value=value),
         lambda x, pad_width, value: jnp.pad(x, pad_width, constant_values=value),
         [(((3,),), dict(pad_width=((1, 2),), value=0.0)), (((2, 3),), dict(pad_width=((0, 1), (2, 0)), value=1.5)),
          (((2, 3, 4),), dict(pad_width=((1, 1), (0, 0), (2, 2)), value=-1.0)),
          (((1, 1),), dict(pad_width=((3, 0), (0, 3)), value=0.0)), (((4,),), dict(pad_width=((0, 0),), value=2.0)),
          (((2, 2, 2, 2),), dict(pad_width=((0, 0), (0, 0), (1, 1), (1, 1)), value=0.0)),
          (((5,),), dict(pad_width=((2, 2),), value=-3.0))]),
    Case("kron", lambda a, b: raw("kron", a, b), jnp.kron,
         [(((2, 2), (2, 2)), {}), (((1, 1), (3, 2)), {}), (((2, 3), (1, 1)), {}), (((2, 3), (3, 2)), {}),
          (((1, 3), (2, 1)), {}), (((3, 1), (1, 2)), {}), (((1, 1), (1, 1)), {})]),
    Case("diag", lambda v: raw("diag", v), jnp.diag,
         [(((1,),), {}), (((2,),), {}), (((3,),), {}), (((4,),), {}), (((5,),), {}), (((6,),), {}),
          (((7,),), {})]),
    Case("matmul", gg.matmul, jnp.matmul,
         [(((3,), (3,)), {}), (((2, 3), (3,)), {}), (((3,), (3, 4)), {}), (((2, 3), (3, 4)), {}),
          (((1, 1), (1, 1)), {}), (((2, 2, 3), (3, 4)), {}), (((2, 3), (2, 3, 4)), {}),
          (((2, 1, 2, 3), (3, 3, 2)), {}), (((2, 3, 4), (4,)), {}), (((3,), (2, 3, 4)), {})]),
]


def _case_id(case):
    return case.tags.get("id", case.op)


def _draw(rng, shape, domain):
    """Random float32-representable values (as float64) in the operand's domain."""
    if domain == "any":
        x = rng.standard_normal(shape)
    else:
        x = rng.uniform(0.5, 2.0, shape)
        if domain == "nonzero":
            x = x * rng.choice([-1.0, 1.0], shape)
    return np.asarray(x, np.float32).astype(np.float64)


def _build(case, shapes, kwargs, dtype, weights_seed):
    """The forward graph loss = sum(op(x0, x1, ...) * W) and the weights W."""
    in_dtype = ({"float64": "float32", "float32": "float64"}[dtype] if case.other_dtype else dtype)
    g = gg.Graph("case")
    xs = [g.input(f"x{i}", s, in_dtype) for i, s in enumerate(shapes)]
    with g:
        y = case.gg_fn(*xs, **kwargs)
        w = _draw(np.random.default_rng(weights_seed), y.shape, "any")
        g.output("loss", gg.sum(y * w.astype(y.dtype)))
    assert case.op in [n.op for n in g.nodes], f"case {_case_id(case)} does not build a {case.op} node"
    return g, w


def _ours(g, values, style):
    dg = gg.grad(g, style=style)
    env = evaluate_all(dg.verify(), values)
    return [np.asarray(env[dg.output_values[f"grad_{n}"]], np.float64) for n in g.inputs]


def _jax_all(case, problems):
    """jax.grad of every (kwargs, values, W) problem of a case, in one jitted call (compiling is
    jax's slow part: one program per case instead of one per primitive and shape)."""
    def all_grads(arrays):
        return [jax.grad(lambda xs, w: jnp.sum(case.jax_fn(*xs, **kwargs) * w))(xs, w)
                for (kwargs, _, _), (xs, w) in zip(problems, arrays)]
    arrays = [([jnp.asarray(v, np.float64) for v in values.values()], jnp.asarray(w))
              for _, values, w in problems]
    return [[np.asarray(gr, np.float64) for gr in grads] for grads in jax.jit(all_grads)(arrays)]


def _values(g, case, rng):
    domains = case.domains * len(g.inputs) if len(case.domains) == 1 else case.domains
    return {n: _draw(rng, s.shape, d).astype(s.dtype) for (n, s), d in zip(g.inputs.items(), domains)}


def _problems(case):
    """Every (kwargs, values, W) of a case, with its float64 graph, shapes and seed."""
    out = []
    for shapes, kwargs in case.variants:
        for seed in SEEDS:
            g, w = _build(case, shapes, kwargs, "float64", seed + 100)
            values = _values(g, case, np.random.default_rng(seed))
            out.append((g, (kwargs, values, w), (shapes, seed)))
    return out


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_op_gradients_agree_with_differences_jax_and_each_other(case):
    assert len(case.variants) >= 7
    problems = _problems(case)
    expected_all = _jax_all(case, [p for _, p, _ in problems])
    for (g, (kwargs, values, w), (shapes, seed)), expected in zip(problems, expected_all):
        where = f"{_case_id(case)} {shapes} {kwargs} seed {seed}"
        vjp, jac = _ours(g, values, "vjp"), _ours(g, values, "jacobian")
        loss_node = g.output_values["loss"]
        for name, a, b, e in zip(g.inputs, vjp, jac, expected):
            fd = numeric_gradient(lambda v: float(evaluate_all(g, v)[loss_node]), values, name)
            np.testing.assert_allclose(a, fd, rtol=1e-6, atol=1e-7, err_msg=f"FD {where} {name}")
            np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-12, err_msg=f"jax {where} {name}")
            np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-14, err_msg=f"styles {where} {name}")
        g32, _ = _build(case, shapes, kwargs, "float32", seed + 100)
        values32 = {n: v.astype(s.dtype) for (n, v), s in zip(values.items(), g32.inputs.values())}
        for style in ("vjp", "jacobian"):
            for name, a, e in zip(g.inputs, _ours(g32, values32, style), expected):
                np.testing.assert_allclose(a, e, rtol=2e-3, atol=1e-4, err_msg=f"f32 {style} {where} {name}")


def test_every_differentiable_op_has_a_rule_and_a_case():
    """Walks the op table: an op without a rule (NO_GRADIENT counts as one), or a differentiable
    op without a gradient test case, fails here naming it."""
    tested = {case.op for case in CASES}
    for name, op in OPS.items():
        assert name in RULES, f"op {name!r} has no derivative rule (or NO_GRADIENT) in rules.RULES"
        if RULES[name] is not NO_GRADIENT and op.category != "jacobian":
            assert name in tested, f"differentiable op {name!r} has no gradient test case"
    assert not set(RULES) - set(OPS), "rules for ops that do not exist"
    for name in ("less", "less_equal", "greater", "greater_equal", "equal", "sign", "constant", "eye"):
        assert RULES[name] is NO_GRADIENT


@pytest.mark.parametrize("op", ["kron", "diag"])
def test_an_explicit_jacobian_that_is_no_product_is_differentiated_through_its_rule(op):
    """kron and diag have rules: a Jacobian used other than as a product (which grad would
    rewrite first) is differentiated like any op, in both styles."""
    g = gg.Graph("explicit")
    a = g.input("a", (2, 2))
    with g:
        j = raw("kron", a, a) if op == "kron" else raw("diag", a.reshape(4))
        g.output("loss", gg.sum(gg.square(j)))
    x = np.arange(4.0).reshape(2, 2) + 1
    jfn = (lambda a: jnp.sum(jnp.kron(a, a) ** 2)) if op == "kron" else (lambda a: jnp.sum(jnp.diag(a.reshape(4)) ** 2))
    for style in ("vjp", "jacobian"):
        np.testing.assert_allclose(gg.evaluate(gg.grad(g, style=style), x)[1], jax.grad(jfn)(x), rtol=1e-12)
