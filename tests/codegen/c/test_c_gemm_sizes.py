"""The generated gemm hands CBLAS (whose sizes are ints) only sizes that fit an int: a product
whose leading dimension is past 2^31 - 1 gets the same numbers through the plain loops."""
import subprocess

import numpy as np
import pytest

from graphgrad.codegen.c import build
from graphgrad.codegen.c.helpers import HELPERS

LDA = 2 ** 31 + 6  # past INT_MAX: (int)LDA is negative

MAIN = r"""
#include <stdio.h>
#include <sys/mman.h>

int main(void)
{
    /* a is 2 x 3 with rows LDA elements apart: 16 GiB of address space, two pages touched */
    const long lda = %(lda)dL;
    double *a = mmap(NULL, (size_t)(lda + 3) * sizeof(double), PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    double b[6] = {1, 2, 3, 4, 5, 6}, c[4] = {-1, -1, -1, -1};
    long i, j;
    if (a == MAP_FAILED) {
        return 3;
    }
    for (i = 0; i < 2; ++i) {
        for (j = 0; j < 3; ++j) {
            a[i * lda + j] = (double)(1 + i * 3 + j);
        }
    }
    gg_dgemm('N', 'N', 2, 2, 3, a, lda, b, 2, c, 2);
    printf("%%.17g %%.17g %%.17g %%.17g\n", c[0], c[1], c[2], c[3]);
    return 0;
}
"""


def test_a_leading_dimension_past_int_max_takes_the_loops(tmp_path):
    shim, flags = build.inprocess_blas()
    if "-DGRAPHGRAD_CBLAS" not in flags:
        pytest.skip("built without a CBLAS (GRAPHGRAD_CBLAS=0 or none found)")
    source = tmp_path / "main.c"
    source.write_text("#define _DEFAULT_SOURCE\n#include <stddef.h>\n" + shim + HELPERS["cblas_d"][0] + HELPERS["gg_dgemm"][0]
                      + MAIN % {"lda": LDA})
    binary = tmp_path / "main"
    cmd = build.find_compiler() + list(build.FLAGS) + [str(source), "-o", str(binary)] + list(flags) + ["-lm"]
    built = subprocess.run(cmd, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    run = subprocess.run([str(binary)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    want = np.arange(1.0, 7.0).reshape(2, 3) @ np.arange(1.0, 7.0).reshape(3, 2)
    np.testing.assert_array_equal(np.array(run.stdout.split(), float).reshape(2, 2), want)
    assert "illegal" not in run.stderr + run.stdout
