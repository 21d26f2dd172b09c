"""The `graphgrad` command: compile a graph's gradient to a module, draw it, or check it.

    graphgrad compile model.py:mlp --wrt w1,w2 -o mlp_grad.py
    graphgrad compile model.py:mlp --transform hessian --wrt w2 -o mlp_hessian.py
    graphgrad draw    model.py:mlp --stage optimized -o mlp.svg
    graphgrad check   model.py:mlp

FILE.py:NAME names a `gg.Graph` (e.g. a `@gg.function`) defined in FILE.py. A user mistake prints
one line to stderr and exits 2; `check` exits 1 when the gradients disagree with finite differences.
"""
from __future__ import annotations

import argparse
import pathlib
import runpy
import sys
import threading
import time

EXAMPLES = """\
examples:
  graphgrad compile model.py:mlp -o mlp_grad.py                 gradient of every float input
  graphgrad compile model.py:mlp --wrt w1,w2 --backend jax -o mlp_grad_jax.py
  graphgrad compile model.py:mlp --style vjp --no-optimize      print the unoptimized VJP code
  graphgrad compile model.py:mlp --transform hvp --wrt w1,w2    Hessian-vector products (inputs v_w1, v_w2)
  graphgrad compile model.py:net --transform jacobian --of y --mode rev   whole Jacobian jac_y_<x>
  graphgrad draw model.py:mlp --stage backward -o mlp.svg       forward + explicit backward graph
  graphgrad draw model.py:mlp --stage compare -o cmp.png        explicit Jacobians beside the rewrite
  graphgrad draw model.py:mlp --summary none -o all.svg         every node, however many
  graphgrad check model.py:mlp --wrt w1                         exit 1 if gradients are wrong
"""


PROGRESS_AFTER_S = 1.0  # `draw` says what it is doing when Graphviz takes longer than this


