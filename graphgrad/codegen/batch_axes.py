"""Which axis of each value is the batch axis, and which values are sums or means over it: the
analysis behind `microbatches=k`.

The data inputs (those that get no gradient) carry the batch on their leading axis. Following
each op, a value either has the batch on one axis, does not depend on the batch, or is a `SUM`
or `MEAN` over it (a sum or mean reduction, a matmul or scatter that contracts the batch, and
linear scalings of those). Anything else — a nonlinear function of a batch sum, a reduction that
is neither sum nor mean, an op that mixes the batch with another axis — cannot be split into
microbatches, and the analysis says which node stops it and why.
"""
from __future__ import annotations

from ..graph.errors import GraphError
from ..graph.ops_contract import parse_subscripts

SUM, MEAN = "sum", "mean"  # markers of a value that is a sum or a mean over the batch
ELEMENTWISE = ("unary", "binary", "compare", "select", "cast")
LINEAR_IN_FIRST = ("multiply", "divide")  # a sum stays a sum scaled by a batch-free value
KEEP_AXIS0 = ("conv", "conv_input_grad", "im2col", "col2im", "max_pool", "avg_pool")


class Unsplittable(GraphError):
    """The graph cannot be split into microbatches; the message names the node and the reason."""


def analyse(g, data, batch) -> dict:
    """value -> batch axis (int), None (independent of the batch), SUM or MEAN."""
    axes = {}
    for name, v in g.input_values.items():
        axes[v] = 0 if name in data else None
    for node in g.nodes:
        axes[node] = _axis(node, [axes[v] for v in node.inputs], batch)
    return axes


def _fail(node, why):
    raise Unsplittable(f"cannot split node {node.ref} ({node.op}{', ' + node.name if node.name else ''}) "
                       f"into microbatches: {why}")


def _axis(node, ins, batch):
    op, cat = node.op, _category(node)
    marks = [a for a in ins if a in (SUM, MEAN)]
    if marks:
        return _reduced(node, ins, marks)
    if all(a is None for a in ins):
        return _created(node, batch)
    if cat in ELEMENTWISE or op in ("take_along_axis", "scatter_along_axis"):
        return _elementwise(node, ins)
    return RULES.get(op, _unknown)(node, ins, batch)


def _category(node):
    from ..graph import OPS

    return OPS[node.op].category


def _unknown(node, ins, batch):
    _fail(node, "the op's relation to the batch axis is not known")


def _created(node, batch):
    """A value of batch-free operands: batch-free, unless a broadcast spreads it over the batch."""
    if node.op == "broadcast_to" and node.shape and node.shape[0] == batch and \
            (len(node.inputs[0].shape) < len(node.shape) or node.inputs[0].shape[0] == 1):
        return 0
    return None


def _elementwise(node, ins):
    out = set()
    for v, a in zip(node.inputs, ins):
        if a is not None:
            out.add(len(node.shape) - len(v.shape) + a)
    if len(out) != 1:
        _fail(node, "its operands carry the batch on different axes")
    ax = out.pop()
    for v, a in zip(node.inputs, ins):
        at = len(v.shape) - len(node.shape) + ax  # the operand's axis that meets the batch
        if a is None and 0 <= at < len(v.shape) and v.shape[at] != 1:
            _fail(node, f"a batch-free operand of shape {v.shape} spans the batch axis")
    return ax


def _reduced(node, ins, marks):
    """What follows a sum or mean over the batch: linear scalings and combinations of one kind."""
    kind = marks[0]
    if any(m != kind for m in marks):
        _fail(node, "it combines a sum over the batch with a mean over it")
    op = node.op
    if op in ("add", "subtract") and all(a in (SUM, MEAN) for a in ins):
        return kind
    if op in ("negative", "reshape", "transpose", "cast", "sum", "broadcast_to", "sum_to", "slice"):
        return kind
    if op in LINEAR_IN_FIRST and ins[0] == kind and ins[1] is None:
        return kind
    if op == "multiply" and ins[1] == kind and ins[0] is None:
        return kind
    if op == "matmul" and sum(a == kind for a in ins) == 1 and all(a in (kind, None) for a in ins):
        return kind
    _fail(node, f"the loss must be a sum or a mean over the batch (and linear in it); {op} of a "
                f"batch {kind} is not")


def _reduce(node, ins, batch):
    (a,) = ins
    axis = node.attrs.get("axis")
    reduced = range(len(node.inputs[0].shape)) if axis is None else \
        (axis if isinstance(axis, tuple) else (axis,))
    if a in reduced:
        if node.op == "sum":
            return SUM
        if node.op == "mean":
            return MEAN
        _fail(node, f"a {node.op} over the batch is neither a sum nor a mean")
    if node.attrs.get("keepdims", True) is True or node.op in ("softmax", "log_softmax"):
        return a
    return a - sum(1 for r in reduced if r < a)


