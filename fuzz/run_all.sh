#!/usr/bin/env bash
# Runs every fuzz target of a HWGQ_FUZZ build for a bounded time over the committed corpus
# (fuzz/corpus/<target>/, read only, rewritten by make_corpus.sh), the inputs that once
# failed (fuzz/regressions/<target>/, kept by hand) and a working corpus of what it finds
# (BUILD_DIR/fuzz/corpus/<target>/). Any crash, leak, timeout or out-of-memory fails the
# run; libFuzzer writes the input that caused it to BUILD_DIR/fuzz/artifacts/<target>/.
#
# usage: fuzz/run_all.sh [SECONDS_PER_TARGET] [BUILD_DIR]   (defaults 60, build-fuzz)
set -uo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-60}
BUILD=${2:-build-fuzz}

failed=()
for source in fuzz/*_fuzzer.cpp; do
  target=$(basename "$source" .cpp)
  corpus="$BUILD/fuzz/corpus/$target"
  artifacts="$BUILD/fuzz/artifacts/$target"
  mkdir -p "$corpus" "$artifacts"
  seeds=("fuzz/corpus/$target")
  [ -d "fuzz/regressions/$target" ] && seeds+=("fuzz/regressions/$target")
  echo "== $target: ${SECONDS_PER_TARGET}s =="
  # -timeout: one input running 10 s is a hang; -rss_limit_mb: also the largest single
  # allocation libFuzzer tolerates. Leaks are checked (ASan's LeakSanitizer) by default.
  if ! "$BUILD/bin/$target" -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -timeout=10 \
      -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" "${seeds[@]}" \
      >"$BUILD/fuzz/$target.log" 2>&1; then
    failed+=("$target")
    tail -n 60 "$BUILD/fuzz/$target.log"
  fi
  grep -E "^stat::(number_of_executed_units|peak_rss_mb)|^Done" "$BUILD/fuzz/$target.log" || true
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz/run_all.sh: failures in ${failed[*]} (inputs in $BUILD/fuzz/artifacts/)"
  exit 1
fi
echo "fuzz/run_all.sh: every target ran ${SECONDS_PER_TARGET}s without a failure"
