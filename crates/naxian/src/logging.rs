//! Logging to stderr, as text or JSON, with phone numbers masked: whatever
//! an event's message or fields carry, a candidate's mobile or landline number
//! never reaches the log in full (`138****0000`, `0531-*****00`).

use regex::Regex;
use std::borrow::Cow;
use std::io;
use std::sync::LazyLock;
use tracing_subscriber::fmt::MakeWriter;

static MOBILE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(^|\D)(1[3-9]\d)[- ]?\d{4}[- ]?(\d{4})(\D|$)").expect("a valid pattern"));
static LANDLINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(^|\D)(0\d{2,3})-\d{5,6}(\d{2})(\D|$)").expect("a valid pattern"));

/// The text with every mobile and landline number masked.
pub fn mask_phones(text: &str) -> Cow<'_, str> {
    let once = MOBILE.replace_all(text, "$1$2****$3$4");
    match LANDLINE.replace_all(&once, "$1$2-*****$3$4") {
        Cow::Borrowed(_) => once,
        Cow::Owned(s) => Cow::Owned(s),
    }
}

/// A writer factory that masks phone numbers in what the inner one writes.
pub struct Masking<M>(pub M);

pub struct MaskingWriter<W>(W);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Masking<M> {
    type Writer = MaskingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        MaskingWriter(self.0.make_writer())
    }
}

impl<W: io::Write> io::Write for MaskingWriter<W> {
    // The formatter writes each event whole, so a number is never split
    // across two calls.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match std::str::from_utf8(buf) {
            Ok(text) => self.0.write_all(mask_phones(text).as_bytes())?,
            Err(_) => self.0.write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Installs the subscriber: `NAXIAN_LOG` filters, `NAXIAN_LOG_FORMAT=json` for JSON.
pub fn init() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("NAXIAN_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let json = std::env::var("NAXIAN_LOG_FORMAT").is_ok_and(|v| v == "json");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Masking(io::stderr));
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn mobiles_and_landlines_are_masked_and_nothing_else() {
        assert_eq!(mask_phones("电话 13905310001。"), "电话 139****0001。");
        assert_eq!(mask_phones("phone=\"138-0531-0000\""), "phone=\"138****0000\"");
        assert_eq!(mask_phones("tel 0531-88886666 ok"), "tel 0531-*****66 ok");
        let untouched = "2026-11-29T18:03:58.846991Z id=01a22883-ecea-76be seq=12345678901234";
        assert_eq!(mask_phones(untouched), untouched);
    }

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn an_event_carrying_a_phone_is_logged_masked() {
        let buffer = Buffer::default();
        let out = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_writer(Masking(move || out.clone()))
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(phone = "13905310001", "mail to candidate 13905310001 failed");
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        assert!(text.contains("139****0001"), "{text}");
        assert!(!text.contains("13905310001"), "{text}");
    }
}