def _sum_to(node, ins, batch):
    (a,) = ins
    out = a - (len(node.inputs[0].shape) - len(node.shape))
    if out < 0 or node.shape[out] != node.inputs[0].shape[a]:
        return SUM
    return out


def _broadcast(node, ins, batch):
    return ins[0] + len(node.shape) - len(node.inputs[0].shape)


def _reshape(node, ins, batch):
    if ins[0] == 0 and node.shape and node.shape[0] == node.inputs[0].shape[0]:
        return 0
    _fail(node, "a reshape that does not keep the batch as the leading axis")


def _transpose(node, ins, batch):
    return node.attrs["axes"].index(ins[0])


def _slice(node, ins, batch):
    (a,) = ins
    entry = node.attrs["index"][a]
    if isinstance(entry, int) or entry != (0, node.inputs[0].shape[a], 1):
        _fail(node, "it slices into the batch axis")
    return a - sum(1 for e in node.attrs["index"][:a] if isinstance(e, int))


def _matmul(node, ins, batch):
    (a, b), (x, y) = ins, node.inputs
    if len(x.shape) < 2 or len(y.shape) < 2:  # a vector: its one axis is contracted
        if len(y.shape) == 1 and b is None and a is not None and a < len(x.shape) - 1:
            return a  # rows of x times a batch-free vector
        if len(y.shape) == 1 and b == 0 and a == len(x.shape) - 1:
            return SUM
        _fail(node, "a matrix-vector product that mixes the batch with the contracted axis")
    if a == len(x.shape) - 1 and b == len(y.shape) - 2:
        return SUM  # the batch is the contracted axis: Xᵀ · G
    if a is not None and b is not None:
        _fail(node, "both operands carry the batch")
    if a is not None and a < len(x.shape) - 1:
        return len(node.shape) - len(x.shape) + a
    if b is not None and b == len(y.shape) - 1:
        return len(node.shape) - 1
    _fail(node, "the batch is contracted on one side only")


def _take(node, ins, batch):
    (a, i), (_, idx), axis = ins, node.inputs, node.attrs["axis"]
    if a is None and i is not None:
        return i if axis is None else axis + i
    if i is None and a is not None and axis is not None and a != axis:
        return a if a < axis else a + len(idx.shape) - 1
    _fail(node, "it gathers along the batch axis")


def _scatter_add(node, ins, batch):
    g, i = ins
    if g is not None and i is not None:
        return SUM  # rows of the batch added into a batch-free table: an embedding's gradient
    _fail(node, "a scatter whose rows are not the batch")


def _conv_filter(node, ins, batch):
    if ins == [0, 0]:
        return SUM
    _fail(node, "a filter gradient whose batch axes differ")


def _keep0(node, ins, batch):
    if ins[0] == 0 and all(a is None for a in ins[1:]):
        return 0
    _fail(node, "its batch is not the leading axis of its first operand")


def _pad(node, ins, batch):
    (a,) = ins
    if node.attrs["pad_width"][2 * a:2 * a + 2] != (0, 0):
        _fail(node, "it pads the batch axis")
    return a


def _concatenate(node, ins, batch):
    if len(set(ins)) != 1 or ins[0] == node.attrs["axis"]:
        _fail(node, "it joins along the batch axis or joins batched and batch-free values")
    return ins[0]


def _einsum(node, ins, batch):
    terms, out = parse_subscripts(node.attrs["subscripts"], len(ins))
    letters = {t[a] for t, a in zip(terms, ins) if a is not None}
    if len(letters) != 1:
        _fail(node, "its operands carry the batch under different letters")
    letter = letters.pop()
    if any(a is None and letter in t for t, a in zip(terms, ins)):
        _fail(node, "a batch-free operand shares the batch letter")
    return out.index(letter) if letter in out else SUM


RULES = {
    "sum": _reduce, "mean": _reduce, "max": _reduce, "logsumexp": _reduce,
    "softmax": _reduce, "log_softmax": _reduce, "sum_to": _sum_to, "broadcast_to": _broadcast,
    "reshape": _reshape, "transpose": _transpose, "slice": _slice, "matmul": _matmul,
    "take": _take, "scatter_add": _scatter_add, "conv_filter_grad": _conv_filter,
    "pad": _pad, "concatenate": _concatenate, "einsum": _einsum,
    **dict.fromkeys(KEEP_AXIS0, _keep0),
}
