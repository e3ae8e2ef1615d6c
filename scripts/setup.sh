#!/usr/bin/env bash
# Installs everything OnAir needs on a Debian machine that has only the Rust toolchain, and nothing that is
# already there at the pinned version. Safe to run again: a machine that has everything is done in seconds.
#
# Pinned versions (see ../shared/FACTS.md for why):
#   trunk 0.21.14            (0.22 needs a newer rustc)
#   wasm-bindgen-cli 0.2.130 (exactly the `wasm-bindgen = "=0.2.130"` of Cargo.toml, so Trunk never downloads one)
#   geckodriver 0.37.1       (drives Debian's firefox-esr in the end-to-end tests)
#   hls.js 1.7.4 from npm    (the reference player the end-to-end tests play our streams with; into
#                             tests/js/node_modules, which git ignores)
#   terser 5.51.2 from npm   (minifies the embeddable player's script, scripts/build-player.sh; into
#                             scripts/js/node_modules)
#   axe-core 4.14.1 from npm (the accessibility checks of the site walk, tests/tests/site_e2e.rs; into
#                             tests/axe/node_modules)
#   @ip-location-db/geo-whois-asn-country-mmdb 2.3.2026061719 from npm (a free IP-to-country MMDB file,
#                             CC0; the server's --geoip-db; into scripts/geoip/node_modules)
# Debian's binaryen (wasm-opt 108) breaks the wasm it touches; the web app builds with data-wasm-opt="0".
set -euo pipefail

TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION=0.2.130
GECKODRIVER_VERSION=0.37.1
HLSJS_VERSION=1.7.4
TERSER_VERSION=5.51.2
GEOIP_VERSION=2.3.2026061719
AXE_VERSION=4.14.1
APT_PACKAGES=(chromium chromium-driver firefox-esr ffmpeg nginx)
# npm (and node) only when missing: a machine may have a newer one of its own.
command -v npm >/dev/null 2>&1 || APT_PACKAGES+=(nodejs npm)
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# Debian packages: the browser and its driver for tests, ffmpeg/ffprobe as independent clients, nginx as a
# cache in front of the origin.
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if dpkg-query -W -f='${Status}' binaryen 2>/dev/null | grep -q "install ok installed"; then
  say "warning: Debian's binaryen is installed; OnAir never runs its wasm-opt (data-wasm-opt=\"0\")"
fi

# The wasm target.
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# trunk and wasm-bindgen-cli at their pinned versions.
if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
  say "installing trunk $TRUNK_VERSION (about 9 minutes on 2 cores)"
  cargo install trunk --locked --version "$TRUNK_VERSION"
fi
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 3 minutes)"
  # Not --locked: its lockfile pins a webpki-roots version the registry no longer has.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi
if [ "$(geckodriver --version 2>/dev/null | head -1 | cut -d' ' -f1-2)" != "geckodriver $GECKODRIVER_VERSION" ]; then
  say "installing geckodriver $GECKODRIVER_VERSION (about 4 minutes)"
  cargo install geckodriver --locked --version "$GECKODRIVER_VERSION"
fi
# cargo-fuzz for the bounded fuzz runs (the nightly toolchain comes with this machine image).
CARGO_FUZZ_VERSION=0.13.2
if rustup run nightly rustc --version >/dev/null 2>&1; then
  if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
    say "installing cargo-fuzz $CARGO_FUZZ_VERSION"
    cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION"
  fi
else
  say "warning: no nightly toolchain; scripts/fuzz.sh cannot run"
fi
# npm packages, pinned, outside git's view (node_modules is ignored): npm_pinned NAME VERSION DIR.
npm_pinned() {
  local have
  have=$(node -p "require('$ROOT/$3/node_modules/$1/package.json').version" 2>/dev/null || true)
  if [ "$have" != "$2" ]; then
    say "installing $1 $2 from npm into $3"
    mkdir -p "$ROOT/$3"
    npm install --prefix "$ROOT/$3" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "$1@$2"
  fi
}
npm_pinned hls.js "$HLSJS_VERSION" tests/js    # the reference player of the end-to-end tests
npm_pinned terser "$TERSER_VERSION" scripts/js # minifies the player bundle's script
npm_pinned @ip-location-db/geo-whois-asn-country-mmdb "$GEOIP_VERSION" scripts/geoip # viewers' countries
npm_pinned axe-core "$AXE_VERSION" tests/axe     # accessibility checks of every page

say "ready: $(trunk --version), $(wasm-bindgen --version), $(chromium --version 2>/dev/null | head -1), $(firefox-esr --version 2>/dev/null | head -1), $(geckodriver --version 2>/dev/null | head -1 | cut -d' ' -f1-2), $(ffmpeg -version | head -1 | cut -d' ' -f1-3), $(nginx -v 2>&1 | cut -d' ' -f3), hls.js $HLSJS_VERSION, terser $TERSER_VERSION, geoip $GEOIP_VERSION, axe-core $AXE_VERSION"
