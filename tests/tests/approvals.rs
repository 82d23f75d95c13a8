//! Approval actions as people use them, on SQLite and PostgreSQL: 转交
//! (transfer) and 批量 (batch). Each refusal names its field and changes
//! nothing; each accepted action is in the history and the e-mails.

use naxian_tests::web::{csrf, get, login};
use naxian_tests::{on_both_backends, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Adds a user holding `role` at `unit`, password `naxian-demo`.
async fn add_user(app: &TestApp, login: &str, name: &str, role: &str, unit: &str) {
    let admin = app.token("admin").await;
    let (status, body) = app
        .send(
            Some(&admin),
            "POST",
            "/api/v1/users",
            Some(
                json!({"login": login, "name": name, "email": format!("{login}@example.cn"),
                        "password": "naxian-demo"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = app
        .send(
            Some(&admin),
            "POST",
            &format!("/api/v1/users/{login}/grants"),
            Some(json!({"role": role, "org_unit": unit})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

async fn open_ids(app: &TestApp, token: &str) -> Vec<String> {
    app.get(token, "/api/v1/tasks")
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect()
}

async fn history_len(app: &TestApp, id: &str) -> usize {
    let admin = app.token("admin").await;
    app.get(&admin, &format!("/api/v1/instances/{id}")).await["history"]
        .as_array()
        .unwrap()
        .len()
}

/// The outbox rows of `template` addressed to `email`, as (params) values.
async fn mails(app: &TestApp, template: &str, email: &str) -> Vec<Value> {
    app.engine
        .store()
        .outbox_list(None, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.message.template == template && d.message.recipients.iter().any(|r| r.email == email))
        .map(|d| d.message.params)
        .collect()
}

async fn a_task_is_transferred_to_a_colleague(app: &TestApp) {
    add_user(app, "jn-py-org2", "赵敏", "department", "JN-PY-ORG").await;
    let nominator = app.token("jn-py-nominator").await;
    let org = app.token("jn-py-org").await;
    let org2 = app.token("jn-py-org2").await;
    let id = app.in_consultation(&nominator).await;
    let task = app.task_of(&org, &id).await;
    let task_id = task["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/tasks/{task_id}/transfer");
    let before = history_len(app, &id).await;

    // Refusals name `to` and change nothing.
    for (to, why) in [
        ("", "empty"),
        ("nobody-here", "unknown user"),
        (
            "jn-py-nominator",
            "the creator never decides on their own nomination",
        ),
        (
            "jn-py-health",
            "holds no department role at the organization department",
        ),
        ("jn-py-org", "holds it already"),
    ] {
        let (status, body) = app.send(Some(&org), "POST", &path, Some(json!({"to": to}))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{why}: {body}");
        assert_eq!(body["error"]["field"], "to", "{why}: {body}");
    }
    let (status, body) = app.send(Some(&org), "POST", &path, Some(json!({}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // Someone who does not hold the task may not hand it on.
    let edu = app.token("jn-py-edu").await;
    let (status, body) = app
        .send(Some(&edu), "POST", &path, Some(json!({"to": "jn-py-org2"})))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(history_len(app, &id).await, before, "refusals wrote nothing");
    assert!(open_ids(app, &org).await.contains(&task_id));

    let (status, body) = app
        .send(
            Some(&org),
            "POST",
            &path,
            Some(json!({"to": "jn-py-org2", "comment": "本人出差，请赵敏代为办理"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let new_id = body["task"]["id"].as_str().unwrap().to_string();
    assert_ne!(new_id, task_id);
    assert_eq!(body["task"]["status"], "open");
    assert_eq!(body["task"]["due_at"], task["due_at"], "the clock is kept");
    assert!(
        !open_ids(app, &org).await.contains(&task_id),
        "the holder dropped out"
    );
    assert!(!open_ids(app, &org).await.contains(&new_id));
    assert!(open_ids(app, &org2).await.contains(&new_id));
    let done = app.get(&org, "/api/v1/tasks?status=done").await;
    let old = done
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == task_id.as_str())
        .expect("the transferred task is in the old holder's done list");
    assert_eq!(old["action"], "transfer");
    let inst = app.get(&nominator, &format!("/api/v1/instances/{id}")).await;
    let last = inst["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "transfer");
    assert_eq!(last["actor"], "jn-py-org");
    assert_eq!(last["note"], "jn-py-org2");
    assert_eq!(last["comment"], "本人出差，请赵敏代为办理");
    assert_eq!(inst["step"], "consultation");

    // Both people are told, each by name.
    let to_new: Vec<Value> = mails(app, "task_assigned", "jn-py-org2@example.cn")
        .await
        .into_iter()
        .filter(|p| p["task_id"] == new_id.as_str())
        .collect();
    assert_eq!(to_new.len(), 1, "{to_new:?}");
    assert_eq!(
        to_new[0]["handed_by"], "平阴县委组织部",
        "by the name of who handed it on"
    );
    assert_eq!(to_new[0]["comment"], "本人出差，请赵敏代为办理");
    let org_email = app.engine.store().user("jn-py-org").await.unwrap().unwrap().email;
    let to_old = mails(app, "transferred", &org_email).await;
    assert_eq!(to_old.len(), 1, "{to_old:?}");
    assert_eq!(to_old[0]["to"], "赵敏");

    // The old task is closed: acting on it or handing it on again is a conflict.
    let (status, _) = app
        .send(
            Some(&org),
            "POST",
            &format!("/api/v1/tasks/{task_id}/actions"),
            Some(json!({"action": "agree"})),
        )
        .await;
    assert!(
        status == StatusCode::CONFLICT || status == StatusCode::FORBIDDEN,
        "{status}"
    );

    // The new holder's decision is the task's: the consultation completes with it.
    app.act(&org2, &id, "agree", json!({})).await;
    for dept in ["jn-py-health", "jn-py-mg-pc"] {
        let t = app.token(dept).await;
        app.act(&t, &id, "agree", json!({})).await;
    }
    let inst = app.get(&nominator, &format!("/api/v1/instances/{id}")).await;
    assert_eq!(inst["step"], "committee_by_election", "{inst}");
}

async fn an_administrator_transfers_anyones_task_but_never_to_the_creator(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    let admin = app.token("admin").await;
    let health = app.token("jn-py-health").await;
    let id = app.in_consultation(&nominator).await;
    let task_id = app.task_of(&health, &id).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/tasks/{task_id}/transfer");
    let (status, body) = app
        .send(
            Some(&admin),
            "POST",
            &path,
            Some(json!({"to": "jn-py-nominator"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "to");
    let (status, body) = app
        .send(Some(&admin), "POST", &path, Some(json!({"to": "jn-py-edu"})))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let new_id = body["task"]["id"].as_str().unwrap().to_string();
    let edu = app.token("jn-py-edu").await;
    assert!(open_ids(app, &edu).await.contains(&new_id));
    assert!(!open_ids(app, &health).await.contains(&new_id));

    // The nominator's own step is not transferable.
    let id2 = app
        .nominate(&nominator, naxian_tests::nomination("JN-PY-MG", "health"))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let drafting = app.task_of(&nominator, &id2).await;
    let (status, body) = app
        .send(
            Some(&nominator),
            "POST",
            &format!("/api/v1/tasks/{}/transfer", drafting["id"].as_str().unwrap()),
            Some(json!({"to": "jn-nominator"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

async fn several_tasks_are_agreed_at_once(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    let org = app.token("jn-py-org").await;
    let a = app.in_consultation(&nominator).await;
    let b = app.in_consultation(&nominator).await;
    let c = app.in_consultation(&nominator).await;
    let ta = app.task_of(&org, &a).await["id"].as_str().unwrap().to_string();
    let tb = app.task_of(&org, &b).await["id"].as_str().unwrap().to_string();
    let tc = app.task_of(&org, &c).await["id"].as_str().unwrap().to_string();
    // c's task is done before the batch reaches it.
    app.act(&org, &c, "agree", json!({})).await;

    let path = "/api/v1/tasks/batch";
    for (body, field) in [
        (json!({"task_ids": [], "action": "agree"}), "task_ids"),
        (json!({"task_ids": [ta, ta], "action": "agree"}), "task_ids[1]"),
        (json!({"task_ids": [ta], "action": " "}), "action"),
        (
            json!({"task_ids": (0..101).map(|i| format!("t{i}")).collect::<Vec<_>>(), "action": "agree"}),
            "task_ids",
        ),
    ] {
        let (status, answer) = app.send(Some(&org), "POST", path, Some(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(answer["error"]["field"], field, "{answer}");
    }
    assert_eq!(history_len(app, &a).await, 2, "a refused batch did nothing");

    // An objection needs its own reasons: not in a batch.
    let (status, answer) = app
        .send(
            Some(&org),
            "POST",
            path,
            Some(json!({"task_ids": [ta], "action": "object", "comment": "不同意"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["results"][0]["status"], "refused");
    assert_eq!(answer["results"][0]["error"]["code"], "not_allowed");
    assert_eq!(history_len(app, &a).await, 2);

    let (status, answer) = app
        .send(
            Some(&org),
            "POST",
            path,
            Some(json!({"task_ids": [ta, tc, tb, "no-such-task"], "action": "agree", "comment": "同意提名"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let results = answer["results"].as_array().unwrap();
    let statuses: Vec<&str> = results.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["done", "refused", "done", "refused"], "{answer}");
    assert_eq!(results[1]["task_id"], tc.as_str());
    assert_eq!(results[1]["error"]["code"], "conflict");
    assert_eq!(results[3]["error"]["code"], "not_found");
    assert!(results[0].get("error").is_none());
    for id in [&a, &b] {
        let inst = app.get(&nominator, &format!("/api/v1/instances/{id}")).await;
        let last = inst["history"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["action"], "agree");
        assert_eq!(last["actor"], "jn-py-org");
        assert_eq!(last["comment"], "同意提名");
    }
    let open = open_ids(app, &org).await;
    assert!(!open.contains(&ta) && !open.contains(&tb));
    // Someone else's tasks in a batch are refused one by one, and nothing else happens.
    let health = app.token("jn-py-health").await;
    let th = app.task_of(&health, &a).await["id"].as_str().unwrap().to_string();
    let (status, answer) = app
        .send(
            Some(&org),
            "POST",
            path,
            Some(json!({"task_ids": [th], "action": "agree"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["results"][0]["error"]["code"], "forbidden", "{answer}");
    assert!(open_ids(app, &health).await.contains(&th));
}

/// 转交 by the task page's form: colleagues by name (never the creator),
/// a redirect back, the timeline in words.
async fn a_task_is_transferred_on_its_page(app: &TestApp) {
    add_user(app, "jn-py-org2", "赵敏", "department", "JN-PY-ORG").await;
    let nominator = app.token("jn-py-nominator").await;
    let id = app.in_consultation(&nominator).await;
    let org_token = app.token("jn-py-org").await;
    let task_id = app.task_of(&org_token, &id).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let org = login(app, "jn-py-org").await;
    let (status, html) = get(&org, app, &format!("/tasks/{task_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("转交他人办理"), "{html}");
    assert!(
        html.contains("<option value=\"jn-py-org2\">赵敏</option>"),
        "{html}"
    );
    assert!(!html.contains("value=\"jn-py-nominator\""), "never the creator");
    let token = csrf(&html);
    // A refusal stays on the page, in Chinese, beside what was chosen.
    let r = org
        .post(app.url(&format!("/tasks/{task_id}/transfer")))
        .form(&[("csrf", token.as_str()), ("to", "jn-py-nominator")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("转交给：不能交给事项的发起人办理"));
    let r = org
        .post(app.url(&format!("/tasks/{task_id}/transfer")))
        .form(&[
            ("csrf", token.as_str()),
            ("to", "jn-py-org2"),
            ("comment", "请代办"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "a redirect: a refresh sends nothing again"
    );
    let back = r.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(back, format!("/tasks/{task_id}?done=transfer"));
    let (status, html) = get(&org, app, &back).await;
    assert_eq!(status, StatusCode::OK, "the old holder still follows it");
    assert!(html.contains("已转交"));
    assert!(
        html.contains("转交给赵敏"),
        "the timeline says to whom, by name: {html}"
    );
    assert!(
        html.contains("<strong>平阴县委组织部</strong>"),
        "the actor by name"
    );
    assert!(!html.contains("转交他人办理"), "no longer theirs to hand on");
    let org2 = login(app, "jn-py-org2").await;
    let (_, inbox) = get(&org2, app, "/inbox").await;
    assert!(inbox.contains("玫瑰镇"), "{inbox}");
}

/// 批量 on the inbox: checkboxes on rows whose action may be batched, one
/// opinion, each row's result listed.
async fn tasks_are_agreed_in_a_batch_from_the_inbox(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    let a = app.in_consultation(&nominator).await;
    let b = app.in_consultation(&nominator).await;
    let org_token = app.token("jn-py-org").await;
    let ta = app.task_of(&org_token, &a).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let tb = app.task_of(&org_token, &b).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let org = login(app, "jn-py-org").await;
    let (_, html) = get(&org, app, "/inbox").await;
    assert!(html.contains(&format!("value=\"{ta}|agree\"")), "{html}");
    assert!(html.contains("批量办理所选事项"));
    let token = csrf(&html);
    // b is agreed on its own first: the batch reports it, and does a.
    app.act(&org_token, &b, "agree", json!({})).await;
    let r = org
        .post(app.url("/inbox/batch"))
        .form(&[
            ("csrf", token.as_str()),
            ("task", &format!("{ta}|agree")),
            ("task", &format!("{tb}|agree")),
            ("comment", "同意"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("批量办理结果"), "{html}");
    assert!(html.contains("：已办理"), "{html}");
    assert!(
        html.contains("这项任务已办理。"),
        "the refused row says why: {html}"
    );
    let inst = app.get(&nominator, &format!("/api/v1/instances/{a}")).await;
    let last = inst["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["action"].as_str(), last["comment"].as_str()),
        (Some("agree"), Some("同意"))
    );
}

on_both_backends!(
    a_task_is_transferred_on_its_page,
    tasks_are_agreed_in_a_batch_from_the_inbox,
    a_task_is_transferred_to_a_colleague,
    an_administrator_transfers_anyones_task_but_never_to_the_creator,
    several_tasks_are_agreed_at_once,
);
