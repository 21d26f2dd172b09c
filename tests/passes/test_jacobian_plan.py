"""The order in which jacobian multiplies per-op Jacobians: the matrix-chain DP, forward and
reverse accumulation as its two extremes, greedy elimination on a DAG, with FLOPs by hand."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import graphgrad as gg
from graphgrad.passes.transforms.elimination import DENSE, DIAGONAL, IDENTITY, Linearized, plan

jax.config.update("jax_enable_x64", True)


def chain_of(sizes, kinds=None):
    """A chain v0 -> v1 -> ... with dense (or given) Jacobians J_t = J[v_t, v_t-1]."""
    n = len(sizes)
    kinds = kinds or [DENSE] * (n - 1)
    lin = Linearized(list(sizes), [f"v{i}" for i in range(n)], [0], [n - 1])
    lin.edges = {(t, t - 1): kind for t, kind in enumerate(kinds, 1)}
    return lin


def test_three_matrices_the_dp_finds_forward_accumulation():
    # J3 (60×5) · J2 (5×30) · J1 (30×10): forward J3·(J2·J1) = 2·5·30·10 + 2·60·5·10 = 9,000;
    # reverse (J3·J2)·J1 = 2·60·5·30 + 2·60·30·10 = 54,000
    lin = chain_of([10, 30, 5, 60])
    p = plan(lin, "auto")
    assert (p.cost, p.costs) == (9000, {"fwd": 9000, "rev": 54000})
    assert p.parenthesization == "(J3 · (J2 · J1))" and "forward accumulation" in p.method
    assert plan(lin, "rev").cost == 54000 and plan(lin, "fwd").order == [1, 2]


def test_four_matrices_the_dp_splits_in_the_middle():
    # J4 (10×100) J3 (100×5) J2 (5×100) J1 (100×10): forward and reverse both cost
    # 2·5·100·10 + 2·100·5·10 + 2·10·100·10 = 40,000; (J4·J3)·(J2·J1) costs
    # 2·10·100·5 + 2·5·100·10 + 2·10·5·10 = 21,000, the optimum
    lin = chain_of([10, 100, 5, 100, 10])
    p = plan(lin, "auto")
    assert p.costs == {"fwd": 40000, "rev": 40000} and p.cost == 21000
    assert p.parenthesization == "((J4 · J3) · (J2 · J1))" and p.order == [1, 3, 2]
    assert [(s.k, s.j, s.i, s.flops) for s in p.steps] == [(2, 1, 0, 10000), (4, 3, 2, 10000), (4, 2, 0, 1000)]


def test_diagonal_and_identity_jacobians_cost_what_they_cost():
    # diag (50) · dense (50×20): 50·20 = 1,000; identity: free; diag · diag: 50
    lin = chain_of([20, 50, 50, 50, 50], [DENSE, DIAGONAL, IDENTITY, DIAGONAL])
    assert plan(lin, "fwd").cost == 1000 + 0 + 1000
    assert plan(lin, "rev").cost == 0 + 50 + 1000
    assert plan(lin, "auto").cost == 1050


def chain_graph(n_in, n_hidden, n_out):
    """y = B · tanh(A · x) with constant A (n_hidden × n_in) and B (n_out × n_hidden)."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((n_hidden, n_in)), rng.standard_normal((n_out, n_hidden))
    g = gg.Graph("chain")
    x = g.input("x", (n_in,))
    with g:
        g.output("y", gg.constant(b) @ gg.tanh(gg.constant(a) @ x))
    return g, (lambda x: b @ jnp.tanh(a @ x))


@pytest.mark.parametrize("n_in, n_out, method, cost, other", [
    # many inputs, few outputs: J[y,tanh]·diag = 2·50 = 100, then (2×50)(50×100) = 20,000;
    # forward: diag·A = 50·100 = 5,000, then B·(50×100) = 2·2·50·100 = 20,000
    (100, 2, "reverse accumulation", 20100, {"fwd": 25000, "rev": 20100}),
    # few inputs, many outputs: forward diag·A = 50·2 = 100, then B (100×50)·(50×2) = 20,000;
    # reverse: B·diag = 100·50 = 5,000, then (100×50)(50×2) = 20,000
    (2, 100, "forward accumulation", 20100, {"fwd": 20100, "rev": 25000}),
])
def test_auto_picks_the_cheaper_end_of_a_chain(n_in, n_out, method, cost, other):
    g, f = chain_graph(n_in, 50, n_out)
    jac, text = gg.jacobian(g, mode="auto", explain=True)
    p = jac.jacobian_plan
    assert method in p.method and p.cost == cost and p.costs == other
    assert f"{cost:,} FLOPs" in text and method in text and "chain: " in text
    x = np.linspace(-1, 1, n_in)
    want = jax.jacrev(f)(x)
    for graph in (jac, gg.optimize(jac)):
        np.testing.assert_allclose(gg.evaluate(graph, x)[1], want, rtol=1e-12)
    fwd, rev = gg.jacobian(g, mode="fwd").jacobian_plan, gg.jacobian(g, mode="rev").jacobian_plan
    assert (fwd.cost, rev.cost) == (other["fwd"], other["rev"])


def test_a_dag_gets_the_cheapest_of_greedy_forward_and_reverse():
    g = gg.Graph("dag")
    x, w = g.input("x", (6,)), g.input("w", (6, 4))
    with g:
        h = gg.tanh(x @ w)
        g.output("y", gg.sigmoid(h) * h + gg.sum(x * x))
    jac = gg.jacobian(g)
    p = jac.jacobian_plan
    assert p.cost <= min(p.costs.values()) and p.parenthesization is None
    assert any(m in p.method for m in ("greedy", "forward", "reverse"))
    xs = [np.linspace(-1, 1, 6), np.linspace(-0.5, 0.5, 24).reshape(6, 4)]

    def f(x, w):
        h = jnp.tanh(x @ w)
        return jax.nn.sigmoid(h) * h + jnp.sum(x * x)
    want = jax.jacrev(f, (0, 1))(*xs)
    for mode in ("auto", "fwd", "rev"):
        got = gg.evaluate(gg.optimize(gg.jacobian(g, mode=mode)), *xs)
        for a, e in zip(got[1:], want):
            np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-14)
