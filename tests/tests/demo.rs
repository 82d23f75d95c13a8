//! The whole demo province (`serve --demo` with `demo.whole_province`), on
//! SQLite and PostgreSQL: Shandong's 16 cities and 136 counties, each
//! county's townships, departments and users, bodies with seats and members
//! in office, so that the board shows a province part-way through the work.

use naxian_tests::{Backend, TestApp};
use serde_json::Value;

async fn the_whole_province_loads(backend: Backend) {
    let app = TestApp::spawn_configured(backend, None, |c| c.demo.whole_province = true).await;
    let admin = app.token("admin").await;
    let board = app.get(&admin, "/api/v1/coverage?under=SD").await;
    let units = board["units"].as_array().unwrap();
    let counties: Vec<&Value> = units.iter().filter(|u| u["kind"] == "county").collect();
    assert_eq!(counties.len(), 136, "Shandong's county-level units");
    let covered = |sector: &str| units.iter().filter(|u| u["state"][sector] == "covered").count();
    for sector in ["health", "education", "agriculture"] {
        let n = covered(sector);
        assert!(
            n > 50 && n < units.len() / 2,
            "{sector}: part-way, not blank nor done ({n})"
        );
    }
    // The core units stay as the scenarios know them: blank, without seats.
    let mg = units.iter().find(|u| u["code"] == "JN-PY-MG").unwrap();
    assert_eq!(mg["state"]["health"], "blank");
    // A generated county has its body, seats, members and users.
    let zb = app.get(&admin, "/api/v1/org-units/ZB-01").await;
    assert_eq!(zb["name"], "淄川区科协");
    assert!(zb["body"]["term_end"].is_string());
    assert_eq!(zb["seats"]["chief_target"], 3);
    assert!(zb["members"].as_array().unwrap().len() >= 3);
    let nominator = app.token("zb-01-nominator").await;
    assert!(!nominator.is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_province_loads_on_sqlite() {
    the_whole_province_loads(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_province_loads_on_postgres() {
    the_whole_province_loads(Backend::Postgres).await;
}
