"""Graphs for the picture tests: the seed network and a hand-written Jacobian-style backward.

The backward graph follows DESIGN.md's explicit form (flatten, Jᵀ·g with Kronecker and diagonal
Jacobians, reshape back) and is built node by node with role="backward", so that the pictures
can be tested independently of the autodiff pass.
"""
import graphgrad as gg


def seed_forward(n=4, d_in=5, h=3, d_out=2, name="two_layer"):
    """The seeds' two-layer network: loss = sum((relu(x @ w1) @ w2 - y)²)."""
    g = gg.Graph(name)
    x, y = g.input("x", (n, d_in)), g.input("y", (n, d_out))
    w1, w2 = g.input("w1", (d_in, h)), g.input("w2", (h, d_out))
    with g:
        hh = x @ w1
        hh.name = "h"
        h_relu = gg.maximum(hh, 0)
        h_relu.name = "h_relu"
        y_pred = h_relu @ w2
        y_pred.name = "y_pred"
        loss = gg.sum(gg.square(y_pred - y))
        loss.name = "loss"
    g.output("loss", loss)
    return g


def _vjp(g, jac, grad, shape):
    """reshape(Jᵀ · vec(grad), shape): the explicit Jacobian-transpose product."""
    flat = g.add("reshape", [grad], {"shape": (-1,)}, role="backward")
    jt = g.add("transpose", [jac], {"axes": None}, role="backward")
    prod = g.add("matmul", [jt, flat], role="backward")
    return g.add("reshape", [prod], {"shape": shape}, role="backward")


def seed_jacobian_backward(n=4, d_in=5, h=3, d_out=2):
    """The seed network with a hand-built Jacobian-style backward and outputs grad_w1, grad_w2."""
    g = seed_forward(n, d_in, h, d_out)
    nodes = {node.name: node for node in g.nodes if node.name}
    x, w2 = g.input_values["x"], g.input_values["w2"]
    b = dict(role="backward")
    one = g.add("constant", [], {"value": __import__("numpy").array(1.0)}, **b)
    g_sq = g.add("broadcast_to", [one], {"shape": (n, d_out)}, **b)
    diff = nodes["y_pred"].graph.nodes[nodes["y_pred"].id + 1]  # y_pred - y
    two = g.add("constant", [], {"value": __import__("numpy").array(2.0)}, **b)
    two_d = g.add("multiply", [two, diff], **b)
    d_sq = g.add("diag", [g.add("reshape", [two_d], {"shape": (-1,)}, **b)], **b)
    g_pred = _vjp(g, d_sq, g_sq, (n, d_out))
    eye_out, eye_n = (g.add("eye", [], {"n": k, "dtype": "float64"}, **b) for k in (d_out, n))
    j_w2 = g.add("kron", [nodes["h_relu"], eye_out], **b)
    grad_w2 = _vjp(g, j_w2, g_pred, (h, d_out))
    w2t = g.add("transpose", [w2], {"axes": None}, **b)
    g_relu = _vjp(g, g.add("kron", [eye_n, w2t], **b), g_pred, (n, h))
    mask = g.add("cast", [g.add("greater", [nodes["h"], g.add("constant", [], {
        "value": __import__("numpy").array(0.0)}, **b)], **b)], {"dtype": "float64"}, **b)
    j_relu = g.add("diag", [g.add("reshape", [mask], {"shape": (-1,)}, **b)], **b)
    g_h = _vjp(g, j_relu, g_relu, (n, h))
    eye_h = g.add("eye", [], {"n": h, "dtype": "float64"}, **b)
    grad_w1 = _vjp(g, g.add("kron", [x, eye_h], **b), g_h, (d_in, h))
    grad_w1.name, grad_w2.name = "grad_w1", "grad_w2"
    g.output("grad_w1", grad_w1)
    g.output("grad_w2", grad_w2)
    g.gradients.update(grad_w1=("w1", 1), grad_w2=("w2", 1))  # hand-built: say which are gradients
    return g


def tanh_chain(layers=300, width=4):
    """A deep chain h = tanh(h @ w_i) with one weight input per layer."""
    g = gg.Graph("tanh_chain")
    h = g.input("x", (2, width))
    with g:
        for i in range(layers):
            h = gg.tanh(h @ g.input(f"w{i}", (width, width)))
        g.output("out", gg.sum(h))
    return g


