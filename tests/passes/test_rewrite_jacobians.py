"""The flatten/reshape pass: explicit Kronecker and diagonal Jacobian products become compact ones.

Hand-built graphs in exactly the form `gg.grad(style="jacobian")` writes, and real gradients.
Every test checks the structure (ops left) and the numbers (evaluate before and after).
"""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import graphgrad as gg
from graphgrad.passes import rewrite_jacobians
from graphgrad.passes.rewrite_jacobians import RULES


def values(g, seed=0):
    rng = np.random.default_rng(seed)
    args = {n: rng.standard_normal(s.shape).astype(s.dtype) for n, s in g.inputs.items()}
    out = gg.evaluate(g, **args)
    return args, out if isinstance(out, tuple) else (out,)


def assert_same_values(before, after, rtol=1e-12):
    for seed in (0, 1):
        _, a = values(before, seed)
        _, b = values(after, seed)
        assert len(a) == len(b)
        for x, y in zip(a, b):
            np.testing.assert_allclose(y, x, rtol=rtol, atol=1e-12)


def ops(g):
    return [n.op for n in g.nodes]


def rewritten(g):
    """Rewrite, and check what every test wants: verified, pure, no Jacobian op left, same values."""
    text = str(g)
    new = rewrite_jacobians(g)
    new.verify()
    assert str(g) == text, "the pass mutated its input"
    assert not set(ops(new)) & gg.JACOBIAN_OPS
    assert new.passes == g.passes + ("rewrite-jacobians",)
    assert_same_values(g, new)
    return new


def product(g, jac, grad, shape):
    """The fixed form of gg.grad(style="jacobian"): reshape(matmul(Jᵀ, vec(G)), shape)."""
    n = int(np.prod(grad.shape))
    jt = g.add("transpose", [jac], {"axes": (1, 0)}, role="backward")
    vec = g.add("reshape", [grad], {"shape": (n,)}, role="backward")
    return g.add("reshape", [g.add("matmul", [jt, vec], role="backward")], {"shape": shape},
                 role="backward", name="grad_w")


def test_kron_with_identity_right_factor_becomes_at_g():
    # Y = A @ B, A (3,4), B (4,5): dB = reshape(kron(A, I5)ᵀ vec(G), (4,5)) = Aᵀ G
    g = gg.Graph("db")
    a, gy = g.input("a", (3, 4)), g.input("gy", (3, 5))
    jac = g.add("kron", [a, g.add("eye", (), {"n": 5, "dtype": "float64"})])
    g.output("db", product(g, jac, gy, (4, 5)))
    new = rewritten(g)
    assert ops(new) == ["transpose", "matmul"]
    assert "matmul %0, %gy" in str(new)
    args, (db,) = values(new)
    np.testing.assert_allclose(db, args["a"].T @ args["gy"], rtol=1e-12)


def test_kron_with_identity_left_factor_becomes_g_bt():
    # dA = reshape(kron(I3, Bᵀ)ᵀ vec(G), (3,4)) = G Bᵀ, with the Bᵀ node shared by the pattern
    g = gg.Graph("da")
    b, gy = g.input("b", (4, 5)), g.input("gy", (3, 5))
    bt = g.add("transpose", [b], {"axes": (1, 0)})
    jac = g.add("kron", [g.add("eye", (), {"n": 3, "dtype": "float64"}), bt])
    g.output("da", product(g, jac, gy, (3, 4)))
    new = rewritten(g)
    assert ops(new) == ["transpose", "matmul"]
    assert str(new).splitlines()[2].strip().startswith("%1:f64[3,4] = matmul %gy, %0")
    args, (da,) = values(new)
    np.testing.assert_allclose(da, args["gy"] @ args["b"].T, rtol=1e-12)


def test_general_kron_becomes_at_g_b_and_matches_numpy_kron():
    g = gg.Graph("general")
    a, b, gy = g.input("a", (3, 4)), g.input("b", (2, 5)), g.input("gy", (3, 2))
    g.output("out", product(g, g.add("kron", [a, b]), gy, (4, 5)))
    new = rewritten(g)
    assert sorted(ops(new)) == ["matmul", "matmul", "transpose"]
    args, (out,) = values(new)
    expected = np.kron(args["a"], args["b"]).T @ args["gy"].reshape(-1)
    np.testing.assert_allclose(out, expected.reshape(4, 5), rtol=1e-12)


