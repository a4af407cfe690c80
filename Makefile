# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

# dun's own modules compiled to bytecode, as an installed package has them: each command
# starts without compiling them again, even where PYTHONDONTWRITEBYTECODE is set
COMPILE := $(PY) -m compileall -q receivables store derived publish tui cli > /dev/null

.PHONY: run test install bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

# Opens the app on your book (DUN_BOOK, else the platform's user data folder);
# the first time, that book is filled with demo data so there is something to see.
run: $(STAMP)
	$(COMPILE)
	$(VENV)/bin/dun demo --if-missing
	$(VENV)/bin/dun

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(COMPILE)
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) build *.egg-info
