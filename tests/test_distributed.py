"""Multi-process data parallel: examples/distributed.py on 2 local processes x 4 CPU devices
(jax.distributed, gloo collectives) gives the parameters of a single-process run after 3 steps."""
import json
import os
import pathlib
import socket
import subprocess
import sys

import numpy as np

EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "examples" / "distributed.py"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(devices):
    return {**os.environ, "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}",
            "JAX_PLATFORMS": "cpu"}


def _result(out) -> dict:
    return json.loads(out.strip().splitlines()[-1])  # gloo writes its own lines before ours


def test_two_processes_equal_one():
    port = _free_port()
    ranks = [subprocess.Popen([sys.executable, str(EXAMPLE), "--rank", str(r), "--processes", "2",
                               "--port", str(port), "--steps", "3"], env=_env(4),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for r in range(2)]
    single = subprocess.run([sys.executable, str(EXAMPLE), "--processes", "1", "--steps", "3"],
                            env=_env(8), capture_output=True, text=True, timeout=240)
    outs = [p.communicate(timeout=240) for p in ranks]
    for p, (out, err) in zip(ranks, outs):
        assert p.returncode == 0, err[-2000:]
    assert single.returncode == 0, single.stderr[-2000:]
    want = _result(single.stdout)
    for out, _ in outs:
        got = _result(out)
        for name, values in want["params"].items():
            np.testing.assert_allclose(got["params"][name], values, rtol=1e-10, err_msg=name)
