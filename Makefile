# Open EVSE firmware: host set-up, simulation and tests. See README.md.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MICROPYTHON := $(VENV)/bin/micropython
STAMP := $(VENV)/.installed-stamp

.PHONY: venv
venv: $(STAMP)

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python 3.10 or newer is needed")'
	@$(PYTHON) -m venv $(VENV) || { echo "python3 -m venv failed: on Debian/Ubuntu run 'sudo apt-get install python3-venv'"; exit 1; }
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

MPY_ENV := MICROPYPATH=.frozen:.:firmware  # .frozen first: it holds the built-in asyncio
SCENARIO ?= scenarios/plain_session.json

.PHONY: sim
sim: $(STAMP)  ## a demo charging session on the virtual bench, as a readable timeline
	$(PY) -m tools.sim $(SCENARIO) --pretty

.PHONY: test test-cpython test-micropython
test: test-cpython test-micropython  ## every test, on CPython and on MicroPython

test-cpython: $(STAMP)
	$(PY) -m pytest -q host_tests

# The same plain-assert test modules under the real MicroPython unix port (host-only ones are named).
test-micropython: $(STAMP)
	$(MPY_ENV) $(MICROPYTHON) -X heapsize=4M tools/mptest.py host_tests

.PHONY: clean
clean:
	rm -rf build .pytest_cache .hypothesis

.PHONY: bench
bench: $(STAMP)  ## measure the budgets on real runs and write docs/performance.md
	@command -v valgrind >/dev/null || echo "bench: valgrind not found: no RP2040 estimate (sudo apt-get install valgrind)"
	$(PY) -m tools.perf
