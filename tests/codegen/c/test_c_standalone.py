"""The exported C stands alone: the seed network's, the digits MLP's and a small CNN's gradient
modules (the CNN's has convolutions, pooling, patches, gathers and scatters) compile
with -std=c99 -Wall -Wextra -Werror -pedantic (plain loops and CBLAS) together with a small C main
written here, run without Python, and print the numpy backend's gradients; built with
-fsanitize=address,undefined the same program runs clean."""
import os
import shutil
import subprocess

import numpy as np
import pytest

import graphgrad as gg
from graphgrad.codegen.c.build import blas_flags, find_compiler
from graphgrad.codegen.c.clit import ctype

from cases import cnn_graph
from codegen_models import two_layer_net

STRICT = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]


def _digits_graph():
    from examples.digits import make_loss_graph

    return gg.grad(make_loss_graph(64, 64), wrt=["w1", "b1", "w2", "b2"], style="vjp")


MODELS = {
    "seed": lambda: gg.grad(two_layer_net(), wrt=["w1", "w2"]),
    "digits": _digits_graph,
    "cnn": cnn_graph,
}


def main_source(module: str, fname: str, params) -> str:
    """A C main that reads the inputs (raw doubles, in order) from argv[1], calls the function
    and prints every output element with %.17g."""
    lines = ["#include <stdio.h>", "#include <stdlib.h>", f'#include "{module}.h"', "",
             "static void *alloc(size_t n)", "{", "    void *p = malloc(n ? n : 1);",
             "    if (!p) {", "        exit(3);", "    }", "    return p;", "}", "",
             "int main(int argc, char **argv)", "{", "    FILE *f;"]
    for p in params:
        n = int(np.prod(p.spec.shape))
        lines.append(f"    {ctype(p.spec.dtype)} *{p.c_name} = alloc({n} * sizeof(double));")
    lines += [f"    void *ws = alloc({fname}_workspace_bytes());",
              "    if (argc != 2 || !(f = fopen(argv[1], \"rb\"))) {", "        return 2;", "    }"]
    for p in params:
        if p.io == "input":
            n = int(np.prod(p.spec.shape))
            lines += [f"    if (fread({p.c_name}, sizeof(double), {n}, f) != {n}) {{",
                      "        return 4;", "    }"]
    args = ", ".join([p.c_name for p in params] + ["ws"])
    lines += ["    fclose(f);", f"    {fname}({args});"]
    for p in params:
        if p.io == "output":
            n = int(np.prod(p.spec.shape))
            lines += [f"    for (long i = 0; i < {n}; ++i) {{",
                      f'        printf("%.17g\\n", {p.c_name}[i]);', "    }"]
    lines += [f"    free({p.c_name});" for p in params]
    lines += ["    free(ws);", "    return 0;", "}", ""]
    return "\n".join(lines)


@pytest.fixture(scope="module", params=list(MODELS))
def exported(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"standalone-{request.param}")
    g = gg.optimize(MODELS[request.param]())
    path = gg.export(g, folder / "model.c", backend="c", name="gradients")
    module = gg.codegen.c.emit_module({"gradients": g}, module="model")
    assert path.read_text() == module.source and path.with_suffix(".h").read_text() == module.header
    params = module.functions["gradients"].params
    (folder / "main.c").write_text(main_source("model", "gradients", params))
    rng = np.random.default_rng(3)
    args = [rng.standard_normal(s.shape) / np.sqrt(max(1, s.shape[0])) for s in g.inputs.values()]
    np.concatenate([a.reshape(-1) for a in args]).astype("<f8").tofile(folder / "inputs.bin")
    want = gg.compile(g, optimize=False)(*args)
    return folder, want


