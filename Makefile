# faceapp developer commands: `make run` and `make test` are all a fresh machine needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
export QT_QPA_PLATFORM ?= $(if $(DISPLAY)$(WAYLAND_DISPLAY),,offscreen)

.PHONY: setup weights run test lint bench package clean

setup: $(STAMP) weights

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("faceapp needs Python >= 3.10") if sys.version_info < (3, 10) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

weights: $(STAMP)
	$(BIN)/faceapp weights fetch
	$(BIN)/faceapp weights convert

run: setup
	$(BIN)/faceapp gui

test: setup
	$(BIN)/ruff check faceapp tests benchmarks
	$(BIN)/ruff format --check faceapp tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check faceapp tests benchmarks
	$(BIN)/ruff format --check faceapp tests benchmarks
	$(BIN)/mypy

bench: setup
	$(BIN)/faceapp bench

package: setup
	$(BIN)/python -m pip install --quiet -e '.[package]'
	$(BIN)/pyinstaller --noconfirm faceapp.spec

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
