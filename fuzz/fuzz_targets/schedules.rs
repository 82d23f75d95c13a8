//! A schedule from any cron line and time zone, planned at any two moments:
//! no panic, a slot fired is never after now nor at or before the last one,
//! and every skipped slot is before the one fired.
#![no_main]

use chrono::DateTime;
use libfuzzer_sys::fuzz_target;
use naxian_model::schedule::{CatchUp, Schedule};

fuzz_target!(|data: &[u8]| {
    if data.len() < 17 {
        return;
    }
    let (stamps, text) = data.split_at(16);
    let secs = |b: &[u8]| (u64::from_le_bytes(b.try_into().unwrap()) % 7_258_118_400) as i64;
    let (Some(a), Some(b)) = (
        DateTime::from_timestamp(secs(&stamps[..8]), 0),
        DateTime::from_timestamp(secs(&stamps[8..]), 0),
    ) else {
        return;
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let mut lines = text.splitn(2, '\n');
    let (cron, zone) = (lines.next().unwrap_or(""), lines.next().unwrap_or("Asia/Shanghai"));
    let catch_up = if data[0] % 2 == 0 { CatchUp::Latest } else { CatchUp::Skip };
    let Ok(schedule) = Schedule::new("fuzz", cron, zone.trim(), catch_up) else {
        return;
    };
    let (last, now) = (a.min(b), a.max(b));
    let plan = schedule.plan(Some(last), now);
    if let Some(fire) = plan.fire {
        assert!(fire <= now && fire > last, "fired {fire} for last {last}, now {now}");
        assert!(plan.skip.iter().all(|(s, _)| *s < fire));
    }
});
