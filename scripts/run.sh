#!/usr/bin/env bash
# Sets up, builds and runs OnAir: the server and the web app on http://127.0.0.1:8080 (data in ./data).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh
bash scripts/build-web.sh
# The server and the stream validator beside it (`onair inspect` runs `onair-inspect`).
cargo build --release -p onair-server -p onair-inspect
exec cargo run --release -p onair-server -- --listen "${ONAIR_LISTEN:-127.0.0.1:8080}" --web-dir dist --data-dir "${ONAIR_DATA_DIR:-data}"
