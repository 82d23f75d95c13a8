//! The layers point one way: the pure model, the store traits, the backends
//! beside each other, the engine on the traits, the server on the engine, and
//! only the binary knowing which backend it opens. Read from each crate's own
//! `Cargo.toml`, so a new arrow upward fails here.

use std::collections::BTreeSet;
use std::path::Path;

/// Each crate and the Naxian crates it may depend on (outside dev-dependencies).
const ALLOWED: &[(&str, &[&str])] = &[
    ("model", &[]),
    ("mail", &[]),
    ("store", &["naxian-model"]),
    ("store-sqlite", &["naxian-model", "naxian-store"]),
    ("store-postgres", &["naxian-model", "naxian-store"]),
    ("store-conformance", &["naxian-model", "naxian-store"]),
    ("engine", &["naxian-model", "naxian-store", "naxian-mail"]),
    (
        "server",
        &["naxian-model", "naxian-store", "naxian-engine", "naxian-mail"],
    ),
];

fn naxian_dependencies(manifest: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(manifest).unwrap();
    let doc: toml::Table = text.parse().unwrap();
    doc.get("dependencies")
        .and_then(|d| d.as_table())
        .map(|d| d.keys().filter(|k| k.starts_with("naxian")).cloned().collect())
        .unwrap_or_default()
}

#[test]
fn no_crate_depends_on_a_layer_above_it() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates");
    let mut seen = BTreeSet::new();
    for entry in std::fs::read_dir(&crates).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        seen.insert(name.clone());
        if name == "naxian" {
            continue; // the binary assembles everything
        }
        let allowed = ALLOWED
            .iter()
            .find(|(c, _)| *c == name)
            .unwrap_or_else(|| panic!("crates/{name} is not placed in a layer here"))
            .1;
        for dep in naxian_dependencies(&dir.join("Cargo.toml")) {
            assert!(
                allowed.contains(&dep.as_str()),
                "crates/{name} depends on {dep}, a layer it may not see"
            );
        }
    }
    for (c, _) in ALLOWED {
        assert!(seen.contains(*c), "crates/{c} is gone: update the layers");
    }
}
