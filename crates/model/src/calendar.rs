//! The working-day calendar: weekdays are working days, except statutory
//! holidays, and some weekend days are make-up working days (调休). Due dates
//! written in working days are computed here; durations are parsed here too.

use chrono::FixedOffset;
use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use std::collections::BTreeSet;
use std::fmt;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    holidays: BTreeSet<NaiveDate>,
    workdays: BTreeSet<NaiveDate>,
    years: BTreeSet<i32>,
}

impl Calendar {
    /// Adds one year's holidays and make-up working days.
    pub fn add_year(
        &mut self,
        year: i32,
        holidays: &[NaiveDate],
        workdays: &[NaiveDate],
    ) -> Result<(), String> {
        for d in holidays.iter().chain(workdays) {
            if d.year() != year {
                return Err(format!("{d} is not in {year}"));
            }
        }
        if let Some(d) = holidays.iter().find(|d| workdays.contains(d)) {
            return Err(format!("{d} is listed both as a holiday and as a working day"));
        }
        self.holidays.extend(holidays);
        self.workdays.extend(workdays);
        self.years.insert(year);
        Ok(())
    }

    /// Whether the statutory arrangements for `year` are known.
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        if self.workdays.contains(&d) {
            return true;
        }
        if self.holidays.contains(&d) {
            return false;
        }
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// The date `n` working days after `from` (not counting `from` itself).
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> NaiveDate {
        let mut d = from;
        let mut left = n;
        while left > 0 {
            d = d + Days::new(1);
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// The date `n` working days before `to` (not counting `to` itself).
    pub fn sub_working_days(&self, to: NaiveDate, n: u32) -> NaiveDate {
        let mut d = to;
        let mut left = n;
        while left > 0 {
            d = d - Days::new(1);
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }
}

/// A span of time as workflow files write it: `10 working days`, `3 days`, `12 hours`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    WorkingDays(u32),
    Days(u32),
    Hours(u32),
    /// `day 25 of the month`: the end of that day of the month it starts in.
    DayOfMonth(u32),
}

impl Span {
    pub fn parse(s: &str) -> Result<Span, String> {
        if let Some(iso) = s.strip_prefix('P') {
            return Span::parse_iso(iso)
                .ok_or_else(|| format!("`{s}` is not an ISO 8601 duration like P3D or PT12H"));
        }
        let words: Vec<&str> = s.split_whitespace().collect();
        if let ["day", n, "of", "the", "month"] = words.as_slice() {
            return match n.parse::<u32>() {
                Ok(d) if (1..=28).contains(&d) => Ok(Span::DayOfMonth(d)),
                _ => Err(format!(
                    "`{s}`: the day must be 1 to 28, so that every month has it"
                )),
            };
        }
        let bad = || format!("`{s}` is not a duration: write e.g. `10 working days`, `3 days` or `12 hours`");
        let (n, unit) = match words.as_slice() {
            [n, rest @ ..] if !rest.is_empty() => (n.parse::<u32>().map_err(|_| bad())?, rest.join(" ")),
            _ => return Err(bad()),
        };
        if n > 3650 {
            return Err(format!("`{s}` is too long"));
        }
        match unit.as_str() {
            "working day" | "working days" => Ok(Span::WorkingDays(n)),
            "day" | "days" => Ok(Span::Days(n)),
            "hour" | "hours" => Ok(Span::Hours(n)),
            _ => Err(bad()),
        }
    }
}

impl Span {
    /// The part after `P` of `P3D`, `P2W` or `PT12H`.
    fn parse_iso(rest: &str) -> Option<Span> {
        let (n, unit) = match rest.strip_prefix('T') {
            Some(t) => (t.strip_suffix('H')?, 'H'),
            None => match rest.chars().last()? {
                'D' => (rest.strip_suffix('D')?, 'D'),
                'W' => (rest.strip_suffix('W')?, 'W'),
                _ => return None,
            },
        };
        let n: u32 = n.parse().ok()?;
        // The same bound as the words form, after weeks become days (so
        // that a span prints as it parses).
        let span = match unit {
            'H' => Span::Hours(n),
            'W' => Span::Days(n.checked_mul(7)?),
            _ => Span::Days(n),
        };
        match span {
            Span::Hours(n) | Span::Days(n) if n > 3650 => None,
            span => Some(span),
        }
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Span::WorkingDays(n) => write!(f, "{n} working days"),
            Span::Days(n) => write!(f, "{n} days"),
            Span::Hours(n) => write!(f, "{n} hours"),
            Span::DayOfMonth(n) => write!(f, "day {n} of the month"),
        }
    }
}

/// China Standard Time; China keeps no daylight saving, so a fixed offset is exact.
pub fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// The day it is at `t` in Asia/Shanghai.
pub fn shanghai_day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&shanghai()).date_naive()
}

