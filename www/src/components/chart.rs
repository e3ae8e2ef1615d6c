//! Charts drawn as SVG by Leptos (no chart library: a line of points and a few labels is all the
//! dashboard needs, and it keeps the bundle small): [`LineChart`] for a series over time.

use leptos::prelude::*;

/// Width and height of the drawing, in SVG units (it scales to its box).
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 200.0;
/// Room for the axis labels.
const LEFT: f64 = 36.0;
const BOTTOM: f64 = 22.0;

/// The points of a series scaled into the drawing: `(x, y)` in SVG units. The x range is the series'
/// own; y runs from 0 to the largest value (at least 1).
pub fn scale(points: &[(f64, f64)]) -> (Vec<(f64, f64)>, f64) {
    let max_y = points.iter().map(|p| p.1).fold(1.0_f64, f64::max);
    let (min_x, max_x) = points.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
        (lo.min(p.0), hi.max(p.0))
    });
    let span = (max_x - min_x).max(1.0);
    let scaled = points
        .iter()
        .map(|&(x, y)| {
            (
                LEFT + (x - min_x) / span * (WIDTH - LEFT - 4.0),
                (HEIGHT - BOTTOM) - y / max_y * (HEIGHT - BOTTOM - 8.0),
            )
        })
        .collect();
    (scaled, max_y)
}

/// A line chart of `points` (x: unix seconds, y: a count), with the largest value and the time span
/// labelled. `label` names it for screen readers.
#[component]
pub fn LineChart(
    /// The series.
    #[prop(into)]
    points: Signal<Vec<(f64, f64)>>,
    /// What it shows, for screen readers.
    label: &'static str,
) -> impl IntoView {
    let drawn = move || {
        let points = points.get();
        let (scaled, max_y) = scale(&points);
        let line: String = scaled
            .iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect::<Vec<_>>()
            .join(" ");
        let area = match (scaled.first(), scaled.last()) {
            (Some(first), Some(last)) => format!(
                "{:.1},{:.1} {line} {:.1},{:.1}",
                first.0,
                HEIGHT - BOTTOM,
                last.0,
                HEIGHT - BOTTOM
            ),
            _ => String::new(),
        };
        let minutes = match (points.first(), points.last()) {
            (Some(a), Some(b)) => ((b.0 - a.0) / 60.0).round() as i64,
            _ => 0,
        };
        (line, area, max_y, minutes, points.len())
    };
    view! {
        <svg
            class="chart"
            viewBox=format!("0 0 {WIDTH} {HEIGHT}")
            role="img"
            aria-label=label
            preserveAspectRatio="none"
        >
            <line class="axis" x1=LEFT y1=HEIGHT - BOTTOM x2=WIDTH y2=HEIGHT - BOTTOM />
            <line class="axis" x1=LEFT y1="8" x2=LEFT y2=HEIGHT - BOTTOM />
            {move || {
                let (line, area, max_y, minutes, count) = drawn();
                view! {
                    <text class="axis-label" x="4" y="14">{format!("{max_y:.0}")}</text>
                    <text class="axis-label" x="4" y=HEIGHT - BOTTOM>"0"</text>
                    <text class="axis-label" x=LEFT y=HEIGHT - 4.0>
                        {if count < 2 { "no data yet".to_owned() } else { format!("last {minutes} min") }}
                    </text>
                    <polygon class="area" points=area />
                    <polyline class="line" points=line />
                }
            }}
        </svg>
    }
}
