#!/usr/bin/env bash
# Sets up, builds and runs OnAir: the server and the web app on http://127.0.0.1:8080 (data in ./data).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup.sh
bash scripts/build-web.sh
# The server and the stream validator beside it (`onair inspect` runs `onair-inspect`).
cargo build --release -p onair-server -p onair-inspect
# The viewers' countries: the free MMDB file set-up installed (ONAIR_GEOIP_DB overrides it).
GEOIP_DB="${ONAIR_GEOIP_DB:-scripts/geoip/node_modules/@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb}"
exec cargo run --release -p onair-server -- --listen "${ONAIR_LISTEN:-127.0.0.1:8080}" --web-dir dist --data-dir "${ONAIR_DATA_DIR:-data}" --geoip-db "$GEOIP_DB"
