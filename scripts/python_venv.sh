#!/usr/bin/env bash
# Makes a fresh virtual environment for the Python package: /usr/bin/python3 (the
# interpreter whose headers and libpython python3-dev provides) with what building and
# testing the package needs (scikit-build-core, pybind11, NumPy, pytest).
#   scripts/python_venv.sh build/python-venv
set -euo pipefail
VENV=${1:?usage: scripts/python_venv.sh FOLDER}
rm -rf "$VENV"
/usr/bin/python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q "scikit-build-core>=0.10" "pybind11>=2.10" numpy pytest
