#!/usr/bin/env bash
# Builds the web app (www/) into dist/ with Trunk, then writes a gzip sibling of every text and wasm file,
# which the server sends as it is to clients that accept gzip (no per-request compression).
set -euo pipefail
cd "$(dirname "$0")/.."
# Trunk runs cargo offline (it must never download a tool): fetch the locked crates first, so a fresh
# machine's empty registry is filled.
cargo fetch --locked
trunk build --release --offline
find dist -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.html' \) -exec gzip -9 -k -f {} +
