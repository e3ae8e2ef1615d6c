#!/usr/bin/env bash
# Sets up and runs every check and test: formatting, clippy (native and wasm32), the web app build, unit
# and property tests, the end-to-end tests (real server, headless Chromium, ffmpeg/ffprobe), and the wasm
# bundle size figure. Screenshots and logs land in tests/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "set-up"
bash scripts/setup.sh

step "format"
cargo fmt --all -- --check

step "clippy (native)"
cargo clippy --workspace --exclude onair-www --all-targets --features onair-inspect/ffmpeg-tests -- -D warnings
step "clippy (wasm32)"
cargo clippy --target wasm32-unknown-unknown -p onair-www -p onair-player -p onair-broadcaster -p onair-browser -p onair-media -- -D warnings

step "web app build (trunk)"
bash scripts/build-web.sh
wasm=$(ls dist/*.wasm | head -1)
# build-web.sh wrote its gzip -9 sibling, the bytes the server sends.
raw=$(stat -c %s "$wasm"); gz=$(stat -c %s "$wasm.gz")
echo "bundle: $(basename "$wasm") ${raw} bytes raw, ${gz} bytes gzip"

step "fuzz (20 s per target)"
bash scripts/fuzz.sh 20

step "tests"
rm -rf tests/artifacts
export ONAIR_WEB_DIR="$PWD/dist"
cargo test --workspace --exclude onair-www --features onair-inspect/ffmpeg-tests -- --test-threads=1
echo "screenshots: $(ls tests/artifacts/*.png 2>/dev/null | wc -l) in tests/artifacts/"
# Figures the tests measured (e.g. origin requests per segment behind nginx).
for figures in tests/artifacts/*-figures.txt; do
  [ -f "$figures" ] && cat "$figures"
done