class UsageError(Exception):
    """A mistake in the command line or the user's file: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line instead of argparse's usage + error
        raise UsageError(f"{message} (see graphgrad {self.prog.split()[-1]} --help)"
                         if " " in self.prog else f"{message} (see graphgrad --help)")


def _names(text: str) -> list:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected comma-separated input names, e.g. w1,w2")
    return names


def _budget(text: str):
    if text.lower() == "none":
        return None
    try:
        return int(float(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of bytes or 'none', got {text!r}") from None


def _add_common(p, *, style=True):
    p.add_argument("graph", metavar="FILE.py:NAME", help="the gg.Graph NAME defined in FILE.py, "
                   "e.g. examples/two_layer_net.py:two_layer_net, or a graph document FILE.json")
    p.add_argument("--wrt", type=_names, default=None, metavar="a,b",
                   help="inputs to differentiate, comma-separated (default: every float input), "
                        "e.g. --wrt w1,w2")
    p.add_argument("--of", default=None, metavar="OUT", help="the scalar output to differentiate "
                   "(default: the only output; for --transform jacobian, outputs comma-separated, "
                   "default every float output), e.g. --of loss")
    if style:
        p.add_argument("--style", choices=("jacobian", "vjp"), default="jacobian",
                       help="backward as explicit Jacobian products (default) or compact VJP rules, "
                            "e.g. --style vjp")


def _command(sub, name, summary, description):
    p = sub.add_parser(name, help=summary, description=description, epilog=EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_common(p, style=name != "check")
    return p


TRANSFORMS = ("grad", "jvp", "hvp", "hessian", "jacobian")


def _compile_options(p):
    p.add_argument("--transform", choices=TRANSFORMS, default="grad",
                   help="what to append: the gradient (default), forward-mode jvp_<out>, "
                        "Hessian-vector products hvp_<x>, the Hessian hessian_<x>_<y>, or "
                        "Jacobians jac_<out>_<x>, e.g. --transform hvp")
    p.add_argument("--mode", choices=("auto", "fwd", "rev"), default=None,
                   help="order of the Jacobian products for --transform jacobian or hessian "
                        "(default auto), e.g. --mode rev")
    p.add_argument("--backend", choices=("numpy", "jax"), default="numpy",
                   help="target library (default numpy), e.g. --backend jax")
    p.add_argument("--no-optimize", action="store_true", help="skip gg.optimize (keeps explicit "
                   "Jacobians in jacobian style), e.g. --no-optimize")
    p.add_argument("--no-grad", action="store_true",
                   help="emit the graph as it is, without appending its gradient, e.g. --no-grad")
    p.add_argument("--name", default=None, help="name of the generated function "
                   "(default: the graph's name), e.g. --name mlp_grad")
    p.add_argument("--max-bytes", type=_budget, default=2**30, metavar="N",
                   help="refuse code whose largest intermediate exceeds N bytes (default 2**30; "
                        "'none' for no limit), e.g. --max-bytes 4e9")
    p.add_argument("-o", "--output", default=None, metavar="OUT.py",
                   help="file to write (default: print to stdout), e.g. -o mlp_grad.py")


def _draw_options(p):
    p.add_argument("--stage", choices=("forward", "backward", "optimized", "compare"),
                   default="backward",
                   help="forward graph, forward + backward (default), after gg.optimize, or the "
                        "backward and optimized graphs side by side, e.g. --stage compare")
    p.add_argument("--summary", choices=("ops", "layers", "none"), default=None,
                   help="collapse repeated layers (layers), draw one box per op kind (ops), or draw "
                        "every node (none); default: summarize graphs over 300 nodes, "
                        "e.g. --summary none")
    p.add_argument("-o", "--output", required=True, metavar="OUT.svg", help="picture to write; the "
                   "format comes from the suffix (svg, png, pdf), e.g. -o mlp.png")


def _check_options(p):
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the random inputs (default 0), e.g. --seed 3")
    p.add_argument("--eps", type=float, default=None, help="finite-difference step (default by "
                   "dtype: 1e-6 for float64, 1e-2 for float32), e.g. --eps 1e-3")
    p.add_argument("--rtol", type=float, default=None,
                   help="relative tolerance (default 1e-5 for float64, 2e-2 for float32), e.g. --rtol 1e-2")
    p.add_argument("--atol", type=float, default=None,
                   help="absolute tolerance (default 1e-8 for float64, 1e-4 for float32), e.g. --atol 1e-6")
    p.add_argument("--draw", default=None, metavar="OUT.svg",
                   help="also check each node's own rule and draw the graph with the failing nodes "
                        "marked, e.g. --draw check.svg")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `graphgrad` command (every option documented with an example)."""
    parser = _Parser(prog="graphgrad", description=__doc__.split("\n\n")[0],
                     epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="{compile,draw,check}", parser_class=_Parser)
    _compile_options(_command(sub, "compile", "write the gradient code of a graph as a Python module",
                              "Differentiate FILE.py:NAME, optimize it, and write a module that "
                              "needs only numpy (or jax)."))
    _draw_options(_command(sub, "draw", "draw a graph at some stage with Graphviz",
                           "Draw FILE.py:NAME forward, with its backward graph, or optimized."))
    _check_options(_command(sub, "check", "compare gradients with central finite differences",
                            "Run gg.check_grads on FILE.py:NAME with random inputs; print the worst "
                            "relative error; exit 1 on a mismatch."))
    return parser


def load_graph(spec: str):
    """The gg.Graph named by FILE.py:NAME, running FILE.py the way `python FILE.py` would, or
    the graph in FILE.json (a document of docs/json-schema.md, loaded without running anything)."""
    from .graph import Graph

    if spec.endswith(".json"):
        file = pathlib.Path(spec)
        if not file.is_file():
            raise UsageError(f"no such file: {spec}")
        return Graph.from_json(file.read_bytes())
    path, sep, name = spec.rpartition(":")
    if not sep or not path or not name:
        raise UsageError(f"expected FILE.py:NAME or FILE.json, got {spec!r}")
    file = pathlib.Path(path)
    if not file.is_file():
        raise UsageError(f"no such file: {path}")
    sys.path.insert(0, str(file.resolve().parent))
    try:
        namespace = runpy.run_path(str(file), run_name="__graphgrad__")
    except (Exception, SystemExit) as e:  # noqa: BLE001 - any failure in the user's file: one line
        raise UsageError(f"running {path} failed: {type(e).__name__}: {e}") from None
    finally:
        sys.path.pop(0)
    if name not in namespace:
        graphs = sorted(k for k, v in namespace.items() if isinstance(v, Graph))
        hint = f" (graphs there: {', '.join(graphs)})" if graphs else " (it defines no gg.Graph)"
        raise UsageError(f"{path} has no {name!r}{hint}")
    graph = namespace[name]
    if not isinstance(graph, Graph):
        raise UsageError(f"{name!r} in {path} is of type {type(graph).__name__}, not a gg.Graph "
                         "(decorate the function with @gg.function)")
    return graph


