//! The dashboard's figures and their charts, drawn as inline SVG on the server (no script).
//!
//! Money is never converted between currencies: fee charts are drawn per currency (the most
//! common currencies first, each chart saying which), and the SDG 10.7.1 ratio (recruitment
//! cost ÷ monthly earnings) is computed only for workers whose fees and wage are in the same
//! currency, with the number left out shown next to it.

use std::collections::{BTreeMap, HashMap};

use maud::{Markup, html};
use workvoice_proto::report::{Channel, Indicator};

use crate::labels;
use crate::store::InsightRow;

/// One bar of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    /// The value as people read it ("NPR 150,000.00", "12 cases").
    pub value_text: String,
}

/// A group of fee figures in one currency.
#[derive(Debug, Clone, PartialEq)]
pub struct CurrencyChart {
    pub currency: String,
    pub cases: usize,
    pub bars: Vec<Bar>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Insight {
    pub total_cases: usize,
    /// Cases per channel: the app and SMS always, a channel this desk does not know when any.
    pub channels: Vec<Bar>,
    /// Monday of each week and the number of reports received that week.
    pub weekly: Vec<Bar>,
    pub indicators: Vec<Bar>,
    pub fees_by_recruiter: Vec<CurrencyChart>,
    pub fees_by_corridor: Vec<CurrencyChart>,
    pub sdg_by_corridor: Vec<Bar>,
    pub sdg_included: usize,
    pub sdg_excluded_currency: usize,
}

const WEEKS: u64 = 26;
const TOP: usize = 10;
const CURRENCY_CHARTS: usize = 3;

fn median(values: &mut [u64]) -> u64 {
    values.sort_unstable();
    match values.len() {
        0 => 0,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] / 2).saturating_add(values[n / 2] / 2),
    }
}

fn corridor(row: &InsightRow) -> String {
    match &row.origin {
        Some(o) => format!(
            "{} → {}",
            labels::country_name(o),
            labels::country_name(&row.destination)
        ),
        None => format!("? → {}", labels::country_name(&row.destination)),
    }
}

/// Median total fee per case, per key, per currency; the currencies with most cases first.
fn fee_charts(
    rows: &[InsightRow],
    key: impl Fn(&InsightRow) -> Option<String>,
) -> Vec<CurrencyChart> {
    let mut by_currency: HashMap<&str, HashMap<String, Vec<u64>>> = HashMap::new();
    for row in rows {
        let Some(k) = key(row) else { continue };
        for (currency, total) in &row.fees {
            by_currency
                .entry(currency.as_str())
                .or_default()
                .entry(k.clone())
                .or_default()
                .push(*total);
        }
    }
    let mut charts: Vec<CurrencyChart> = by_currency
        .into_iter()
        .map(|(currency, groups)| {
            let cases = groups.values().map(Vec::len).sum();
            let mut bars: Vec<(usize, Bar)> = groups
                .into_iter()
                .map(|(label, mut totals)| {
                    let n = totals.len();
                    let m = median(&mut totals);
                    (
                        n,
                        Bar {
                            value: labels::major_units(m, currency),
                            value_text: format!(
                                "median {} {} · {n} case{}",
                                currency,
                                labels::amount(m, currency),
                                if n == 1 { "" } else { "s" }
                            ),
                            label,
                        },
                    )
                })
                .collect();
            bars.sort_by(|a, b| {
                b.0.cmp(&a.0)
                    .then(b.1.value.total_cmp(&a.1.value))
                    .then(a.1.label.cmp(&b.1.label))
            });
            CurrencyChart {
                currency: currency.to_string(),
                cases,
                bars: bars.into_iter().take(TOP).map(|(_, b)| b).collect(),
            }
        })
        .collect();
    charts.sort_by(|a, b| b.cases.cmp(&a.cases).then(a.currency.cmp(&b.currency)));
    charts.truncate(CURRENCY_CHARTS);
    charts
}

