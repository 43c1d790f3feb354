#!/usr/bin/env bash
# Installs the hwgq built in $BUILD_DIR (default build/) into a temporary prefix, then
# configures and builds tests/consumer against that prefix only (find_package(hwgq CONFIG))
# and runs it and the installed CLI. Checks that the package is complete: headers, the
# generated protobuf header, the library and every library it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}

if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  echo "test_install: no build in $BUILD_DIR (run scripts/build.sh first)" >&2
  exit 1
fi
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"

echo "== install into $prefix =="
cmake --install "$BUILD_DIR" --prefix "$prefix" > "$work/install.log"

echo "== consumer project against the installed package =="
cmake -S tests/consumer -B "$work/consumer" -DCMAKE_BUILD_TYPE="${build_type:-Release}" \
  -DCMAKE_PREFIX_PATH="$prefix"
found_dir=$(sed -n 's/^hwgq_DIR:PATH=//p' "$work/consumer/CMakeCache.txt")
case "$found_dir" in
  "$prefix"/*) ;;
  *) echo "test_install: find_package(hwgq) used $found_dir, not the installed package" >&2; exit 1 ;;
esac
cmake --build "$work/consumer" -j"$JOBS"
"$work/consumer/hwgq_consumer"

echo "== installed CLI =="
"$prefix/bin/hwgq" help > "$work/help.txt"
grep -q "train" "$work/help.txt" || { echo "test_install: installed hwgq help lists no verbs" >&2; exit 1; }
echo "test_install: the installed package builds and runs tests/consumer"
