#!/usr/bin/env bash
# Set-up for graphgrad on a Debian machine with Python >= 3.10.
#   scripts/setup.sh graphviz   make sure Graphviz's `dot` is there (apt-get as root, else a hint),
#                               and the C toolchain too (make setup runs this step for system packages)
#   scripts/setup.sh c          make sure gcc and OpenBLAS's CBLAS are there (the C backend)
#   scripts/setup.sh python     create .venv if missing, upgrade pip, install -e '.[dev,demo]'
# The Makefile calls `python` only when .venv/.installed is older than pyproject.toml.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}

graphviz() {
    if command -v dot >/dev/null 2>&1; then
        return 0
    fi
    if [ "$(id -u)" = "0" ]; then
        echo "setup: installing Graphviz (dot) with apt-get" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends graphviz >/dev/null
        dot -V
    else
        echo "setup: Graphviz 'dot' not found; pictures need 'sudo apt-get install graphviz' (tests that render are skipped)" >&2
    fi
}

c_toolchain() {
    # gcc for the C backend (gg.compile(g, backend="c")); libopenblas-dev so matmuls call CBLAS.
    local missing=()
    command -v cc >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
    local lib found=""
    for lib in /usr/lib/libopenblas.so /usr/lib/*-linux-gnu/libopenblas.so; do
        [ -e "$lib" ] && found=1
    done
    [ -n "$found" ] || missing+=(libopenblas-dev)
    # the interpreter's headers, for the C backend's CPython entry points (without them: ctypes)
    local pyh
    pyh=$("$PYTHON" -c 'import os, sys, sysconfig; p = os.path.join(sysconfig.get_paths()["include"], "Python.h"); print("" if os.path.exists(p) else "python%d.%d-dev" % sys.version_info[:2])' 2>/dev/null) || pyh=""
    if [ -n "$pyh" ] && [ "$(id -u)" = "0" ]; then  # optional: a Python apt does not know keeps ctypes
        echo "setup: installing $pyh with apt-get (the C backend's CPython entry points)" >&2
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "$pyh" >/dev/null; } || echo "setup: $pyh not installed; C calls go through ctypes" >&2
    fi
    if [ "${#missing[@]}" = "0" ]; then
        return 0
    fi
    if [ "$(id -u)" = "0" ]; then
        echo "setup: installing ${missing[*]} with apt-get (the C backend)" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "setup: ${missing[*]} not found; the C backend needs 'sudo apt-get install ${missing[*]}'" \
             "(without libopenblas-dev its matmuls are plain loops; without gcc its tests are skipped)" >&2
    fi
}

python_env() {
    if [ ! -x "$VENV/bin/python" ]; then
        echo "setup: creating $VENV with $PYTHON -m venv" >&2
        "$PYTHON" -m venv "$VENV"
    fi
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e '.[dev,demo]'
}

case "${1:-all}" in
    graphviz) graphviz; c_toolchain ;;
    c) c_toolchain ;;
    python) python_env ;;
    all) graphviz; c_toolchain; python_env ;;
    *) echo "usage: $0 [graphviz|c|python|all]" >&2; exit 2 ;;
esac
