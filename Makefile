# huikuan — the two commands of the README, and their helpers.
#
#   make demo   virtual env + package, a fresh SQLite demo database, today's daily run, the worklist,
#               then the web workbench at http://127.0.0.1:8000 with one demo user per role (Ctrl-C stops)
#   make demo-build   the same without serving (for CI and scripts: never blocks)
#   make test   virtual env + package + system packages (PostgreSQL), then the whole suite on
#               SQLite and PostgreSQL
#   make lint   ruff, and mypy --strict over all of src/huikuan
#   make lock   re-pin requirements.lock after a dependency changed in pyproject.toml
#
# Works from a clean clone on Debian/Ubuntu with Python 3.11+; apt-get runs only when something is
# missing (as root, or through sudo), so re-runs work offline.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LOCK := requirements.lock
DEMO_DB := huikuan.db
HUIKUAN := $(VENV)/bin/huikuan --database-url sqlite:///$(DEMO_DB)
PYTEST_ARGS ?=
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get

.PHONY: venv sysdeps demo demo-build test lint lock clean pg pg-stop

# A venv whose interpreter no longer runs (Python upgraded or moved) is rebuilt, stamp or not.
venv:
	@$(PY) -c '' >/dev/null 2>&1 || rm -f $(STAMP)
	@$(MAKE) -s --no-print-directory $(STAMP)

# Installs exactly the pinned versions (and hashes) of $(LOCK), then the package itself without
# resolving anything: two machines get the same versions. Re-installs only when pyproject.toml or the
# lock is newer than the stamp. After changing dependencies in pyproject.toml: `make lock`.
$(STAMP): pyproject.toml $(LOCK)
	@python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
	  || { echo "huikuan needs Python 3.11 or newer as python3 (found $$(python3 --version 2>&1))" >&2; exit 1; }
	@set -e; \
	if command -v uv >/dev/null 2>&1; then \
	  $(PY) -c '' >/dev/null 2>&1 || { rm -rf $(VENV); UV_PYTHON_DOWNLOADS=never uv venv --python python3 $(VENV); }; \
	  UV_PYTHON_DOWNLOADS=never uv pip sync --python $(PY) --require-hashes $(LOCK); \
	  UV_PYTHON_DOWNLOADS=never uv pip install --python $(PY) --no-deps -e .; \
	else \
	  if ! { [ -x $(PY) ] && $(PY) -m pip --version >/dev/null 2>&1; }; then \
	    rm -rf $(VENV); \
	    if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then \
	      v=$$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")'); \
	      $(APT) update && { $(APT) install -y python$$v-venv || $(APT) install -y python3-venv; }; \
	    fi; \
	    python3 -m venv $(VENV); \
	  fi; \
	  $(PY) -m pip install --disable-pip-version-check -q --require-hashes -r $(LOCK); \
	  $(PY) -m pip install --disable-pip-version-check -q --no-deps -e .; \
	fi
	@touch $(STAMP)

# Re-pin after a dependency changed in pyproject.toml (the source of the abstract requirements).
# Versions already in the lock are kept where they still fit; `make lock UPGRADE=1` moves all to the newest.
# Without uv, pip-tools in a throwaway venv does the same job.
lock:
	@set -e; \
	if command -v uv >/dev/null 2>&1; then \
	  uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 --generate-hashes \
	    --no-header $(if $(UPGRADE),--upgrade) -o $(LOCK); \
	else \
	  tmp=$$(mktemp -d); python3 -m venv $$tmp; $$tmp/bin/pip install -q pip-tools; \
	  $$tmp/bin/pip-compile -q --extra dev --generate-hashes --strip-extras --no-header \
	    $(if $(UPGRADE),--upgrade) -o $(LOCK) pyproject.toml; rm -rf $$tmp; \
	fi
	@echo "$(LOCK) updated: commit it with pyproject.toml"

