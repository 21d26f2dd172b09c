#!/usr/bin/env bash
# Set-up for graphgrad on a Debian machine with Python >= 3.10.
#   scripts/setup.sh graphviz   make sure Graphviz's `dot` is there (apt-get as root, else a hint)
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

python_env() {
    if [ ! -x "$VENV/bin/python" ]; then
        echo "setup: creating $VENV with $PYTHON -m venv" >&2
        "$PYTHON" -m venv "$VENV"
    fi
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e '.[dev,demo]'
}

case "${1:-all}" in
    graphviz) graphviz ;;
    python) python_env ;;
    all) graphviz; python_env ;;
    *) echo "usage: $0 [graphviz|python|all]" >&2; exit 2 ;;
esac
