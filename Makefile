PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The exact versions every install uses: the runtime's for the image, with the tools' here.
LOCK := requirements-dev.lock
COMPILE := $(BIN)/uv pip compile pyproject.toml --python-version 3.11 \
	--python-platform x86_64-unknown-linux-gnu --quiet

.PHONY: install lock messages chromium run test lint typecheck pytest bench bench-quick clean

install: $(STAMP)

$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

# After a change to the dependencies in pyproject.toml: pin them again, newest that fit.
lock: install
	$(COMPILE) -o requirements.lock
	$(COMPILE) --extra dev -o requirements-dev.lock

run: install
	$(BIN)/pilotflow dev

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

# The browser tests drive Debian's Chromium through Playwright (never Playwright's download).
chromium:
	@test -x /usr/bin/chromium || { apt-get update && apt-get install -y --no-install-recommends chromium; }

pytest: install chromium
	$(BIN)/pytest

test: lint typecheck pytest

# Issue 10's benchmark on the real stack (never part of `test`): docs/PERFORMANCE.md.
bench: install
	$(BIN)/python -m benchmarks.run

bench-quick: install
	$(BIN)/python -m benchmarks.run --quick

clean:
	rm -rf $(VENV) data

# After adding or changing a text: extract every marked text into locales/messages.pot and
# merge it into each locale's messages.po (new texts come in untranslated, changed ones fuzzy).
messages: install
	$(BIN)/pybabel extract --mapping-file babel.cfg --sort-output --add-location file \
		--add-comments Translators: --no-wrap --omit-header --output-file locales/messages.pot .
	$(BIN)/pybabel update --input-file locales/messages.pot --output-dir locales \
		--no-wrap --ignore-obsolete --ignore-pot-creation-date