# PostgreSQL server binaries for the test clusters, Chromium (with CJK fonts) for the browser tests,
# Pango (WeasyPrint's layout library) and poppler-utils (pdftotext, pdffonts, pdftoppm) for the letters;
# apt only when missing.
sysdeps:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then \
	  echo "PostgreSQL server found: $$(ls -d /usr/lib/postgresql/*/bin | tail -n 1)"; \
	else \
	  $(APT) update && $(APT) install -y --no-install-recommends postgresql; \
	fi
	@if [ -x /usr/bin/chromium ] && ls /usr/share/fonts/opentype/noto/NotoSansCJK* >/dev/null 2>&1; then \
	  echo "Chromium found: /usr/bin/chromium"; \
	else \
	  $(APT) update && $(APT) install -y --no-install-recommends chromium fonts-noto-cjk; \
	fi
	@# Letters and the monthly report: WeasyPrint needs Pango, the pages a CJK font (checked with Chromium above);
	@# their tests read the PDFs back with pdftotext, pdffonts and pdftoppm (poppler-utils).
	@missing=""; \
	ls /usr/lib/*/libpango-1.0.so.0 /usr/lib/libpango-1.0.so.0 2>/dev/null | grep -q . || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	for tool in pdftotext pdffonts pdftoppm; do command -v $$tool >/dev/null 2>&1 || { missing="$$missing poppler-utils"; break; }; done; \
	if [ -n "$$missing" ]; then $(APT) update && $(APT) install -y --no-install-recommends $$missing; \
	else echo "Pango (WeasyPrint) and poppler-utils found"; fi

# The workbench's own sender (every minute) also delivers to the demo's folders.
demo: demo-build
	HUIKUAN_MAIL_DIR=demo-mail HUIKUAN_SMS_DIR=demo-sms $(HUIKUAN) serve --host 127.0.0.1 --port 8000

# The reminders are delivered to folders (demo-mail/*.eml, demo-sms/*.json) as if at 17:00 of the last
# working day before today — never after the demo's today, so no page shows a last contact in the future;
# today's reminders go out through the workbench's own sender (`make demo`) at their time. First, the
# consumer CN-DEMO's messages are tried at 22:30 today: the compliance guard refuses them (consumer quiet
# hours 22:00–08:00) and the refusal shows on its timeline. services/demo_comms.py `send_moments` picks both.
DEMO_MOMENT = $(PY) -c 'import sys; from huikuan.bootstrap import bootstrap; from huikuan.config import Settings; \
	from huikuan.services.demo_comms import send_moments; \
	print(send_moments(bootstrap(Settings(database_url="sqlite:///$(DEMO_DB)")))[sys.argv[1]])'

demo-build: venv sysdeps
	rm -rf $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm demo-mail demo-sms
	$(HUIKUAN) demo-data --customers 300 --months 14 --seed 7
	$(HUIKUAN) run
	$(HUIKUAN) model train
	$(HUIKUAN) worklist
	HUIKUAN_MAIL_DIR=demo-mail HUIKUAN_SMS_DIR=demo-sms $(HUIKUAN) send --once --customer CN-DEMO \
		--at "$$($(DEMO_MOMENT) night)"
	HUIKUAN_MAIL_DIR=demo-mail HUIKUAN_SMS_DIR=demo-sms $(HUIKUAN) send --once --at "$$($(DEMO_MOMENT) send)"
	@echo "e-mails: demo-mail/ ($$(ls demo-mail 2>/dev/null | wc -l) .eml files) · SMS: demo-sms/ · huikuan outbox"
	$(HUIKUAN) user demo

# pytest exits 5 when it collected no test: a suite that ran nothing has not passed.
test: venv sysdeps lint
	@$(PY) -m pytest -n 2 -p no:cacheprovider $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; \
	exit $$rc

lint: venv
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy --strict src/huikuan

# A local throwaway PostgreSQL cluster under .pg/ (started as in the test fixtures); prints its URL.
pg: venv sysdeps
	@$(PY) tests/pg_local.py

pg-stop: venv
	@$(PY) tests/pg_local.py stop

clean:
	rm -rf $(VENV) $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm demo-mail demo-sms
