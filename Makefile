# The README's quick start: `make run` and `make test`. Installs are locked by uv.lock.
UV_VERSION := 0.13.9
UV := .uv/bin/uv
RUN := $(UV) run --frozen --no-sync
export UV_PYTHON_DOWNLOADS := never
# The environment may forbid writing .pyc files at run time; compiled at install, start-up is 3x faster.
export UV_COMPILE_BYTECODE := 1

.PHONY: run test lint clean

$(UV):
	python3 -m venv .uv
	.uv/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

## Install the product and run the daemon on the embedded SQLite default, with the demo month
## (written only into an empty ledger), in the foreground at http://127.0.0.1:8050 until Ctrl-C.
run: $(UV)
	$(UV) sync --frozen --inexact  # keeps the dev tools `make test` installed
	$(RUN) governance init
	$(RUN) governance demo --if-empty
	@echo "Starting the daemon; it logs where to look (the dashboard at /, /directives, /metrics,"
	@echo "/healthz: http://127.0.0.1:8050 with the starter config). Ctrl-C or SIGTERM stops it."
	$(RUN) governance run

## Install the dev tools and run the whole suite: lint, types, tests.
test: $(UV)
	$(UV) sync --frozen --extra dev
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy
	$(RUN) pytest

clean:
	rm -rf .uv .venv .pytest_cache .mypy_cache .ruff_cache
