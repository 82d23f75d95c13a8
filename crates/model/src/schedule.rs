//! Schedules: cron expressions in a named time zone, and the plan of what to
//! fire now given the last slot handled — including the catch-up policy after
//! downtime, which never drops a slot without saying why.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use std::str::FromStr;

/// What to do with slots missed while no replica was running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CatchUp {
    /// Fire the latest missed slot once; record the earlier ones as skipped.
    Latest,
    /// Fire only a slot that is at most `grace` late; record the rest as skipped.
    Skip,
}

/// Which month the instances a schedule opens (and the reports it chases)
/// are about, counted from the day the slot falls on: a report opened on
/// the 1st is about the month just ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    #[default]
    ThisMonth,
    PreviousMonth,
}

impl Period {
    /// `YYYY-MM` of the month the slot on `day` is about.
    pub fn month(self, day: chrono::NaiveDate) -> String {
        let day = match self {
            Period::ThisMonth => day,
            Period::PreviousMonth => day.checked_sub_months(chrono::Months::new(1)).unwrap_or(day),
        };
        day.format("%Y-%m").to_string()
    }
}

#[derive(Debug, Clone)]
pub struct Schedule {
    pub name: String,
    pub cron: cron::Schedule,
    pub timezone: Tz,
    pub catch_up: CatchUp,
    /// How late a slot may still fire under [`CatchUp::Skip`].
    pub grace: Duration,
}

/// What a round should do for one schedule.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    pub fire: Option<DateTime<Utc>>,
    /// Slots not fired, each with the reason recorded and logged.
    pub skip: Vec<(DateTime<Utc>, String)>,
}

/// Slots listed one by one when skipped; beyond this they are summarised.
const MAX_LISTED_SKIPS: usize = 100;

impl Schedule {
    /// `cron` has six or seven fields (seconds first), e.g. `0 0 9 1 * *`.
    pub fn new(name: &str, cron: &str, timezone: &str, catch_up: CatchUp) -> Result<Schedule, String> {
        let cron = cron::Schedule::from_str(cron).map_err(|e| format!("cron `{cron}`: {e}"))?;
        let timezone = Tz::from_str(timezone).map_err(|_| format!("unknown time zone `{timezone}`"))?;
        Ok(Schedule {
            name: name.to_string(),
            cron,
            timezone,
            catch_up,
            grace: Duration::minutes(30),
        })
    }

    /// The latest slot at or before `now`.
    pub fn latest(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let probe = (now + Duration::seconds(1)).with_timezone(&self.timezone);
        self.cron.after(&probe).next_back().map(|t| t.with_timezone(&Utc))
    }

    /// The first slot after `now`.
    pub fn next(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .after(&now.with_timezone(&self.timezone))
            .next()
            .map(|t| t.with_timezone(&Utc))
    }

