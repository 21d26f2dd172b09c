"""Newton's method for L2-regularized logistic regression, with generated Hessian code.

    python examples/newton.py          # 2000 points, 8 features: converges in a handful of steps

The graph `logistic` is the mean cross-entropy of labels t ∈ {0, 1} under p = sigmoid(X·w), plus
(λ/2)·|w|². `newton_step_graph()` appends its gradient (`gg.grad`) and then its Hessian
(`gg.hessian` of that gradient graph, `of="loss"`): outputs loss, grad_w and hessian_w_w, which
`gg.compile` turns into one numpy function. Each iteration solves H·Δ = -∇ and takes the full
step; the loss is convex, so Newton converges quadratically (the gradient norm squares).
"""
import numpy as np

import graphgrad as gg

LAMBDA = 1e-2


def logistic(n: int, d: int) -> gg.Graph:
    """The regularized logistic loss of weights w on data X (n, d), labels t (n,)."""
    @gg.function
    def logistic(X: gg.f64[n, d], t: gg.f64[n], w: gg.f64[d]):
        z = X @ w
        log_p, log_q = gg.log(gg.sigmoid(z)), gg.log(gg.sigmoid(-z))
        return {"loss": -gg.sum(t * log_p + (1 - t) * log_q) / n + 0.5 * LAMBDA * gg.sum(w * w)}
    return logistic


def newton_step_graph(n: int, d: int) -> gg.Graph:
    """loss, grad_w and hessian_w_w of the logistic loss: all one Newton step needs."""
    return gg.hessian(gg.grad(logistic(n, d), "w"), "w", of="loss")


def data(n: int, d: int, seed: int = 0):
    """Random features and labels drawn from a logistic model with random true weights."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    w_true = rng.standard_normal(d)
    t = (rng.random(n) < 1 / (1 + np.exp(-X @ w_true))).astype(np.float64)
    return X, t


def newton(n=2000, d=8, *, steps=20, tol=1e-10, seed=0, verbose=True):
    """Run Newton's method from w = 0; return the list of (loss, gradient norm) per iteration."""
    step = gg.compile(newton_step_graph(n, d))
    X, t = data(n, d, seed)
    w = np.zeros(d)
    history = []
    for k in range(steps):
        loss, grad, hess = step(X, t, w)
        history.append((float(loss), float(np.linalg.norm(grad))))
        if verbose:
            print(f"iteration {k}: loss {loss:.12f}   |grad| {history[-1][1]:.3e}")
        if history[-1][1] < tol:
            break
        w = w - np.linalg.solve(hess, grad)
    return history, w, step


def main() -> None:
    history, w, step = newton()
    print(f"converged in {len(history) - 1} Newton steps; w = {np.array2string(w, precision=4)}")
    print(f"\nthe generated step function ({len(step.source.splitlines())} lines):\n")
    print(step.source)


if __name__ == "__main__":
    main()
