"""Render times of pictures over graph sizes: `gg.viz.to_dot` and Graphviz's `dot`, per graph.

Each workload is differentiated (`gg.grad`) and optimized (`gg.optimize`), then drawn in its
default view (what `graphgrad draw` and `gg.viz.render` draw) and with `summary=False` (every
node). For each picture: op nodes in the graph, boxes drawn (op nodes, inputs, outputs and
references), seconds in `to_dot`, seconds in `dot -Tpng` (and `-Tsvg`), the PNG's size in pixels
as `gg.viz.render` writes it, and the factor Graphviz scaled it by to fit (1 = full size).

    .venv/bin/python -m bench.render [--sizes 50,100,...] [--families chain,rnn,...] [--timeout S]
    .venv/bin/python -m bench.render --variants FILE.dot xlabel noinvis+nslimit=1 ...

`--variants` times `dot -Tpng` on FILE.dot with layout changes made to its text, one per
argument (`+` combines): `noclusters`, `noinvis` (drop invisible edges), `nonewrank`, `xlabel`
(edge labels as xlabel), `noedgelabels`, `concentrate`, or any graph attribute `key=value`
(`splines=ortho`, `nslimit=1`, `searchsize=5`, `mclimit=0.1`).

Workloads: `chain` (bench.models.deep_chain: tanh layers, repeats collapse), `rnn` (an RNN over
x[t] slices with shared weights), `attention` (stacked softmax(q kᵀ/√d) v blocks, own weights
each), `mlp` (layers of distinct widths: nothing repeats, so nothing collapses).
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import time

import numpy as np

import graphgrad as gg
from bench import models

SIZES = (50, 100, 200, 500, 1000, 2000)
FAMILIES = ("chain", "rnn", "attention", "mlp")


def rnn(steps, batch=4, d_in=3, hidden=5):
    """h = tanh(x[t] @ wx + h @ wh + b) for t < steps, loss = sum((h - y)²)."""
    g = gg.Graph("rnn")
    x = g.input("x", (steps, batch, d_in))
    wx, wh, b = g.input("wx", (d_in, hidden)), g.input("wh", (hidden, hidden)), g.input("b", (hidden,))
    h, y = g.input("h0", (batch, hidden)), g.input("y", (batch, hidden))
    with g:
        for t in range(steps):
            h = gg.tanh(x[t] @ wx + h @ wh + b)
        g.output("loss", gg.sum(gg.square(h - y)))
    return g


def attention(blocks, batch=2, tokens=4, width=8):
    """`blocks` attention blocks x ← softmax(q kᵀ/√d) v, q, k, v = x·wq, x·wk, x·wv (own weights)."""
    g = gg.Graph("attention")
    x = g.input("x", (batch, tokens, width))
    ws = [[g.input(f"{n}{i}", (width, width)) for n in ("wq", "wk", "wv")] for i in range(blocks)]
    with g:
        for wq, wk, wv in ws:
            flat = x.reshape(batch * tokens, width)
            q, k, v = ((flat @ w).reshape(batch, tokens, width) for w in (wq, wk, wv))
            x = gg.softmax(q @ k.transpose(0, 2, 1) / np.sqrt(width), axis=-1) @ v
        g.output("loss", gg.sum(gg.square(x[:, 1:, 2:7])))
    return g


def mlp(layers, batch=4):
    """tanh layers of widths 3, 4, 5, …: no two layers alike, so no view collapses them."""
    g = gg.Graph("mlp")
    h = g.input("x", (batch, 3))
    ws = [g.input(f"w{i}", (3 + i, 4 + i)) for i in range(layers)]
    with g:
        for w in ws:
            h = gg.tanh(h @ w)
        g.output("loss", gg.sum(h * h))
    return g


BUILD = {"chain": lambda k: models.deep_chain(k, 4, 2), "rnn": rnn, "attention": attention,
         "mlp": mlp}


def sized(family, nodes):
    """The workload of about `nodes` op nodes after grad and optimize (by bisection on its size
    parameter)."""
    lo, hi = 1, 2
    size = lambda k: len(gg.optimize(gg.grad(BUILD[family](k))))  # noqa: E731
    while size(hi) < nodes:
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if size(mid) < nodes else (lo, mid)
    return gg.optimize(gg.grad(BUILD[family](hi)))


def measure(g, summary, timeout) -> dict:
    """One picture's figures; `dot` killed after `timeout` seconds."""
    start = time.perf_counter()
    dot = gg.viz.to_dot(g, summary=summary)
    build = time.perf_counter() - start
    source = gg.viz.render_source(dot, "png")
    boxes = len(re.findall(r"^\s*\w+ \[label=", source, flags=re.M)) - ("legend [" in source)
    out = {"nodes": len(g), "boxes": boxes, "to_dot": build}
    for fmt in ("png", "svg"):
        start = time.perf_counter()
        try:
            run = subprocess.run(["dot", f"-T{fmt}"], input=source.encode(), capture_output=True,
                                 timeout=timeout, check=True)
        except subprocess.TimeoutExpired:
            out[fmt] = None
            continue
        out[fmt] = time.perf_counter() - start
        if fmt == "png":
            out["px"] = tuple(int.from_bytes(run.stdout[i:i + 4], "big") for i in (16, 20))
            out["scale"] = _scale(source)
    return out


