# graphgrad — every target does its own set-up (venv, packages, Graphviz).
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: all setup graphviz demo test bench clean

all: test

# Python side: reinstalled only when pyproject.toml (or the script) is newer than the stamp.
$(STAMP): pyproject.toml scripts/setup.sh
	@bash scripts/setup.sh python
	@touch $@

# Graphviz side: a cheap `command -v dot` check on every run.
graphviz:
	@bash scripts/setup.sh graphviz

setup: graphviz $(STAMP)

demo: setup
	@if [ -f examples/demo.py ]; then \
		$(PY) -m examples.demo; \
	elif [ -f examples/two_layer_net.py ]; then \
		$(PY) examples/two_layer_net.py; \
	else \
		echo "make demo: neither examples/demo.py nor examples/two_layer_net.py exists yet" >&2; exit 1; \
	fi

# pytest's exit status is passed on; 5 (no tests collected) counts as a failure.
test: setup
	@$(PY) -m pytest -n 2 tests || { rc=$$?; echo "make test: pytest exited with code $$rc" >&2; exit $$rc; }

bench: setup
	$(PY) -m bench.run

clean:
	rm -rf build/ dist/ *.egg-info .pytest_cache/ .hypothesis/
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -print0 | xargs -0 rm -rf
	find . -path ./$(VENV) -prune -o -type f -name '*.pyc' -print0 | xargs -0 rm -f