pub fn compute(rows: &[InsightRow], now: u64) -> Insight {
    let latest = rows
        .iter()
        .map(|r| r.received_at)
        .max()
        .unwrap_or(now)
        .max(now);
    let last_week = labels::week_start(latest);
    let first_week = last_week.saturating_sub((WEEKS - 1) * 7 * 86_400);
    let mut weeks: BTreeMap<u64, u64> = (0..WEEKS)
        .map(|i| (first_week + i * 7 * 86_400, 0))
        .collect();
    for row in rows {
        if let Some(n) = weeks.get_mut(&labels::week_start(row.received_at)) {
            *n += 1;
        }
    }
    let weekly = weeks
        .into_iter()
        .map(|(start, n)| Bar {
            label: labels::date(start),
            value: n as f64,
            value_text: format!("{n} report{}", if n == 1 { "" } else { "s" }),
        })
        .collect();

    let mut counts: HashMap<&str, u64> = HashMap::new();
    for row in rows {
        for i in &row.indicators {
            *counts.entry(i.as_str()).or_default() += 1;
        }
    }
    let mut indicators: Vec<Bar> = Indicator::ALL
        .iter()
        .map(|i| {
            let n = counts.get(i.as_str()).copied().unwrap_or(0);
            Bar {
                label: labels::indicator(*i).to_string(),
                value: n as f64,
                value_text: format!("{n} case{}", if n == 1 { "" } else { "s" }),
            }
        })
        .collect();
    indicators.sort_by(|a, b| b.value.total_cmp(&a.value).then(a.label.cmp(&b.label)));

    // Recruiters are grouped by normalised name, shown by the first spelling met.
    let mut display: HashMap<String, String> = HashMap::new();
    for row in rows {
        if let (Some(norm), Some(name)) = (&row.recruiter_norm, &row.recruiter_name) {
            display.entry(norm.clone()).or_insert_with(|| name.clone());
        }
    }
    let fees_by_recruiter = fee_charts(rows, |r| {
        r.recruiter_norm
            .as_ref()
            .and_then(|n| display.get(n).cloned())
    });
    let fees_by_corridor = fee_charts(rows, |r| Some(corridor(r)));

    let mut ratios: HashMap<String, Vec<f64>> = HashMap::new();
    let (mut included, mut excluded) = (0, 0);
    for row in rows {
        let Some((wage, currency)) = &row.wage else {
            continue;
        };
        if row.fees.is_empty() || *wage == 0 {
            continue;
        }
        match row.fees.iter().find(|(c, _)| c == currency) {
            Some((_, total)) => {
                included += 1;
                ratios
                    .entry(corridor(row))
                    .or_default()
                    .push(*total as f64 / *wage as f64);
            }
            None => excluded += 1,
        }
    }
    let mut sdg: Vec<(usize, Bar)> = ratios
        .into_iter()
        .map(|(label, values)| {
            let n = values.len();
            let mean = values.iter().sum::<f64>() / n as f64;
            (
                n,
                Bar {
                    label,
                    value: mean,
                    value_text: format!(
                        "{mean:.1} months of earnings · {n} worker{}",
                        if n == 1 { "" } else { "s" }
                    ),
                },
            )
        })
        .collect();
    sdg.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.label.cmp(&b.1.label)));
    Insight {
        total_cases: rows.len(),
        channels: channel_counts(rows),
        weekly,
        indicators,
        fees_by_recruiter,
        fees_by_corridor,
        sdg_by_corridor: sdg.into_iter().take(TOP).map(|(_, b)| b).collect(),
        sdg_included: included,
        sdg_excluded_currency: excluded,
    }
}

fn channel_label(channel: Channel) -> &'static str {
    match channel {
        Channel::App => "Workvoice app",
        Channel::Sms => "SMS",
        Channel::Unknown => "A channel this desk does not know",
    }
}

/// Cases per channel, in a fixed order: the app, SMS, then unknown channels if there are any.
fn channel_counts(rows: &[InsightRow]) -> Vec<Bar> {
    [Channel::App, Channel::Sms, Channel::Unknown]
        .into_iter()
        .map(|channel| {
            let n = rows
                .iter()
                .filter(|r| r.channel == channel.as_str())
                .count();
            (channel, n)
        })
        .filter(|(channel, n)| *channel != Channel::Unknown || *n > 0)
        .map(|(channel, n)| Bar {
            label: channel_label(channel).to_string(),
            value: n as f64,
            value_text: format!("{n} case{}", if n == 1 { "" } else { "s" }),
        })
        .collect()
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(max - 1).collect::<String>())
    }
}

