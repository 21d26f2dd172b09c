"""Hostile names never reach C unsanitized: inputs, outputs and name hints that are C or C++
keywords, libc/libm/BLAS symbols, macros of math.h or complex.h, reserved identifiers or the
generated code's own names become other, unique names in a module that compiles warning-free and
computes the right numbers; a function name that cannot be used is one clear GraphError."""
import re
import subprocess

import numpy as np
import pytest

import graphgrad as gg
from graphgrad.codegen.c import emit_c, load_module
from graphgrad.codegen.c.build import find_compiler
from graphgrad.codegen.c.cnames import INTERNAL_NAMES, is_reserved

HOSTILE_INPUTS = ["int", "double", "exp", "printf", "cblas_dgemm", "I", "ws", "i", "workspace",
                  "_x", "__y", "gg_max", "NAN", "main", "tanh", "memcpy", "acc", "new", "int_1",
                  "restrict", "complex", "stdout", "CblasRowMajor", "openblas_set_num_threads"]
HOSTILE_OUTPUTS = ["float", "sizeof", "errno", "cblas_sgemm", "template", "INFINITY", "out"]


def _hostile_graph():
    g = gg.Graph("hostile")
    xs = [g.input(name, (3,)) for name in HOSTILE_INPUTS]
    with g:
        total = xs[0]
        for x in xs[1:]:
            total = gg.tanh(total) + x * 2.0
        total.value.name = "grad %h"  # hints reach C as local names too
        outs = [total, gg.exp(total), total * total, gg.sum(total), xs[3], total - 1.0, xs[0] + xs[1]]
        for name, out in zip(HOSTILE_OUTPUTS, outs):
            g.output(name, out)
        c = gg.constant(np.arange(3.0))
        c.value.name = "nan"
        g.output("double_", c * outs[0])
    return g


def test_hostile_names_are_renamed_and_the_module_computes_the_same():
    g = _hostile_graph()
    module = emit_c(g)
    info = module.functions["hostile"]
    names = [p.c_name for p in info.params]
    assert len(set(names)) == len(names)
    for p in info.params:
        assert not is_reserved(p.c_name), p.c_name
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", p.c_name)
    declared = re.findall(r"\*\s*(\w+)\s*[,;)=]|const \w+ (\w+)(?:\[\d+\])? =", module.source)
    declared = {a or b for a, b in declared}
    for bad in HOSTILE_INPUTS + HOSTILE_OUTPUTS:
        if is_reserved(bad) and bad not in INTERNAL_NAMES:  # ws, i, acc: declared by the code itself
            assert bad not in declared, bad
    assert "(input 'int')" in module.header and "(output 'float')" in module.header
    rng = np.random.default_rng(0)
    args = [rng.standard_normal(3) for _ in HOSTILE_INPUTS]
    got = load_module(module)["hostile"](*args)
    want = gg.compile(g, optimize=False)(*args)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_hostile_module_compiles_warning_free(tmp_path):
    module = emit_c(_hostile_graph())
    (tmp_path / "hostile.c").write_text(module.source)
    (tmp_path / "hostile.h").write_text(module.header)
    (tmp_path / "use.c").write_text('#include <complex.h>\n#include <math.h>\n#include <stdio.h>\n'
                                    '#include <stdlib.h>\n#include <string.h>\n#include "hostile.h"\n'
                                    'int main(void) { return (int)hostile_workspace_bytes() < 0; }\n')
    for flags in ([], ["-DGRAPHGRAD_CBLAS"]):
        done = subprocess.run([*find_compiler(), "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic",
                               *flags, "-c", "hostile.c", "use.c"], cwd=tmp_path, capture_output=True,
                              text=True)
        assert done.returncode == 0 and done.stderr == "", done.stderr


@pytest.mark.parametrize("name", ["exp", "main", "double", "gg_tanh", "_private", "cblas_dgemm", "delete",
                                  "ws", "tanhf"])
def test_an_unusable_function_name_is_one_clear_error(name, tmp_path):
    g = gg.Graph("ok")
    g.output("y", gg.exp(g.input("x", (2,))))
    with pytest.raises(gg.GraphError, match=rf"function name {name!r} is .*pass another name="):
        emit_c(g, name=name)
    with pytest.raises(gg.GraphError, match="pass another name="):
        gg.export(g, tmp_path / "x.c", backend="c", name=name)
    assert not (tmp_path / "x.c").exists()


def test_user_names_survive_where_they_can():
    g = gg.Graph("fit")
    x, w = g.input("x", (4, 3)), g.input("w", (3,))
    with g:
        pred = x @ w
        pred.value.name = "y_pred"
        g.output("loss", gg.sum(gg.square(pred)))
    src = emit_c(gg.optimize(gg.grad(g))).source
    assert "void fit(const double *x, const double *w, double *loss, double *grad_x, double *grad_w," in src
    assert "y_pred" in src
