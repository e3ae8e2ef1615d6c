#!/usr/bin/env bash
# Runs every cargo-fuzz target for a bounded time: `bash scripts/fuzz.sh [SECONDS_PER_TARGET]` (default 20;
# the README's test command uses 20, a longer hunt is e.g. `bash scripts/fuzz.sh 1800`). Needs the nightly
# toolchain and cargo-fuzz (scripts/setup.sh installs cargo-fuzz). Crashes are kept in fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
source ../scripts/env.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR}-fuzz"
seconds="${1:-20}"
for target in $(cargo +nightly fuzz list); do
  echo "fuzz: $target for ${seconds}s"
  cargo +nightly fuzz run "$target" -- -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 2>&1 \
    | grep -E "^(Done|==|SUMMARY|thread|error)" || true
  # cargo fuzz exits non-zero on a crash; pipefail is defeated by grep, so check for artifacts.
  if compgen -G "artifacts/$target/crash-*" >/dev/null || compgen -G "artifacts/$target/oom-*" >/dev/null \
     || compgen -G "artifacts/$target/timeout-*" >/dev/null; then
    echo "fuzz: $target found a failing input:"; ls "artifacts/$target"; exit 1
  fi
done
