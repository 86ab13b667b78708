# Every target makes (or reuses) .venv and installs the project into it; only Python 3.11+ is needed.
# `make demo` installs only what the demo needs; `make test` adds the test, lint, PyTorch and notebook tools.
# Picks the newest python3.1x on the PATH that is 3.11 or later.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --quiet --disable-pip-version-check
# Stamps: chainrule itself (what the demo needs), then everything the tests and checks need.
BASE := $(VENV)/.installed-base
DEV := $(VENV)/.installed-dev

.PHONY: demo test test-slow lint bench mutants clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "chainrule needs Python 3.11 or later on the PATH (python3.11, python3.12, ...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(BASE): pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	@touch $@

# torch is pinned in its extra (a local CPU wheel); the notebook test runs a Jupyter kernel from this venv.
$(DEV): pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[test,lint,torch]'
	@touch $(BASE) $@

demo: $(BASE)
	$(BIN)/python demo.py

lint: $(DEV)
	$(BIN)/ruff check autograd nn
	$(BIN)/mypy autograd nn

# One worker per core (at most 4); a file's tests stay on one worker, so each browser starts once.
test: lint
	$(BIN)/pytest --numprocesses=auto --maxprocesses=4 --dist=loadfile

# The tests marked slow (1,000,000-node graphs; minutes), which `make test` leaves out.
test-slow: $(DEV)
	$(BIN)/pytest -m slow

# The mutation check: mutmut (pinned in the `mutants` extra) over the engine's core, one file at a time
# with the tests about that file (tests/mutants.py); prints each file's figures and every survivor.
# `make mutants FILES=nn/io.py` checks one file. Results are kept in out/mutants/ between runs.
mutants: $(DEV)
	$(PIP) install -e '.[mutants]'
	$(BIN)/python tests/mutants.py $(FILES)

bench: $(BASE)
	$(PIP) install -e '.[bench,torch]'
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache .hypothesis