    /// Slots strictly between `from` and `to`.
    fn between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        self.cron
            .after(&from.with_timezone(&self.timezone))
            .map(|t| t.with_timezone(&Utc))
            .take_while(move |t| *t < to)
    }

    /// What to do at `now`, given the latest slot already fired or skipped.
    /// A clock that went backward finds nothing newer than `last`, so nothing fires twice.
    pub fn plan(&self, last: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Plan {
        let Some(latest) = self.latest(now) else {
            return Plan::default();
        };
        if last.is_some_and(|l| latest <= l) {
            return Plan::default();
        }
        let mut skip = Vec::new();
        if let Some(last) = last {
            let missed: Vec<DateTime<Utc>> = self.between(last, latest).take(MAX_LISTED_SKIPS + 1).collect();
            let why = match self.catch_up {
                CatchUp::Latest => "missed while the service was down; catch-up runs only the latest slot",
                CatchUp::Skip => "missed while the service was down; catch-up policy is skip",
            };
            for slot in missed.iter().take(MAX_LISTED_SKIPS) {
                skip.push((*slot, why.to_string()));
            }
            if missed.len() > MAX_LISTED_SKIPS {
                skip.push((
                    missed[MAX_LISTED_SKIPS],
                    format!("{why}; more than {MAX_LISTED_SKIPS} slots were missed, the rest are not listed"),
                ));
            }
        }
        let late = now - latest;
        if last.is_none() && late > self.grace {
            // Slots from before a schedule was first seen are not "missed work".
            skip.push((latest, "before this schedule first ran".to_string()));
            return Plan { fire: None, skip };
        }
        match self.catch_up {
            CatchUp::Skip if late > self.grace => {
                skip.push((
                    latest,
                    format!(
                        "{} minutes late, beyond the {} allowed; catch-up policy is skip",
                        late.num_minutes(),
                        self.grace.num_minutes()
                    ),
                ));
                Plan { fire: None, skip }
            }
            _ => Plan {
                fire: Some(latest),
                skip,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn monthly(catch_up: CatchUp) -> Schedule {
        Schedule::new("monthly", "0 0 9 1 * *", "Asia/Shanghai", catch_up).unwrap()
    }

    #[test]
    fn a_period_names_the_month_reported() {
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(Period::ThisMonth.month(d("2026-12-01")), "2026-12");
        assert_eq!(Period::PreviousMonth.month(d("2026-12-01")), "2026-11");
        assert_eq!(
            Period::PreviousMonth.month(d("2027-01-26")),
            "2026-12",
            "across the year"
        );
        assert_eq!(
            Period::PreviousMonth.month(d("2027-03-31")),
            "2027-02",
            "a short month before"
        );
    }

    #[test]
    fn slots_are_in_the_named_zone() {
        let s = monthly(CatchUp::Latest);
        assert_eq!(
            s.latest(t("2026-12-01T00:59:59Z")),
            Some(t("2026-11-01T01:00:00Z"))
        );
        assert_eq!(
            s.latest(t("2026-12-01T01:00:00Z")),
            Some(t("2026-12-01T01:00:00Z")),
            "09:00 Shanghai"
        );
        assert_eq!(s.next(t("2026-12-01T01:00:00Z")), Some(t("2027-01-01T01:00:00Z")));
    }

    #[test]
    fn fires_each_slot_once_and_never_twice_when_the_clock_goes_back() {
        let s = monthly(CatchUp::Latest);
        let p = s.plan(None, t("2026-12-10T01:05:00Z"));
        assert_eq!(
            p.fire, None,
            "a slot from before the schedule first ran is not fired"
        );
        assert_eq!(
            p.skip,
            vec![(
                t("2026-12-01T01:00:00Z"),
                "before this schedule first ran".to_string()
            )]
        );
        let p = s.plan(None, t("2026-12-01T01:05:00Z"));
        assert_eq!(
            p,
            Plan {
                fire: Some(t("2026-12-01T01:00:00Z")),
                skip: vec![]
            }
        );
        let last = p.fire;
        assert_eq!(s.plan(last, t("2026-12-15T00:00:00Z")), Plan::default());
        assert_eq!(
            s.plan(last, t("2026-11-20T00:00:00Z")),
            Plan::default(),
            "clock moved backward"
        );
    }

    #[test]
    fn catch_up_latest_runs_the_latest_missed_slot_and_records_the_rest() {
        let s = monthly(CatchUp::Latest);
        let p = s.plan(Some(t("2026-09-01T01:00:00Z")), t("2026-12-03T00:00:00Z"));
        assert_eq!(p.fire, Some(t("2026-12-01T01:00:00Z")));
        let skipped: Vec<_> = p.skip.iter().map(|(s, _)| *s).collect();
        assert_eq!(skipped, [t("2026-10-01T01:00:00Z"), t("2026-11-01T01:00:00Z")]);
        assert!(p.skip.iter().all(|(_, why)| why.contains("catch-up")));
    }

    #[test]
    fn catch_up_skip_drops_a_late_slot_with_a_reason() {
        let s = monthly(CatchUp::Skip);
        let p = s.plan(Some(t("2026-11-01T01:00:00Z")), t("2026-12-01T01:10:00Z"));
        assert_eq!(
            p.fire,
            Some(t("2026-12-01T01:00:00Z")),
            "10 minutes late is within grace"
        );
        let p = s.plan(Some(t("2026-11-01T01:00:00Z")), t("2026-12-02T01:00:00Z"));
        assert_eq!(p.fire, None);
        assert_eq!(p.skip.len(), 1);
        assert!(p.skip[0].1.contains("catch-up policy is skip"));
    }

    #[test]
    fn bad_expressions_and_zones_are_refused() {
        assert!(Schedule::new("x", "every day", "Asia/Shanghai", CatchUp::Skip).is_err());
        assert!(Schedule::new("x", "0 0 9 1 * *", "Mars/Olympus", CatchUp::Skip).is_err());
    }
}
