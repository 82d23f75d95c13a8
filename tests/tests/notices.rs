//! 消息: what the service tells people by e-mail it also keeps in the app —
//! a new task, a return, an urge, a copy, a delegation — with an unread
//! count in the navigation, read when opened; on SQLite and PostgreSQL.

use naxian_tests::web::{csrf, get, login};
use naxian_tests::{on_both_backends, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn notices(app: &TestApp, token: &str, query: &str) -> (Vec<Value>, u64) {
    let body = app.get(token, &format!("/api/v1/notices{query}")).await;
    (
        body["notices"].as_array().expect("a list").clone(),
        body["unread"].as_u64().expect("a count"),
    )
}

fn of_kind<'a>(list: &'a [Value], kind: &str, instance: &str) -> Vec<&'a Value> {
    list.iter()
        .filter(|n| n["kind"] == kind && n["instance_id"] == instance)
        .collect()
}

async fn people_are_told_in_the_app(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    let org = app.token("jn-py-org").await;
    let (_, unread_before) = notices(app, &org, "").await;
    let id = app.in_consultation(&nominator).await;
    let task = app.task_of(&org, &id).await["id"].as_str().unwrap().to_string();

    // A new task: the department reads it as its e-mail's subject says.
    let (list, unread) = notices(app, &org, "").await;
    let assigned = of_kind(&list, "task_assigned", &id);
    assert_eq!(assigned.len(), 1, "{list:?}");
    let n = assigned[0];
    assert_eq!(n["task_id"], task.as_str());
    assert!(n["text"].as_str().unwrap().starts_with("【待办】"), "{n}");
    assert!(n["subject"].as_str().unwrap().contains("玫瑰镇"), "{n}");
    assert_eq!(n["read"], false);
    assert_eq!(unread, unread_before + 1);

    // An urge from the nominator is a notice too.
    let (status, body) = app
        .send(
            Some(&nominator),
            "POST",
            &format!("/api/v1/tasks/{task}/urge"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (list, unread) = notices(app, &org, "?unread=true").await;
    assert_eq!(of_kind(&list, "urge", &id).len(), 1, "{list:?}");
    assert_eq!(unread, unread_before + 2);
    assert!(list.iter().all(|n| n["read"] == false));

    // Nobody reads another's notice, and a bad filter names its field.
    let edu = app.token("jn-py-edu").await;
    let one = format!("/api/v1/notices/{}/read", n["id"].as_str().unwrap());
    let (status, body) = app.send(Some(&edu), "POST", &one, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = app
        .send(Some(&org), "GET", "/api/v1/notices?kind=mail", None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "kind", "{body}");
    assert_eq!(
        notices(app, &org, "").await.1,
        unread_before + 2,
        "refusals read nothing"
    );

    // Read one; then the rest.
    let (status, body) = app.send(Some(&org), "POST", &one, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["read"], true);
    assert_eq!(notices(app, &org, "").await.1, unread_before + 1);
    let (status, body) = app
        .send(Some(&org), "POST", "/api/v1/notices/read-all", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["read"], unread_before + 1);
    assert_eq!(notices(app, &org, "").await.1, 0);

    // A return tells the nominator, with the reason.
    let (_, nominator_unread) = notices(app, &nominator, "").await;
    app.act(&org, &id, "return", json!({"comment": "请补充候选人简历"}))
        .await;
    let (list, unread) = notices(app, &nominator, "").await;
    let returned = of_kind(&list, "returned", &id);
    assert_eq!(returned.len(), 1, "{list:?}");
    assert_eq!(returned[0]["comment"], "请补充候选人简历");
    assert!(returned[0]["text"].as_str().unwrap().starts_with("【退回】"));
    assert_eq!(unread, nominator_unread + 1);
}

async fn a_delegation_and_a_copy_are_notices(app: &TestApp) {
    let org = app.token("jn-py-org").await;
    let edu = app.token("jn-py-edu").await;
    let day = |d: i64| {
        (app.clock_now() + chrono::Duration::days(d))
            .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
            .format("%Y-%m-%d")
            .to_string()
    };
    let (status, body) = app
        .send(
            Some(&edu),
            "PUT",
            "/api/v1/users/jn-py-edu/delegation",
            Some(json!({"delegate": "jn-py-org", "from": day(0), "until": day(3)})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (list, _) = notices(app, &org, "").await;
    let delegated: Vec<&Value> = list.iter().filter(|n| n["kind"] == "delegated").collect();
    assert_eq!(delegated.len(), 1, "{list:?}");
    assert!(
        delegated[0]["text"].as_str().unwrap().contains("委托您代为办理"),
        "{list:?}"
    );
    assert!(delegated[0].get("task_id").is_none());

    // Filing done: the city association is copied (抄送我的).
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
    let city = app.token("jn-supervisor").await;
    assert!(notices(app, &city, "?kind=copy").await.0.is_empty());
    for dept in ["jn-py-org", "jn-py-mg-pc"] {
        let t = app.token(dept).await;
        app.act(&t, &id, "acknowledge", json!({})).await;
    }
    let (copies, _) = notices(app, &city, "?kind=copy").await;
    assert_eq!(copies.len(), 1, "{copies:?}");
    assert_eq!(copies[0]["instance_id"], id.as_str());
    assert!(copies[0]["text"].as_str().unwrap().starts_with("【抄送】"));
    let (all, _) = notices(app, &city, "").await;
    assert!(all.len() >= copies.len());
}

/// The navigation counts unread notices; opening one reads it and goes to
/// its task; opening the task reads the rest about it.
async fn notices_are_read_on_their_page(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    let id = app.in_consultation(&nominator).await;
    let org_token = app.token("jn-py-org").await;
    let task = app.task_of(&org_token, &id).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, unread) = notices(app, &org_token, "").await;
    assert!(unread >= 1);
    let org = login(app, "jn-py-org").await;
    let (status, html) = get(&org, app, "/inbox").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!("aria-label=\"{unread} 条未读\">{unread}</span>")),
        "{html}"
    );

    let (status, html) = get(&org, app, "/notices/unread").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("【待办】"), "{html}");
    assert!(html.contains("全部标为已读"), "{html}");
    let (list, _) = notices(app, &org_token, "?unread=true").await;
    let mine = of_kind(&list, "task_assigned", &id)[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = org
        .post(app.url(&format!("/notices/{mine}/open")))
        .form(&[("csrf", csrf(&html).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], format!("/tasks/{task}").as_str());
    assert_eq!(notices(app, &org_token, "").await.1, unread - 1);

    // An urge, read by opening the task itself.
    app.send(
        Some(&nominator),
        "POST",
        &format!("/api/v1/tasks/{task}/urge"),
        Some(json!({})),
    )
    .await;
    assert_eq!(notices(app, &org_token, "").await.1, unread);
    let (status, _) = get(&org, app, &format!("/tasks/{task}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(notices(app, &org_token, "").await.1, unread - 1);

    // Without the form's token nothing is read.
    let (_, list_html) = get(&org, app, "/notices").await;
    assert!(list_html.contains("class=\"read\""), "{list_html}");
    let r = org
        .post(app.url("/notices/read-all"))
        .form(&[("csrf", "x".repeat(64).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    if unread > 1 {
        assert_eq!(notices(app, &org_token, "").await.1, unread - 1);
    }
    let r = org
        .post(app.url("/notices/read-all"))
        .form(&[("csrf", csrf(&list_html).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(notices(app, &org_token, "").await.1, 0);
    let (_, html) = get(&org, app, "/copies").await;
    assert!(html.contains("还没有抄送给您的事项。"), "{html}");
}

/// Fifty to a page, with the way to the next and back.
async fn notices_are_paged(app: &TestApp) {
    let now = app.clock_now();
    let many: Vec<naxian_store::OutboxMessage> = (0..51)
        .map(|i| naxian_store::OutboxMessage {
            id: format!("paged-{i}"),
            dedupe_key: format!("paged:{i}"),
            recipients: vec![naxian_store::Recipient {
                name: "平阴县教育局".into(),
                email: "edu@example.cn".into(),
            }],
            template: "urge".into(),
            params: json!({"title": format!("催办 {i}"), "subject": "王卫东"}),
            created_at: now + chrono::Duration::seconds(i),
            notice_for: Some("jn-py-edu".into()),
        })
        .collect();
    app.engine.store().enqueue(&many).await.unwrap();
    let edu = login(app, "jn-py-edu").await;
    let (_, first) = get(&edu, app, "/notices").await;
    assert!(
        first.contains("第 1 / 2 页") && first.contains("共 51 条"),
        "{first}"
    );
    assert!(
        first.contains("href=\"/notices?page=2\" id=\"next-page\""),
        "{first}"
    );
    let (_, second) = get(&edu, app, "/notices?page=2").await;
    assert!(second.contains("第 2 / 2 页"), "{second}");
    assert!(
        second.contains("href=\"/notices?page=1\" id=\"prev-page\""),
        "{second}"
    );
    assert_eq!(
        second.matches("class=\"unread\"").count(),
        1,
        "the oldest alone on page 2"
    );
}

on_both_backends!(
    notices_are_paged,
    people_are_told_in_the_app,
    a_delegation_and_a_copy_are_notices,
    notices_are_read_on_their_page,
);
