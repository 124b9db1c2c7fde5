# Quickstart: `make train` trains on the embedded synthetic corpus; `make test` runs the tests.
# Both create (or reuse) a virtualenv in $(VENV) and install emorec into it first.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.emorec-installed
CONFIG ?= configs/synthetic.py
WORKDIR ?= runs/synthetic

.PHONY: install train lint test benchmark clean

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

train: $(STAMP)
	$(BIN)/python launch/train.py --config=$(CONFIG) --workdir=$(WORKDIR) $(ARGS)

lint: $(STAMP)
	$(BIN)/python -m pyflakes emorec configs launch tests

# One pytest worker per core; a test module's tests share a worker (and its module fixtures).
test: lint
	$(BIN)/python -m pytest -q -n auto --dist loadscope tests $(ARGS)

benchmark: $(STAMP)
	$(BIN)/python launch/benchmark.py --config=$(CONFIG) $(ARGS)

clean:
	rm -rf runs .pytest_cache .cache
