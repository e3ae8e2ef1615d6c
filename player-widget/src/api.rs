//! `PlayerCore`, the class `js/onair-player.js` wraps as `OnAirPlayer`: one player in one `<video>`,
//! its events handed to the facade's `emit(name, detail)` as plain JS objects, and, when mounted as a
//! widget, the controls.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Reflect};
use onair_player::{event_detail, Player, PlayerConfig, PlayerEvent, PlayerStatus};
use wasm_bindgen::prelude::*;
use web_sys::{HtmlElement, HtmlVideoElement};

use crate::options::{self, OptionValue};
use crate::widget::Widget;

/// The player a page holds; shared with the widget's controls.
pub(crate) type SharedPlayer = Rc<RefCell<Option<Player>>>;

/// One player, as the JS facade sees it.
#[wasm_bindgen]
pub struct PlayerCore {
    video: HtmlVideoElement,
    config: PlayerConfig,
    emit: Function,
    player: SharedPlayer,
    widget: Option<Rc<Widget>>,
}

/// The config object's entries applied to the default config; a `TypeError` names a bad one.
fn config_from(options: &JsValue) -> Result<PlayerConfig, JsValue> {
    let mut config = PlayerConfig::default();
    if options.is_undefined() || options.is_null() {
        return Ok(config);
    }
    let Some(object) = options.dyn_ref::<Object>() else {
        return Err(js_sys::TypeError::new("OnAirPlayer: config must be an object").into());
    };
    for entry in Object::entries(object).iter() {
        let entry = Array::from(&entry);
        let name = entry.get(0).as_string().unwrap_or_default();
        let value = entry.get(1);
        let value = match (value.as_bool(), value.as_f64(), value.as_string()) {
            (Some(b), _, _) => OptionValue::Bool(b),
            (None, Some(n), _) => OptionValue::Number(n),
            (None, None, Some(s)) => OptionValue::Text(s),
            (None, None, None) => OptionValue::Number(f64::NAN),
        };
        options::apply(&mut config, &name, value)
            .map_err(|e| JsValue::from(js_sys::TypeError::new(&format!("OnAirPlayer: {e}"))))?;
    }
    Ok(config)
}

#[wasm_bindgen]
impl PlayerCore {
    /// A player for `video` with the config object `options`; its events go to `emit(name,
    /// detail)`. Throws a `TypeError` for an unknown or bad option.
    #[wasm_bindgen(constructor)]
    pub fn new(
        video: HtmlVideoElement,
        options: JsValue,
        emit: Function,
    ) -> Result<PlayerCore, JsValue> {
        Ok(PlayerCore {
            video,
            config: config_from(&options)?,
            emit,
            player: Rc::new(RefCell::new(None)),
            widget: None,
        })
    }

    /// The widget: a responsive player with controls written into `container` (its content is
    /// replaced), then a `PlayerCore` for its video.
    pub fn mount(
        container: HtmlElement,
        options: JsValue,
        emit: Function,
    ) -> Result<PlayerCore, JsValue> {
        let player: SharedPlayer = Rc::new(RefCell::new(None));
        let widget = Widget::mount(&container, player.clone())?;
        let mut config = config_from(&options)?;
        // Captions above the control bar.
        config.caption_line = config.caption_line.or(Some(crate::controls::CAPTION_LINE));
        Ok(PlayerCore {
            video: widget.video.clone(),
            config,
            emit,
            player,
            widget: Some(widget),
        })
    }

    /// Plays the multivariant or media playlist at `url` (a player already playing is replaced).
    #[wasm_bindgen(js_name = loadSource)]
    pub fn load_source(&mut self, url: &str) {
        // Drop (destroy) the previous player first.
        self.player.replace(None);
        let player = Player::attach_with_config(self.video.clone(), url, self.config.clone());
        let emit = self.emit.clone();
        player.on_event(move |event| {
            let _ = emit.call2(
                &JsValue::NULL,
                &JsValue::from_str(event.name()),
                &event_detail(event),
            );
        });
        let widget = self.widget.clone();
        player.on_status(move |status: PlayerStatus| {
            if let Some(widget) = &widget {
                widget.update(&status);
            }
        });
        self.player.replace(Some(player));
    }

    /// Chooses level `level` (an index into the levels), or ABR with -1.
    #[wasm_bindgen(js_name = setLevel)]
    pub fn set_level(&self, level: i32) {
        if let Some(player) = self.player.borrow().as_ref() {
            player.set_level(usize::try_from(level).ok());
        }
    }

    /// The level loading now, -1 before one is chosen.
    pub fn level(&self) -> i32 {
        self.with_status(|s| s.level.and_then(|l| i32::try_from(l).ok()))
            .flatten()
            .unwrap_or(-1)
    }

    /// The levels, as the `levels` event gives them.
    pub fn levels(&self) -> JsValue {
        let levels = self.with_status(|s| s.levels.clone()).unwrap_or_default();
        Reflect::get(
            &event_detail(&PlayerEvent::Levels(levels)),
            &"levels".into(),
        )
        .unwrap_or_default()
    }

    /// Seconds behind the live edge, `NaN` when not live.
    pub fn latency(&self) -> f64 {
        self.with_status(|s| s.latency_secs)
            .flatten()
            .unwrap_or(f64::NAN)
    }

    /// Aims at `seconds` behind the live edge; 0 or less gives it back to the playlist's hold-back.
    #[wasm_bindgen(js_name = setTargetLatency)]
    pub fn set_target_latency(&mut self, seconds: f64) {
        let target = (seconds.is_finite() && seconds > 0.0).then_some(seconds);
        self.config.latency.target_override_secs = target;
        if let Some(player) = self.player.borrow().as_ref() {
            player.set_latency_target(target);
        }
    }

    /// Jumps to live when playback is behind.
    #[wasm_bindgen(js_name = seekToLive)]
    pub fn seek_to_live(&self) {
        if let Some(player) = self.player.borrow().as_ref() {
            player.seek_to_live();
        }
    }

    /// Unmutes after a muted autoplay (call it from a user gesture).
    pub fn unmute(&self) {
        if let Some(player) = self.player.borrow().as_ref() {
            player.unmute();
        }
    }

    /// Stops playback, releases the media source and, for a widget, removes its controls.
    pub fn destroy(&mut self) {
        self.player.replace(None);
        if let Some(widget) = self.widget.take() {
            widget.remove();
        }
    }
}

impl PlayerCore {
    fn with_status<T>(&self, f: impl FnOnce(&PlayerStatus) -> T) -> Option<T> {
        self.player
            .try_borrow()
            .ok()?
            .as_ref()
            .map(|p| f(&p.status()))
    }
}
