# Two commands: `make demo` (the main job) and `make test` (the whole suite). Each sets itself up.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.dglkit-installed
export OMP_NUM_THREADS ?= 1

.PHONY: demo test setup readme export

# Create the virtual environment if missing and install the kit (editable) with the pinned torch pair.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[dev]"
	@touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	OMP_NUM_THREADS=2 $(PY) -m dglkit.demo $(ARGS)

test: $(STAMP)
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)  # browser test
	@test -e /usr/share/javascript/mathjax/MathJax.js || (apt-get update -qq && apt-get install -y -qq libjs-mathjax >/dev/null)  # docs preview: math offline
	$(PY) tools/check_nbs.py
	$(PY) -m pytest -n 2 -q -ra --durations=15 tests

readme: $(STAMP)
	$(PY) tools/readme.py

export: $(STAMP)
	$(VENV)/bin/nbdev-export && $(VENV)/bin/nbdev-clean && $(PY) tools/readme.py
