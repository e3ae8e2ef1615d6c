# Sourced by the scripts: one cache for builds across runs, outside the clone (never required: a cold
# cache only costs time).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/onair/target}"
export PATH="$HOME/.cargo/bin:$PATH"
# Trunk must never download a tool: it uses the wasm-bindgen on PATH and fails fast instead.
export TRUNK_OFFLINE=true
