//! The whole demo province (`serve --demo` with `demo.whole_province`), on
//! SQLite and PostgreSQL: Shandong's 16 cities and 136 counties, each
//! county's townships, departments and users, bodies with seats and members
//! in office, and a census part-way through, so that the board shows a
//! province part-way through the work.

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
    // Its census is under way: most counties passed, their facts on the
    // board; the rest are missing on the campaign.
    let with_facts = counties
        .iter()
        .filter(|u| u["figures"]["个人会员"].as_i64().is_some_and(|n| n > 0))
        .count();
    assert!(
        with_facts > 136 / 2 && with_facts < 136,
        "counties with census facts: {with_facts}"
    );
    assert!(units.iter().any(|u| u["lacks"]
        .as_array()
        .is_some_and(|l| l.iter().any(|x| x == "缺编制"))));
    let campaigns = app.get(&admin, "/api/v1/campaigns").await;
    let census = &campaigns[0];
    assert_eq!(
        (census["workflow"].as_str(), census["targets"].as_i64()),
        (Some("census"), Some(136))
    );
    assert_eq!(census["done"].as_i64(), Some(with_facts as i64), "{census}");
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
