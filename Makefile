# ResolutionFlow: `make run` serves the app on the embedded default, `make test` runs everything.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
BUN := $(CURDIR)/.tools/node_modules/@oven/bun-linux-x64/bin/bun
NPM_REGISTRY := $(shell npm config get registry 2>/dev/null || echo https://registry.npmjs.org/)
export REFLEX_BUN_PATH := $(BUN)
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := false
export NPM_CONFIG_REGISTRY := $(NPM_REGISTRY)
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup setup-test setup-desktop desktop fonts run test test-fast test-postgres test-browser bench migrate demo clean prod-demo

$(VENV)/.installed: pyproject.toml
	test -d $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $@

$(BUN):
	mkdir -p .tools
	npm install --prefix .tools --no-audit --no-fund --no-save @oven/bun-linux-x64@1.4.4

## fonts: DejaVu Sans (Debian fonts-dejavu-core), the Unicode TTF font of the PDFs (audit report, documents)
fonts:
	@test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf && test -f /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf && test -f /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf || (apt-get update -qq && apt-get install -y -qq fonts-dejavu-core >/dev/null) || echo "warning: install the Debian package fonts-dejavu-core: PDF reports need it"

## setup: idempotent install into .venv (Python deps, bun from npm, the PDF font); starts nothing
setup: $(VENV)/.installed $(BUN) fonts

# The desktop window's Debian packages: a virtual screen (xvfb, xdotool) and what Qt's xcb platform and QtWebEngine load
# (ALSA and GLib are named libasound2t64 / libglib2.0-0t64 on Debian 13: tried second).
DESKTOP_APT := xvfb xauth xdotool x11-utils libegl1 libgl1 libopengl0 libgbm1 libnss3 libdbus-1-3 libfontconfig1 \
	libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 \
	libxcb-render-util0 libxcb-shape0 libxcb-xfixes0 libxcb-xinerama0 libxcb-xkb1 libxcomposite1 libxdamage1 \
	libxrandr2 libxtst6 libxshmfence1 libxkbfile1

## setup-desktop: the `desktop` extra (pywebview + Qt wheels) and the Debian libraries the window needs
$(VENV)/.desktop-installed: $(VENV)/.installed
	$(PY) -m pip install -q -e ".[test,desktop]"
	touch $@

setup-desktop: setup $(VENV)/.desktop-installed
	@dpkg -s $(DESKTOP_APT) >/dev/null 2>&1 && ldconfig -p | grep -q "libasound.so.2 " && ldconfig -p | grep -q "libglib-2.0.so.0 " || \
		(apt-get update -qq && apt-get install -y -qq $(DESKTOP_APT) >/dev/null && \
		 for p in libasound2 libglib2.0-0; do apt-get install -y -qq $$p >/dev/null 2>&1 || apt-get install -y -qq $${p}t64 >/dev/null; done)

## setup-test: setup + Debian chromium (browser tests), redis-server (shared rate limits) and the desktop extra
setup-test: setup setup-desktop
	@command -v chromium >/dev/null 2>&1 && command -v redis-server >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium redis-server >/dev/null)

migrate: setup
	$(VENV)/bin/resolutionflow migrate

demo: migrate
	$(VENV)/bin/resolutionflow demo-data

## run: set up, migrate the SQLite database, load demo data once, serve on http://localhost:3000
run: demo
	@echo ""
	@echo "  ResolutionFlow is starting on http://localhost:3000  (API: http://localhost:8000/api/v1/docs)"
	@echo "  Demo login: engineer@example.com / author@example.com / owner@example.com, password: $$($(PY) -c 'from resolutionflow_app.settings import get_settings; print(get_settings().demo_password)')"
	@echo ""
	$(VENV)/bin/reflex run

## desktop: the app in a native window (SQLite in the user's data directory; see README "Desktop")
desktop: setup-desktop
	$(VENV)/bin/resolutionflow desktop

## test: set up everything and run the whole suite (SQLite, PostgreSQL, browser)
test: setup-test
	$(PY) scripts/run_tests.py

test-fast: setup
	$(PY) -m pytest -q -x tests --ignore=tests/e2e

## prod-demo: PostgreSQL + Redis + migrations + 2 app backend workers + 2 automation workers on this machine
prod-demo: setup-test
	$(PY) scripts/prod_demo.py

bench: setup
	for f in bench/*.py; do $(PY) $$f || exit 1; done

clean:
	rm -rf .web data test-artifacts
