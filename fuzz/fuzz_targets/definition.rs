//! Any text given to the workflow parser yields a definition or errors with
//! locations, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use naxian_model::{Catalogue, Definition};
use std::sync::OnceLock;

static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    if let Ok(source) = std::str::from_utf8(data) {
        let catalogue = CATALOGUE.get_or_init(Catalogue::shipped);
        if let Err(errors) = Definition::parse("fuzz.yaml", source, catalogue) {
            // Every error must render (it is what `workflow check` prints).
            let _ = errors.to_string();
        }
    }
});
