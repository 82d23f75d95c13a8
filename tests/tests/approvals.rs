//! Approval actions as people use them, on SQLite and PostgreSQL: 转交
//! (transfer) and 批量 (batch). Each refusal names its field and changes
//! nothing; each accepted action is in the history and the e-mails.

use naxian_tests::web::{browser, csrf, get, login, post_login};
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
    assert!(
        mails(app, "transferred", "jn-py-org2@example.cn")
            .await
            .is_empty(),
        "赵敏 held the role too, but is not told of a transfer to herself"
    );

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

    // A task is read with GET: another method on it is no route (404, the API's shape).
    let (status, answer) = app
        .send(
            Some(&org),
            "POST",
            &format!("/api/v1/tasks/{ta}"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    assert_eq!(answer["error"]["code"], "not_found");
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

async fn signers_are_added_before_after_and_beside_a_holder(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    let org = app.token("jn-py-org").await;
    let health = app.token("jn-py-health").await;
    let pc = app.token("jn-py-mg-pc").await;
    let edu = app.token("jn-py-edu").await;
    let id = app.in_consultation(&nominator).await;
    let org_task = app.task_of(&org, &id).await["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/tasks/{org_task}/add-signer");
    let before = history_len(app, &id).await;
    for (body, field) in [
        (json!({"user": "jn-py-nominator", "position": "before"}), "user"),
        (json!({"user": "nobody-here", "position": "before"}), "user"),
        (json!({"user": "jn-py-org", "position": "before"}), "user"),
        (json!({"user": "jn-py-edu", "position": "sideways"}), "position"),
        (json!({"user": "", "position": "after"}), "user"),
    ] {
        let (status, answer) = app.send(Some(&org), "POST", &path, Some(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(answer["error"]["field"], field, "{answer}");
    }
    let (status, _) = app
        .send(
            Some(&edu),
            "POST",
            &path,
            Some(json!({"user": "jn-py-edu", "position": "before"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the holder adds");
    assert_eq!(history_len(app, &id).await, before, "refusals wrote nothing");

    // 前加签: the education department first, then the task comes back.
    let (status, answer) = app
        .send(
            Some(&org),
            "POST",
            &path,
            Some(json!({"user": "jn-py-edu", "position": "before", "comment": "请先核实学历"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(!open_ids(app, &org).await.contains(&org_task), "the holder waits");
    let edu_task = app.task_of(&edu, &id).await;
    assert_eq!(edu_task["assignee"]["user"], "jn-py-edu");
    let edu_email = app.engine.store().user("jn-py-edu").await.unwrap().unwrap().email;
    let added = mails(app, "task_assigned", &edu_email).await;
    assert!(
        added
            .iter()
            .any(|p| p["task_id"] == edu_task["id"] && p["added_by"] == "平阴县委组织部"),
        "{added:?}"
    );
    // The other departments agreeing does not end the step while the organization department waits.
    app.act(&health, &id, "agree", json!({})).await;
    app.act(&pc, &id, "agree", json!({})).await;
    let inst = app.act(&edu, &id, "agree", json!({"comment": "已核实"})).await;
    assert_eq!(inst["step"], "consultation", "the holder decides: {inst}");
    let back = app.task_of(&org, &id).await;
    assert_ne!(back["id"], org_task.as_str());
    assert_eq!(
        back["assignee"]["user"], "jn-py-org",
        "back to who asked, by name"
    );
    let inst = app.act(&org, &id, "agree", json!({})).await;
    assert_eq!(inst["step"], "committee_by_election", "{inst}");
    let actions: Vec<&str> = inst["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"add_signer"), "{actions:?}");

    // 后加签: the holder's agreement counts once the added signer has completed too.
    let id = app.in_consultation(&nominator).await;
    let health_task = app.task_of(&health, &id).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, answer) = app
        .send(
            Some(&health),
            "POST",
            &format!("/api/v1/tasks/{health_task}/add-signer"),
            Some(json!({"user": "jn-py-edu", "position": "after"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    for t in [&org, &pc, &health] {
        app.act(t, &id, "agree", json!({})).await;
    }
    let inst = app.get(&nominator, &format!("/api/v1/instances/{id}")).await;
    assert_eq!(inst["step"], "consultation", "waits for the signer added after");
    let inst = app.act(&edu, &id, "agree", json!({})).await;
    assert_eq!(inst["step"], "committee_by_election");

    // 并加签: one more opinion in the same sign-off; an objection sends it back as anyone's would.
    let id = app.in_consultation(&nominator).await;
    let pc_task = app.task_of(&pc, &id).await["id"].as_str().unwrap().to_string();
    let (status, answer) = app
        .send(
            Some(&pc),
            "POST",
            &format!("/api/v1/tasks/{pc_task}/add-signer"),
            Some(json!({"user": "jn-py-edu", "position": "parallel"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(
        open_ids(app, &pc).await.contains(&pc_task),
        "the holder keeps their task"
    );
    for t in [&org, &pc, &health] {
        app.act(t, &id, "agree", json!({})).await;
    }
    let inst = app
        .act(&edu, &id, "object", json!({"comment": "候选人已调离"}))
        .await;
    assert_eq!(inst["step"], "revising", "{inst}");

    // The nominator's own step takes no signer.
    let id2 = app
        .nominate(&nominator, naxian_tests::nomination("JN-PY-MG", "health"))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let drafting = app.task_of(&nominator, &id2).await;
    let (status, _) = app
        .send(
            Some(&nominator),
            "POST",
            &format!("/api/v1/tasks/{}/add-signer", drafting["id"].as_str().unwrap()),
            Some(json!({"user": "jn-py-edu", "position": "parallel"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

fn day(app: &TestApp, days: i64) -> String {
    (app.clock_now() + chrono::Duration::days(days))
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y-%m-%d")
        .to_string()
}

async fn a_delegate_acts_for_a_user_away(app: &TestApp) {
    add_user(app, "jn-py-org2", "赵敏", "viewer", "JN-PY").await;
    let nominator = app.token("jn-py-nominator").await;
    let org = app.token("jn-py-org").await;
    let org2 = app.token("jn-py-org2").await;
    let edu = app.token("jn-py-edu").await;
    let path = "/api/v1/users/jn-py-org/delegation";
    let ok = json!({"delegate": "jn-py-org2", "from": day(app, 0), "until": day(app, 7),
                    "workflows": ["sanzhang-appointment"]});
    let (status, _) = app.send(Some(&edu), "PUT", path, Some(ok.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the user or an administrator");
    let mut refusals = Vec::new();
    for (change, field) in [
        (json!({"delegate": "nobody-here"}), "delegate"),
        (json!({"delegate": "jn-py-org"}), "delegate"),
        (json!({"from": "下周一"}), "from"),
        (json!({"until": day(app, -1), "from": day(app, -3)}), "until"),
        (json!({"until": day(app, -1)}), "until"),
        (json!({"workflows": ["no-such-flow"]}), "workflows[0]"),
    ] {
        let mut body = ok.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        refusals.push((body, field));
    }
    for (body, field) in refusals {
        let (status, answer) = app.send(Some(&org), "PUT", path, Some(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(answer["error"]["field"], field, "{answer}");
    }
    let (status, _) = app.send(Some(&org), "GET", path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "refusals set nothing");

    let (status, answer) = app.send(Some(&org), "PUT", path, Some(ok.clone())).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["delegate"], "jn-py-org2");
    assert!(answer["from"].as_str().unwrap().ends_with("+08:00"), "{answer}");
    assert_eq!(app.get(&org, path).await["until"], answer["until"]);
    let told = mails(app, "delegated", "jn-py-org2@example.cn").await;
    assert_eq!(told.len(), 1, "the delegate is told");
    assert_eq!(told[0]["by"], "平阴县委组织部");

    // The user's task reaches the delegate too, marked for whom; the user keeps it.
    let id = app.in_consultation(&nominator).await;
    let task = app.task_of(&org, &id).await;
    let task_id = task["id"].as_str().unwrap().to_string();
    let theirs = app.task_of(&org2, &id).await;
    assert_eq!(theirs["id"], task_id.as_str());
    assert_eq!(theirs["on_behalf_of"], "jn-py-org");
    let assigned = mails(app, "task_assigned", "jn-py-org2@example.cn").await;
    assert!(
        assigned
            .iter()
            .any(|p| p["task_id"] == task_id.as_str() && p["on_behalf_of"] == "平阴县委组织部"),
        "{assigned:?}"
    );
    let (status, _) = app
        .send(Some(&org2), "GET", &format!("/api/v1/tasks/{task_id}"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "the delegate reads what they act on");
    let inst = app.act(&org2, &id, "agree", json!({"comment": "代为同意"})).await;
    let last = inst["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["actor"], "jn-py-org2");
    assert_eq!(last["on_behalf_of"], "jn-py-org");
    let report = app.engine.verify_audit().await.unwrap();
    assert!(
        report.broken.is_none(),
        "the chain holds with on_behalf_of sealed"
    );
    // The part is the user's: kept on the task, and in both done lists, by name.
    let stored = app.engine.store().task(&task_id).await.unwrap().unwrap();
    assert_eq!(
        (stored.actor.as_deref(), stored.on_behalf_of.as_deref()),
        (Some("jn-py-org2"), Some("jn-py-org"))
    );
    let done = app.get(&org, "/api/v1/tasks?status=done").await;
    let row = done
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == task_id.as_str())
        .unwrap_or_else(|| panic!("the user's done list: {done}"));
    assert_eq!(
        (&row["actor"], &row["on_behalf_of"]),
        (&json!("jn-py-org2"), &json!("jn-py-org"))
    );
    let (_, theirs) = get(&login(app, "jn-py-org").await, app, "/done").await;
    assert!(theirs.contains("征求意见（赵敏代办）"), "{theirs}");
    let (_, mine) = get(&login(app, "jn-py-org2").await, app, "/done").await;
    assert!(mine.contains("征求意见（代 平阴县委组织部）"), "{mine}");

    // The person represented started it: nobody acts for them on it.
    let (status, _) = app
        .send(
            Some(&nominator),
            "PUT",
            "/api/v1/users/jn-py-nominator/delegation",
            Some(json!({"delegate": "jn-py-edu", "from": day(app, 0), "until": day(app, 3)})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let id2 = app.in_consultation(&nominator).await;
    app.act(
        &app.token("jn-py-health").await,
        &id2,
        "return",
        json!({"comment": "请补充"}),
    )
    .await;
    let revising = app.task_of(&nominator, &id2).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        !open_ids(app, &edu).await.contains(&revising),
        "not in the delegate's inbox"
    );
    let (status, answer) = app
        .send(
            Some(&edu),
            "POST",
            &format!("/api/v1/tasks/{revising}/actions"),
            Some(json!({"action": "withdraw"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");

    // Ended: the task is the user's alone again.
    let id3 = app.in_consultation(&nominator).await;
    let t3 = app.task_of(&org, &id3).await["id"].as_str().unwrap().to_string();
    let (status, _) = app.send(Some(&org), "DELETE", path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(!open_ids(app, &org2).await.contains(&t3));
    let (status, _) = app
        .send(
            Some(&org2),
            "POST",
            &format!("/api/v1/tasks/{t3}/actions"),
            Some(json!({"action": "agree"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.send(Some(&org), "DELETE", path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A window that has not begun covers nothing yet.
    let later = json!({"delegate": "jn-py-org2", "from": day(app, 2), "until": day(app, 5)});
    let (status, _) = app.send(Some(&org), "PUT", path, Some(later)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!open_ids(app, &org2).await.contains(&t3));
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

/// 加签 by the task page's form: the signer sees who asked in their inbox,
/// the timeline says whom and how, by name.
async fn a_signer_is_added_on_the_task_page(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    let id = app.in_consultation(&nominator).await;
    let org_token = app.token("jn-py-org").await;
    let task_id = app.task_of(&org_token, &id).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let org = login(app, "jn-py-org").await;
    let (_, html) = get(&org, app, &format!("/tasks/{task_id}")).await;
    assert!(html.contains("id=\"add-signer\""), "{html}");
    assert!(html.contains("<option value=\"jn-py-edu\">"), "{html}");
    assert!(
        !html.contains("<option value=\"jn-py-nominator\">"),
        "never the creator"
    );
    let token = csrf(&html);
    let r = org
        .post(app.url(&format!("/tasks/{task_id}/add-signer")))
        .form(&[
            ("csrf", token.as_str()),
            ("user", "jn-py-edu"),
            ("position", "sideways"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("加签方式：请从列表中选择"));
    let r = org
        .post(app.url(&format!("/tasks/{task_id}/add-signer")))
        .form(&[
            ("csrf", token.as_str()),
            ("user", "jn-py-edu"),
            ("position", "parallel"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let back = r.headers()["location"].to_str().unwrap().to_string();
    let (_, html) = get(&org, app, &back).await;
    assert!(html.contains("已加签"));
    let edu_name = app.engine.store().user("jn-py-edu").await.unwrap().unwrap().name;
    assert!(html.contains(&format!("加签：{edu_name}（并加签")), "{html}");
    // The diagram shows it at the current step.
    let diagram = &html[html.find("class=\"card diagram\"").unwrap()..];
    let diagram = &diagram[..diagram.find("</figure>").unwrap()];
    assert!(diagram.contains("class=\"note\">加签 1 人</text>"), "{diagram}");
    assert!(
        diagram.contains(&format!("当前环节加签：{edu_name}（并加签）。")),
        "{diagram}"
    );
    let edu = login(app, "jn-py-edu").await;
    let (_, inbox) = get(&edu, app, "/inbox").await;
    assert!(inbox.contains("（平阴县委组织部加签）"), "{inbox}");
}

/// 我的账户: a delegation set and ended by forms, each redirecting back;
/// the delegate's inbox marks the task 代 <name>.
async fn a_delegation_is_set_on_the_account_page(app: &TestApp) {
    let org = login(app, "jn-py-org").await;
    let (status, html) = get(&org, app, "/account").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("您目前没有委托他人代为办理"), "{html}");
    let edu_name = app.engine.store().user("jn-py-edu").await.unwrap().unwrap().name;
    assert!(
        html.contains(&format!("<option value=\"jn-py-edu\">{edu_name}</option>")),
        "colleagues by name: {html}"
    );
    assert!(!html.contains("<option value=\"jn-py-org\">"), "never oneself");
    let token = csrf(&html);
    let r = org
        .post(app.url("/account/delegation"))
        .form(&[
            ("csrf", token.as_str()),
            ("delegate", "jn-py-edu"),
            ("from", &day(app, 0)),
            ("until", &day(app, -2)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text().await.unwrap().contains("结束日期："),
        "the field named in Chinese"
    );
    let r = org
        .post(app.url("/account/delegation"))
        .form(&[
            ("csrf", token.as_str()),
            ("delegate", "jn-py-edu"),
            ("from", &day(app, 0)),
            ("until", &day(app, 5)),
            ("workflow", "sanzhang-appointment"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/account?done=delegated");
    let (_, html) = get(&org, app, "/account?done=delegated").await;
    assert!(html.contains("已设置委托代理"));
    assert!(html.contains(&format!("<strong>{edu_name}</strong>")), "{html}");
    assert!(
        html.contains("吸纳“三长”进入科协领导机构"),
        "the workflow by its title: {html}"
    );

    let nominator = app.token("jn-py-nominator").await;
    app.in_consultation(&nominator).await;
    let edu = login(app, "jn-py-edu").await;
    let (_, inbox) = get(&edu, app, "/inbox").await;
    assert!(inbox.contains("（代 平阴县委组织部）"), "{inbox}");
    let (_, account) = get(&edu, app, "/account").await;
    assert!(
        account.contains("我代理的人") && account.contains("平阴县委组织部"),
        "{account}"
    );
    // The delegate acts on the task page; the timeline says for whom.
    let task = naxian_tests::web::task_links(&inbox)
        .into_iter()
        .next()
        .expect("a task link");
    let (status, page) = get(&edu, app, &format!("/tasks/{task}")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let r = edu
        .post(app.url(&format!("/tasks/{task}/act")))
        .form(&[
            ("csrf", csrf(&page).as_str()),
            ("action", "agree"),
            ("comment", "代为同意"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "{}",
        r.status()
    );
    let (_, page) = get(&edu, app, &format!("/tasks/{task}")).await;
    assert!(
        page.contains(&format!("{edu_name}（代平阴县委组织部）")),
        "{page}"
    );

    app.in_consultation(&nominator).await;
    let r = org
        .post(app.url("/account/delegation/end"))
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, inbox) = get(&edu, app, "/inbox").await;
    assert!(!inbox.contains("（代 平阴县委组织部）"), "ended");
}

/// The filing departments judge what the election recorded: its date and
/// votes are on their task page, and acknowledging asks first.
async fn the_filing_task_shows_the_election_result(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    let id = app.in_consultation(&nominator).await;
    for dept in ["jn-py-org", "jn-py-mg-pc", "jn-py-health"] {
        let t = app.token(dept).await;
        app.act(&t, &id, "agree", json!({})).await;
    }
    let sec = app.token("jn-py-mg-sec").await;
    app.act(
        &sec,
        &id,
        "elected",
        json!({"data": {"meeting_date": "2026-11-28", "votes": 23}}),
    )
    .await;
    let org_token = app.token("jn-py-org").await;
    let task = app.task_of(&org_token, &id).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let org = login(app, "jn-py-org").await;
    let (_, html) = get(&org, app, &format!("/tasks/{task}")).await;
    let results = &html[html.find("id=\"results\"").expect("a results section")..];
    assert!(
        results.contains("<dt>会议日期</dt><dd>2026-11-28</dd>"),
        "{results}"
    );
    assert!(results.contains("<dt>得票数</dt><dd>23</dd>"), "{results}");
    // The route taken is told in words, not in the workflow's own terms.
    let timeline = &html[html.find("class=\"timeline\"").expect("a timeline")..];
    assert!(timeline.contains("转入委员会增补"), "{timeline}");
    for word in ["otherwise", "congress_due", "mid-term", "→"] {
        assert!(!timeline.contains(word), "{word} in {timeline}");
    }
    let button = &html[html.find("id=\"act-acknowledge\"").unwrap()..];
    assert!(
        button[..button.find('>').unwrap()].contains("data-confirm"),
        "{button}"
    );
}

/// A returned nomination says why at the top of its task, by whom; the
/// nominator has one withdraw control; once resubmitted, the reason is gone.
async fn a_returned_nomination_says_why_first(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    let id = app.in_consultation(&nominator).await;
    let health = app.token("jn-py-health").await;
    app.act(&health, &id, "return", json!({"comment": "请补充学历证明"}))
        .await;
    let task = app.task_of(&nominator, &id).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let web = login(app, "jn-py-nominator").await;
    let (_, html) = get(&web, app, &format!("/tasks/{task}")).await;
    let reason = html.find("id=\"sent-back\"").expect("the reason is shown");
    assert!(
        reason < html.find("class=\"steps\"").unwrap(),
        "before everything else"
    );
    let health_name = app
        .engine
        .store()
        .user("jn-py-health")
        .await
        .unwrap()
        .unwrap()
        .name;
    let shown = &html[reason..reason + html[reason..].find("</div>").unwrap()];
    assert!(
        shown.contains(&health_name) && shown.contains("退回补充") && shown.contains("请补充学历证明"),
        "{shown}"
    );
    assert!(html.contains("id=\"act-withdraw\""));
    assert!(!html.contains("id=\"withdraw\""), "one withdraw control");
    // 待办 says it too, in the nomination's row.
    let (_, inbox) = get(&web, app, "/inbox").await;
    let row = &inbox[inbox.find(&format!("href=\"/tasks/{task}\"")).expect("the row")..];
    let row = &row[..row.find("</li>").unwrap()];
    assert!(
        row.contains(&format!(
            "<div class=\"sent-back\">{health_name}退回补充：请补充学历证明</div>"
        )),
        "{row}"
    );
    app.act(&nominator, &id, "resubmit", json!({})).await;
    let (_, inbox) = get(&web, app, "/inbox").await;
    assert!(
        !inbox.contains("class=\"sent-back\""),
        "resubmitted: no longer sent back"
    );
    let org = login(app, "jn-py-org").await;
    let org_task = app.task_of(&app.token("jn-py-org").await, &id).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, html) = get(&org, app, &format!("/tasks/{org_task}")).await;
    assert!(
        !html.contains("id=\"sent-back\""),
        "resubmitted: no longer why it is here"
    );
}

/// 我的账户: a user changes their own password knowing the current one; an
/// administrator resets one, and its user must change it before anything else.
async fn passwords_are_changed_and_reset(app: &TestApp) {
    let org = login(app, "jn-py-org").await;
    let (_, page) = get(&org, app, "/account").await;
    let token = csrf(&page);
    let change = |current: &'static str, new: &'static str, repeat: &'static str| {
        org.post(app.url("/account/password"))
            .form(&[
                ("csrf", token.as_str()),
                ("current_password", current),
                ("new_password", new),
                ("repeat_password", repeat),
            ])
            .send()
    };
    for (current, new, repeat, says) in [
        (
            "wrong-password",
            "Xin-mima-2026",
            "Xin-mima-2026",
            "当前密码：当前密码不正确",
        ),
        (
            "naxian-demo",
            "Xin-mima-2026",
            "Xin-mima-2027",
            "两次输入的新密码不一致",
        ),
        ("naxian-demo", "short", "short", "新密码：至少8个字符"),
        (
            "naxian-demo",
            "naxian-demo",
            "naxian-demo",
            "新密码：新密码不能与当前密码相同",
        ),
    ] {
        let r = change(current, new, repeat).await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let html = r.text().await.unwrap();
        assert!(html.contains(says), "{says}: {html}");
    }
    let fresh = browser();
    assert_eq!(
        post_login(&fresh, app, "jn-py-org", "naxian-demo").await.status(),
        StatusCode::SEE_OTHER,
        "unchanged"
    );
    let r = change("naxian-demo", "Xin-mima-2026", "Xin-mima-2026")
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/account?done=password");
    let fresh = browser();
    assert_ne!(
        post_login(&fresh, app, "jn-py-org", "naxian-demo").await.status(),
        StatusCode::SEE_OTHER
    );
    let fresh = browser();
    assert_eq!(
        post_login(&fresh, app, "jn-py-org", "Xin-mima-2026")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );

    // Only an administrator resets; the user then changes it first.
    let (_, admin_page) = get(&org, app, "/account").await;
    let r = org
        .post(app.url("/admin/password"))
        .form(&[
            ("csrf", csrf(&admin_page).as_str()),
            ("login", "jn-py-edu"),
            ("password", "Chongzhi-2026"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Whoever held the old password is shut out by the reset.
    let before = login(app, "jn-py-edu").await;
    let old_token = app.token("jn-py-edu").await;
    let admin = login(app, "admin").await;
    let (_, page) = get(&admin, app, "/admin").await;
    let r = admin
        .post(app.url("/admin/password"))
        .form(&[
            ("csrf", csrf(&page).as_str()),
            ("login", "jn-py-edu"),
            ("password", "Chongzhi-2026"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, done) = get(&admin, app, "/admin?done=1").await;
    assert!(done.contains("其下次登录时须先修改密码"), "{done}");
    let r = before.get(app.url("/inbox")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        r.headers()["location"].to_str().unwrap().starts_with("/login"),
        "the old session has ended: {:?}",
        r.headers()["location"]
    );
    let (status, _) = app.send(Some(&old_token), "GET", "/api/v1/tasks", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "and so has the old token");
    // The API gives no token for a password an administrator set.
    let token = |password: &'static str| async move {
        app.send(
            None,
            "POST",
            "/api/v1/auth/token",
            Some(json!({"login": "jn-py-edu", "password": password})),
        )
        .await
    };
    let (status, body) = token("Chongzhi-2026").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let edu = browser();
    assert_eq!(
        post_login(&edu, app, "jn-py-edu", "Chongzhi-2026").await.status(),
        StatusCode::SEE_OTHER
    );
    let r = edu.get(app.url("/inbox")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/account?must=password");
    let (_, page) = get(&edu, app, "/account?must=password").await;
    assert!(page.contains("id=\"must-change\""));
    let r = edu
        .post(app.url("/account/password"))
        .form(&[
            ("csrf", csrf(&page).as_str()),
            ("current_password", "Chongzhi-2026"),
            ("new_password", "Ziji-mima-2026"),
            ("repeat_password", "Ziji-mima-2026"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, _) = get(&edu, app, "/inbox").await;
    assert_eq!(status, StatusCode::OK, "changed: free to go on");
    let (status, body) = token("Ziji-mima-2026").await;
    assert_eq!(status, StatusCode::OK, "and to have a token: {body}");
}

/// The words of a page a person reads that are not Chinese: runs of four
/// or more Latin letters in its visible text (scripts, styles, tags and
/// attributes left out), other than the names of file formats and e-mail
/// addresses.
fn english_on(html: &str) -> Vec<String> {
    let mut text = String::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        text.push_str(&rest[..i]);
        text.push(' ');
        let tag = &rest[i..];
        let skip_to = if tag.starts_with("<script") {
            tag.find("</script>").map(|j| j + 9)
        } else if tag.starts_with("<style") || tag.starts_with("<title") {
            tag.find("</").and_then(|j| tag[j..].find('>').map(|k| j + k + 1))
        } else {
            tag.find('>').map(|j| j + 1)
        };
        rest = &tag[skip_to.unwrap_or(tag.len())..];
    }
    text.push_str(rest);
    const FORMATS: &[&str] = &["Excel", "Word", "JPEG"];
    // E-mail addresses are data, written as people wrote them.
    text.split_whitespace()
        .filter(|w| !w.contains('@'))
        .flat_map(|w| w.split(|c: char| !c.is_ascii_alphabetic()))
        .filter(|w| w.len() >= 4 && !FORMATS.contains(w))
        .map(str::to_string)
        .collect()
}

/// Every page of an appointment's life, as each of its people sees it,
/// reads in Chinese: no English sentence, no raw login or step name.
async fn the_pages_of_an_appointment_read_in_chinese(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    let id = app.in_consultation(&nominator).await;
    let health = app.token("jn-py-health").await;
    app.act(&health, &id, "return", json!({"comment": "请补充"}))
        .await;
    let mut pages: Vec<(&str, String)> = Vec::new();
    let web = login(app, "jn-py-nominator").await;
    let revising = app.task_of(&nominator, &id).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    for path in [
        "/inbox",
        "/done",
        "/nominations",
        "/account",
        &format!("/tasks/{revising}"),
    ] {
        pages.push(("jn-py-nominator", get(&web, app, path).await.1));
    }
    app.act(&nominator, &id, "resubmit", json!({})).await;
    for dept in ["jn-py-org", "jn-py-mg-pc", "jn-py-health"] {
        let t = app.token(dept).await;
        let task = app.task_of(&t, &id).await["id"].as_str().unwrap().to_string();
        let b = login(app, dept).await;
        pages.push((dept, get(&b, app, &format!("/tasks/{task}")).await.1));
        pages.push((dept, get(&b, app, "/inbox").await.1));
        app.act(&t, &id, "agree", json!({})).await;
    }
    let sec = app.token("jn-py-mg-sec").await;
    app.act(
        &sec,
        &id,
        "elected",
        json!({"data": {"meeting_date": "2026-11-28", "votes": 23}}),
    )
    .await;
    let org = app.token("jn-py-org").await;
    let filing = app.task_of(&org, &id).await["id"].as_str().unwrap().to_string();
    let b = login(app, "jn-py-org").await;
    pages.push(("jn-py-org", get(&b, app, &format!("/tasks/{filing}")).await.1));
    for dept in ["jn-py-org", "jn-py-mg-pc"] {
        app.act(&app.token(dept).await, &id, "acknowledge", json!({}))
            .await;
    }
    // Every other page each of them opens, the appointment done.
    for (who, paths) in [
        (
            "jn-py-nominator",
            &[
                "/notices",
                "/copies",
                "/done",
                "/nominations",
                "/published",
                "/units/JN-PY-MG",
            ][..],
        ),
        (
            "jn-py-org",
            &["/notices", "/notices/unread", "/done", "/account"][..],
        ),
        (
            "jn-supervisor",
            &[
                "/notices",
                "/copies",
                "/coverage",
                "/reports",
                "/campaigns",
                "/published",
                "/liaison",
            ][..],
        ),
        // Not /admin: logins, unit codes and the catalogue's keys are what it administers.
        ("admin", &["/coverage", "/notices", "/liaison"][..]),
    ] {
        let b = login(app, who).await;
        for path in paths {
            let (status, html) = get(&b, app, path).await;
            assert_eq!(status, StatusCode::OK, "{who} {path}");
            pages.push((who, html));
        }
    }
    for (who, html) in &pages {
        let english = english_on(html);
        assert!(english.is_empty(), "{who} reads {english:?}");
        let ids = raw_ids_on(html);
        assert!(ids.is_empty(), "{who} reads ids {ids:?}");
    }
}

/// Ids (`01a2…-…`) in a page's visible text: people read names, not ids.
fn raw_ids_on(html: &str) -> Vec<String> {
    let mut text = String::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        text.push_str(&rest[..i]);
        text.push(' ');
        rest = &rest[i..];
        rest = &rest[rest.find('>').map_or(rest.len(), |j| j + 1)..];
    }
    text.push_str(rest);
    text.split(|c: char| !(c.is_ascii_hexdigit() || c == '-'))
        .filter(|w| w.len() >= 20 && w.matches('-').count() >= 3)
        .map(str::to_string)
        .collect()
}

/// 待办 can be searched by a candidate's name and filtered by workflow,
/// step, unit and by what is overdue.
async fn the_inbox_is_searched_and_filtered(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    for (name, town) in [("李芳", "JN-PY-MG"), ("王卫东", "JN-PY-YS")] {
        let mut data = naxian_tests::nomination(town, "health");
        data["candidate"]["name"] = json!(name);
        let id = app.nominate(&nominator, data).await["id"]
            .as_str()
            .unwrap()
            .to_string();
        app.act(&nominator, &id, "submit", json!({})).await;
    }
    let org = login(app, "jn-py-org").await;
    let (_, all) = get(&org, app, "/inbox").await;
    assert!(all.contains("共 2 项"), "{all}");
    let (_, one) = get(&org, app, "/inbox?q=%E6%9D%8E%E8%8A%B3").await;
    assert!(
        one.contains("共 1 项") && one.contains("李芳") && !one.contains("王卫东（"),
        "{one}"
    );
    let (_, kept) = get(&org, app, "/inbox?workflow=sanzhang-appointment").await;
    assert!(kept.contains("共 2 项"));
    let (_, none) = get(&org, app, "/inbox?workflow=census").await;
    assert!(
        none.contains("共 0 项") && none.contains("没有符合条件的事项"),
        "{none}"
    );
    let (_, late) = get(&org, app, "/inbox?overdue=1").await;
    assert!(late.contains("共 0 项"), "nothing is overdue yet");
    // The filters offer the rows' own steps and units, by name.
    let step = "吸纳“三长”进入科协领导机构：征求意见";
    let town = app
        .engine
        .store()
        .org_unit("JN-PY-YS")
        .await
        .unwrap()
        .unwrap()
        .name;
    assert!(
        all.contains(&format!("<option value=\"{step}\" >{step}</option>"))
            && all.contains(&format!("<option value=\"{town}\" >{town}</option>")),
        "{all}"
    );
    let enc =
        |v: &str| percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC).to_string();
    let (_, at_step) = get(&org, app, &format!("/inbox?step={}", enc(step))).await;
    assert!(at_step.contains("共 2 项"), "{at_step}");
    let (_, elsewhere) = get(
        &org,
        app,
        &format!("/inbox?step={}", enc("吸纳“三长”进入科协领导机构：备案")),
    )
    .await;
    assert!(elsewhere.contains("共 0 项"), "{elsewhere}");
    let (_, in_town) = get(&org, app, &format!("/inbox?unit={}", enc(&town))).await;
    assert!(
        in_town.contains("共 1 项") && in_town.contains("王卫东（") && !in_town.contains("李芳"),
        "{in_town}"
    );
}

/// 我的账户: one's own e-mail, phone and daily digest.
async fn contact_details_are_kept_on_the_account_page(app: &TestApp) {
    let org = login(app, "jn-py-org").await;
    let (_, page) = get(&org, app, "/account").await;
    let token = csrf(&page);
    let save = |email: &'static str, phone: &'static str| {
        org.post(app.url("/account/contact"))
            .form(&[
                ("csrf", token.as_str()),
                ("email", email),
                ("phone", phone),
                ("digest", "1"),
            ])
            .send()
    };
    let before = app.engine.store().user("jn-py-org").await.unwrap().unwrap();
    for (email, phone, says) in [
        ("not-an-address", "", "电子邮箱："),
        ("org@example.cn", "电话号码", "手机或电话："),
    ] {
        let r = save(email, phone).await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert!(r.text().await.unwrap().contains(says), "{says}");
    }
    assert_eq!(
        app.engine.store().user("jn-py-org").await.unwrap().unwrap(),
        before,
        "refusals change nothing"
    );
    let r = save("org@example.cn", "0531-87654321").await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let after = app.engine.store().user("jn-py-org").await.unwrap().unwrap();
    assert_eq!(
        (after.email.as_str(), after.phone.as_deref(), after.digest),
        ("org@example.cn", Some("0531-87654321"), true)
    );
    let (_, page) = get(&org, app, "/account?done=contact").await;
    assert!(page.contains("联系方式已保存") && page.contains("value=\"org@example.cn\""));
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
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "a refresh sends nothing again");
    assert_eq!(r.headers()["location"], "/inbox?done=batch");
    let (_, html) = get(&org, app, "/inbox?done=batch").await;
    assert!(html.contains("批量办理结果"), "{html}");
    let (_, again) = get(&org, app, "/inbox?done=batch").await;
    assert!(!again.contains("批量办理结果"), "told once");
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
    a_delegate_acts_for_a_user_away,
    signers_are_added_before_after_and_beside_a_holder,
    a_task_is_transferred_on_its_page,
    a_signer_is_added_on_the_task_page,
    a_delegation_is_set_on_the_account_page,
    the_filing_task_shows_the_election_result,
    a_returned_nomination_says_why_first,
    passwords_are_changed_and_reset,
    the_pages_of_an_appointment_read_in_chinese,
    the_inbox_is_searched_and_filtered,
    contact_details_are_kept_on_the_account_page,
    tasks_are_agreed_in_a_batch_from_the_inbox,
    a_task_is_transferred_to_a_colleague,
    an_administrator_transfers_anyones_task_but_never_to_the_creator,
    several_tasks_are_agreed_at_once,
);

/// 常用意见: each user keeps their own, offered beside the opinion box.
async fn common_phrases_are_kept_and_offered(app: &TestApp) {
    let org = app.token("jn-py-org").await;
    let path = "/api/v1/users/jn-py-org/phrases";
    let defaults = app.get(&org, path).await;
    assert!(
        defaults["phrases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "同意。"),
        "{defaults}"
    );
    let too_many: Vec<String> = (0..21).map(|i| format!("意见{i}")).collect();
    for (body, field) in [
        (json!({"phrases": too_many}), "phrases"),
        (json!({"phrases": ["同意", "  "]}), "phrases[1]"),
        (json!({"phrases": ["同意", "不同意", "同意"]}), "phrases[2]"),
        (json!({"phrases": ["长".repeat(101)]}), "phrases[0]"),
        (json!({"phrases": ["一行\n两行"]}), "phrases[0]"),
    ] {
        let (status, answer) = app.send(Some(&org), "PUT", path, Some(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(answer["error"]["field"], field, "{answer}");
    }
    assert_eq!(app.get(&org, path).await, defaults, "refusals kept nothing");
    let edu = app.token("jn-py-edu").await;
    let (status, _) = app.send(Some(&edu), "GET", path, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another's phrases are theirs");
    let (status, _) = app
        .send(
            Some(&app.token("admin").await),
            "GET",
            "/api/v1/users/nobody-here/phrases",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, answer) = app
        .send(
            Some(&org),
            "PUT",
            path,
            Some(json!({"phrases": [" 经审核，同意推荐。 ", "请补充任职文件。"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        answer["phrases"],
        json!(["经审核，同意推荐。", "请补充任职文件。"])
    );
    assert_eq!(app.get(&org, path).await["phrases"], answer["phrases"]);
    assert_eq!(
        app.get(&edu, "/api/v1/users/jn-py-edu/phrases").await,
        json!({"login": "jn-py-edu", "phrases": defaults["phrases"]}),
        "each user their own"
    );

    // The task page offers them; 我的账户 keeps them one a line.
    let nominator = app.token("jn-py-nominator").await;
    let id = app.in_consultation(&nominator).await;
    let task = app.task_of(&org, &id).await["id"].as_str().unwrap().to_string();
    let web = login(app, "jn-py-org").await;
    let (_, html) = get(&web, app, &format!("/tasks/{task}")).await;
    let offered = &html[html.find("id=\"phrases\"").expect("phrases beside the opinion")..];
    assert!(offered.contains("data-phrase=\"请补充任职文件。\""), "{offered}");
    let (_, account) = get(&web, app, "/account").await;
    assert!(
        account.contains("经审核，同意推荐。\n请补充任职文件。</textarea>"),
        "{account}"
    );
    let r = web
        .post(app.url("/account/phrases"))
        .form(&[
            ("csrf", csrf(&account).as_str()),
            ("phrases", "同意。\r\n\r\n已阅。\r\n"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get(&org, path).await["phrases"], json!(["同意。", "已阅。"]));
    let r = web
        .post(app.url("/account/phrases"))
        .form(&[("csrf", csrf(&account).as_str()), ("phrases", "好\n好")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text().await.unwrap().contains("常用意见："),
        "the field in words"
    );
    assert_eq!(app.get(&org, path).await["phrases"], json!(["同意。", "已阅。"]));
}

on_both_backends!(common_phrases_are_kept_and_offered);
