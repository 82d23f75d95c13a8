//! The `naxian` command line, run as a user would: workflow check, user and
//! token creation, migrate, and audit verification catching a tampered row.

use naxian_model::machine::ActionInput;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn naxian(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_naxian"))
        .args(args)
        .current_dir(workspace())
        .env("NAXIAN_DATA_DIR", data)
        .env(
            "NAXIAN_DATABASE_URL",
            format!("sqlite://{}", data.join("naxian.db").display()),
        )
        .env("NAXIAN_LOG", "warn")
        .output()
        .expect("run naxian")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn workflow_check_passes_shipped_and_fails_broken_files_with_location() {
    let dir = tempfile::tempdir().unwrap();
    let ok = naxian(dir.path(), &["workflow", "check"]);
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(text(&ok).contains("ok  sanzhang-appointment version 5"));

    let broken = workspace()
        .join("workflows/sanzhang-appointment.yaml")
        .canonicalize()
        .unwrap();
    let src = std::fs::read_to_string(&broken)
        .unwrap()
        .replace("resubmit: { to: consultation", "resubmit: { to: consultaton")
        .replace(
            "role: secretary, unit: target }\n    actions:\n      elected:\n        to: filing",
            "role: sekretary, unit: target }\n    actions:\n      elected:\n        to: filing",
        );
    let file = dir.path().join("bad.yaml");
    std::fs::write(&file, src).unwrap();
    let out = naxian(dir.path(), &["workflow", "check", file.to_str().unwrap()]);
    assert!(!out.status.success());
    let t = text(&out);
    assert!(t.contains("bad.yaml:"), "{t}");
    assert!(t.contains("unknown step `consultaton`"), "{t}");
    assert!(t.contains("unknown role `sekretary`"), "{t}");
    let graph = naxian(
        dir.path(),
        &["workflow", "graph", "workflows/sanzhang-appointment.yaml"],
    );
    assert!(text(&graph).contains("\"consultation\" -> \"revising\" [label=\"object\"]"));
}

#[test]
fn users_tokens_and_audit_verify() {
    let dir = tempfile::tempdir().unwrap();
    let out = naxian(dir.path(), &["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = naxian(
        dir.path(),
        &[
            "user",
            "add",
            "--login",
            "root",
            "--name",
            "管理员",
            "--email",
            "root@example.cn",
            "--password",
            "correct-horse",
            "--admin",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = naxian(
        dir.path(),
        &[
            "user",
            "add",
            "--login",
            "root",
            "--name",
            "x",
            "--email",
            "root@example.cn",
            "--password",
            "correct-horse",
        ],
    );
    assert!(!out.status.success(), "a duplicate login is refused");
    let out = naxian(dir.path(), &["token", "create", "--user", "root"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).trim().starts_with("nx_"));
    let out = naxian(dir.path(), &["token", "create", "--user", "ghost"]);
    assert!(!out.status.success());

    let out = naxian(dir.path(), &["audit", "verify"]);
    assert!(out.status.success(), "{}", text(&out));

    let out = naxian(dir.path(), &["schedule", "list"]);
    assert!(out.status.success(), "{}", text(&out));
    let listing = String::from_utf8_lossy(&out.stdout).to_string();
    for name in [
        "monthly-progress-report.open",
        "monthly-progress-report.remind",
        "monthly-progress-report.missed",
        "system.digest",
    ] {
        assert!(listing.contains(name), "{listing}");
    }
    assert!(listing.contains("next 20"), "{listing}");
    let out = naxian(dir.path(), &["outbox", "list"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = naxian(dir.path(), &["outbox", "list", "--status", "lost"]);
    assert!(!out.status.success());
    let out = naxian(dir.path(), &["outbox", "retry", "no-such-id"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("no dead e-mail"));
}

#[tokio::test]
async fn audit_verify_reports_a_tampered_entry() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("naxian.db");
    let url = format!("sqlite://{}", db.display());
    // Run two instances through a few steps with the real engine.
    let mut config = naxian::config::Config::default();
    config.database.url = url.clone();
    config.paths.workflows = workspace().join("workflows");
    config.paths.catalogue = workspace().join("config/catalogue.yaml");
    config.paths.mail_templates = workspace().join("templates/mail");
    // The core units only: the whole province runs instances of its own (its census).
    config.demo.whole_province = false;
    let state = naxian::build(&config, true, false).await.unwrap();
    let engine = &state.engine;
    let nominator = engine.actor("jn-py-nominator").await.unwrap();
    for _ in 0..2 {
        let data = serde_json::json!({
            "candidate": {"name": "李校长", "gender": "male", "birth_year": 1970, "phone": "13900000000",
                          "email": "li@example.cn", "employer": "平阴一中", "position": "校长", "sector": "education"},
            "target_org": "JN-PY-MG", "post": "member", "mode": "part_time", "reason": "教育骨干"
        });
        let view = engine
            .start(
                &nominator,
                naxian_engine::StartRequest {
                    workflow: "sanzhang-appointment".into(),
                    data,
                },
            )
            .await
            .unwrap();
        let task = view.tasks[0].id.clone();
        engine
            .act(
                &nominator,
                &task,
                ActionInput {
                    comment: Some("请审核".into()),
                    ..ActionInput::named("submit")
                },
            )
            .await
            .unwrap();
    }
    drop(state);
    let out = naxian(dir.path(), &["audit", "verify"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("4 entries across 2 instances"),
        "{}",
        text(&out)
    );

    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    // The database itself refuses edits and deletions of history.
    sqlx::query("UPDATE history SET comment = 'x'")
        .execute(&mut conn)
        .await
        .expect_err("append-only");
    sqlx::query("DELETE FROM history")
        .execute(&mut conn)
        .await
        .expect_err("append-only");
    // Tamper with one comment, bypassing the trigger as an attacker with file access would.
    sqlx::query("DROP TRIGGER history_no_update")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("UPDATE history SET comment = '同意' WHERE seq = 2 AND instance_id = (SELECT min(instance_id) FROM history)")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let out = naxian(dir.path(), &["audit", "verify"]);
    assert!(!out.status.success(), "tampering must be detected");
    assert!(text(&out).contains("BROKEN"), "{}", text(&out));
    assert!(text(&out).contains("entry 2"), "{}", text(&out));

    // Put the comment back: the chain is whole again.
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query("UPDATE history SET comment = '请审核' WHERE seq = 2 AND instance_id = (SELECT min(instance_id) FROM history)")
        .execute(&mut conn)
        .await
        .unwrap();
    let out = naxian(dir.path(), &["audit", "verify"]);
    assert!(out.status.success(), "{}", text(&out));
    // Cut the other instance's last entry off: every remaining link still
    // holds, and only the head kept on the instance row shows the loss.
    sqlx::query("DROP TRIGGER history_no_delete")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("DELETE FROM history WHERE seq = 2 AND instance_id = (SELECT max(instance_id) FROM history)")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let out = naxian(dir.path(), &["audit", "verify"]);
    assert!(!out.status.success(), "a deleted tail must be detected");
    assert!(
        text(&out).contains("BROKEN") && text(&out).contains("chain head does not match its last entry"),
        "{}",
        text(&out)
    );
}

#[test]
fn import_writes_a_clean_sheet_and_nothing_of_a_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    assert!(naxian(dir.path(), &["migrate"]).status.success());
    let units = dir.path().join("units.csv");
    std::fs::write(
        &units,
        "\u{feff}单位代码,单位名称,类型,上级单位代码,部门职能\n\
         P,测试省科协,省,,\n\
         P-C,测试市科协,市,P,\n\
         P-C-K,测试县科协,县,P-C,\n\
         P-C-K-ORG,测试县委组织部,部门,P-C-K,组织部\n",
    )
    .unwrap();
    let out = naxian(dir.path(), &["import", "org_units", units.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("imported 4 org units"), "{}", text(&out));

    // Row 2 is fine, row 3 names a unit that does not exist: neither is kept,
    // and the error gives the row number as the spreadsheet shows it.
    let users = dir.path().join("users.csv");
    std::fs::write(
        &users,
        "登录名,姓名,电子邮箱,初始密码,角色@单位代码\n\
         k-nominator,县提名人,k@example.cn,Chushi-2026,提名人@P-C-K\n\
         k-org,县组织部,k-org@example.cn,Chushi-2026,部门经办人@P-C-K-NOPE\n",
    )
    .unwrap();
    let out = naxian(dir.path(), &["import", "users", users.to_str().unwrap()]);
    assert!(!out.status.success());
    let t = text(&out);
    assert!(t.contains("row 3: grants: no org unit `P-C-K-NOPE`"), "{t}");
    assert!(t.contains("nothing was imported"), "{t}");
    let token = naxian(dir.path(), &["token", "create", "--user", "k-nominator"]);
    assert!(!token.status.success(), "row 2 was not imported either");

    std::fs::write(
        &users,
        "login,name,email,password,grants\n\
         k-nominator,县提名人,k@example.cn,Chushi-2026,提名人@P-C-K\n\
         k-org,县组织部,k-org@example.cn,Chushi-2026,department@P-C-K-ORG\n",
    )
    .unwrap();
    let out = naxian(dir.path(), &["import", "users", users.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("2 users, 2 grants"), "{}", text(&out));
    let token = naxian(dir.path(), &["token", "create", "--user", "k-nominator"]);
    assert!(token.status.success(), "{}", text(&token));
    let out = naxian(dir.path(), &["import", "sheep", users.to_str().unwrap()]);
    assert!(!out.status.success() && text(&out).contains("unknown sheet"));
}
