//! The page's clocks (wasm32 only): a monotonic one for timing and backoff, the wall clock for
//! timestamps that leave the page.

/// A monotonic clock in milliseconds (`performance.now()`, or `Date.now()` without it), for backoff,
/// timeouts and measuring requests.
pub fn now_ms() -> f64 {
    match web_sys::window().and_then(|w| w.performance()) {
        Some(performance) => performance.now(),
        None => js_sys::Date::now(),
    }
}

/// The wall clock in microseconds since 1970: `performance.timeOrigin + performance.now()` (finer
/// than `Date.now()`), or `Date.now()` without it. `None` if the clock reads before 1970.
pub fn wall_clock_us() -> Option<u64> {
    let ms = match web_sys::window().and_then(|w| w.performance()) {
        Some(performance) => performance.time_origin() + performance.now(),
        None => js_sys::Date::now(),
    };
    let us = (ms * 1000.0).round();
    (us.is_finite() && us >= 0.0 && us < u64::MAX as f64).then_some(us as u64)
}
