"""User mistakes: each raises the right GraphError subclass with a message naming what went wrong.

An op error names the op, every operand shape and this file (the user's code, found by
`user_site()`); no mistake may escape as a bare KeyError, IndexError, AssertionError or numpy error.
"""
import os

import numpy as np
import pytest

import graphgrad as gg
from graphgrad import DTypeError, GraphError, ShapeError

FILE = os.path.basename(__file__)


def xs(*specs):
    """Inputs x0, x1, ... of one fresh graph; a spec is a shape or (shape, dtype)."""
    g = gg.Graph("g")
    out = []
    for i, spec in enumerate(specs):
        shape, dtype = spec if isinstance(spec, tuple) and spec and isinstance(spec[-1], str) \
            else (spec, "float64")
        out.append(g.input(f"x{i}", shape, dtype))
    return out


def x(*shape, dtype="float64"):
    return xs((shape, dtype))[0]


def add_node(op, shapes, attrs=None, **kw):
    tensors = xs(*shapes)
    graph = tensors[0].graph if tensors else gg.Graph("g")
    return graph.add(op, [t.value for t in tensors], attrs, **kw)


def trace(fn):
    return gg.function(fn)


def two_graphs():
    a, b = x(3), x(3)
    return a + b


def where_mismatch():
    c, a, b = xs((2,), (3,), (3,))
    return gg.where(c > 0, a, b)


def bad_annotation():
    def f(x: int):
        return x
    return trace(f)


def missing_annotation():
    def f(x):
        return x
    return trace(f)


def var_args():
    def f(*xs: gg.f64[3]):
        return xs[0]
    return trace(f)


def returns_number():
    def f(x: gg.f64[3]):
        return 1.0
    return trace(f)


def bad_output_key():
    def f(x: gg.f64[3]):
        return {"a b": x}
    return trace(f)


def returns_nothing():
    def f(x: gg.f64[3]):
        return {}
    return trace(f)


def duplicate_input():
    g = gg.Graph("g")
    g.input("x", (3,))
    g.input("x", (4,))


def duplicate_output():
    t = x(3)
    t.graph.output("out", t)
    t.graph.output("out", t)


def if_tensor():
    t = x(3)
    if t:
        pass


def constant_outside_graph():
    return gg.exp(np.ones(3))


def ragged_constant():
    t = x(3)
    with t.graph:
        return gg.constant([1.0, [2.0, 3.0]])