def _compile(args) -> int:
    from . import codegen, optimize

    g = load_graph(args.graph)
    if not args.no_grad:
        g = _transform(g, args)
    elif args.wrt or args.of:
        raise UsageError("--wrt and --of choose what to differentiate; they make no sense with --no-grad")
    elif args.transform != "grad" or args.mode:
        raise UsageError("--no-grad emits the graph as it is; it makes no sense with --transform or --mode")
    if not args.no_optimize:
        g = optimize(g)
    codegen.check_budget(g, args.max_bytes, codegen.CLI_WAYS_OUT)
    source = codegen.emit(g, args.backend, name=args.name)
    if args.output is None:
        sys.stdout.write(source)
    else:
        path = codegen.write_module(source, args.output)
        print(f"wrote {path} ({len(g)} nodes, {args.backend})")
    return 0


def _transform(g, args):
    """g with what --transform asks for appended (wrt, of, style, mode and max-bytes passed on)."""
    from . import grad, hessian, hvp, jacobian, jvp

    t = args.transform
    if args.mode and t not in ("hessian", "jacobian"):
        raise UsageError(f"--mode orders Jacobian products; it makes no sense with --transform {t}")
    if t == "jvp":
        if args.of:
            raise UsageError("--of makes no sense with --transform jvp (every float output gets jvp_<out>)")
        return jvp(g, args.wrt, style=args.style)
    if t == "jacobian":
        of = _names(args.of) if args.of else None
        return jacobian(g, of, args.wrt, mode=args.mode or "auto", max_bytes=args.max_bytes)
    if t == "hessian":
        return hessian(g, args.wrt, of=args.of, style=args.style, mode=args.mode or "auto",
                       max_bytes=args.max_bytes)
    return (hvp if t == "hvp" else grad)(g, args.wrt, of=args.of, style=args.style)


def _draw(args) -> int:
    from . import grad, optimize, viz

    g = load_graph(args.graph)
    if args.stage != "forward":
        g = grad(g, args.wrt, of=args.of, style=args.style)
    if args.stage == "optimized":
        g = optimize(g)
    summary = {"ops": "ops", "layers": "layers", "none": False}.get(args.summary)
    start = time.perf_counter()
    progress = threading.Timer(PROGRESS_AFTER_S, lambda: print(  # only when drawing takes over a second
        f"graphgrad: drawing {g.name} ({len(g)} nodes) with Graphviz ...", file=sys.stderr, flush=True))
    progress.start()
    try:
        if args.stage == "compare":
            path = viz.render(viz.compare(g, optimize(g), summary=summary), args.output)
        else:
            path = viz.render(g, args.output, summary=summary)
    finally:
        progress.cancel()
    print(f"wrote {path} ({time.perf_counter() - start:.1f} s)")
    return 0


def _check(args) -> int:
    from . import GradientCheckError, check_grads, viz

    g = load_graph(args.graph)
    options = dict(of=args.of, seed=args.seed, eps=args.eps, rtol=args.rtol, atol=args.atol)
    status = 0
    if args.draw:
        report = check_grads(g, args.wrt, per_node=True, **options)
        print(f"wrote {viz.render(g, args.draw, marks=report)}: {report}")
        status = 1 if report.failures else 0
    try:
        worst = check_grads(g, args.wrt, **options)
    except GradientCheckError as e:
        print(f"graphgrad check: mismatch: {_one_line(e)}", file=sys.stderr)
        return 1
    print(f"gradients of {g.name!r} match finite differences: worst relative error {worst:.3g} "
          f"({worst.settings()})")
    return status


def _one_line(e) -> str:
    return " ".join(str(e).split())


def main(argv=None) -> int:
    """Run the command; return the exit status (0 ok, 1 gradient mismatch, 2 user mistake)."""
    from .graph import GraphError

    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            raise UsageError("choose a command: compile, draw or check (see graphgrad --help)")
        return {"compile": _compile, "draw": _draw, "check": _check}[args.command](args)
    except (UsageError, GraphError, OSError) as e:
        print(f"graphgrad: error: {_one_line(e)}", file=sys.stderr)
        return 2
    except SystemExit as e:  # --help and --version end here
        return e.code if isinstance(e.code, int) else 0
