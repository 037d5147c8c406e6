# The two commands: `make run` and `make test`. Both create the virtualenv and install first.
# While working: `make check` (the fast loop: unit tests and mypy) and `make lint` (ruff).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check bench lint typecheck clean venv browser nginx wget

# The packages' bytecode is compiled by compileall on every core, not by pip on one (33 s → 26 s
# here); compile errors in a package's stray files are ignored, as pip ignores them.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip
	$(BIN)/python -m pip install -qq --no-compile -e '.[dev,readers]'
	$(BIN)/python -m compileall -qq -j 0 $(VENV)/lib >/dev/null || true
	touch $(STAMP)

venv: $(STAMP)

## make run: install, then crawl the bundled demo paper into archive/baotinh.sqlite (offline)
run: $(STAMP)
	$(BIN)/baotinh demo

## browser: Debian's Chromium + chromedriver for the browser tests, when missing and allowed
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	 { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && apt-get update -qq && \
	   DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; } || \
	 echo "chromium not installed: browser tests will skip (and fail under CI=true)"

## wget: the WARC import test mirrors the demo paper with real `wget --warc-file`
wget:
	@command -v wget >/dev/null || \
	 { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && apt-get update -qq && \
	   DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wget >/dev/null; } || \
	 echo "wget not installed: the WARC import tests will skip (and fail under CI=true)"

## make test: install, then type-check and run the whole test suite at once (mypy uses the core
## the tests leave idle): two pytest workers per core, work stolen as workers finish (most tests
## wait on a crawler child or a server; measured on 2 cores: 214 s with one worker per core,
## 185 s with two). Fails when either fails; mypy's report is printed after the tests'.
test: $(STAMP) browser wget
	@typed=$$(mktemp); $(BIN)/python -m mypy > $$typed 2>&1 & mypy=$$!; \
	 $(BIN)/python -m pytest -q -n $$(( $$(nproc) * 2 )) --dist worksteal; tests=$$?; \
	 wait $$mypy; types=$$?; cat $$typed; rm -f $$typed; \
	 [ $$tests -eq 0 ] && [ $$types -eq 0 ]

## make check: the fast loop, under 90 s: type-check, then every test not marked slow
check: $(STAMP)
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest -q -m "not slow"

## make lint: ruff over the code and the tests (configured in pyproject.toml)
lint: $(STAMP)
	$(BIN)/python -m ruff check .

## nginx: the benchmarks' fixture server (Debian's package), when missing and allowed
nginx:
	@command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || \
	 { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && apt-get update -qq && \
	   DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; } || \
	 echo "nginx not installed: the benchmarks serve their site with Python (slower, noisier)"

## make bench: the benchmark suite; rewrites benchmarks/RESULTS.md
bench: $(STAMP) nginx
	$(BIN)/python -m pip install -qq -e '.[dev,readers,bench]'
	$(BIN)/python -m benchmarks

typecheck: $(STAMP)
	$(BIN)/python -m mypy

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .pytest_cache