CASES = [  # (id, action, exception type, key words of the message)
    ("matmul_inner", lambda: (lambda a, b: a @ b)(*xs((3, 4), (5, 6))), ShapeError,
     ["matmul", "(3, 4)", "(5, 6)", "inner", FILE]),
    ("matmul_scalar", lambda: (lambda a, b: a @ b)(*xs((3,), ())), ShapeError,
     ["matmul", "(3,)", "()", FILE]),
    ("matmul_batch", lambda: (lambda a, b: a @ b)(*xs((2, 3, 4), (5, 4, 2))), ShapeError,
     ["matmul", "(2, 3, 4)", "(5, 4, 2)", "broadcast", FILE]),
    ("add_broadcast", lambda: (lambda a, b: a + b)(*xs((3, 4), (5,))), ShapeError,
     ["add", "(3, 4)", "(5,)", "broadcast", FILE]),
    ("maximum_broadcast", lambda: gg.maximum(*xs((2, 1, 3), (4, 2))), ShapeError,
     ["maximum", "(2, 1, 3)", "(4, 2)", FILE]),
    ("where_broadcast", where_mismatch, ShapeError, ["where", "(2,)", "(3,)", FILE]),
    ("reshape_size", lambda: x(3, 4).reshape(5), ShapeError, ["reshape", "(3, 4)", "(5,)", FILE]),
    ("reshape_two_unknown", lambda: x(3, 4).reshape(-1, -1), ShapeError,
     ["reshape", "(3, 4)", "-1", FILE]),
    ("reshape_indivisible", lambda: x(3, 4).reshape(5, -1), ShapeError,
     ["reshape", "(3, 4)", "(5, -1)", FILE]),
    ("reshape_negative", lambda: x(3, 4).reshape(-2, -6), ShapeError, ["reshape", "(3, 4)", FILE]),
    ("sum_axis_range", lambda: x(3, 4).sum(axis=2), ShapeError, ["sum", "(3, 4)", "axis 2", FILE]),
    ("mean_negative_axis", lambda: gg.mean(x(3, 4), axis=-3), ShapeError,
     ["mean", "(3, 4)", "axis -3", FILE]),
    ("sum_repeated_axis", lambda: x(3, 4).sum(axis=(0, -2)), ShapeError,
     ["sum", "(3, 4)", "repeated", FILE]),
    ("sum_axis_float", lambda: x(3, 4).sum(axis=1.5), GraphError, ["sum", "(3, 4)", "1.5", FILE]),
    ("max_empty_axis", lambda: x(0, 3).max(axis=0), ShapeError, ["max", "(0, 3)", "empty", FILE]),
    ("softmax_axis", lambda: gg.softmax(x(3), axis=1), ShapeError, ["softmax", "(3,)", "axis 1", FILE]),
    ("log_softmax_scalar", lambda: gg.log_softmax(x()), ShapeError, ["log_softmax", "()", FILE]),
    ("transpose_repeat", lambda: x(2, 3).transpose(0, 0), ShapeError,
     ["transpose", "(2, 3)", "permutation", FILE]),
    ("transpose_count", lambda: x(2, 3, 4).transpose(1, 0), ShapeError,
     ["transpose", "(2, 3, 4)", FILE]),
    ("broadcast_to", lambda: gg.broadcast_to(x(3), (4,)), ShapeError,
     ["broadcast_to", "(3,)", "(4,)", FILE]),
    ("broadcast_to_negative", lambda: gg.broadcast_to(x(3), (-1, 3)), ShapeError,
     ["broadcast_to", "(3,)", "negative", FILE]),
    ("concatenate_dims", lambda: gg.concatenate(xs((2, 3), (2, 4)), axis=0), ShapeError,
     ["concatenate", "(2, 3)", "(2, 4)", FILE]),
    ("concatenate_ndim", lambda: gg.concatenate(xs((2, 3), (2, 3, 1)), axis=0), ShapeError,
     ["concatenate", "(2, 3)", "(2, 3, 1)", FILE]),
    ("concatenate_scalar", lambda: gg.concatenate(xs((), ())), ShapeError,
     ["concatenate", "()", "zero-dimensional", FILE]),
    ("concatenate_axis", lambda: gg.concatenate(xs((2, 3)), axis=2), ShapeError,
     ["concatenate", "(2, 3)", "axis 2", FILE]),
    ("concatenate_empty", lambda: gg.concatenate([]), GraphError, ["concatenate", "at least one"]),
    ("index_bounds", lambda: x(3, 4)[3], ShapeError, ["slice", "(3, 4)", "index 3", "size 3", FILE]),
    ("index_negative_bounds", lambda: x(3, 4)[:, -5], ShapeError, ["slice", "(3, 4)", "-5", FILE]),
    ("too_many_indices", lambda: x(3)[0, 0], ShapeError, ["slice", "(3,)", "too many", FILE]),
    ("slice_step_zero", lambda: x(3)[::0], ShapeError, ["slice", "(3,)", "step", "zero", FILE]),
    ("slice_float_bound", lambda: x(3)[1:2.5], GraphError, ["slice", "(3,)", "2.5", FILE]),
    ("index_newaxis", lambda: x(3)[None], GraphError, ["unsupported index", "None"]),
    ("index_float", lambda: x(3)[1.5], GraphError, ["unsupported index", "1.5"]),
    ("index_bool", lambda: x(3)[True], GraphError, ["unsupported index", "True"]),
    ("two_ellipses", lambda: x(3, 4)[..., ...], GraphError, ["one Ellipsis"]),
    ("mixed_add", lambda: (lambda a, b: a + b)(*xs(((3,), "float32"), ((3,), "float64"))), DTypeError,
     ["add", "(3,)", "float32", "float64", "astype", FILE]),
    ("mixed_matmul", lambda: (lambda a, b: a @ b)(*xs(((2, 3), "float64"), ((3, 2), "float32"))),
     DTypeError, ["matmul", "(2, 3)", "(3, 2)", "float64", "float32", FILE]),
    ("mixed_concatenate", lambda: gg.concatenate(xs(((2,), "float32"), ((2,), "float64"))),
     DTypeError, ["concatenate", "(2,)", "float32", "float64", FILE]),
    ("bool_arithmetic", lambda: (x(3) > 0) + 1.0, DTypeError, ["add", "(3,)", "bool", FILE]),
    ("bool_exp", lambda: gg.exp(x(2, 2) < 0), DTypeError, ["exp", "(2, 2)", "bool", FILE]),
    ("where_float_condition", lambda: gg.where(*xs((3,), (3,), (3,))), DTypeError,
     ["where", "(3,)", "bool", "float64", FILE]),
    ("int8_input", lambda: gg.Graph("g").input("x", (3,), "int8"), DTypeError, ["int8", "float32"]),
    ("uint8_spec", lambda: gg.TensorSpec((3,), "uint8"), DTypeError, ["uint8"]),
    ("astype_int16", lambda: x(3).astype("int16"), DTypeError, ["int16"]),
    ("complex_constant", lambda: x(3) + np.array([1j, 2j, 3j]), DTypeError, ["complex128"]),
    ("string_operand", lambda: x(3) + "abc", DTypeError, ["<U3"]),
    ("none_operand", lambda: x(3) * None, DTypeError, ["object"]),
    ("ragged_constant", ragged_constant, DTypeError, ["list"]),
    ("bad_annotation", bad_annotation, GraphError, ["f", "'x'", "annotation", "int"]),
    ("missing_annotation", missing_annotation, GraphError, ["f", "'x'", "annotation"]),
    ("var_args", var_args, GraphError, ["f", "*xs"]),
    ("returns_number", returns_number, GraphError, ["f", "'out'", "float"]),
    ("returns_nothing", returns_nothing, GraphError, ["f", "nothing"]),
    ("bad_output_key", bad_output_key, GraphError, ["'a b'", "identifier"]),
    ("duplicate_input", duplicate_input, GraphError, ["'x'", "already"]),
    ("duplicate_output", duplicate_output, GraphError, ["'out'", "already"]),
    ("input_name", lambda: gg.Graph("g").input("1x", (3,)), GraphError, ["'1x'", "identifier"]),
    ("input_name_keyword", lambda: gg.Graph("g").input("lambda", (3,)), GraphError, ["'lambda'"]),
    ("output_name", lambda: x(3).graph.output("class", x(3)), GraphError, ["'class'"]),
    ("graph_name", lambda: gg.Graph("my graph"), GraphError, ["'my graph'", "identifier"]),
    ("input_shape", lambda: gg.Graph("g").input("x", (3, -1)), ShapeError, ["'x'", "negative"]),
    ("input_shape_huge", lambda: gg.Graph("g").input("x", (10 ** 30,)), ShapeError, ["'x'", "too large"]),
    ("input_shape_type", lambda: gg.Graph("g").input("x", (3, "a")), ShapeError, ["'x'", "'a'"]),
    ("other_graph", two_graphs, GraphError, ["add", "belongs to graph"]),
    ("if_tensor", if_tensor, GraphError, ["truth value", "where"]),
    ("iterate_tensor", lambda: list(x(3)), GraphError, ["iterated"]),
    ("numpy_function", lambda: np.exp(x(3)), GraphError, ["numpy functions", "gg.exp"]),
    ("numpy_ufunc_call", lambda: np.add(np.ones(3), x(3)), GraphError, ["numpy functions"]),
    ("float_of_tensor", lambda: float(x()), GraphError, ["float()"]),
    ("astype_tensor", lambda: x(3).astype(x(3)), DTypeError, ["unsupported dtype", "Tensor"]),
    ("where_string_branch", lambda: gg.where(x(3) > 0, "a", 1.0), DTypeError, ["<U1"]),
    ("complex_with_dtype", lambda: gg.constant(1j, "float64", graph=gg.Graph("g")), DTypeError,
     ["complex128"]),
    ("concatenate_tensor", lambda: gg.concatenate(x(2, 3)), GraphError, ["list or tuple", "Tensor"]),
    ("concatenate_number", lambda: gg.concatenate(5), GraphError, ["list or tuple", "int"]),
    ("transpose_float_axes", lambda: gg.transpose(x(2, 3), 1.5), GraphError, ["transpose", "1.5"]),
    ("float_index_array", lambda: x(3, 4)[np.array([0.0, 1.0])], DTypeError, ["indices", "float64"]),
    ("two_index_arrays", lambda: x(3, 4)[np.array([0]), np.array([1]), ...], GraphError,
     ["one integer index array"]),
    ("bool_mask_index", lambda: x(3, 4)[np.array([True, False, True])], GraphError, ["mask"]),
    ("tensor_exponent", lambda: (lambda a, b: a ** b)(*xs((3,), (3,))), GraphError,
     ["power", "exponent"]),
    ("tensor_as_base", lambda: 2.0 ** x(3), GraphError, ["exponent"]),
    ("bool_exponent", lambda: x(3) ** True, GraphError, ["power", "bool"]),
    ("constant_outside_graph", constant_outside_graph, GraphError, ["outside a graph"]),
    ("gg_constant_outside_graph", lambda: gg.constant(1.0), GraphError, ["constant", "graph"]),
    ("unknown_op", lambda: add_node("conv2d", [(3,)]), GraphError, ["unknown op", "'conv2d'"]),
    ("op_not_a_string", lambda: add_node(["exp"], [(3,)]), GraphError, ["unknown op"]),
    ("arity", lambda: add_node("matmul", [(3, 3)]), GraphError, ["matmul", "2", "got 1"]),
    ("missing_attribute", lambda: add_node("sum", [(3,)], {}), GraphError,
     ["sum", "missing", "axis", FILE]),
    ("unknown_attribute", lambda: add_node("exp", [(3,)], {"axis": 0}), GraphError,
     ["exp", "unknown", "axis", FILE]),
    ("bad_role", lambda: add_node("exp", [(3,)], role="sideways"), GraphError, ["role", "sideways"]),
    ("eye_negative", lambda: add_node("eye", [], {"n": -1, "dtype": "float64"}), ShapeError,
     ["eye", "-1", FILE]),
    ("sum_to", lambda: add_node("sum_to", [(3, 4)], {"shape": (5,)}), ShapeError,
     ["sum_to", "(3, 4)", "(5,)", FILE]),
    ("unslice_fit", lambda: add_node("unslice", [(2,)], {"index": ((0, 3, 1),), "shape": (5,)}),
     ShapeError, ["unslice", "(2,)", "(5,)", FILE]),
    ("kron_vector", lambda: add_node("kron", [(3,), (2, 2)]), ShapeError, ["kron", "(3,)", "(2, 2)", FILE]),
    ("diag_matrix", lambda: add_node("diag", [(2, 2)]), ShapeError, ["diag", "(2, 2)", FILE]),
    ("cast_attribute", lambda: add_node("cast", [(2,)], {"dtype": "int8"}), DTypeError,
     ["cast", "(2,)", "int8", FILE]),
    ("power_nan_exponent", lambda: add_node("power", [(2,)], {"exponent": float("nan")}), GraphError,
     ["power", "(2,)", "finite", FILE]),
    # the models' ops
    ("kernel_larger_than_padded_input", lambda: gg.conv2d(*xs((1, 1, 2, 2), (1, 1, 3, 3))), ShapeError,
     ["conv", "(1, 1, 2, 2)", "(1, 1, 3, 3)", "larger than the padded input", FILE]),
    ("channels_not_divisible_by_groups", lambda: gg.conv2d(*xs((1, 3, 4, 4), (2, 1, 3, 3)), groups=2),
     ShapeError, ["conv", "(1, 3, 4, 4)", "(2, 1, 3, 3)", "groups=2", FILE]),
    ("float_index_tensor", lambda: gg.take(*xs((3, 4), ((2,), "float64")), axis=0), DTypeError,
     ["take", "(3, 4)", "(2,)", "integer", FILE]),
    ("take_along_axis_out_of_range", lambda: gg.take_along_axis(*xs((3, 4), ((3, 1), "int64")), axis=2),
     ShapeError, ["take_along_axis", "(3, 4)", "(3, 1)", "axis 2", FILE]),
    ("conv_rank", lambda: gg.conv2d(*xs((3, 4, 4), (2, 3, 3, 3))), ShapeError, ["conv2d", "(3, 4, 4)"]),
    ("pool_kernel_type", lambda: gg.max_pool2d(x(1, 1, 4, 4), 1.5), GraphError, ["max_pool2d", "1.5"]),
    ("one_hot_float_labels", lambda: gg.one_hot(x(3), 4), DTypeError, ["one_hot", "float64"]),
    ("einsum_ellipsis", lambda: gg.einsum("...i->i", x(3)), ShapeError, ["einsum", "ellipsis", FILE]),
]


def test_enough_cases():
    assert len(CASES) >= 30 and len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("action, error, words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_user_mistake_is_reported(action, error, words):
    with pytest.raises(GraphError) as info:
        action()
    assert type(info.value) is error, f"{type(info.value).__name__}: {info.value}"
    message = str(info.value)
    missing = [w for w in words if w not in message]
    assert not missing, f"{missing} not in {message!r}"
    assert "\n" not in message


def test_shape_error_points_at_the_users_line():
    a, b = xs((3, 4), (5, 6))
    line = test_shape_error_points_at_the_users_line.__code__.co_firstlineno + 4
    with pytest.raises(ShapeError, match=f"{FILE}:{line}"):
        a @ b
