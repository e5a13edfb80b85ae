# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test check install install-test translations translations-update lint format browser nginx clean

# Mail in development is written to instance/mail/*.eml, unless MAIL_BACKEND=smtp is given.
run: install translations
	$(FLASK) db upgrade
	$(FLASK) demo load --if-empty
	MAIL_BACKEND=$${MAIL_BACKEND:-file} $(FLASK) run --host 127.0.0.1 --port 5000

test: install-test translations browser nginx
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

# The fast lane while developing: lint and every test but the browser and live-server ones.
check: install-test translations nginx
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -m "not e2e and not slow" -n auto -q

# The service alone for `make run`; the test tools (browser driver, SMTP server…) on top for `make test`.
install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

install-test: $(TEST_STAMP)

$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(TEST_STAMP)

# Compiled catalogues are build output; the .po files are the source. Every pip install
# and wheel compiles them (setup.py); this recompiles them in place after a .po changes.
translations: install
	$(BIN)/pybabel -q compile -d eventapp/translations

# After changing texts: extract them and merge into both catalogues.
translations-update: install-test
	$(BIN)/python scripts/update_translations.py

# Browser tests drive the distribution's Chromium; it cannot be downloaded by Playwright here.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; }

# The deployment tests run the shipped nginx site (deploy/nginx/) with Debian's nginx and a
# certificate made by openssl; the system's nginx service is not needed and not started.
nginx:
	@{ command -v nginx || test -x /usr/sbin/nginx; } >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1 || { \
		echo "Installing nginx for the deployment tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx openssl >/dev/null; }

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) instance/*.db* .pytest_cache build dist
	find . -name __pycache__ -prune -exec rm -rf {} +
