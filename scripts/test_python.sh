#!/usr/bin/env bash
# The Python package: `pip install .` into the virtual environment scripts/python_venv.sh
# made, then the pytest suite (tests/python, which also runs the examples).
#
# BUILD_DIR (default build) must have been configured by scripts/test.sh with this
# venv's Python and pybind11: pip then builds in that directory (scikit-build-core's
# build-dir), so only the extension module is compiled and linked, not the library again.
# REUSE_BUILD_DIR=0 builds the package from scratch instead, as on a fresh clone.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
VENV=${VENV:-$BUILD_DIR/python-venv}
PY="$VENV/bin/python"

start=$(date +%s)
if [ "${REUSE_BUILD_DIR:-1}" = "1" ]; then
  # The directory keeps its generator and cached options; its tests stay configured.
  generator=$(sed -n 's/^CMAKE_GENERATOR:INTERNAL=//p' "$BUILD_DIR/CMakeCache.txt")
  CMAKE_GENERATOR="$generator" "$PY" -m pip install -q --no-build-isolation \
    --config-settings=build-dir="$BUILD_DIR" --config-settings=cmake.define.HWGQ_BUILD_TESTS=ON .
else
  "$PY" -m pip install -q .
fi
echo "test_python: pip install . took $(( $(date +%s) - start )) s"

# From outside the source tree, so that `import hwgq` is the installed package.
HWGQ_CLI=${HWGQ_CLI:-$PWD/$BUILD_DIR/bin/hwgq} \
  "$PY" -m pytest -q -p no:cacheprovider --rootdir=tests/python tests/python