/// A horizontal bar chart. `title_id` names the heading that labels it.
pub fn hbar_chart(title_id: &str, bars: &[Bar]) -> Markup {
    const WIDTH: f64 = 700.0;
    const LABEL_W: f64 = 290.0;
    const VALUE_W: f64 = 0.0;
    const ROW_H: f64 = 26.0;
    let max = bars.iter().map(|b| b.value).fold(0.0, f64::max);
    let height = ROW_H * bars.len().max(1) as f64 + 8.0;
    let bar_space = WIDTH - LABEL_W - VALUE_W - 10.0;
    html! {
        svg class="chart" role="img" aria-labelledby=(title_id) viewBox=(format!("0 0 {WIDTH} {height}"))
            width=(WIDTH) height=(height) xmlns="http://www.w3.org/2000/svg" {
            @for (i, bar) in bars.iter().enumerate() {
                @let y = 4.0 + i as f64 * ROW_H;
                @let w = if max > 0.0 { (bar.value / max * bar_space).max(if bar.value > 0.0 { 2.0 } else { 0.0 }) } else { 0.0 };
                g {
                    title { (bar.label) ": " (bar.value_text) }
                    text x=(LABEL_W - 8.0) y=(y + ROW_H * 0.62) text-anchor="end" class="chart-label" { (truncate(&bar.label, 40)) }
                    rect x=(LABEL_W) y=(y + 3.0) width=(format!("{w:.1}")) height=(ROW_H - 8.0) class="chart-bar" {}
                    @let inside = w > bar_space * 0.55;
                    text x=(if inside { LABEL_W + w - 6.0 } else { LABEL_W + w + 6.0 }) y=(y + ROW_H * 0.62)
                        text-anchor=(if inside { "end" } else { "start" })
                        class=(if inside { "chart-value chart-value-inside" } else { "chart-value" }) { (bar.value_text) }
                }
            }
        }
    }
}

/// A vertical bar chart over time (reports per week).
pub fn column_chart(title_id: &str, bars: &[Bar]) -> Markup {
    const WIDTH: f64 = 620.0;
    const HEIGHT: f64 = 190.0;
    const BOTTOM: f64 = 36.0;
    const LEFT: f64 = 34.0;
    let max = bars.iter().map(|b| b.value).fold(0.0, f64::max).max(1.0);
    let step = (WIDTH - LEFT - 4.0) / bars.len().max(1) as f64;
    let plot_h = HEIGHT - BOTTOM - 8.0;
    html! {
        svg class="chart" role="img" aria-labelledby=(title_id) viewBox=(format!("0 0 {WIDTH} {HEIGHT}"))
            width=(WIDTH) height=(HEIGHT) xmlns="http://www.w3.org/2000/svg" {
            line x1=(LEFT) y1=(HEIGHT - BOTTOM) x2=(WIDTH - 4.0) y2=(HEIGHT - BOTTOM) class="chart-axis" {}
            text x=(LEFT - 6.0) y=(8.0 + 10.0) text-anchor="end" class="chart-value" { (max as u64) }
            text x=(LEFT - 6.0) y=(HEIGHT - BOTTOM) text-anchor="end" class="chart-value" { "0" }
            @for (i, bar) in bars.iter().enumerate() {
                @let h = bar.value / max * plot_h;
                @let x = LEFT + i as f64 * step;
                g {
                    title { "Week of " (bar.label) ": " (bar.value_text) }
                    rect x=(format!("{:.1}", x + 2.0)) y=(format!("{:.1}", HEIGHT - BOTTOM - h)) width=(format!("{:.1}", step - 4.0)) height=(format!("{h:.1}")) class="chart-bar" {}
                    @if i % 4 == 0 {
                        text x=(format!("{:.1}", x + step / 2.0)) y=(HEIGHT - BOTTOM + 16.0) text-anchor="middle" class="chart-value" { (&bar.label[5..]) }
                    }
                }
            }
        }
    }
}

