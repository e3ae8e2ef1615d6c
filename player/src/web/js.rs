//! Promises settled by event handlers (`sourceopen`, `updateend`), for the glue to await.

use js_sys::{Function, Promise};

/// A promise that settles the next time one of the handlers installed by `install` is called with
/// `resolve` or `reject`.
pub fn handler_promise(install: impl Fn(&Function, &Function)) -> Promise {
    Promise::new(&mut |resolve: Function, reject: Function| install(&resolve, &reject))
}
