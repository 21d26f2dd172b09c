"""A character-level transformer declared with gg.nn and trained with its exported numpy gradient
module (imported from the file), on the docstrings of a fixed list of Python standard-library
modules (shipped with every Python, so no download and the same text on every run of one Python).

    python -m examples.char_transformer           # default: width 64, context 32, batch 16, 600 steps, ~20 s
    python -m examples.char_transformer --full    # width 128, context 64, batch 16, 1500 steps, ~6 min

Token embedding (gg.take) plus learned positions, two pre-norm blocks of causal multi-head
attention (q/k/v/out projections as nn.linear, nn.multi_head_attention) and a GELU MLP, a final
layer norm and a linear read-out; nn.softmax_cross_entropy on the next character. Validation loss
on the last 10% of the text, in nats per character, against the unigram baseline (the training
text's character frequencies, 3.37): default 2.39 (~30 s); --full 1.92 (~6 min).
"""
from __future__ import annotations

import importlib
import inspect
import pathlib
import time

import numpy as np

import graphgrad as gg
from graphgrad import nn
from examples.training import Adam, example_arguments, export_and_import, one_blas_thread, plot_curves

MODULES = ("argparse", "collections", "functools", "itertools", "json", "pathlib", "random", "re",
           "string", "textwrap", "typing", "unittest")
SIZES = {"default": dict(width=64, context=32, heads=4, batch=16, steps=600, lr=6e-3),
         "full": dict(width=128, context=64, heads=4, batch=16, steps=1500, lr=2e-3)}


def corpus() -> str:
    """The docstrings of MODULES and of their public members, in sorted order, as printable ASCII."""
    parts = []
    for name in MODULES:
        module = importlib.import_module(name)
        parts.append(inspect.getdoc(module) or "")
        for attr in sorted(a for a in dir(module) if not a.startswith("_")):
            doc = inspect.getdoc(getattr(module, attr))
            if doc and doc not in parts:
                parts.append(doc)
    text = "\n\n".join(p for p in parts if p)
    return "".join(c if 32 <= ord(c) < 127 or c == "\n" else "?" for c in text)


def block_names(layer: int) -> list:
    return [f"{p}{layer}" for p in ("ln1_g", "ln1_b", "wq", "wk", "wv", "wo", "ln2_g", "ln2_b",
                                    "w1", "b1", "w2", "b2")]


def param_shapes(vocab: int, width: int, context: int, layers: int = 2) -> dict:
    shapes = {"tok": (vocab, width), "pos": (context, width)}
    for layer in range(layers):
        square, up = (width, width), (width, 4 * width)
        shapes.update(zip(block_names(layer), [(width,), (width,), square, square, square, square,
                                               (width,), (width,), up, (4 * width,), up[::-1], (width,)]))
    shapes.update(lnf_g=(width,), lnf_b=(width,), w_out=(width, vocab), b_out=(vocab,))
    return shapes


def block(x, p: dict, layer: int, heads: int):
    """One pre-norm transformer block: x + attention(ln(x)), then x + mlp(ln(x))."""
    ln1_g, ln1_b, wq, wk, wv, wo, ln2_g, ln2_b, w1, b1, w2, b2 = (p[n] for n in block_names(layer))
    h = nn.layer_norm(x, ln1_g, ln1_b)
    attended = nn.multi_head_attention(nn.linear(h, wq), nn.linear(h, wk), nn.linear(h, wv),
                                       heads=heads, causal=True)
    x = x + nn.linear(attended, wo)
    h = nn.layer_norm(x, ln2_g, ln2_b)
    return x + nn.linear(nn.gelu(nn.linear(h, w1, b1)), w2, b2)


def logits(tokens, p: dict, heads: int, layers: int = 2):
    """Next-character scores (B, T, vocab) for a (B, T) batch of character ids."""
    x = gg.take(p["tok"], tokens, axis=0) + p["pos"]
    for layer in range(layers):
        x = block(x, p, layer, heads)
    return nn.linear(nn.layer_norm(x, p["lnf_g"], p["lnf_b"]), p["w_out"], p["b_out"])


def make_graph(name, batch, vocab, width, context, heads, *, loss=True) -> gg.Graph:
    """The mean next-character cross-entropy (loss=True) or the logits, of a (batch, context) window."""
    g = gg.Graph(name)
    with g:
        tokens = g.input("tokens", (batch, context), dtype="int64")
        targets = g.input("targets", (batch, context), dtype="int64") if loss else None
        p = {n: g.input(n, s) for n, s in param_shapes(vocab, width, context).items()}
        out = logits(tokens, p, heads)
        if loss:
            g.output("loss", nn.softmax_cross_entropy(out, targets))
        else:
            g.output("logits", out)
    return g


