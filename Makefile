# faceapp developer commands: `make run` and `make test` are all a fresh machine needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# Test workers (pytest-xdist, whole files per worker): one more than the CPUs, as many as
# the available memory holds (tests/workers.py); TEST_JOBS=0 runs in this process.
TEST_JOBS ?= $(shell $(BIN)/python tests/workers.py)
export QT_QPA_PLATFORM ?= $(if $(DISPLAY)$(WAYLAND_DISPLAY),,offscreen)

.PHONY: setup weights run test lint bench package package-check clean

setup: $(STAMP) weights

# An editable install leaves faceapp uncompiled; compiled here, as a regular install would,
# so that no process compiles it again where PYTHONDONTWRITEBYTECODE is set (0.3-0.45 s of
# CPU for each process importing all of it: every test worker and child process).
$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("faceapp needs Python >= 3.10") if sys.version_info < (3, 10) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m compileall -q faceapp
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
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -n $(TEST_JOBS) --dist loadfile --max-worker-restart 0

lint: $(STAMP)
	$(BIN)/ruff check faceapp tests benchmarks
	$(BIN)/ruff format --check faceapp tests benchmarks
	$(BIN)/mypy

bench: setup
	$(BIN)/faceapp bench

# The packaged app: built from a runtime-only venv (no TensorFlow, no dev tools) with the
# FaceNet model converted beforehand; writes dist/faceapp/ and the download archive.
PKG_VENV  := .venv-package
PKG_BIN   := $(PKG_VENV)/bin
PKG_STAMP := $(PKG_VENV)/.installed-stamp
VERSION   := $(shell sed -n 's/^__version__ = "\(.*\)"/\1/p' faceapp/__init__.py)
ARCHIVE   := dist/faceapp-$(VERSION)-linux-x86_64.tar.gz
# binutils: objdump, which the spec and PyInstaller use.  Then the libraries Qt's xcb plugin
# needs that a desktop may lack: PyInstaller bundles them from here.
BUILD_DEBS := binutils libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-util1 \
              libxcb-cursor0 libxkbcommon-x11-0 libxkbcommon0
# Tools of the bundle's smoke test: an X server, xwininfo, desktop-file-validate, time.
CHECK_DEBS := xvfb x11-utils desktop-file-utils time

$(PKG_STAMP): packaging/requirements-runtime.txt
	test -x $(PKG_BIN)/python || $(PYTHON) -m venv $(PKG_VENV)
	$(PKG_BIN)/python -m pip install --quiet --upgrade pip
	$(PKG_BIN)/python -m pip install --quiet -r packaging/requirements-runtime.txt 'pyinstaller>=6.5'
	$(PKG_BIN)/python -m pip install --quiet --no-deps 'mtcnn>=1.0,<2'
	touch $@

package: setup $(PKG_STAMP)
	$(BIN)/faceapp weights convert
	packaging/need-debs $(BUILD_DEBS)
	rm -rf dist/faceapp $(ARCHIVE)
	$(PKG_BIN)/pyinstaller --noconfirm --log-level WARN faceapp.spec
	tar -C dist -czf $(ARCHIVE) faceapp
	@du -sh dist/faceapp $(ARCHIVE)

# Smoke test of the built bundle: read-only as another user, a window on Xvfb, ldd, GLIBC.
package-check: package
	packaging/need-debs $(CHECK_DEBS)
	FACEAPP_BUNDLE=$(CURDIR)/dist/faceapp FACEAPP_BUNDLE_ARCHIVE=$(CURDIR)/$(ARCHIVE) \
	FACEAPP_BUNDLE_REPORT=$(CURDIR)/dist/bundle-report.json \
	FACEAPP_BUNDLE_SCREENSHOT=$(CURDIR)/dist/bundle-x11.png \
	FACEAPP_FIRST_START_SCREENSHOT=$(CURDIR)/dist/first-start.png \
	PYI_ARCHIVE_VIEWER=$(CURDIR)/$(PKG_BIN)/pyi-archive_viewer \
		$(BIN)/python -m pytest -q -p no:cacheprovider tests/package
	@echo "figures: dist/bundle-report.json, screenshots: dist/bundle-x11.png dist/first-start.png"

clean:
	rm -rf $(VENV) $(PKG_VENV) build dist .pytest_cache .mypy_cache .ruff_cache
