//! A small Prometheus registry: labelled counters and latency histograms, rendered in the text
//! exposition format at `/metrics` on the operator's loopback listener (`metrics_listen`).
//! Labels never carry request data beyond route templates, methods, statuses and error codes.
//!
//! **Counts, not watches.** What is served is a snapshot taken at most once per
//! `metrics_interval_secs` (an hour by default), with every count rounded down to a multiple of
//! [`GRANULE`] and latency sums to whole seconds: a poller cannot see when one submission was
//! accepted, nor count the mailbox polls of one phone's round, only coarse totals per period.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Every count served is rounded down to a multiple of this.
pub const GRANULE: u64 = 10;

fn coarse(n: u64) -> u64 {
    n - n % GRANULE
}

const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

type Key = (&'static str, Vec<(&'static str, String)>);

#[derive(Debug, Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

#[derive(Debug, Default)]
pub struct Metrics {
    counters: Mutex<BTreeMap<Key, u64>>,
    histograms: Mutex<BTreeMap<Key, Histogram>>,
    snapshot: Mutex<Option<(Instant, String)>>,
}

fn key(name: &'static str, labels: &[(&'static str, &str)]) -> Key {
    (
        name,
        labels.iter().map(|(k, v)| (*k, (*v).to_string())).collect(),
    )
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn label_text(labels: &[(&'static str, String)], extra: Option<(&str, String)>) -> String {
    let mut parts: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
        .collect();
    if let Some((k, v)) = extra {
        parts.push(format!("{k}=\"{v}\""));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(","))
    }
}

impl Metrics {
    pub fn inc(&self, name: &'static str, labels: &[(&'static str, &str)]) {
        if let Ok(mut c) = self.counters.lock() {
            *c.entry(key(name, labels)).or_default() += 1;
        }
    }

    pub fn observe(&self, name: &'static str, labels: &[(&'static str, &str)], seconds: f64) {
        if let Ok(mut h) = self.histograms.lock() {
            let h = h.entry(key(name, labels)).or_default();
            for (i, bound) in BUCKETS.iter().enumerate() {
                if seconds <= *bound {
                    h.counts[i] += 1;
                }
            }
            h.sum += seconds;
            h.count += 1;
        }
    }

    /// The value of a counter (0 if never incremented).
    pub fn counter(&self, name: &'static str, labels: &[(&'static str, &str)]) -> u64 {
        self.counters
            .lock()
            .ok()
            .and_then(|c| c.get(&key(name, labels)).copied())
            .unwrap_or(0)
    }

    /// What `/metrics` serves at `now`: the coarse rendering taken at the start of the current
    /// period of length `interval` (a new one when the last is at least `interval` old).
    pub fn snapshot_at(&self, now: Instant, interval: Duration) -> String {
        let Ok(mut snapshot) = self.snapshot.lock() else {
            return String::new();
        };
        match snapshot.as_ref() {
            Some((taken, text)) if now.saturating_duration_since(*taken) < interval => text.clone(),
            _ => {
                let text = self.render_coarse();
                *snapshot = Some((now, text.clone()));
                text
            }
        }
    }

    /// Every count rounded down to a multiple of [`GRANULE`], sums to whole seconds.
    pub fn render_coarse(&self) -> String {
        self.render_with(coarse, f64::floor)
    }

    /// Exact values (tests and benchmarks).
    pub fn render(&self) -> String {
        self.render_with(|n| n, |x| x)
    }

    fn render_with(&self, count: fn(u64) -> u64, sum: fn(f64) -> f64) -> String {
        let mut out = String::new();
        if let Ok(counters) = self.counters.lock() {
            let mut last = "";
            for ((name, labels), value) in counters.iter() {
                if *name != last {
                    let _ = writeln!(out, "# TYPE {name} counter");
                    last = name;
                }
                let _ = writeln!(out, "{name}{} {}", label_text(labels, None), count(*value));
            }
        }
        if let Ok(histograms) = self.histograms.lock() {
            let mut last = "";
            for ((name, labels), h) in histograms.iter() {
                if *name != last {
                    let _ = writeln!(out, "# TYPE {name} histogram");
                    last = name;
                }
                for (i, bound) in BUCKETS.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "{name}_bucket{} {}",
                        label_text(labels, Some(("le", bound.to_string()))),
                        count(h.counts[i])
                    );
                }
                let _ = writeln!(
                    out,
                    "{name}_bucket{} {}",
                    label_text(labels, Some(("le", "+Inf".into()))),
                    count(h.count)
                );
                let _ = writeln!(out, "{name}_sum{} {}", label_text(labels, None), sum(h.sum));
                let _ = writeln!(
                    out,
                    "{name}_count{} {}",
                    label_text(labels, None),
                    count(h.count)
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let m = Metrics::default();
        m.inc("wv_total", &[("reason", "pow_insufficient")]);
        m.inc("wv_total", &[("reason", "pow_insufficient")]);
        m.observe("wv_seconds", &[("route", "/x")], 0.003);
        let text = m.render();
        assert!(
            text.contains("wv_total{reason=\"pow_insufficient\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("wv_seconds_bucket{route=\"/x\",le=\"0.005\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("wv_seconds_bucket{route=\"/x\",le=\"0.0025\"} 0"),
            "{text}"
        );
        assert!(text.contains("wv_seconds_count{route=\"/x\"} 1"), "{text}");
        assert_eq!(m.counter("wv_total", &[("reason", "pow_insufficient")]), 2);
    }

    #[test]
    fn served_counts_are_coarse_and_change_once_per_interval() {
        let m = Metrics::default();
        let hour = Duration::from_secs(3600);
        let t0 = Instant::now();
        for _ in 0..13 {
            m.inc("wv_total", &[("outcome", "accepted")]);
        }
        m.observe("wv_seconds", &[("route", "/x")], 0.3);
        let first = m.snapshot_at(t0, hour);
        assert!(
            first.contains("wv_total{outcome=\"accepted\"} 10\n"),
            "{first}"
        );
        assert!(
            first.contains("wv_seconds_count{route=\"/x\"} 0\n"),
            "{first}"
        );
        assert!(
            first.contains("wv_seconds_sum{route=\"/x\"} 0\n"),
            "{first}"
        );
        // One more submission within the hour: the served text does not move.
        m.inc("wv_total", &[("outcome", "accepted")]);
        for _ in 0..7 {
            m.inc("wv_total", &[("outcome", "accepted")]);
        }
        assert_eq!(
            m.snapshot_at(t0 + hour - Duration::from_secs(1), hour),
            first
        );
        let next = m.snapshot_at(t0 + hour, hour);
        assert!(
            next.contains("wv_total{outcome=\"accepted\"} 20\n"),
            "{next}"
        );
    }
}
