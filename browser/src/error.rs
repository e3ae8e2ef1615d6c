//! A JavaScript exception as a Rust error: the one conversion from a thrown or rejected `JsValue`.

/// A JavaScript error (an `Error`, a `DOMException`, or anything else that was thrown), read once.
///
/// It shows as `Name: message` (`NotAllowedError: Permission denied`), or just the part that exists;
/// a thrown value without either shows as its string form.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct JsError {
    /// Its `name` (`NotFoundError`, `QuotaExceededError`, `AbortError`...), when it has a non-empty one.
    pub name: Option<String>,
    /// Its `message`, or the string form of a thrown value that has neither; may be empty.
    pub message: String,
}

impl JsError {
    /// Whether its `name` is `name`, e.g. `error.is("NotAllowedError")`.
    pub fn is(&self, name: &str) -> bool {
        self.name.as_deref() == Some(name)
    }

    fn describe(&self) -> String {
        match (&self.name, self.message.is_empty()) {
            (Some(name), false) => format!("{name}: {}", self.message),
            (Some(name), true) => name.clone(),
            (None, _) => self.message.clone(),
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod from_js {
    use js_sys::Reflect;
    use wasm_bindgen::JsValue;

    use super::JsError;

    impl From<JsValue> for JsError {
        fn from(value: JsValue) -> Self {
            Self::from(&value)
        }
    }

    impl From<&JsValue> for JsError {
        fn from(value: &JsValue) -> Self {
            let field = |key: &str| {
                Reflect::get(value, &JsValue::from_str(key))
                    .ok()
                    .and_then(|v| v.as_string())
                    .filter(|s| !s.is_empty())
            };
            let (name, message) = (field("name"), field("message"));
            let message = match (&name, message) {
                (_, Some(message)) => message,
                (Some(_), None) => String::new(),
                (None, None) => value.as_string().unwrap_or_else(|| format!("{value:?}")),
            };
            Self { name, message }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn js(name: Option<&str>, message: &str) -> JsError {
        JsError {
            name: name.map(str::to_owned),
            message: message.to_owned(),
        }
    }

    #[test]
    fn shows_name_and_message_or_what_exists() {
        assert_eq!(
            js(Some("NotAllowedError"), "Permission denied").to_string(),
            "NotAllowedError: Permission denied"
        );
        assert_eq!(js(Some("AbortError"), "").to_string(), "AbortError");
        assert_eq!(js(None, "no window").to_string(), "no window");
        assert_eq!(js(None, "").to_string(), "");
    }

    #[test]
    fn is_compares_the_name() {
        assert!(js(Some("QuotaExceededError"), "full").is("QuotaExceededError"));
        assert!(!js(Some("QuotaExceededError"), "full").is("AbortError"));
        assert!(!js(None, "QuotaExceededError").is("QuotaExceededError"));
    }
}
