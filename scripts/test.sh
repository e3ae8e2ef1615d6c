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
cargo clippy --target wasm32-unknown-unknown -p onair-www -p onair-player -p onair-player-widget -p onair-transmux-worker -p onair-broadcaster -p onair-browser -p onair-media -- -D warnings

step "web app build (trunk)"
bash scripts/build-web.sh
wasm=$(ls dist/*.wasm | head -1)
# build-web.sh wrote its gzip -9 sibling, the bytes the server sends.
raw=$(stat -c %s "$wasm"); gz=$(stat -c %s "$wasm.gz")
echo "bundle: $(basename "$wasm") ${raw} bytes raw, ${gz} bytes gzip"
# The embeddable player (Trunk's hook ran scripts/build-player.sh): wasm + JS, gzip, against hls.js's
# minified builds gzipped the same way. Its budget is 100 KB (issue 13; not met yet: the figure says by how
# much); past 250 KB the build fails, as a guard against growth.
# The TS transmuxer's worker is apart: only a stream with TS segments loads it.
player_gz=0
for f in dist/player/onair-player*.gz; do player_gz=$((player_gz + $(stat -c %s "$f"))); done
transmux_gz=0
for f in dist/player/onair-transmux*.gz; do transmux_gz=$((transmux_gz + $(stat -c %s "$f"))); done
hlsjs=tests/js/node_modules/hls.js/dist
hls_gz=$(gzip -9 -c "$hlsjs/hls.min.js" | wc -c); light_gz=$(gzip -9 -c "$hlsjs/hls.light.min.js" | wc -c)
bundle_figures="player bundle (wasm + JS, gzip -9): ${player_gz} bytes; hls.js 1.7.4 hls.min.js ${hls_gz} bytes, hls.light.min.js ${light_gz} bytes
  ours/hls.min.js $(awk "BEGIN{printf \"%.2f\", $player_gz/$hls_gz}"), ours/hls.light.min.js $(awk "BEGIN{printf \"%.2f\", $player_gz/$light_gz}")
  + the TS transmuxer worker, loaded on a stream's first TS segment: ${transmux_gz} bytes (with it $(awk "BEGIN{printf \"%.2f\", ($player_gz+$transmux_gz)/$hls_gz}") of hls.min.js)"
echo "$bundle_figures"
if [ "$player_gz" -gt 102400 ]; then echo "  over the 100 KB budget by $((player_gz - 102400)) bytes"; fi
if [ "$player_gz" -gt 256000 ]; then echo "the player bundle grew past 250 KB"; exit 1; fi

step "fuzz (20 s per target)"
bash scripts/fuzz.sh 20

step "tests"
rm -rf tests/artifacts
mkdir -p tests/artifacts
echo "$bundle_figures" > tests/artifacts/player-bundle-figures.txt
export ONAIR_WEB_DIR="$PWD/dist"
cargo test --workspace --exclude onair-www --features onair-inspect/ffmpeg-tests -- --test-threads=1
echo "screenshots: $(ls tests/artifacts/*.png 2>/dev/null | wc -l) in tests/artifacts/"
# Figures the tests measured (e.g. origin requests per segment behind nginx).
for figures in tests/artifacts/*-figures.txt; do
  [ -f "$figures" ] && cat "$figures"
done
