# The README's quick start: `make run` and `make test`. Installs are locked by uv.lock.
UV_VERSION := 0.13.9
UV := .uv/bin/uv
RUN := $(UV) run --frozen --no-sync
export UV_PYTHON_DOWNLOADS := never
# The environment may forbid writing .pyc files at run time; compiled at install, start-up is 3x faster.
export UV_COMPILE_BYTECODE := 1

# The date-sensitive tests (the daemon, evaluation, alerts, the demo, the dashboard, the CLI)
# run again with the clock at awkward moments: a month's first half hour, the 31st, 28 February,
# Europe/Berlin's DST change day with the budget in Berlin, and the last minute of a year.
CLOCK_MOMENTS := 2027-01-01T00:30:00Z 2027-01-31T12:00:00Z 2027-02-28T23:30:00Z \
	2027-03-28T01:30:00Z@Europe/Berlin 2027-12-31T23:59:00Z
CLOCK_TESTS := tests/test_clock.py tests/e2e/test_run.py tests/e2e/test_alerts_demo.py \
	tests/e2e/test_dashboard_periods.py tests/e2e/test_serve.py \
	tests/integration/test_demo.py tests/integration/test_demo_directives.py \
	tests/integration/test_evaluate.py tests/integration/test_alerts.py \
	tests/integration/test_alerts_cli.py tests/integration/test_worker.py \
	tests/integration/test_cli.py tests/integration/test_pull_cli.py

.PHONY: run test clock lint clean

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
	$(RUN) lint-imports
	$(RUN) pytest
	$(MAKE) --no-print-directory clock

## The date-sensitive tests at each of CLOCK_MOMENTS (MOMENT@ZONE: the budget in ZONE too).
clock: $(UV)
	PYTEST_RUNNER="$(RUN)" bash tests/clock_runs.sh "$(CLOCK_MOMENTS)" $(CLOCK_TESTS)

clean:
	rm -rf .uv .venv .pytest_cache .mypy_cache .ruff_cache