def _build_and_run(folder, flags, name, env=None):
    cc = find_compiler()
    exe = folder / name
    done = subprocess.run([*cc, *STRICT, *flags, "main.c", "model.c", "-o", name, *flags_link(flags), "-lm"],
                          cwd=folder, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr  # not one warning
    run = subprocess.run([str(exe), "inputs.bin"], cwd=folder, capture_output=True, text=True,
                         env={**os.environ, **(env or {})}, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return run


def flags_link(flags):
    return [f for f in blas_flags() if not f.startswith("-D")] if "-DGRAPHGRAD_CBLAS" in flags else []


def _check_printed(stdout, want):
    got = np.array(stdout.split(), dtype=float)
    flat = np.concatenate([np.asarray(w, dtype=float).reshape(-1) for w in want])
    assert got.shape == flat.shape
    np.testing.assert_allclose(got, flat, rtol=1e-10, atol=1e-12 * np.abs(flat).max())


@pytest.mark.parametrize("variant", ["loops", "cblas"])
def test_standalone_program_prints_the_numpy_gradients(exported, variant):
    folder, want = exported
    flags = ["-O2"]
    if variant == "cblas":
        if not blas_flags():
            pytest.skip("no CBLAS (libopenblas-dev) found")
        flags.append("-DGRAPHGRAD_CBLAS")
    run = _build_and_run(folder, flags, f"prog_{variant}")
    _check_printed(run.stdout, want)


def test_standalone_program_is_clean_under_sanitizers(exported):
    folder, want = exported
    probe = subprocess.run([*find_compiler(), "-fsanitize=address,undefined", "-x", "c", "-", "-o",
                            str(folder / "probe")], input="int main(void) { return 0; }\n",
                           capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip("this compiler cannot build with -fsanitize=address,undefined")
    flags = ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
             "-fno-omit-frame-pointer"]
    run = _build_and_run(folder, flags, "prog_sanitized",
                         env={"ASAN_OPTIONS": "detect_leaks=1:abort_on_error=1",
                              "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"})
    assert run.stderr == ""
    _check_printed(run.stdout, want)


def test_the_header_is_valid_cpp(exported):
    folder, _ = exported
    cxx = shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")
    if cxx is None:
        pytest.skip("no C++ compiler")
    src = folder / "use.cpp"
    src.write_text('#include "model.h"\nint main() { return gradients_workspace_bytes() > 0 ? 0 : 1; }\n')
    done = subprocess.run([cxx, "-std=c++11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-fsyntax-only",
                           str(src)], cwd=folder, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_out_of_range_indices_are_clean_under_sanitizers(tmp_path):
    """Gathers and scatters with indices far out of range, every array malloc'd to its exact size:
    under -fsanitize=address,undefined nothing is read or written outside an array."""
    probe = subprocess.run([*find_compiler(), "-fsanitize=address,undefined", "-x", "c", "-", "-o",
                            str(tmp_path / "probe")], input="int main(void) { return 0; }\n",
                           capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip("this compiler cannot build with -fsanitize=address,undefined")
    g = gg.Graph("oob")
    a, up, idx = g.input("a", (5, 3)), g.input("up", (4, 3)), g.input("idx", (4,), "int64")
    g.output("rows", g.add("take", [a.value, idx.value], {"axis": 0}))
    g.output("flat", g.add("take", [a.value, idx.value], {"axis": None}))
    g.output("along", g.add("take_along_axis", [a.value, g.add("reshape", [idx.value], {"shape": (4, 1)})],
                            {"axis": 0}))
    g.output("spread", g.add("scatter_add", [up.value, idx.value], {"axis": 0, "shape": (5, 3)}))
    module = gg.codegen.c.emit_module({"oob": g}, module="model")
    (tmp_path / "model.c").write_text(module.source)
    (tmp_path / "model.h").write_text(module.header)
    x, u = np.arange(15.0), np.arange(12.0) * 0.5
    i = [1 << 40, -1, -(1 << 40), 2]
    lines = ["#include <stdint.h>", "#include <stdio.h>", "#include <stdlib.h>", "#include <string.h>",
             '#include "model.h"', "", "int main(void)", "{",
             f"    static const double a0[15] = {{{', '.join(map(repr, x.tolist()))}}};",
             f"    static const double u0[12] = {{{', '.join(map(repr, u.tolist()))}}};",
             f"    static const int64_t i0[4] = {{{', '.join(f'{v}LL' for v in i)}}};"]
    sizes = {"a": 15, "up": 12, "rows": 12, "flat": 4, "along": 12, "spread": 15}
    for name, n in sizes.items():
        lines.append(f"    double *{name} = malloc({n} * sizeof(double));")
    lines += ["    int64_t *idx = malloc(4 * sizeof(int64_t));",
              "    void *ws = malloc(oob_workspace_bytes() + 1);",
              "    memcpy(a, a0, sizeof a0);", "    memcpy(up, u0, sizeof u0);", "    memcpy(idx, i0, sizeof i0);",
              "    oob(a, up, idx, rows, flat, along, spread, ws);"]
    for name in ("rows", "flat", "along", "spread"):
        lines += [f"    for (int k = 0; k < {sizes[name]}; ++k) {{", f'        printf("%.17g\\n", {name}[k]);', "    }"]
    lines += [f"    free({name});" for name in list(sizes) + ["idx", "ws"]] + ["    return 0;", "}", ""]
    (tmp_path / "main.c").write_text("\n".join(lines))
    flags = ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]
    run = _build_and_run(tmp_path, flags, "prog_oob",
                         env={"ASAN_OPTIONS": "detect_leaks=1:abort_on_error=1",
                              "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"})
    assert run.stderr == ""
    xs, q = x.reshape(5, 3), np.array([4, 4, 0, 2])
    spread = np.zeros((5, 3))
    np.add.at(spread, q, u.reshape(4, 3))
    _check_printed(run.stdout, [xs[q], x[[14, 14, 0, 2]], xs[q], spread])
