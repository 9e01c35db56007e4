# Loopwise: `make run` starts the demo, `make test` runs the whole suite.
PORT ?= 8000
# Links in e-mails follow the port unless SITE_URL is set (the web, worker and beat share it).
SITE_URL ?= http://127.0.0.1:$(PORT)
PY := .venv/bin/python
export UV_PYTHON_DOWNLOADS := never

.PHONY: run test lint venv demo clean bench-load

venv: .venv/.synced

.venv/.synced: pyproject.toml uv.lock
	@command -v uv >/dev/null || python3 -m pip install --quiet "uv==0.13.8"
	uv sync --frozen --python python3.11
	@touch $@

demo: venv
	$(PY) manage.py migrate --noinput
	SITE_URL=$(SITE_URL) $(PY) manage.py seed_demo

run: demo
	@echo ""
	@echo "Loopwise is starting on http://127.0.0.1:$(PORT)/  (health: http://127.0.0.1:$(PORT)/healthz)"
	@echo "Sign in at http://127.0.0.1:$(PORT)/login/ with the demo logins above; Ctrl-C stops everything."
	@echo "Links in e-mails point at $(SITE_URL)."
	@echo ""
	SITE_URL=$(SITE_URL) .venv/bin/honcho start --port $(PORT) --procfile Procfile

test: venv
	# The 20 slowest tests of each pass are listed above its summary: where CI's time goes.
	bash scripts/test.sh --durations=20

lint: venv
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy .
	.venv/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run

bench-load: venv
	$(PY) bench/load_benchmark.py

clean:
	rm -rf var .venv staticfiles
