# Open EVSE firmware: host set-up, simulation and tests. See README.md.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MICROPYTHON := $(VENV)/bin/micropython
STAMP := $(VENV)/.installed-stamp
HA_PYTHON ?= python3.11
HA_VENV := build/ha-venv
HA_STAMP := $(HA_VENV)/.installed-stamp
# (set before the rules that need it: prerequisites expand at once)
NODE_STAMP := node_modules/.installed-stamp

.PHONY: venv
venv: $(STAMP)

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python 3.10 or newer is needed")'
	@$(PYTHON) -m venv $(VENV) || { echo "python3 -m venv failed: on Debian/Ubuntu run 'sudo apt-get install python3-venv'"; exit 1; }
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

MPY_ENV := MICROPYPATH=.frozen:.:firmware:build/mpylib  # .frozen first: it holds the built-in asyncio
SCENARIO ?= scenarios/plain_session.json

.PHONY: sim
sim: $(STAMP)  ## a demo charging session on the virtual bench, as a readable timeline
	$(PY) -m tools.sim $(SCENARIO) --pretty

.PHONY: test test-cpython test-micropython
test: test-cpython test-micropython test-boards  ## every test, on CPython and on MicroPython

test-cpython: $(STAMP) $(HA_STAMP) mosquitto chromium $(NODE_STAMP)  # (node: the second OCPP central system)
	$(PY) -m pytest -q host_tests

# ---- Network peers (issue 12): Debian's mosquitto, and Home Assistant's own discovery schemas ---------------

.PHONY: mosquitto ha-venv
mosquitto:  ## Debian's MQTT broker for the peer tests (tests start it on 127.0.0.1 themselves)
	@command -v mosquitto >/dev/null || { \
		command -v apt-get >/dev/null || { echo "mosquitto not found and no apt-get: install Debian's mosquitto"; exit 1; }; \
		$(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -q mosquitto >/dev/null || \
		{ $(if $(filter 0,$(shell id -u)),,sudo) apt-get update -q >/dev/null && \
		  $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -q mosquitto >/dev/null; }; }
	@command -v mosquitto_passwd >/dev/null || { echo "mosquitto_passwd missing"; exit 1; }

# ---- The web page (issue 14): microdot for the unix port, Debian's chromium for the browser test ------------
.PHONY: mpylib chromium web
mpylib: $(STAMP)  ## the installed microdot's files in build/mpylib/, where the MicroPython unix port finds them
	$(PY) -m tools.fwbuild --lib build/mpylib

chromium:  ## Debian's chromium and chromium-driver for the browser test (headless, 127.0.0.1 only)
	@command -v chromedriver >/dev/null || { \
		command -v apt-get >/dev/null || { echo "chromedriver not found and no apt-get: install Debian's chromium-driver"; exit 1; }; \
		$(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -q chromium chromium-driver >/dev/null || \
		{ $(if $(filter 0,$(shell id -u)),,sudo) apt-get update -q >/dev/null && \
		  $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -q chromium chromium-driver >/dev/null; }; }

web: $(STAMP)  ## the web page and API under CPython against a charging session on the bench: http://127.0.0.1:8080/
	$(PY) -m tools.webdev

ha-venv: $(HA_STAMP)  ## PyPI homeassistant 2024.3.3 (about 400 MB) in its own venv: validates our discovery configs

$(HA_STAMP): tools/ha/requirements.txt
	@command -v $(HA_PYTHON) >/dev/null || { echo "$(HA_PYTHON) not found: Home Assistant 2024.3 needs Python 3.11"; exit 1; }
	rm -rf $(HA_VENV)
	$(HA_PYTHON) -m venv $(HA_VENV)
	$(HA_VENV)/bin/pip install --quiet --disable-pip-version-check -r tools/ha/requirements.txt
	@touch $@

# The same plain-assert test modules under the real MicroPython unix port (host-only ones are named).
test-micropython: $(STAMP) mpylib
	$(MPY_ENV) $(MICROPYTHON) -X heapsize=4M tools/mptest.py host_tests

# ---- Boards (issue 3): compile, type-check, allocation proofs on webassembly, deploy, virtual board --------
BOARD ?= pico
PORT ?=
STUBS_STAMP := build/stubs/.installed-stamp
STUBS_RP2 := micropython-rp2-rpi-pico-stubs==1.29.0.post1
STUBS_ESP32 := micropython-esp32-stubs==1.29.0.post1

# npm packages pinned in package.json / package-lock.json: the webassembly port and pyright.
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: on Debian/Ubuntu run 'sudo apt-get install nodejs npm'"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# MicroPython stubs, one folder per port: each port's code is checked against its own stubs only.
$(STUBS_STAMP): $(STAMP) Makefile
	rm -rf build/stubs
	$(PY) -m pip install --quiet --disable-pip-version-check --target build/stubs/rp2 $(STUBS_RP2)
	$(PY) -m pip install --quiet --disable-pip-version-check --target build/stubs/esp32 $(STUBS_ESP32)
	@touch $@

.PHONY: build mpy-check typecheck test-wasm test-boards deploy vboard
build: $(STAMP)  ## the firmware image for BOARD (default pico) in build/BOARD/: .mpy files and main.py
	$(PY) -m tools.fwbuild $(BOARD)

mpy-check: $(STAMP)  ## mpy-cross -march=armv6m and -march=xtensawin compile every firmware file
	$(PY) -m tools.fwbuild --check

typecheck: $(NODE_STAMP) $(STUBS_STAMP)  ## pyright: rp2 code against rp2 stubs, esp32 code against esp32 stubs
	node_modules/.bin/pyright -p tools/typecheck/pyrightconfig.rp2.json
	node_modules/.bin/pyright -p tools/typecheck/pyrightconfig.esp32.json

test-wasm: $(NODE_STAMP)  ## every plain-assert test module (allocation proofs included) on the 32-bit webassembly port
	node tools/wasm/mptest.mjs $$($(PY) tools/mptest.py --list host_tests)

test-boards: mpy-check typecheck test-wasm

deploy: build  ## make deploy BOARD=pico PORT=/dev/ttyACM0 [PIN=1234]: copy the image with mpremote, reset the board
	$(PY) -m tools.deploy --board $(BOARD) --port "$(PORT)" $(if $(PIN),--pin "$(PIN)")

# make vboard [VBOARD_FLASH=DIR] [VBOARD_DEPLOY=1] [VBOARD_SCENARIO=FILE]: DIR is a flash kept between runs
# (default: a new empty one each time); VBOARD_DEPLOY=1 puts the repo's firmware on it first (settings kept);
# FILE's events are played in real time from each power-up, and the settings it names written into the
# flash's settings.json at each power-up (mqtt_host ... point the board at a broker: docs/network.md).
vboard: $(STAMP)  ## the firmware on the MicroPython unix port behind a pseudo-terminal; prints its path
	$(PY) -m tools.vboard.pty_host --board $(BOARD) $(if $(VBOARD_FLASH),--flash $(VBOARD_FLASH)) \
		$(if $(VBOARD_DEPLOY),--deploy) $(if $(VBOARD_SCENARIO),--scenario $(VBOARD_SCENARIO))

.PHONY: clean
clean:
	rm -rf build .pytest_cache .hypothesis

.PHONY: bench
bench: $(STAMP) $(NODE_STAMP)  ## measure the budgets on real runs and write docs/performance.md
	@command -v valgrind >/dev/null || echo "bench: valgrind not found: no RP2040 estimate (sudo apt-get install valgrind)"
	$(PY) -m tools.perf
