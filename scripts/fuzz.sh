#!/usr/bin/env bash
# Runs each libFuzzer target in build/fuzz for a bounded time (FUZZ_SECONDS,
# default 60) on a scratch copy of its committed seed corpus, so the
# committed corpora never grow; prints executions and coverage per target and
# fails if any target crashed (its reproducer is left in the artifacts dir).
# FUZZ_TARGETS="session sasl" runs only those. See docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
build=${FUZZ_BUILD:-build/fuzz}
read -r -a targets <<< "${FUZZ_TARGETS:-line_framer session base64 sasl scram_message passwd maildir_name size_cache record_file header_downgrade config}"

# The longest input worth trying: a few commands or lines more than a real
# one, small enough that each run stays fast.
declare -A max_len=(
  [line_framer]=4096 [session]=4096 [base64]=512 [sasl]=2048 [scram_message]=1024 [passwd]=4096
  [maildir_name]=256 [size_cache]=4096 [record_file]=4096 [header_downgrade]=8192 [config]=2048
)

work=$build/fuzz-run
rm -rf "$work"
mkdir -p "$work/artifacts"
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

summary=$work/summary.txt
printf '%-17s %12s %9s %7s %8s %7s %s\n' target executions exec/s cov ft corpus result | tee "$summary"
failed=()
for target in "${targets[@]}"; do
  binary=$build/fuzz/fuzz_$target
  if [ ! -x "$binary" ]; then
    echo "fuzz: $binary is missing (make build-fuzz)" >&2
    failed+=("$target")
    continue
  fi
  corpus=$work/corpus/$target
  mkdir -p "$corpus"
  cp fuzz/corpus/"$target"/* "$corpus"/ 2>/dev/null || true
  dict=()
  [ -f fuzz/"$target".dict ] && dict=(-dict=fuzz/"$target".dict)
  log=$work/$target.log
  result=ok
  if ! "$binary" -max_total_time="$seconds" -max_len="${max_len[$target]:-4096}" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$work/artifacts/$target-" "${dict[@]}" "$corpus" > "$log" 2>&1; then
    result=CRASH
    failed+=("$target")
  fi
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  stats=$(grep -E '^#[0-9]+' "$log" | grep -E 'cov: ' | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$stats")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$stats")
  files=$(find "$corpus" -type f | wc -l)
  printf '%-17s %12s %9s %7s %8s %7s %s\n' "$target" "${executions:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" \
    "$files" "$result" | tee -a "$summary"
  if [ "$result" != ok ]; then
    grep -E 'invariant broken|ERROR: |SUMMARY: |^  ' "$log" | head -20 >&2 || true
    ls "$work/artifacts/$target-"* >&2 2>/dev/null || true
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (logs and reproducers in $work)" >&2
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran ${seconds}s each without a crash ($summary)"
