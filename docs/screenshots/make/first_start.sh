#!/usr/bin/env bash
# Screenshot of the packaged app's first start on a machine without a camera:
# docs/screenshots/first-start.png.
#
# Run from the repository root after `make package` (as root: the check copies the bundle
# to a read-only folder and runs it as the unprivileged user faceapp-check, with an
# environment holding only HOME, PATH and DISPLAY, on its own Xvfb server; the picture is
# the app's own grab, `faceapp gui --exit-after 12 --screenshot PNG`).  It is the bundle
# check tests/package/test_bundle.py::test_first_day_without_a_camera, which also checks
# that no message says to run 'faceapp weights fetch' and that the shipped demo enrols.
#
#   docs/screenshots/make/first_start.sh [BUNDLE]     # default: dist/faceapp
set -euo pipefail
cd "$(dirname "$0")/../../.."
bundle=$(realpath "${1:-dist/faceapp}")
packaging/need-debs xvfb x11-utils
FACEAPP_BUNDLE="$bundle" \
FACEAPP_FIRST_START_SCREENSHOT="$PWD/docs/screenshots/first-start.png" \
    .venv/bin/python -m pytest -q -p no:cacheprovider tests/package -k test_first_day_without_a_camera
echo "wrote docs/screenshots/first-start.png"
