# Two commands on a fresh machine: `make serve` and `make test`.
# Each creates .venv, installs, prepares the model, builds the index if stale, then serves or tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: serve test test-fast lint setup model index browser bench soak quality screenshots clean

serve: index
	$(PY) -m acuerdos serve

test: lint index browser
	$(PY) -m pytest -q

# Unit tests without the real model, server or browser: about a minute, for every change.
test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not model and not server and not browser" -p no:cacheprovider

# Tools live outside the wheel (tools/); they measure the product from outside.
bench: index
	$(PY) -m tools.bench

soak: index
	$(PY) -m tools.soak

# docs/quality.md from a fresh measurement: leave-one-set-out, baselines, ablations, threads
quality: index
	$(PY) -m tools.quality_report

# docs/screenshot.png and docs/screenshot-phone.png, taken by the browser tests (a plain test run keeps them in a
# temporary directory)
screenshots: index browser
	ACUERDOS_SCREENSHOTS=1 $(PY) -m pytest -q tests/app/test_browser.py tests/app/test_browser_issue14.py -k "screenshot or (read_in_your_language and phone)"

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests tools

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

model: $(STAMP)
	$(PY) -m acuerdos.embed.model

# `acuerdos build` without --force rebuilds only when the index is missing or stale.
index: model
	$(PY) -m acuerdos build

# The browser test drives Debian's Chromium; Playwright never downloads a browser.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "note: /usr/bin/chromium missing; the browser test will be skipped (apt-get install chromium)"; fi; }

clean:
	rm -rf embeddings/*.faiss embeddings/*.json embeddings/*.jsonl embeddings/lexical
