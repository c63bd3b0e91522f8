# Everything a fresh machine needs: `make demo` runs a real load test, `make test` the suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv demo test test-unit check bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# A 15-second headless test of examples/demo.py against the demo shop served in-process.
# The shop fails about 2% of checkouts on purpose, so failures do not fail the demo.
demo: $(STAMP)
	$(VENV)/bin/swarm -f examples/demo.py --headless -u 40 -r 10 -t 15s --json-file demo-report --exit-code-on-error 0

test: $(STAMP)
	$(PY) -m pytest

test-unit: $(STAMP)
	$(PY) -m pytest -m "not integration"

check: $(STAMP) test
	$(VENV)/bin/ruff check swarm tests bench examples
	$(VENV)/bin/ruff format --check swarm tests bench examples
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

bench: $(STAMP)
	$(PY) bench/bench_stats.py
	$(PY) bench/bench_user.py
	$(PY) bench/bench_dispatch.py

# Every object of every Kubernetes mode as one YAML stream on stdout (needs kubectl or
# kustomize): make -s k8s-render | kubectl apply --dry-run=client -f -
.PHONY: k8s-render
k8s-render:
	@sh deploy/kubernetes/render.sh

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache demo-report.json
