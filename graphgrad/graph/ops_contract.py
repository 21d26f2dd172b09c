"""Contractions and log-sum-exp: `einsum` (numpy's subscripts, no ellipsis) and `logsumexp`.

einsum's subscripts are stored in explicit form (`"ij,jk->ik"`): the implicit form's output
(sorted letters that appear once) is resolved when the node is built, so equal contractions
compare equal.
"""
from __future__ import annotations

import numpy as np

from . import kernels
from .attrs import AXES, BOOL, STR
from .errors import GraphError, ShapeError
from .optable import OpDef, register
from .shapes import normalize_axes, reduced_shape, same_float_dtype
from .spec import TensorSpec
from .tensor import Tensor, apply, as_tensor

_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def parse_subscripts(subscripts: str, count: int):
    """(operand subscripts, output subscripts) of an einsum, in explicit form; ShapeError naming
    what is wrong with them."""
    text = subscripts.replace(" ", "")
    if "." in text:
        raise ShapeError(f"einsum subscripts {subscripts!r}: ellipsis is not supported")
    inputs, arrow, output = text.partition("->")
    terms = inputs.split(",")
    if len(terms) != count:
        raise ShapeError(f"einsum subscripts {subscripts!r} name {len(terms)} operand(s), got {count}")
    for term in terms + [output]:
        if set(term) - _LETTERS:
            raise ShapeError(f"einsum subscripts {subscripts!r}: {term!r} has characters other than "
                             "letters")
    if not arrow:
        letters = "".join(terms)
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    if len(set(output)) != len(output) or set(output) - set("".join(terms)):
        raise ShapeError(f"einsum subscripts {subscripts!r}: the output {output!r} must name distinct "
                         "letters of the operands")
    return terms, output


def einsum_explicit(terms, output) -> str:
    return ",".join(terms) + "->" + output


def einsum(subscripts, *operands):
    """np.einsum on tensors: a sum of products over the letters the output leaves out."""
    if not isinstance(subscripts, str):
        raise GraphError(f"einsum takes the subscripts first, as a string, got {type(subscripts).__name__}")
    like = next((x for x in operands if isinstance(x, Tensor)), None)
    if like is None:
        raise GraphError("einsum needs at least one symbolic tensor")
    return apply("einsum", *[as_tensor(x, like=like) for x in operands], subscripts=subscripts)


def _einsum_canon(specs, *, subscripts):
    return {"subscripts": einsum_explicit(*parse_subscripts(subscripts, len(specs)))}


def letter_sizes(terms, specs) -> dict:
    """letter -> size, checked to agree across every operand."""
    sizes = {}
    for term, spec in zip(terms, specs):
        if len(term) != spec.ndim:
            raise ShapeError(f"einsum term {term!r} names {len(term)} axes of a {spec.ndim}-d operand")
        for letter, size in zip(term, spec.shape):
            if sizes.setdefault(letter, size) != size:
                raise ShapeError(f"einsum letter {letter!r} has sizes {sizes[letter]} and {size}")
    return sizes


def _einsum_infer(*specs, subscripts):
    terms, output = parse_subscripts(subscripts, len(specs))
    sizes = letter_sizes(terms, specs)
    return TensorSpec.trusted(tuple(sizes[c] for c in output), same_float_dtype(specs))


register(OpDef("einsum", None, "linalg", _einsum_infer,
               lambda *xs, subscripts: np.einsum(subscripts, *xs), attrs={"subscripts": STR},
               canon=_einsum_canon, api=einsum,
               doc="np.einsum with explicit subscripts (the contractions of attention)"))


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) over `axis`, computed stably (scipy's and jax.nn's logsumexp)."""
    return apply("logsumexp", as_tensor(x), axis=axis, keepdims=keepdims)


register(OpDef("logsumexp", 1, "reduction",
               lambda x, *, axis, keepdims: TensorSpec.trusted(reduced_shape(x.shape, axis, keepdims),
                                                               same_float_dtype([x])),
               lambda x, *, axis, keepdims: np.asarray(kernels.logsumexp(x, axis, keepdims)),
               attrs={"axis": AXES, "keepdims": BOOL}, api=logsumexp,
               canon=lambda specs, *, axis, keepdims: {"axis": normalize_axes(axis, specs[0].ndim),
                                                       "keepdims": keepdims},
               doc="log(sum(exp(x))) over axis, the max subtracted first"))