/// The figures of a chart as a table, for screen readers and for copying.
pub fn data_table(caption: &str, header: (&str, &str), bars: &[Bar]) -> Markup {
    html! {
        details class="chart-data" {
            summary { "Show the figures as a table" }
            table {
                caption { (caption) }
                thead { tr { th scope="col" { (header.0) } th scope="col" { (header.1) } } }
                tbody {
                    @for bar in bars {
                        tr { th scope="row" { (bar.label) } td { (bar.value_text) } }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        at: u64,
        origin: &str,
        fees: &[(&str, u64)],
        wage: Option<(u64, &str)>,
        recruiter: &str,
    ) -> InsightRow {
        InsightRow {
            received_at: at,
            origin: Some(origin.into()),
            destination: "QA".into(),
            recruiter_name: Some(recruiter.into()),
            recruiter_norm: Some(crate::cases::normalise_party_name(recruiter)),
            wage: wage.map(|(a, c)| (a, c.to_string())),
            indicators: vec!["debt_bondage".into()],
            fees: fees.iter().map(|(c, a)| (c.to_string(), *a)).collect(),
            channel: "app".into(),
        }
    }

    #[test]
    fn cases_are_counted_by_channel_and_an_unknown_channel_only_when_there_is_one() {
        let now = 1_795_824_000;
        let mut rows: Vec<InsightRow> = (0..5)
            .map(|i| row(now, "NP", &[], None, &format!("R{i}")))
            .collect();
        rows[1].channel = "sms".into();
        rows[3].channel = "sms".into();
        let figures = |rows: &[InsightRow]| -> Vec<(String, u64)> {
            compute(rows, now)
                .channels
                .iter()
                .map(|b| (b.label.clone(), b.value as u64))
                .collect()
        };
        assert_eq!(
            figures(&rows),
            vec![("Workvoice app".into(), 3), ("SMS".into(), 2)]
        );
        rows[4].channel = "unknown".into();
        assert_eq!(
            figures(&rows),
            vec![
                ("Workvoice app".into(), 2),
                ("SMS".into(), 2),
                ("A channel this desk does not know".into(), 1)
            ]
        );
        assert_eq!(
            figures(&[]),
            vec![("Workvoice app".into(), 0), ("SMS".into(), 0)]
        );
    }

    #[test]
    fn ratios_only_within_one_currency_and_fees_per_currency() {
        let now = 1_795_824_000;
        let rows = vec![
            row(
                now,
                "NP",
                &[("QAR", 300_000)],
                Some((100_000, "QAR")),
                "Alpha Ltd",
            ),
            row(
                now,
                "NP",
                &[("QAR", 500_000)],
                Some((100_000, "QAR")),
                "ALPHA",
            ),
            row(
                now,
                "NP",
                &[("NPR", 15_000_000)],
                Some((100_000, "QAR")),
                "Beta",
            ),
            row(
                now - 8 * 86_400,
                "BD",
                &[("BDT", 40_000_000)],
                None,
                "Gamma",
            ),
        ];
        let i = compute(&rows, now);
        assert_eq!(i.sdg_included, 2);
        assert_eq!(i.sdg_excluded_currency, 1);
        assert_eq!(i.sdg_by_corridor.len(), 1);
        assert!(
            (i.sdg_by_corridor[0].value - 4.0).abs() < 1e-9,
            "mean of 3 and 5 months"
        );
        let qar = i
            .fees_by_recruiter
            .iter()
            .find(|c| c.currency == "QAR")
            .unwrap();
        assert_eq!(qar.bars.len(), 1, "Alpha Ltd and ALPHA are one recruiter");
        assert_eq!(qar.bars[0].label, "Alpha Ltd");
        assert!(
            qar.bars[0].value_text.contains("QAR 4,000.00"),
            "{}",
            qar.bars[0].value_text
        );
        assert_eq!(i.weekly.iter().map(|b| b.value as u64).sum::<u64>(), 4);
        assert_eq!(i.indicators[0].value, 4.0);
        let svg = hbar_chart("t", &i.indicators).into_string();
        assert!(svg.starts_with("<svg") && svg.contains("Debt bondage"));
    }
}