@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(1, 4),
       st.booleans(), st.booleans())
def test_kron_identity_holds_for_any_shapes(p, q, r, s, eye_a, eye_b):
    """(A ⊗ B)ᵀ vec(G) = vec(Aᵀ G B) for random factor shapes, identity factors included."""
    g = gg.Graph("any")
    a = g.add("eye", (), {"n": p, "dtype": "float64"}) if eye_a else g.input("a", (p, q))
    b = g.add("eye", (), {"n": r, "dtype": "float64"}) if eye_b else g.input("b", (r, s))
    gy = g.input("gy", (p, r))
    g.output("out", product(g, g.add("kron", [a, b]), gy, (a.shape[1], b.shape[1])))
    new = rewritten(g)
    assert ops(new).count("matmul") == (not eye_a) + (not eye_b)


def test_kron_times_vector_and_vector_times_kron():
    # (A ⊗ B) vec(X) = vec(A X Bᵀ) and vec(X)ᵀ (A ⊗ B) = vec(Aᵀ X B)
    g = gg.Graph("plain")
    a, b = g.input("a", (3, 4)), g.input("b", (2, 5))
    u, w = g.input("u", (20,)), g.input("w", (6,))
    k = g.add("kron", [a, b])
    g.output("right", g.add("matmul", [k, u]))
    g.output("left", g.add("matmul", [w, k]))
    new = rewritten(g)
    assert "kron" not in str(new) and ops(new).count("reshape") == 4


def test_elementwise_diag_becomes_multiply_g_first():
    # diag(vec(d))ᵀ vec(G) reshaped back = G ⊙ d: exactly the VJP style's multiply(G, d)
    g = gg.Graph("tanh")
    x, gy = g.input("x", (4, 3)), g.input("gy", (4, 3))
    d = g.add("subtract", [g.add("constant", (), {"value": np.asarray(1.0)}),
                           g.add("square", [g.add("tanh", [x])])])
    flat = g.add("reshape", [d], {"shape": (12,)})
    g.output("dx", product(g, g.add("diag", [flat]), gy, (4, 3)))
    new = rewritten(g)
    assert ops(new) == ["constant", "tanh", "square", "subtract", "multiply"]
    assert new.nodes[-1].inputs == (new.input_values["gy"], new.nodes[3])
    assert new.nodes[-1].name == "grad_w" and new.nodes[-1].role == "backward"


def test_broadcast_partial_loses_its_broadcast_and_keeps_sum_to():
    # y = x * w with x (4,3), w (3,): dw = sum_to(G ⊙ broadcast_to(x), (3,)) -> sum_to(G ⊙ x)
    g = gg.Graph("bcast")
    x, gy = g.input("x", (4, 3)), g.input("gy", (4, 3))
    w = g.input("w", (3,))
    d_full = g.add("broadcast_to", [w], {"shape": (4, 3)})
    contribution = product(g, g.add("diag", [g.add("reshape", [d_full], {"shape": (12,)})]), gy, (4, 3))
    g.output("dx", contribution)
    g.output("dw", g.add("sum_to", [product(g, g.add("diag", [g.add("reshape", [x], {"shape": (12,)})]),
                                              gy, (4, 3))], {"shape": (3,)}))
    new = rewritten(g)
    assert ops(new) == ["multiply", "multiply", "sum_to"]
    assert "multiply %gy, %w" in str(new) and "multiply %gy, %x" in str(new)


def test_diag_with_matrix_operands_scales_rows_and_columns():
    # diag(v) U = U ⊙ v[:, None] and U diag(v) = U ⊙ v
    g = gg.Graph("scale")
    v, u = g.input("v", (3,)), g.input("u", (3, 3))
    dv = g.add("diag", [v])
    g.output("rows", g.add("matmul", [dv, u]))
    g.output("cols", g.add("matmul", [u, dv]))
    g.output("vec", g.add("matmul", [g.add("transpose", [dv], {"axes": (1, 0)}), v]))
    new = rewritten(g)
    assert ops(new) == ["reshape", "multiply", "multiply", "multiply"]


def test_identity_matmuls_are_dropped():
    g = gg.Graph("eyes")
    x = g.input("x", (3, 4))
    left = g.add("matmul", [g.add("eye", (), {"n": 3, "dtype": "float64"}), x])
    g.output("out", g.add("matmul", [left, g.add("transpose", [g.add("eye", (), {"n": 4, "dtype": "float64"})],
                                                {"axes": (1, 0)})]))
    new = rewritten(g)
    assert len(new) == 0 and new.output_values["out"] is new.input_values["x"]


