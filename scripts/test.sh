#!/usr/bin/env bash
# Installs dependencies, builds hwgq and runs every test: the Release build (with the CUDA
# backend when nvcc is present; GPU tests skip without a GPU) and a project built against
# its installed package (scripts/test_install.sh), then a CPU build with clang under
# AddressSanitizer and UndefinedBehaviorSanitizer, whose tests run and whose libFuzzer
# targets each fuzz for a bounded time. Set HWGQ_SKIP_SANITIZE=1 to run only the first.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
# Test processes run side by side (ctest -j): OpenMP threads that spin while waiting would
# take the cores from each other, so they sleep instead.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}

bash scripts/install_deps.sh

echo "== Python: the package's build and tests, and the interop checks =="
# One virtual environment: scikit-build-core, pybind11, NumPy and pytest for the package
# (scripts/python_venv.sh); TensorBoard's reader for the event files hwgq writes
# (tests/monitor/) and onnxruntime for what `hwgq export --format=onnx` writes
# (tests/deploy/onnx_export_test.cpp). With HWGQ_REQUIRE_PYTHON_TESTS=1 those C++ tests
# fail instead of skipping where this Python is missing.
bash scripts/python_venv.sh build/python-venv
build/python-venv/bin/pip install -q --disable-pip-version-check tensorboard onnxruntime
export HWGQ_TEST_PYTHON=$PWD/build/python-venv/bin/python HWGQ_REQUIRE_PYTHON_TESTS=1

echo "== Release build =="
# With the Python module, built against the venv that scripts/test_python.sh installs into.
BUILD_DIR=build bash scripts/build.sh -DHWGQ_PYTHON=ON -DPython_EXECUTABLE="$PWD/build/python-venv/bin/python" \
  -Dpybind11_DIR="$(build/python-venv/bin/python -m pybind11 --cmakedir)"
# The Release pass also runs the long tests (the authors' largest ImageNet nets built and
# trained for 2 iterations); the sanitizer pass leaves them out for time.
(cd build && HWGQ_LONG_TESTS=1 ctest --output-on-failure -j"$JOBS")
# The installed package: a project outside the tree finds hwgq::hwgq and runs a net.
BUILD_DIR=build bash scripts/test_install.sh
# The Python package: pip install . (reusing build/) and the pytest suite.
BUILD_DIR=build bash scripts/test_python.sh

if [ "${HWGQ_SKIP_SANITIZE:-0}" != "1" ]; then
  # One clang build serves both: the tests under the sanitizers, and the libFuzzer targets
  # (fuzz/, docs/fuzzing.md), which then run HWGQ_FUZZ_SECONDS (default 20) each.
  echo "== AddressSanitizer + UndefinedBehaviorSanitizer build (clang, with the fuzz targets) =="
  # Without oneDNN: Debian's libdnnl runs on GNU OpenMP, this build on LLVM's, and two
  # OpenMP runtimes in one process is what this build must not have; the im2col engine
  # (the only one without oneDNN) is tested here instead.
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHWGQ_FUZZ=ON -DHWGQ_USE_CUDA=OFF \
    -DHWGQ_USE_DNNL=OFF -DCMAKE_CXX_COMPILER=clang++
  cmake --build build-asan -j"$JOBS"
  # The checks that run Python (onnxruntime, TensorBoard's reader) ran in the Release pass;
  # here they skip, for time.
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
     env -u HWGQ_TEST_PYTHON HWGQ_REQUIRE_PYTHON_TESTS=0 ctest --output-on-failure -j"$JOBS")
  echo "== Fuzzing =="
  bash fuzz/run_all.sh "${HWGQ_FUZZ_SECONDS:-20}" build-asan
fi
echo "scripts/test.sh: all tests passed"
