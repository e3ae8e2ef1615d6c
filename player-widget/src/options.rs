//! The JS API's config object, as hls.js-style names, onto [`PlayerConfig`].

use onair_player::PlayerConfig;

/// One value of the config object.
#[derive(Debug, Clone, PartialEq)]
pub enum OptionValue {
    /// A boolean.
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string.
    Text(String),
}

/// Why an option was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionError {
    /// The name is not one the player knows.
    #[error("unknown option {0:?}")]
    Unknown(String),
    /// The value has the wrong type or range.
    #[error("option {name:?} wants {wants}")]
    Invalid {
        /// The option.
        name: String,
        /// What it accepts.
        wants: &'static str,
    },
}

/// The options the JS API accepts, with what each sets (documented in the README).
pub const OPTIONS: &[&str] = &[
    "lowLatency",
    "targetLatency",
    "maxLatency",
    "maxBufferLength",
    "backBufferLength",
    "transmuxWorker",
];

/// Applies option `name` = `value` to `config`.
pub fn apply(config: &mut PlayerConfig, name: &str, value: OptionValue) -> Result<(), OptionError> {
    let invalid = |wants| OptionError::Invalid {
        name: name.to_owned(),
        wants,
    };
    let seconds = || match value {
        OptionValue::Number(n) if n.is_finite() && n > 0.0 => Ok(n),
        _ => Err(invalid("a positive number of seconds")),
    };
    match name {
        // The latency controller (on by default).
        "lowLatency" => match value {
            OptionValue::Bool(b) => config.latency.enabled = b,
            _ => return Err(invalid("true or false")),
        },
        // The transmuxer worker's script (the facade sets the one beside itself).
        "transmuxWorker" => match value {
            OptionValue::Text(url) if !url.is_empty() => config.transmux_worker_url = url,
            _ => return Err(invalid("the URL of onair-transmux.js")),
        },
        "targetLatency" => config.latency.target_override_secs = Some(seconds()?),
        "maxLatency" => config.max_live_latency_secs = seconds()?,
        "maxBufferLength" => config.max_buffer_ahead_secs = seconds()?,
        "backBufferLength" => config.back_buffer_secs = seconds()?,
        _ => return Err(OptionError::Unknown(name.to_owned())),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_set_the_config() {
        let mut c = PlayerConfig::default();
        apply(&mut c, "targetLatency", OptionValue::Number(2.5)).unwrap();
        apply(&mut c, "lowLatency", OptionValue::Bool(false)).unwrap();
        apply(&mut c, "maxBufferLength", OptionValue::Number(12.0)).unwrap();
        assert_eq!(c.latency.target_override_secs, Some(2.5));
        assert!(!c.latency.enabled);
        assert_eq!(c.max_buffer_ahead_secs, 12.0);
    }

    #[test]
    fn bad_options_are_named() {
        let mut c = PlayerConfig::default();
        let before = c.clone();
        assert_eq!(
            apply(&mut c, "nope", OptionValue::Bool(true)),
            Err(OptionError::Unknown("nope".into()))
        );
        let e = apply(&mut c, "targetLatency", OptionValue::Number(-1.0)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "option \"targetLatency\" wants a positive number of seconds"
        );
        assert!(apply(&mut c, "maxLatency", OptionValue::Number(f64::NAN)).is_err());
        assert!(apply(&mut c, "lowLatency", OptionValue::Number(1.0)).is_err());
        assert_eq!(c, before, "a refused option changes nothing");
    }

    #[test]
    fn every_listed_option_is_known() {
        for name in OPTIONS {
            let mut c = PlayerConfig::default();
            let r = apply(&mut c, name, OptionValue::Number(3.0))
                .or_else(|_| apply(&mut c, name, OptionValue::Bool(true)))
                .or_else(|_| apply(&mut c, name, OptionValue::Text("w.js".into())));
            assert!(r.is_ok(), "{name}");
        }
        let mut c = PlayerConfig::default();
        apply(
            &mut c,
            "transmuxWorker",
            OptionValue::Text("https://o/w.js".into()),
        )
        .unwrap();
        assert_eq!(c.transmux_worker_url, "https://o/w.js");
        assert!(apply(&mut c, "transmuxWorker", OptionValue::Number(1.0)).is_err());
    }
}
