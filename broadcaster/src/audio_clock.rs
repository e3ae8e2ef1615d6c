//! Capture timestamps for encoded audio.
//!
//! Chromium's `AudioEncoder` stamps its output by counting the samples it was given since the first
//! input, not by the inputs' timestamps. The microphone's `MediaStreamTrackProcessor` drops
//! `AudioData` whenever the page is too busy to read it (its queue holds ten 10 ms chunks), so each
//! drop made the encoder's clock fall behind the capture clock for good: after a loaded start, seconds
//! of it, audio playing that much early against the video and holding every part back while the
//! segmenter waited for it. [`AudioClock`] gives each encoded chunk the capture time of its first
//! sample instead: it keeps the inputs' timestamps and sample counts, and walks the same sample count
//! the encoder does.

use std::collections::VecDeque;

/// One input chunk: where its samples start in the encoder's count, and its capture timestamp.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Input {
    first_sample: u64,
    frames: u64,
    timestamp_us: i64,
}

/// Maps the encoder's output back onto the inputs' capture timestamps; see the [module docs](self).
#[derive(Debug, Clone, Default)]
pub struct AudioClock {
    inputs: VecDeque<Input>,
    /// Samples given to the encoder so far.
    given: u64,
    /// Samples of output stamped so far.
    taken: u64,
    sample_rate: u32,
}

/// Inputs kept while the encoder has not caught up (10 s of 10 ms chunks): a bound, not a limit a
/// working encoder reaches.
const MAX_INPUTS: usize = 1000;

impl AudioClock {
    /// A clock for audio at `sample_rate` Hz.
    pub fn new(sample_rate: u32) -> Self {
        Self {
            sample_rate: sample_rate.max(1),
            ..Self::default()
        }
    }

    /// Notes an input handed to the encoder: `frames` samples (per channel) captured from
    /// `timestamp_us` on.
    pub fn input(&mut self, timestamp_us: i64, frames: u32) {
        self.inputs.push_back(Input {
            first_sample: self.given,
            frames: u64::from(frames),
            timestamp_us,
        });
        self.given = self.given.saturating_add(u64::from(frames));
        while self.inputs.len() > MAX_INPUTS {
            self.inputs.pop_front();
        }
    }

    /// The capture timestamp of the next output chunk, which lasts `duration_us` (the encoder's own
    /// timestamp, `encoder_us`, when no input covers it).
    pub fn output(&mut self, duration_us: i64, encoder_us: i64) -> i64 {
        let at = self.taken;
        let rate = u64::from(self.sample_rate);
        let samples = u64::try_from(duration_us.max(0))
            .unwrap_or(0)
            .saturating_mul(rate)
            / 1_000_000;
        self.taken = self.taken.saturating_add(samples);
        while self
            .inputs
            .front()
            .is_some_and(|i| i.first_sample.saturating_add(i.frames) <= at)
        {
            self.inputs.pop_front();
        }
        match self.inputs.front() {
            Some(input) if input.first_sample <= at => {
                let into = at - input.first_sample;
                let offset_us = i64::try_from(into.saturating_mul(1_000_000) / rate).unwrap_or(0);
                input.timestamp_us.saturating_add(offset_us)
            }
            _ => encoder_us,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_take_the_capture_time_of_their_first_sample_across_dropped_inputs() {
        let mut clock = AudioClock::new(48_000);
        // 10 ms inputs of 480 samples from 1 s; the inputs from 1.02 s to 1.05 s were dropped.
        for ts in [
            1_000_000, 1_010_000, 1_050_000, 1_060_000, 1_070_000, 1_080_000,
        ] {
            clock.input(ts, 480);
        }
        // 20 ms outputs, stamped by the encoder from its sample count: 1.00, 1.02, 1.04 s.
        assert_eq!(clock.output(20_000, 1_000_000), 1_000_000);
        assert_eq!(clock.output(20_000, 1_020_000), 1_050_000);
        assert_eq!(clock.output(20_000, 1_040_000), 1_070_000);
        // Nothing left to cover the next one: the encoder's own stamp.
        assert_eq!(clock.output(20_000, 1_060_000), 1_060_000);
    }

    #[test]
    fn an_output_starting_inside_an_input_is_offset_into_it() {
        let mut clock = AudioClock::new(48_000);
        clock.input(0, 1024);
        clock.input(21_333, 1024);
        // 10 ms (480-sample) outputs over 1024-sample inputs.
        assert_eq!(clock.output(10_000, 0), 0);
        assert_eq!(clock.output(10_000, 10_000), 10_000);
        // Sample 960 of the first input: 20 ms in.
        assert_eq!(clock.output(10_000, 20_000), 20_000);
        // Sample 1440: 416 into the second input.
        assert_eq!(
            clock.output(10_000, 30_000),
            21_333 + 416 * 1_000_000 / 48_000
        );
    }

    #[test]
    fn nonsense_does_not_panic() {
        let mut clock = AudioClock::new(0);
        assert_eq!(clock.output(-5, 7), 7);
        clock.input(i64::MAX, u32::MAX);
        let _ = clock.output(i64::MAX, 0);
    }
}
