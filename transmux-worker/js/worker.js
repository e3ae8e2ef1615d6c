// The transmuxer worker's message loop. scripts/build-player.sh puts wasm-bindgen's glue
// (`wasm_bindgen`) before this file as onair-transmux.js. The player starts it from a tiny blob that
// sets `ONAIR_TRANSMUX_BASE` (where this script lives, so that it works from any site) and imports it.
// Messages in: {id, track, reset, discontinuity, data}; out: {id, data} (the packed result) or
// {id, error} when the wasm could not run at all.
(function () {
  const base = self.ONAIR_TRANSMUX_BASE || self.location.href;
  const ready = wasm_bindgen({ module_or_path: new URL("__WASM__", base) });
  const tracks = new Map();
  self.onmessage = async (e) => {
    const m = e.data;
    try {
      await ready;
      let t = tracks.get(m.track);
      if (!t || m.reset) {
        if (t) t.free();
        t = new wasm_bindgen.Transmuxer();
        tracks.set(m.track, t);
      }
      if (m.discontinuity) t.discontinuity();
      const data = t.push(m.data);
      self.postMessage({ id: m.id, data }, [data.buffer]);
    } catch (err) {
      self.postMessage({ id: m.id, error: String((err && err.message) || err) });
    }
  };
})();