def small_jacobian():
    """A ten-node graph with every kind of value: loss = sum(x @ w), grad_w = (x ⊗ I₂)ᵀ vec(G)."""
    import numpy as np

    g = gg.Graph("small")
    x, w = g.input("x", (2, 3)), g.input("w", (3, 2))
    h = g.add("matmul", [x, w], name="h")
    loss = g.add("sum", [h], {"axis": None, "keepdims": False}, name="loss")
    b = dict(role="backward")
    seed = g.add("broadcast_to", [g.add("constant", [], {"value": np.array(1.0)}, **b)],
                 {"shape": (2, 2)}, **b)
    jac = g.add("kron", [x, g.add("eye", [], {"n": 2, "dtype": "float64"}, **b)], **b)
    grad_w = _vjp(g, jac, seed, (3, 2))
    grad_w.name = "grad_w"
    g.output("loss", loss)
    g.output("grad_w", grad_w)
    g.gradients["grad_w"] = ("w", 1)
    return g


def tanh_chain_with_backward(layers=300, width=4):
    """tanh_chain plus a hand-written reverse pass (VJP form) and outputs grad_w0 … grad_w{n-1}."""
    import numpy as np

    g = tanh_chain(layers, width)
    b = dict(role="backward")
    tanhs = [n for n in g.nodes if n.op == "tanh"]
    one = g.add("constant", [], {"value": np.array(1.0)}, **b)
    grad = g.add("broadcast_to", [one], {"shape": tanhs[-1].shape}, **b)
    grads = {}
    for t in reversed(tanhs):
        a = t.inputs[0]  # h_prev @ w_i
        h_prev, w = a.inputs
        slope = g.add("subtract", [g.add("constant", [], {"value": np.array(1.0)}, **b),
                                   g.add("square", [t], **b)], **b)
        da = g.add("multiply", [grad, slope], **b)
        grads[w.name] = g.add("matmul", [g.add("transpose", [h_prev], {"axes": None}, **b), da], **b)
        grad = g.add("matmul", [da, g.add("transpose", [w], {"axes": None}, **b)], **b)
    for i in range(layers):
        g.output(f"grad_w{i}", grads[f"w{i}"])
        g.gradients[f"grad_w{i}"] = (f"w{i}", 1)
    return g


def rnn(steps=20, batch=4, d_in=3, hidden=5):
    """h = tanh(x[t] @ wx + h @ wh + b) over `steps` slices of one input x, loss at the end:
    the issue's RNN (with --wrt wx,wh,b it is 363 nodes after optimize)."""
    g = gg.Graph("rnn")
    x = g.input("x", (steps, batch, d_in))
    wx, wh, b = g.input("wx", (d_in, hidden)), g.input("wh", (hidden, hidden)), g.input("b", (hidden,))
    h, y = g.input("h0", (batch, hidden)), g.input("y", (batch, hidden))
    with g:
        for t in range(steps):
            h = gg.tanh(x[t] @ wx + h @ wh + b)
        g.output("loss", gg.sum(gg.square(h - y)))
    return g


def attention(batch=2, tokens=4, width=8):
    """softmax(q @ kᵀ / sqrt(d)) @ v with q, k, v = x·w (matmuls, reshapes, transposes)."""
    import numpy as np

    g = gg.Graph("attention")
    x = g.input("x", (batch, tokens, width))
    ws = [g.input(n, (width, width)) for n in ("wq", "wk", "wv")]
    with g:
        flat = x.reshape(batch * tokens, width)
        q, k, v = ((flat @ w).reshape(batch, tokens, width) for w in ws)
        out = gg.softmax(q @ k.transpose(0, 2, 1) / np.sqrt(width), axis=-1) @ v
        g.output("loss", gg.sum(gg.square(out[:, 1:, 2:7])))
    return g


def varied_mlp(layers, batch=2):
    """tanh layers of widths 3, 4, 5, …: no two layers alike, so nothing collapses."""
    g = gg.Graph("varied")
    h = g.input("x", (batch, 3))
    with g:
        for i in range(layers):
            h = gg.tanh(h @ g.input(f"w{i}", (3 + i, 4 + i)))
        g.output("loss", gg.sum(h * h))
    return g