def _scale(source) -> float:
    """The factor `dot` shrinks the picture by to fit the size cap (from a -Tplain run)."""
    plain = subprocess.run(["dot", "-Tplain"], input=source.encode(), capture_output=True,
                           check=True).stdout.decode().split("\n", 1)[0].split()
    return float(plain[1])


def variant(source: str, name: str) -> str:
    """DOT text with the layout changes `name` names (see the module docstring)."""
    head = "compound=true"
    for part in name.split("+"):
        if part == "base":
            continue
        if part == "noclusters":
            source = source.replace("subgraph cluster_", "subgraph plain_")
        elif part == "noinvis":
            source = "\n".join(line for line in source.split("\n") if "style=invis" not in line)
        elif part == "nonewrank":
            source = source.replace("newrank=true ", "")
        elif part == "xlabel":
            source = re.sub(r"(-> \S+ \[.*?)\blabel=", r"\1xlabel=", source)
        elif part == "noedgelabels":
            source = re.sub(r'(-> \S+ \[.*?)\blabel=("[^"]*"|\S+)', r"\1", source)
        elif part == "concentrate":
            source = source.replace(head, f"{head} concentrate=true", 1)
        elif "=" in part:
            source = source.replace(head, f"{head} {part}", 1)
        else:
            raise SystemExit(f"unknown variant {part!r}")
    return source


def time_variants(path, names, timeout) -> None:
    source = open(path, encoding="utf-8").read()
    print("| variant | dot png s | png px |\n| --- | --- | --- |")
    for name in names:
        start = time.perf_counter()
        try:
            run = subprocess.run(["dot", "-Tpng"], input=variant(source, name).encode(),
                                 capture_output=True, timeout=timeout, check=True)
        except subprocess.TimeoutExpired:
            print(f"| {name} | > {timeout:g} | - |", flush=True)
            continue
        px = [int.from_bytes(run.stdout[i:i + 4], "big") for i in (16, 20)]
        print(f"| {name} | {time.perf_counter() - start:.2f} | {px[0]}×{px[1]} |", flush=True)


def row(family, view, m) -> str:
    cells = [family, view, str(m["nodes"]), str(m["boxes"]), f"{m['to_dot']:.2f}"]
    for fmt in ("png", "svg"):
        cells.append("timeout" if m[fmt] is None else f"{m[fmt]:.2f}")
    cells.append(f"{m['px'][0]}×{m['px'][1]}" if m.get("px") else "-")
    cells.append(f"{m['scale']:.2f}" if m.get("scale") else "-")
    return "| " + " | ".join(cells) + " |"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)),
                        help="op-node counts to build, comma-separated (default %(default)s)")
    parser.add_argument("--families", default=",".join(FAMILIES),
                        help="workloads, comma-separated (default %(default)s)")
    parser.add_argument("--views", default="default,full", help="default and/or full (summary=False)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds before dot is stopped")
    parser.add_argument("--variants", nargs="+", metavar="FILE.dot VARIANT", default=None,
                        help="time layout variants of one DOT file instead (see above)")
    args = parser.parse_args(argv)
    if args.variants:
        time_variants(args.variants[0], args.variants[1:] or ["base"], args.timeout)
        return
    dot_version = subprocess.run(["dot", "-V"], capture_output=True, text=True).stderr.strip()
    print(f"# {platform.python_version()}, {dot_version}, {os.cpu_count()} cpus, "
          f"load {os.getloadavg()[0]:.2f}")
    print("| workload | view | op nodes | boxes drawn | to_dot s | dot png s | dot svg s | png px | "
          "scale |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for family in args.families.split(","):
        for nodes in map(int, args.sizes.split(",")):
            g = sized(family, nodes)
            for view in args.views.split(","):
                m = measure(g, None if view == "default" else False, args.timeout)
                print(row(family, view, m), flush=True)


if __name__ == "__main__":
    main()