fn end_of_day(d: NaiveDate) -> DateTime<Utc> {
    let t = NaiveTime::from_hms_opt(23, 59, 59).expect("valid time");
    shanghai()
        .from_local_datetime(&d.and_time(t))
        .single()
        .expect("fixed offsets are unambiguous")
        .with_timezone(&Utc)
}

impl Calendar {
    /// When something started at `from` and given `span` is due. Working days
    /// end at 23:59:59 Asia/Shanghai of the last one.
    pub fn due(&self, from: DateTime<Utc>, span: Span) -> DateTime<Utc> {
        match span {
            Span::WorkingDays(n) => {
                end_of_day(self.add_working_days(from.with_timezone(&shanghai()).date_naive(), n))
            }
            Span::Days(n) => from + Duration::days(i64::from(n)),
            Span::Hours(n) => from + Duration::hours(i64::from(n)),
            Span::DayOfMonth(n) => {
                let d = from.with_timezone(&shanghai()).date_naive();
                end_of_day(d.with_day(n).unwrap_or(d))
            }
        }
    }

    /// The moment `span` before `due` (a reminder): working days count back
    /// from the due date and fall at 09:00 Asia/Shanghai.
    pub fn before(&self, due: DateTime<Utc>, span: Span) -> DateTime<Utc> {
        match span {
            Span::WorkingDays(n) => {
                let day = self.sub_working_days(due.with_timezone(&shanghai()).date_naive(), n);
                let t = NaiveTime::from_hms_opt(9, 0, 0).expect("valid time");
                shanghai()
                    .from_local_datetime(&day.and_time(t))
                    .single()
                    .expect("fixed offsets are unambiguous")
                    .with_timezone(&Utc)
            }
            Span::Days(n) | Span::DayOfMonth(n) => due - Duration::days(i64::from(n)),
            Span::Hours(n) => due - Duration::hours(i64::from(n)),
        }
    }

