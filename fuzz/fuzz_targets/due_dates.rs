//! A span as workflow files write it (`10 working days`, `P3D`, `day 25 of
//! the month`), parsed and applied from any moment: no panic, and a due date
//! never before the start (except `day N of the month`, which names a day).
#![no_main]

use chrono::{DateTime, NaiveDate};
use libfuzzer_sys::fuzz_target;
use naxian_model::calendar::{Calendar, Span};

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let (stamp, text) = data.split_at(8);
    // Any moment from 1970 to about 2200.
    let secs = u64::from_le_bytes(stamp.try_into().unwrap()) % 7_258_118_400;
    let Some(from) = DateTime::from_timestamp(secs as i64, 0) else {
        return;
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let Ok(span) = Span::parse(text) else {
        return;
    };
    assert_eq!(Span::parse(&span.to_string()), Ok(span), "a span prints as it parses");
    let mut calendar = Calendar::default();
    let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
    calendar
        .add_year(2026, &[d(1, 1), d(2, 16), d(2, 17), d(10, 1)], &[d(2, 14), d(9, 27)])
        .unwrap();
    let due = calendar.due(from, span);
    if !matches!(span, Span::DayOfMonth(_)) {
        assert!(due >= from, "{span} from {from} is due {due}");
    }
});
