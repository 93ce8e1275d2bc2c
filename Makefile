# The README's two commands: `make test` and `make demo`. Both build .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: test demo chaos tables clean

$(STAMP): setup.cfg pyproject.toml $(wildcard bin/*)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

test: $(STAMP)
	PATH="$(BIN):$$PATH" $(BIN)/python -m pytest -q

demo: $(STAMP)
	PATH="$(BIN):$$PATH" $(BIN)/python demo/run.py

# The chaos suite's long mode: kills, cloud faults, hostile and huge inputs;
# prints its figures as a table (several minutes).
chaos: $(STAMP)
	PATH="$(BIN):$$PATH" $(BIN)/python bench/chaos_report.py

# After a change of either PLY grammar: the tables they start from.
tables: $(STAMP)
	$(BIN)/python tools/write_parse_tables.py

clean:
	rm -rf $(VENV) build *.egg-info