    /// The moment `span` after `due` (an escalation or timeout).
    pub fn after(&self, due: DateTime<Utc>, span: Span) -> DateTime<Utc> {
        match span {
            Span::WorkingDays(n) => {
                end_of_day(self.add_working_days(due.with_timezone(&shanghai()).date_naive(), n))
            }
            Span::Days(n) | Span::DayOfMonth(n) => due + Duration::days(i64::from(n)),
            Span::Hours(n) => due + Duration::hours(i64::from(n)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// The 2026 arrangement as in config/holidays/2026.toml.
    fn cal2026() -> Calendar {
        let holidays: Vec<NaiveDate> = [
            "2026-01-01",
            "2026-01-02",
            "2026-01-03",
            "2026-02-15",
            "2026-02-16",
            "2026-02-17",
            "2026-02-18",
            "2026-02-19",
            "2026-02-20",
            "2026-02-21",
            "2026-02-22",
            "2026-02-23",
            "2026-10-01",
            "2026-10-02",
            "2026-10-03",
            "2026-10-04",
            "2026-10-05",
            "2026-10-06",
            "2026-10-07",
        ]
        .iter()
        .map(|s| d(s))
        .collect();
        let workdays: Vec<NaiveDate> = [
            "2026-01-04",
            "2026-02-14",
            "2026-02-28",
            "2026-09-20",
            "2026-10-10",
        ]
        .iter()
        .map(|s| d(s))
        .collect();
        let mut c = Calendar::default();
        c.add_year(2026, &holidays, &workdays).unwrap();
        c
    }

    #[test]
    fn make_up_saturday_is_a_working_day_and_holidays_are_not() {
        let c = cal2026();
        assert!(
            c.is_working_day(d("2026-02-14")),
            "Saturday 14 Feb is a make-up working day"
        );
        assert!(
            !c.is_working_day(d("2026-02-16")),
            "Monday 16 Feb is Spring Festival"
        );
        assert!(!c.is_working_day(d("2026-02-07")), "an ordinary Saturday");
        assert!(c.is_working_day(d("2026-02-24")));
    }

    #[test]
    fn ten_working_days_across_spring_festival() {
        let c = cal2026();
        // From Wednesday 11 Feb: 12, 13, 14 (make-up Sat), 24, 25, 26, 27, 28 (make-up Sat), 2 Mar, 3 Mar.
        assert_eq!(c.add_working_days(d("2026-02-11"), 10), d("2026-03-03"));
        // Without the calendar it would be 25 Feb.
        assert_eq!(
            Calendar::default().add_working_days(d("2026-02-11"), 10),
            d("2026-02-25")
        );
        assert_eq!(c.sub_working_days(d("2026-03-03"), 10), d("2026-02-11"));
    }

    #[test]
    fn due_is_the_end_of_the_last_working_day_in_shanghai() {
        let c = cal2026();
        let from = Utc.with_ymd_and_hms(2026, 2, 11, 2, 0, 0).unwrap(); // 10:00 in Shanghai
        let due = c.due(from, Span::WorkingDays(10));
        assert_eq!(
            due.with_timezone(&shanghai()).to_rfc3339(),
            "2026-03-03T23:59:59+08:00"
        );
        let remind = c.before(due, Span::WorkingDays(1));
        assert_eq!(
            remind.with_timezone(&shanghai()).to_rfc3339(),
            "2026-03-02T09:00:00+08:00"
        );
        let late = c.after(due, Span::WorkingDays(1));
        assert_eq!(
            late.with_timezone(&shanghai()).to_rfc3339(),
            "2026-03-04T23:59:59+08:00"
        );
        assert_eq!(c.due(from, Span::Days(3)), from + Duration::days(3));
        assert_eq!(c.due(from, Span::Hours(12)), from + Duration::hours(12));
    }

    #[test]
    fn spans_parse_and_bad_ones_say_why() {
        assert_eq!(Span::parse("10 working days"), Ok(Span::WorkingDays(10)));
        assert_eq!(Span::parse("1 working day"), Ok(Span::WorkingDays(1)));
        assert_eq!(Span::parse("3 days"), Ok(Span::Days(3)));
        assert_eq!(Span::parse("12 hours"), Ok(Span::Hours(12)));
        assert_eq!(Span::parse("day 25 of the month"), Ok(Span::DayOfMonth(25)));
        assert_eq!(Span::parse("P3D"), Ok(Span::Days(3)));
        assert_eq!(Span::parse("P2W"), Ok(Span::Days(14)));
        assert_eq!(Span::parse("PT12H"), Ok(Span::Hours(12)));
        assert!(Span::parse("P3X").is_err());
        // Found by the due_dates fuzz target: weeks past the bound of days.
        assert!(Span::parse("P1444W").is_err());
        assert!(Span::parse("P613566757W").is_err(), "no overflow");
        assert_eq!(Span::parse("P521W"), Ok(Span::Days(3647)));
        assert!(Span::parse("PT").is_err());
        assert!(Span::parse("day 31 of the month").is_err());
        let first = Utc.with_ymd_and_hms(2026, 12, 1, 1, 0, 0).unwrap();
        assert_eq!(
            Calendar::default()
                .due(first, Span::DayOfMonth(25))
                .with_timezone(&shanghai())
                .to_rfc3339(),
            "2026-12-25T23:59:59+08:00"
        );
        assert!(Span::parse("soon").unwrap_err().contains("not a duration"));
        assert!(Span::parse("ten days").is_err());
        assert!(Span::parse("3 fortnights").is_err());
        assert!(Span::parse("99999 days").is_err());
    }

    #[test]
    fn a_year_is_checked_when_added() {
        let mut c = Calendar::default();
        assert!(c.add_year(2027, &[d("2026-01-01")], &[]).is_err());
        assert!(c.add_year(2026, &[d("2026-01-01")], &[d("2026-01-01")]).is_err());
        assert!(!c.covers(2026));
    }
}
