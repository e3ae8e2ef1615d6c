//! `onair inspect` as the tests run it: the `onair-inspect` library of this tree, in-process.

use anyhow::Result;

/// Inspects URL (or a file) with `onair-inspect`'s library in-process, as `onair inspect --json URL` does,
/// and answers the exit code that command answers and its JSON report.
pub async fn onair_inspect(url: &str) -> Result<(i32, serde_json::Value)> {
    let result = onair_inspect::inspect(url, &onair_inspect::Options::default()).await;
    Ok((
        i32::from(onair_inspect::exit_status(&result)),
        onair_inspect::to_json(url, &result),
    ))
}
