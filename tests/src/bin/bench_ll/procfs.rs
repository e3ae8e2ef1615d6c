//! CPU time and memory from `/proc`: of the measured servers, of this benchmark, of the whole machine
//! (so that other work on a shared machine shows).

use anyhow::{Context, Result};
use std::process::Command;
use std::time::Instant;

/// CPU time (user + system, clock ticks) from a `/proc/{pid}/stat` line: fields 14 and 15, counted after
/// the command name in parentheses (which may itself hold spaces and parentheses).
fn parse_stat_ticks(stat: &str) -> Option<u64> {
    let after = stat.get(stat.rfind(')')? + 1..)?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // `after` starts at field 3 (state): utime is field 14, stime field 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// The parent pid (field 4) from a `/proc/{pid}/stat` line.
fn parse_stat_ppid(stat: &str) -> Option<u32> {
    let after = stat.get(stat.rfind(')')? + 1..)?;
    after.split_whitespace().nth(1)?.parse().ok()
}

/// A `kB` field (`VmRSS`, `VmHWM`) of a `/proc/{pid}/status` text.
fn parse_status_kb(status: &str, field: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// Busy and total jiffies of the whole machine from `/proc/stat`'s `cpu` line (idle and iowait are not
/// busy).
fn parse_machine_jiffies(stat: &str) -> Option<(u64, u64)> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    let total: u64 = v.iter().sum();
    let idle = v.get(3)? + v.get(4)?;
    Some((total - idle, total))
}

fn proc_cpu_ticks(pid: u32) -> Result<u64> {
    let path = format!("/proc/{pid}/stat");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    parse_stat_ticks(&text).with_context(|| format!("unexpected {path}: {text}"))
}

/// A `kB` field (`VmRSS`, `VmHWM`) of `/proc/{pid}/status`.
pub fn proc_status_kb(pid: u32, field: &str) -> Result<u64> {
    let path = format!("/proc/{pid}/status");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    parse_status_kb(&text, field).with_context(|| format!("no {field} in {path}"))
}

/// `pid` and its children (nginx's master and its workers).
pub fn process_tree(pid: u32) -> Vec<u32> {
    let mut pids = vec![pid];
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(child) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            if parse_stat_ppid(&stat) == Some(pid) {
                pids.push(child);
            }
        }
    }
    pids
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on Linux).
fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|&t| t > 0.0)
        .unwrap_or(100.0)
}

/// CPU counters at one instant: the measured processes, this benchmark, the machine.
pub struct Snapshot {
    pub at: Instant,
    pub target: u64,
    pub bench: u64,
    pub machine: (u64, u64),
}

/// CPU use over an interval, in % of one core (the machine: % of all cores).
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    pub target: f64,
    pub bench: f64,
    pub machine: f64,
}

impl Usage {
    /// CPU used by neither the measured processes nor this benchmark, in % of one core: other work on a
    /// shared machine, which the figures then share it with.
    pub fn others(&self, cores: usize) -> f64 {
        (self.machine * cores as f64 - self.target - self.bench).max(0.0)
    }
}

impl Snapshot {
    /// The counters now, the measured processes being `pids`.
    pub fn take(pids: &[u32]) -> Result<Snapshot> {
        let mut target = 0;
        for &pid in pids {
            target += proc_cpu_ticks(pid)?;
        }
        let stat = std::fs::read_to_string("/proc/stat").context("reading /proc/stat")?;
        Ok(Snapshot {
            at: Instant::now(),
            target,
            bench: proc_cpu_ticks(std::process::id())?,
            machine: parse_machine_jiffies(&stat).context("unexpected /proc/stat")?,
        })
    }

    /// CPU use from this snapshot to `later`.
    pub fn usage(&self, later: &Snapshot) -> Usage {
        let secs = (later.at - self.at).as_secs_f64().max(1e-9);
        let tick = clock_ticks();
        let pct = |a: u64, b: u64| (b.saturating_sub(a)) as f64 / tick / secs * 100.0;
        let busy = later.machine.0.saturating_sub(self.machine.0) as f64;
        let total = later.machine.1.saturating_sub(self.machine.1) as f64;
        Usage {
            target: pct(self.target, later.target),
            bench: pct(self.bench, later.bench),
            machine: if total > 0.0 {
                busy / total * 100.0
            } else {
                0.0
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_files() {
        let stat =
            "4242 (tokio (rt) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 75 0 0 20 0 9 0 100 1 2";
        assert_eq!(parse_stat_ticks(stat), Some(325));
        assert_eq!(parse_stat_ppid(stat), Some(1));
        assert_eq!(parse_stat_ticks("garbage"), None);
        let status = "Name:\tonair\nVmHWM:\t   51200 kB\nVmRSS:\t   40960 kB\n";
        assert_eq!(parse_status_kb(status, "VmRSS"), Some(40960));
        assert_eq!(parse_status_kb(status, "VmHWM"), Some(51200));
        assert_eq!(parse_status_kb(status, "VmSwap"), None);
        let machine = "cpu  100 5 50 800 20 3 2 0 0 0\ncpu0 50 2 25 400 10 1 1 0 0 0\n";
        assert_eq!(parse_machine_jiffies(machine), Some((160, 980)));
    }
}
