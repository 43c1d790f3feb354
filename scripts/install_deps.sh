#!/usr/bin/env bash
# Installs the Debian packages hwgq builds, tests and trains with. Idempotent: packages
# already present are left alone, and apt is only touched when something is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libprotobuf-dev protobuf-compiler
  libgflags-dev libgoogle-glog-dev
  libopenblas-dev libopenblas-openmp-dev
  libgtest-dev googletest
  zlib1g-dev
  liblmdb-dev libjpeg62-turbo-dev libpng-dev
  dataset-fashion-mnist
  librsvg2-bin      # rsvg-convert: PNG figures from hwgq plot
  python3-dev python3-venv python3-numpy   # the Python package and the test script's virtual environment
  libopenmpi-dev openmpi-bin
  libdnnl-dev       # oneDNN: blocked-layout float convolutions on the CPU
  ocl-icd-opencl-dev  # Debian's oneDNN CMake package requires OpenCL (its GPU runtime); only recommended by apt
  # The sanitizer + fuzzing build (clang, libFuzzer, LLVM's OpenMP, OpenBLAS without libgomp).
  clang libclang-rt-14-dev libomp-dev libopenblas-pthread-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install_deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install_deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
