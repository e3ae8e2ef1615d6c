#!/usr/bin/env bash
# Builds the embeddable player (player-widget/) into a directory the origin serves at /player/
# (default dist/player, or $TRUNK_STAGING_DIR/player when Trunk runs it as a hook):
#   onair-player.js              the facade and wasm-bindgen's glue in one classic script (a stable
#                                name for the snippet; served with a short cache lifetime)
#   onair-player-<hash>.wasm     the player, named by its content (served as immutable)
#   onair-transmux.js + onair-transmux-<hash>.wasm
#                                the MPEG-TS transmuxer (transmux-worker/), a Web Worker the player starts
#                                on a stream's first TS segment
# and a gzip sibling of each, then prints the sizes. The scripts are minified by terser (setup.sh installs
# it into scripts/js; without it they stay as written, about 3.6 KB more gzipped). No wasm-opt: crates.io's
# 116 made this wasm 9 % smaller raw but 3 % larger gzipped (-Oz; -O1 saved 0.7 %), and Debian's breaks
# wasm (FACTS).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
source scripts/env.sh
if [ -n "${TRUNK_STAGING_DIR:-}" ]; then OUT="$TRUNK_STAGING_DIR/player"; else OUT="${1:-dist/player}"; fi

cargo build --quiet --target wasm32-unknown-unknown --profile wasm-release -p onair-player-widget -p onair-transmux-worker
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$OUT"
rm -f "$OUT"/onair-player* "$OUT"/onair-transmux*
TERSER="$ROOT/scripts/js/node_modules/.bin/terser"
[ -x "$TERSER" ] || echo "build-player: no terser in scripts/js (bash scripts/setup.sh installs it): the scripts are not minified" >&2
version="$(cargo metadata --no-deps --format-version 1 2>/dev/null | grep -o '"name":"onair-player-widget","version":"[^"]*"' | grep -o '[0-9][^"]*$' || true)"

# bundle CRATE NAME FACADE: wasm-bindgen's glue for CRATE and FACADE (its __WASM__ replaced by the
# content-named wasm) in one function as $OUT/NAME.js, minified, and $OUT/NAME-<hash>.wasm; gzip
# siblings of both. Prints the wasm's name.
bundle() {
  local crate="$1" name="$2" facade="$3"
  wasm-bindgen --target no-modules --no-typescript --remove-name-section --remove-producers-section \
    --out-dir "$work" --out-name "$name" "$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-release/$crate.wasm"
  local hash
  hash="$(sha256sum "$work/${name}_bg.wasm" | cut -c1-16)"
  cp "$work/${name}_bg.wasm" "$OUT/$name-$hash.wasm"
  {
    echo "/* OnAir player $version */"
    echo "(function () {"
    echo '"use strict";'
    cat "$work/$name.js"
    sed "s/__WASM__/$name-$hash.wasm/" "$facade"
    echo "})();"
  } > "$OUT/$name.js"
  if [ -x "$TERSER" ]; then
    "$TERSER" "$OUT/$name.js" --compress --mangle --comments '/OnAir player/' -o "$OUT/$name.min.js"
    mv "$OUT/$name.min.js" "$OUT/$name.js"
  fi
  gzip -9 -k -f "$OUT/$name.js" "$OUT/$name-$hash.wasm"
  echo "$name-$hash.wasm"
}

wasm="$(bundle onair_player_widget onair-player player-widget/js/onair-player.js)"
worker_wasm="$(bundle onair_transmux_worker onair-transmux transmux-worker/js/worker.js)"
js_gz=$(stat -c %s "$OUT/onair-player.js.gz")
wasm_gz=$(stat -c %s "$OUT/$wasm.gz")
echo "player bundle: $OUT/onair-player.js + $wasm:" \
  "$(stat -c %s "$OUT/onair-player.js") + $(stat -c %s "$OUT/$wasm") bytes," \
  "gzip $js_gz + $wasm_gz = $((js_gz + wasm_gz)) bytes"
echo "TS transmuxer (loaded on a stream's first TS segment): onair-transmux.js + $worker_wasm:" \
  "gzip $(stat -c %s "$OUT/onair-transmux.js.gz") + $(stat -c %s "$OUT/$worker_wasm.gz") bytes"
