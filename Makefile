# Two commands do all set-up on a fresh machine: `make chat` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check
# llama-cpp-python compiles llama.cpp once (~8 min on 2 cores); pip caches the wheel after.
export CMAKE_BUILD_PARALLEL_LEVEL ?= 2

.PHONY: chat test lint bench eval clean-venv

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

# Reinstall whenever pyproject.toml changes.
$(VENV)/.installed-local: pyproject.toml | $(PY)
	$(PIP) install -e '.[local]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PIP) install -e '.[local,test]'
	touch $@ $(VENV)/.installed-local

chat: $(VENV)/.installed-local
	$(VENV)/bin/companion

test: $(VENV)/.installed-test
	$(PY) -m pytest

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check companion tests benchmarks
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

bench: $(VENV)/.installed-test
	$(PY) benchmarks/llm.py
	$(PY) benchmarks/retrieval.py --sizes 1000
	$(PY) benchmarks/startup.py
	$(PY) benchmarks/analyser.py

eval: $(VENV)/.installed-test
	$(VENV)/bin/companion eval run

clean-venv:
	rm -rf $(VENV)