@pytest.mark.parametrize("build, why", [
    (lambda g, v, m: g.output("j", g.add("diag", [v])), "output 'j'"),
    (lambda g, v, m: g.output("s", g.add("add", [g.add("diag", [v]), m])), "(add)"),
    (lambda g, v, m: g.output("s", g.add("sum", [g.add("kron", [m, m])], {"axis": None, "keepdims": False})),
     "(sum)"),
])
def test_a_jacobian_without_compact_form_is_an_error_naming_it(build, why):
    g = gg.Graph("left")
    v, m = g.input("v", (3,)), g.input("m", (3, 3))
    build(g, v, m)
    with pytest.raises(gg.GraphError, match=r"rewrite-jacobians: (diag|kron) node %\d+ .*" + why.replace("(", r"\(").replace(")", r"\)")):
        rewrite_jacobians(g)


def test_every_rule_states_its_algebra():
    assert len(RULES) >= 15
    for rule in RULES.rules:
        assert "=" in rule.algebra and rule.replace is not None


def two_layer_net():
    @gg.function
    def net(x: gg.f64[6, 5], y: gg.f64[6, 3], w1: gg.f64[5, 4], w2: gg.f64[4, 3]):
        h_relu = gg.maximum(x @ w1, 0)
        return gg.sum(gg.square(h_relu @ w2 - y))
    return net


def mlp():
    @gg.function
    def net(x: gg.f64[6, 5], labels: gg.f64[6, 3], w1: gg.f64[5, 4], b1: gg.f64[4],
            w2: gg.f64[4, 3], b2: gg.f64[3]):
        h = gg.tanh(x @ w1 + b1)
        logits = h @ w2 + b2
        return -gg.mean(gg.sum(labels * gg.log_softmax(logits, axis=-1), axis=-1))
    return net


def cubic():
    @gg.function
    def fit(x: gg.f64[50], y: gg.f64[50], a: gg.f64[()], b: gg.f64[()], c: gg.f64[()], d: gg.f64[()]):
        return gg.sum((a + b * x + c * x ** 2 + d * x ** 3 - y) ** 2)
    return fit


@pytest.mark.parametrize("model", [two_layer_net, mlp, cubic])
def test_real_jacobian_gradients_are_rewritten_without_changing_values(model):
    g = gg.grad(model(), style="jacobian")
    assert set(ops(g)) & gg.JACOBIAN_OPS
    new = rewritten(g)
    for name in new.outputs:
        if name.startswith("grad_"):
            assert new.output_values[name].role == "backward"


def test_seed_size_kronecker_jacobian_disappears_before_anything_is_allocated():
    from examples.two_layer_net import two_layer_net as seed

    g = gg.grad(seed, wrt=["w1", "w2"], style="jacobian")
    big, node = gg.largest_intermediate(g)
    assert node.op == "kron" and big == 6400 * 100000 * 8
    new = rewrite_jacobians(g)
    small, _ = gg.largest_intermediate(new)
    assert small == 1000 * 100 * 8 and not set(ops(new)) & gg.JACOBIAN_OPS
    assert new.output_values["grad_w1"].name == "grad_w1"


@pytest.mark.parametrize("left", [True, False])
def test_a_kronecker_product_times_a_matrix_becomes_batched_matmuls(left):
    """(A ⊗ B) · M and M · (A ⊗ B) with M a matrix (whole Jacobians multiply matrices, not
    vectors): column by column, resp. row by row, the vector identities."""
    g = gg.Graph("kron_matrix")
    a, b = g.input("a", (2, 3)), g.input("b", (4, 5))
    m = g.input("m", (15, 6) if left else (6, 8))
    k = g.add("kron", [a, b])
    g.output("out", g.add("matmul", [k, m] if left else [m, k]))
    new = rewritten(g)
    assert not any(n.op in gg.JACOBIAN_OPS for n in new.nodes) and "matmul" in ops(new)
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(s.shape) for s in g.inputs.values()]
    want = np.kron(values[0], values[1]) @ values[2] if left else values[2] @ np.kron(values[0], values[1])
    np.testing.assert_allclose(gg.evaluate(new, *values), want, rtol=1e-12)
