// The OnAir player's facade: scripts/build-player.sh puts wasm-bindgen's glue (`wasm_bindgen`) before
// this file and wraps both in one function, so nothing but `OnAirPlayer` reaches the page's globals.
// Everything the player decides is in Rust (PlayerCore); this file only waits for the wasm, keeps
// the listeners, and finds the snippets and custom elements to mount.
const script = document.currentScript;
const base = script && script.src ? script.src : location.href;
const ready = wasm_bindgen({ module_or_path: new URL("__WASM__", base) });
// The TS transmuxer's worker, beside this script (loaded only for a stream with TS segments).
const transmuxWorker = String(new URL("onair-transmux.js", base));
const withWorker = (config) =>
  config === undefined || config === null
    ? { transmuxWorker }
    : typeof config === "object"
      ? Object.assign({ transmuxWorker }, config)
      : config;

class OnAirPlayer {
  // `new OnAirPlayer(video, config)`: a player for a <video> element. `OnAirPlayer.mount(element,
  // config)` makes the widget (video and controls) inside `element` instead.
  constructor(video, config, container) {
    this._handlers = {};
    this._calls = [];
    this._core = null;
    this._destroyed = false;
    const emit = (name, detail) => this._emit(name, detail);
    this.ready = ready.then(() => {
      if (this._destroyed) return this;
      try {
        this._core = container
          ? wasm_bindgen.PlayerCore.mount(container, withWorker(config), emit)
          : new wasm_bindgen.PlayerCore(video, withWorker(config), emit);
      } catch (e) {
        this._emit("error", { type: "otherError", fatal: true, details: String(e.message || e) });
        throw e;
      }
      this.media = this._core ? video || container.querySelector("video") : null;
      for (const [name, args] of this._calls) this._core[name](...args);
      this._calls = [];
      return this;
    });
    this.ready.catch(() => {});
  }
  static mount(element, config) {
    return new OnAirPlayer(null, config, element);
  }
  static isSupported() {
    return typeof MediaSource !== "undefined" && typeof WebAssembly !== "undefined";
  }
  _call(name, ...args) {
    if (this._destroyed) return;
    if (this._core) this._core[name](...args);
    else this._calls.push([name, args]);
  }
  _get(name, fallback) {
    return this._core ? this._core[name]() : fallback;
  }
  _emit(name, detail) {
    for (const f of (this._handlers[name] || []).slice()) {
      try {
        f(name, detail);
      } catch (e) {
        console.error("OnAirPlayer: a '" + name + "' listener threw", e);
      }
    }
  }
  // Events: levels, levelswitched, latency, playing, waiting, paused, error, ended.
  on(name, f) {
    (this._handlers[name] = this._handlers[name] || []).push(f);
    return this;
  }
  off(name, f) {
    this._handlers[name] = (this._handlers[name] || []).filter((g) => g !== f);
    return this;
  }
  once(name, f) {
    const g = (n, d) => {
      this.off(name, g);
      f(n, d);
    };
    return this.on(name, g);
  }
  loadSource(url) {
    this._call("loadSource", String(new URL(url, location.href)));
  }
  get levels() {
    return this._get("levels", []);
  }
  get currentLevel() {
    return this._get("level", -1);
  }
  // A level index, or -1 for adaptive bitrate.
  set currentLevel(level) {
    this._call("setLevel", level | 0);
  }
  get latency() {
    return this._get("latency", NaN);
  }
  set targetLatency(seconds) {
    this._call("setTargetLatency", Number(seconds));
  }
  seekToLive() {
    this._call("seekToLive");
  }
  unmute() {
    this._call("unmute");
  }
  destroy() {
    if (this._core) this._core.destroy();
    if (this._core) this._core.free();
    this._core = null;
    this._destroyed = true;
    this._handlers = {};
  }
}

// The stream id's playlist on the origin this script came from.
function streamUrl(id) {
  return new URL("/live/" + encodeURIComponent(id) + "/index.m3u8", base).href;
}

function mountFromAttributes(element, src, stream, config) {
  const url = src || (stream ? streamUrl(stream) : null);
  if (!url) return null;
  const player = OnAirPlayer.mount(element, config);
  player.loadSource(url);
  return player;
}

class OnAirPlayerElement extends HTMLElement {
  connectedCallback() {
    if (this.player) return;
    this.style.display = this.style.display || "block";
    this.player = mountFromAttributes(this, this.getAttribute("src"), this.getAttribute("stream"), {});
  }
  disconnectedCallback() {
    if (this.player) this.player.destroy();
    this.player = null;
  }
}

globalThis.OnAirPlayer = OnAirPlayer;
if (!customElements.get("onair-player")) customElements.define("onair-player", OnAirPlayerElement);
// The one-snippet embed: <script src="…/onair-player.js" data-stream="ID"></script> (or data-src).
if (script && (script.dataset.stream || script.dataset.src)) {
  const element = document.createElement("div");
  script.insertAdjacentElement("afterend", element);
  script.player = mountFromAttributes(element, script.dataset.src, script.dataset.stream, {});
}
