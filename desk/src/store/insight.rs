//! The rows the dashboard (`insight.rs`) aggregates.

use std::str::FromStr;

use sqlx::Row;

use super::Store;
use crate::error::Result;

/// The facts of one case the dashboard aggregates.
#[derive(Debug, Clone)]
pub struct InsightRow {
    pub received_at: u64,
    pub origin: Option<String>,
    pub destination: String,
    pub recruiter_name: Option<String>,
    pub recruiter_norm: Option<String>,
    pub wage: Option<(u64, String)>,
    pub indicators: Vec<String>,
    /// Total fees per currency.
    pub fees: Vec<(String, u64)>,
    /// How the report came (`app`, `sms`, `unknown`: `Channel::as_str`).
    pub channel: String,
}

impl Store {
    /// Every row the dashboard aggregates, in one pass.
    pub async fn insight_rows(&self) -> Result<Vec<InsightRow>> {
        let rows = sqlx::query(concat!(
            "SELECT c.id, c.received_at, c.origin_country, c.destination_country, ",
            "c.recruiter_name, c.recruiter_norm, c.wage_minor, c.wage_currency, ",
            "(SELECT group_concat(indicator, ',') FROM case_indicators i WHERE i.case_id = c.id), ",
            "(SELECT group_concat(currency || ':' || total_minor, ',') FROM case_fees f ",
            "WHERE f.case_id = c.id), c.channel FROM cases c"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let indicators: Option<String> = r.try_get(8)?;
                let fees: Option<String> = r.try_get(9)?;
                let wage_minor: Option<i64> = r.try_get(6)?;
                let wage_currency: Option<String> = r.try_get(7)?;
                Ok(InsightRow {
                    received_at: r.try_get::<i64, _>(1)? as u64,
                    origin: r.try_get(2)?,
                    destination: r.try_get(3)?,
                    recruiter_name: r.try_get(4)?,
                    recruiter_norm: r.try_get(5)?,
                    wage: wage_minor.zip(wage_currency).map(|(a, c)| (a as u64, c)),
                    indicators: indicators
                        .map(|s| s.split(',').map(str::to_string).collect())
                        .unwrap_or_default(),
                    fees: fees
                        .map(|s| {
                            s.split(',')
                                .filter_map(|p| {
                                    let (c, a) = p.split_once(':')?;
                                    Some((c.to_string(), u64::from_str(a).ok()?))
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                    channel: r.try_get(10)?,
                })
            })
            .collect()
    }
}