def initial_parameters(shapes: dict, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    params = {}
    for n, s in shapes.items():
        if n in ("tok", "pos"):
            params[n] = nn.init.normal(s, rng, std=0.1)
        elif len(s) == 2:
            params[n] = nn.init.glorot(s, rng)
        else:
            params[n] = nn.init.ones(s) if n.startswith(("ln", "lnf")) and "_g" in n else nn.init.zeros(s)
    return params


def windows(ids: np.ndarray, starts: np.ndarray, context: int):
    """(inputs, next-character targets) of the windows at `starts`."""
    rows = starts[:, None] + np.arange(context + 1)
    chunk = ids[rows]
    return chunk[:, :-1], chunk[:, 1:]


def unigram_loss(train_ids, val_ids, vocab) -> float:
    """Validation cross-entropy (nats/char) of the training text's character frequencies."""
    counts = np.bincount(train_ids, minlength=vocab) + 1.0
    return float(-np.mean(np.log(counts / counts.sum())[val_ids]))


def sample(predict, params, prompts, context, chars, itos, temperature, seed) -> list:
    """Continue each prompt (the last `context` characters) one character at a time."""
    rng = np.random.default_rng(seed)
    window = np.array(prompts)
    out = [[] for _ in prompts]
    for _ in range(chars):
        scores = predict(window, **params)[:, -1] / temperature
        probs = np.exp(scores - scores.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        nxt = np.array([rng.choice(len(p), p=p) for p in probs])
        for o, c in zip(out, nxt):
            o.append(itos[c])
        window = np.concatenate([window[:, 1:], nxt[:, None]], axis=1)
    return ["".join(o) for o in out]


def train(out_dir="build/char_transformer", *, width=64, context=32, heads=4, batch=16, steps=600,
          lr=6e-3, seed=0, plot="docs/char_transformer_loss.png", n_samples=3, sample_chars=80,
          eval_every=None) -> dict:
    """Train; return validation and unigram losses, per-step losses, samples and files written."""
    out_dir, text = pathlib.Path(out_dir), corpus()
    itos = sorted(set(text))
    stoi = {c: i for i, c in enumerate(itos)}
    ids = np.array([stoi[c] for c in text], dtype=np.int64)
    split = int(0.9 * len(ids))
    train_ids, val_ids, vocab = ids[:split], ids[split:], len(itos)
    dims = dict(vocab=vocab, width=width, context=context, heads=heads)
    step_fn = export_and_import(gg.grad(make_graph("char_transformer", batch, **dims)),
                                out_dir / "char_transformer_train_step.py", "train_step")
    val_batch = 64
    val_fn = export_and_import(make_graph("char_transformer_loss", val_batch, **dims),
                               out_dir / "char_transformer_loss.py", "val_loss")
    predict = export_and_import(make_graph("char_transformer_logits", n_samples, **dims, loss=False),
                                out_dir / "char_transformer_logits.py", "predict")
    names = list(param_shapes(vocab, width, context))
    params, opt = initial_parameters(param_shapes(vocab, width, context), seed), Adam(lr, clip=1.0)
    rng = np.random.default_rng(seed)
    val_starts = np.linspace(0, len(val_ids) - context - 2, 4 * val_batch).astype(int)

    def validation():
        return float(np.mean([val_fn(*windows(val_ids, s, context), **params)
                              for s in val_starts.reshape(-1, val_batch)]))

    losses, curve, eval_every = [], [], eval_every or max(steps // 4, 1)
    start = time.perf_counter()
    with one_blas_thread():
        for step in range(steps):
            warm = min(1.0, (step + 1) / 50)
            lr_now = lr * warm * 0.5 * (1 + np.cos(np.pi * step / steps))
            x, y = windows(train_ids, rng.integers(0, len(train_ids) - context - 1, batch), context)
            loss, *grads = step_fn(x, y, **params)
            opt.step(params, dict(zip(names, grads)), lr=lr_now)
            losses.append(float(loss))
            if (step + 1) % eval_every == 0 or step + 1 == steps:
                curve.append((step + 1, validation()))
        seconds = time.perf_counter() - start
        prompts = [val_ids[s:s + context] for s in
                   np.linspace(0, len(val_ids) - context - 1, n_samples + 2).astype(int)[1:-1]]
        samples = sample(predict, params, prompts, context, sample_chars, itos, 0.5, seed)
    result = {"val_loss": curve[-1][1], "unigram_loss": unigram_loss(train_ids, val_ids, vocab),
              "losses": losses, "val_curve": curve, "seconds": seconds, "vocab": vocab,
              "chars": len(text), "prompts": ["".join(itos[i] for i in p) for p in prompts],
              "samples": samples, "files": [step_fn.path, val_fn.path, predict.path]}
    if plot:
        result["files"].append(plot_curves(
            plot, {"training loss": losses, "validation loss": curve}, ylabel="nats per character",
            hlines={f"unigram baseline {result['unigram_loss']:.2f}": result["unigram_loss"]}, log=False,
            title=f"char transformer (width {width}, context {context}): val {result['val_loss']:.2f} nats/char"))
    return result


def main(argv=None) -> dict:
    args, plot = example_arguments(argv, __doc__, "char_transformer", "width 128, context 64, batch 16, 1500 steps",
                                   "training steps (overrides the size's)")
    size = dict(SIZES["full" if args.full else "default"])
    if args.steps is not None:
        size["steps"] = args.steps
    r = train(args.out, plot=plot, **size)
    print(f"char transformer on {r['chars']:,} characters of stdlib docstrings ({r['vocab']} symbols): "
          f"validation loss {r['val_loss']:.3f} nats/char vs the unigram baseline "
          f"{r['unigram_loss']:.3f}; {len(r['losses'])} steps in {r['seconds']:.1f} s")
    print("samples (temperature 0.5, seed 0; the prompt, then | and the model's continuation):")
    for prompt, text in zip(r["prompts"], r["samples"]):
        print("  " + repr(prompt[-24:] + "|" + text))
    for f in r["files"]:
        print(f"  wrote {f}")
    return r


if __name__ == "__main__":
    main()
