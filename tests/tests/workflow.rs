//! The appointment workflow end to end over HTTP, on SQLite and PostgreSQL:
//! each routing branch to appointed, objection and return with resubmission,
//! withdrawal, not elected, a newer definition beside running instances, and
//! two replicas moving one instance.

use naxian_model::machine::ActionInput;
use naxian_tests::{nomination, on_both_backends, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn steps(instance: &Value) -> String {
    instance["step"].as_str().unwrap().to_string()
}

async fn appointed_by_committee_by_election(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    let inst = app.nominate(&nominator, nomination("JN-PY-MG", "health")).await;
    let id = inst["id"].as_str().unwrap().to_string();
    assert_eq!(inst["step"], "drafting");
    assert_eq!(inst["status"], "active");
    assert_eq!(inst["version"], 5);

    let inst = app.act(&nominator, &id, "submit", json!({})).await;
    assert_eq!(steps(&inst), "consultation");
    let open: Vec<&Value> = inst["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["status"] == "open")
        .collect();
    let mut units: Vec<&str> = open
        .iter()
        .map(|t| t["assignee"]["unit"].as_str().unwrap())
        .collect();
    units.sort();
    assert_eq!(
        units,
        ["JN-PY-HEALTH", "JN-PY-MG-PC", "JN-PY-ORG"],
        "county org, township committee, sector"
    );
    for t in &open {
        assert_eq!(t["actions"], json!(["agree", "object", "return"]));
    }

    for dept in ["jn-py-org", "jn-py-mg-pc", "jn-py-health"] {
        let token = app.token(dept).await;
        let inst = app.act(&token, &id, "agree", json!({"comment": "同意"})).await;
        if dept != "jn-py-health" {
            assert_eq!(steps(&inst), "consultation", "waits for every department");
        } else {
            assert_eq!(
                steps(&inst),
                "committee_by_election",
                "mid-term body: by-election"
            );
        }
    }
    let sec = app.token("jn-py-mg-sec").await;
    let inst = app
        .act(
            &sec,
            &id,
            "elected",
            json!({"data": {"meeting_date": "2026-11-28", "votes": 23}}),
        )
        .await;
    assert_eq!(steps(&inst), "filing");
    assert_eq!(inst["data"]["election"]["meeting_date"], "2026-11-28");

    let org = app.token("jn-py-org").await;
    let inst = app.act(&org, &id, "acknowledge", json!({})).await;
    assert_eq!(inst["status"], "active", "one acknowledgement is not enough");
    let pc = app.token("jn-py-mg-pc").await;
    let inst = app.act(&pc, &id, "acknowledge", json!({})).await;
    assert_eq!(inst["status"], "completed");
    assert_eq!(inst["outcome"], "appointed");

    let history = inst["history"].as_array().unwrap();
    let actions: Vec<&str> = history.iter().map(|h| h["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "create",
            "submit",
            "agree",
            "agree",
            "agree",
            "elected",
            "acknowledge",
            "acknowledge"
        ]
    );
    assert!(
        history[4]["note"]
            .as_str()
            .unwrap()
            .contains("committee_by_election"),
        "routing reason recorded"
    );
    assert!(history.iter().all(|h| h["hash"].as_str().unwrap().len() == 64));

    let admin = app.token("admin").await;
    let unit = app.get(&admin, "/api/v1/org-units/JN-PY-MG").await;
    let members = unit["members"].as_array().unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0]["name"], "王卫东");
    assert_eq!(members[0]["post"], "vice_chair");
    assert_eq!(members[0]["since"], "2026-11-28");
    assert_eq!(members[0]["term_end"], unit["body"]["term_end"]);

    let report = app.engine.verify_audit().await.unwrap();
    assert!(report.broken.is_none());
    assert_eq!(report.entries, 8);

    // The coverage board shows the township covered for health, and only that.
    let board = app.get(&admin, "/api/v1/coverage?under=JN-PY").await;
    let mg = board["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["code"] == "JN-PY-MG")
        .unwrap();
    assert_eq!(
        mg["covered"],
        json!({"health": true, "education": false, "agriculture": false})
    );
    assert_eq!(mg["members"]["health"][0]["name"], "王卫东");
    assert_eq!(mg["county"], "平阴县科协");
    let ys = board["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["code"] == "JN-PY-YS")
        .unwrap();
    assert_eq!(ys["state"]["health"], "blank");
    assert_eq!(
        board["units"].as_array().unwrap().len(),
        3,
        "the county and its two townships"
    );
    let (status, body) = app.send(Some(&admin), "GET", "/api/v1/coverage", None).await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("under"))
    );
    let outsider = app.token("qd-supervisor").await;
    let (status, _) = app
        .send(Some(&outsider), "GET", "/api/v1/coverage?under=JN-PY", None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn appointed_by_congress_election(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    let inst = app
        .nominate(&nominator, nomination("JN-PY-YS", "education"))
        .await;
    let id = inst["id"].as_str().unwrap().to_string();
    app.act(&nominator, &id, "submit", json!({})).await;
    let mut last = Value::Null;
    for dept in ["jn-py-org", "jn-py-ys-pc", "jn-py-edu"] {
        let token = app.token(dept).await;
        last = app.act(&token, &id, "agree", json!({})).await;
    }
    assert_eq!(steps(&last), "congress_election", "term ends within the window");
    let sec = app.token("jn-py-ys-sec").await;
    app.act(
        &sec,
        &id,
        "elected",
        json!({"data": {"meeting_date": "2026-11-20"}}),
    )
    .await;
    app.act(&app.token("jn-py-ys-pc").await, &id, "acknowledge", json!({}))
        .await;
    let inst = app
        .act(&app.token("jn-py-org").await, &id, "acknowledge", json!({}))
        .await;
    assert_eq!(inst["outcome"], "appointed");
}

async fn county_target_is_consulted_without_township(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    let inst = app.nominate(&nominator, nomination("JN-PY", "agriculture")).await;
    let id = inst["id"].as_str().unwrap().to_string();
    let inst = app.act(&nominator, &id, "submit", json!({})).await;
    let mut units: Vec<&str> = inst["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["status"] == "open")
        .map(|t| t["assignee"]["unit"].as_str().unwrap())
        .collect();
    units.sort();
    assert_eq!(units, ["JN-PY-AGRI", "JN-PY-ORG"]);
}

async fn objection_then_resubmit(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    let inst = app.nominate(&nominator, nomination("JN-PY-MG", "health")).await;
    let id = inst["id"].as_str().unwrap().to_string();
    app.act(&nominator, &id, "submit", json!({})).await;
    let org = app.token("jn-py-org").await;
    let pc = app.token("jn-py-mg-pc").await;
    let health = app.token("jn-py-health").await;
    app.act(&org, &id, "agree", json!({})).await;

    let (status, body) = app.try_act(&pc, &id, "object", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["field"], "comment");
    let inst = app
        .act(&pc, &id, "object", json!({"comment": "该同志已在其他单位兼职"}))
        .await;
    assert_eq!(steps(&inst), "revising");
    let health_inbox = app.get(&health, "/api/v1/tasks").await;
    assert!(
        !health_inbox
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["instance_id"] == id.as_str()),
        "pending opinions are withdrawn while the nominator revises"
    );

    let task = app.task_of(&nominator, &id).await;
    assert_eq!(task["actions"], json!(["resubmit", "withdraw"]));
    let inst = app
        .act(
            &nominator,
            &id,
            "resubmit",
            json!({"comment": "已辞去兼职", "data": {"candidate": {"position": "院长（已辞去兼职）"}}}),
        )
        .await;
    assert_eq!(steps(&inst), "consultation");
    assert_eq!(inst["data"]["candidate"]["position"], "院长（已辞去兼职）");
    assert_eq!(
        inst["data"]["candidate"]["name"], "王卫东",
        "the rest of the data stands"
    );
    let org_inbox = app.get(&org, "/api/v1/tasks").await;
    assert!(
        !org_inbox
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["instance_id"] == id.as_str()),
        "a department that agreed is not asked again"
    );
    app.act(&pc, &id, "agree", json!({})).await;
    let inst = app.act(&health, &id, "agree", json!({})).await;
    assert_eq!(steps(&inst), "committee_by_election");
}

async fn return_keeps_other_opinions(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    let inst = app.nominate(&nominator, nomination("JN-PY-MG", "health")).await;
    let id = inst["id"].as_str().unwrap().to_string();
    app.act(&nominator, &id, "submit", json!({})).await;
    let health = app.token("jn-py-health").await;
    let org = app.token("jn-py-org").await;
    app.act(&health, &id, "agree", json!({})).await;
    let inst = app
        .act(&org, &id, "return", json!({"comment": "请补充任职经历"}))
        .await;
    assert_eq!(steps(&inst), "revising");
    let returned = inst["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["action"] == "return")
        .unwrap();
    assert_eq!(returned["comment"], "请补充任职经历");
    let inst = app.act(&nominator, &id, "resubmit", json!({})).await;
    let mut units: Vec<&str> = inst["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["status"] == "open")
        .map(|t| t["assignee"]["unit"].as_str().unwrap())
        .collect();
    units.sort();
    assert_eq!(
        units,
        ["JN-PY-MG-PC", "JN-PY-ORG"],
        "the health bureau's agreement stands"
    );
}

async fn withdraw_by_creator(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    let inst = app.nominate(&nominator, nomination("JN-PY-MG", "health")).await;
    let id = inst["id"].as_str().unwrap().to_string();
    app.act(&nominator, &id, "submit", json!({})).await;
    let org = app.token("jn-py-org").await;
    let path = format!("/api/v1/instances/{id}/withdraw");
    let (status, body) = app.send(Some(&org), "POST", &path, Some(json!({}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = app
        .send(
            Some(&nominator),
            "POST",
            &path,
            Some(json!({"comment": "候选人调动"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["instance"]["outcome"], "withdrawn");
    assert!(body["instance"]["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["status"] != "open"));
    let org_inbox = app.get(&org, "/api/v1/tasks").await;
    assert!(org_inbox.as_array().unwrap().is_empty());
    let (status, _) = app.send(Some(&nominator), "POST", &path, Some(json!({}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "already completed");
}

async fn not_elected_ends_without_member(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    let inst = app
        .nominate(&nominator, nomination("JN-PY-MG", "education"))
        .await;
    let id = inst["id"].as_str().unwrap().to_string();
    app.act(&nominator, &id, "submit", json!({})).await;
    for dept in ["jn-py-org", "jn-py-mg-pc", "jn-py-edu"] {
        app.act(&app.token(dept).await, &id, "agree", json!({})).await;
    }
    let sec = app.token("jn-py-mg-sec").await;
    let inst = app
        .act(
            &sec,
            &id,
            "not_elected",
            json!({"data": {"meeting_date": "2026-11-28", "votes": 3}}),
        )
        .await;
    assert_eq!(inst["status"], "completed");
    assert_eq!(inst["outcome"], "not_elected");
    let withdraw = format!("/api/v1/instances/{id}/withdraw");
    let (status, _) = app
        .send(Some(&nominator), "POST", &withdraw, Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let unit = app
        .get(&app.token("admin").await, "/api/v1/org-units/JN-PY-MG")
        .await;
    assert!(unit["members"].as_array().unwrap().is_empty());
}

async fn newer_version_leaves_running_instances_alone(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    let old = app.nominate(&nominator, nomination("JN-PY-MG", "health")).await;
    let old_id = old["id"].as_str().unwrap().to_string();
    app.act(&nominator, &old_id, "submit", json!({})).await;

    // Version 2 needs only one department's agreement (或签).
    let source = naxian_tests::appointment_as_version(6).replace(
        "    sign_off: all\n    # After a return",
        "    sign_off: any\n    # After a return",
    );
    assert!(source.contains("sign_off: any"));
    let admin = app.token("admin").await;
    let (status, body) = app
        .send(
            Some(&admin),
            "POST",
            "/api/v1/workflows",
            Some(json!({"source": source})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _) = app
        .send(
            Some(&nominator),
            "POST",
            "/api/v1/workflows",
            Some(json!({"source": source})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let changed = source.replace("title: 填写提名", "title: 填写");
    let (status, body) = app
        .send(
            Some(&admin),
            "POST",
            "/api/v1/workflows",
            Some(json!({"source": changed})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a stored version is immutable: {body}"
    );
    let list = app.get(&nominator, "/api/v1/workflows").await;
    let appointment = list
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "sanzhang-appointment")
        .unwrap();
    assert_eq!(appointment["version"], 6);

    let new = app.nominate(&nominator, nomination("JN-PY-MG", "health")).await;
    let new_id = new["id"].as_str().unwrap().to_string();
    assert_eq!(new["version"], 6);
    app.act(&nominator, &new_id, "submit", json!({})).await;

    let org = app.token("jn-py-org").await;
    let old_after = app.act(&org, &old_id, "agree", json!({})).await;
    assert_eq!(old_after["version"], 5);
    assert_eq!(
        steps(&old_after),
        "consultation",
        "version 1 still waits for every department"
    );
    let new_after = app.act(&org, &new_id, "agree", json!({})).await;
    assert_eq!(
        steps(&new_after),
        "committee_by_election",
        "version 2 moves on after one"
    );
}

/// A version whose consultation asks one department at a time (依次) and
/// whose departments may send the nomination back to a step it has passed,
/// chosen when they return it.
async fn sequential_consultation_returns_to_a_chosen_step(app: &TestApp) {
    let source = naxian_tests::appointment_as_version(6)
        .replace(
            "    sign_off: all\n    # After a return",
            "    sign_off: sequential\n    # After a return",
        )
        .replace(
            "return: { to: revising, comment: required, title: 退回补充 }",
            "return: { to: passed, comment: required, title: 退回补充 }",
        );
    app.register_workflow(&source).await;
    let nominator = app.token("jn-py-nominator").await;
    let inst = app.nominate(&nominator, nomination("JN-PY-MG", "health")).await;
    let id = inst["id"].as_str().unwrap().to_string();
    let inst = app.act(&nominator, &id, "submit", json!({})).await;
    let open = |inst: &Value| -> Vec<String> {
        inst["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["status"] == "open")
            .map(|t| t["assignee"]["unit"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        open(&inst),
        ["JN-PY-ORG"],
        "the organization department first, alone"
    );
    let inst = app
        .act(&app.token("jn-py-org").await, &id, "agree", json!({}))
        .await;
    assert_eq!(open(&inst), ["JN-PY-MG-PC"], "then the township party committee");
    let pc = app.token("jn-py-mg-pc").await;
    let (status, body) = app
        .try_act(
            &pc,
            &id,
            "return",
            json!({"comment": "请补充", "to_step": "filing"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = app
        .try_act(&pc, &id, "return", json!({"comment": "请补充"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "to_step", "{body}");
    let inst = app
        .act(
            &pc,
            &id,
            "return",
            json!({"comment": "请补充", "to_step": "drafting"}),
        )
        .await;
    assert_eq!(steps(&inst), "drafting");
    let inst = app.act(&nominator, &id, "submit", json!({})).await;
    assert_eq!(open(&inst), ["JN-PY-MG-PC"], "who agreed is not asked again");
}

/// A client builds every form from the API alone: the definition with its
/// fields, labels, choices, steps and actions, and a task with what its
/// viewer may do on it.
async fn definitions_and_tasks_are_discoverable(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    let def = app
        .get(&nominator, "/api/v1/workflows/sanzhang-appointment")
        .await;
    assert_eq!(def["version"], 5, "the newest by default");
    assert_eq!(def["started_by"], "nominator");
    let sector = &def["fields"]["candidate.sector"];
    assert_eq!(sector["type"], "choice");
    assert_eq!(sector["label"], "领域");
    assert_eq!(sector["required"], true);
    assert_eq!(
        sector["choices"],
        json!([{"value": "health", "label": "卫生健康"}, {"value": "education", "label": "教育"},
               {"value": "agriculture", "label": "农业农村"}, {"value": "other", "label": "其他"}])
    );
    assert_eq!(
        def["fields"]["target_org"]["kinds"],
        json!(["county", "township", "street"])
    );
    let text = app
        .client
        .get(app.url("/api/v1/workflows/sanzhang-appointment"))
        .bearer_auth(&nominator)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let at = |key: &str| text.find(&format!("\"{key}\":")).unwrap();
    assert!(
        at("candidate.name") < at("candidate.birth_year"),
        "fields in the file's order"
    );
    assert!(
        at("drafting") < at("consultation") && at("consultation") < at("filing"),
        "steps too"
    );
    let consultation = &def["steps"]["consultation"];
    assert_eq!(consultation["kind"], "human");
    assert_eq!(consultation["sign_off"], "all");
    assert_eq!(consultation["actions"]["object"]["comment"], "required");
    assert_eq!(consultation["actions"]["object"]["to"], "revising");
    assert_eq!(consultation["actions"]["agree"]["title"], "同意");
    assert_eq!(def["steps"]["routing"]["kind"], "route");
    let meeting = &def["steps"]["congress_election"]["actions"]["elected"]["data"]["meeting_date"];
    assert_eq!(
        (&meeting["type"], &meeting["required"], &meeting["past"]),
        (&json!("date"), &json!(true), &json!(true))
    );
    // The nominator's submission amends the nomination: its editable fields, not its unit.
    let submit = &def["steps"]["drafting"]["actions"]["submit"]["data"];
    assert!(
        submit.get("candidate.name").is_some() && submit.get("target_org").is_none(),
        "{submit}"
    );
    assert_eq!(def["ends"]["appointed"]["title"], "已任职");
    let older = app
        .get(&nominator, "/api/v1/workflows/sanzhang-appointment?version=5")
        .await;
    assert_eq!(older["version"], 5);
    for (path, want) in [
        (
            "/api/v1/workflows/sanzhang-appointment?version=99",
            StatusCode::NOT_FOUND,
        ),
        ("/api/v1/workflows/no-such-flow", StatusCode::NOT_FOUND),
        (
            "/api/v1/workflows/sanzhang-appointment?version=x",
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let (status, body) = app.send(Some(&nominator), "GET", path, None).await;
        assert_eq!(status, want, "{path}: {body}");
    }

    let id = app.in_consultation(&nominator).await;
    let org = app.token("jn-py-org").await;
    let task_id = app.task_of(&org, &id).await["id"].as_str().unwrap().to_string();
    let task = app.get(&org, &format!("/api/v1/tasks/{task_id}")).await;
    assert_eq!(task["step"], "consultation");
    assert_eq!(task["step_title"], "征求意见");
    let actions: Vec<&String> = task["actions"].as_object().unwrap().keys().collect();
    assert_eq!(actions, ["agree", "object", "return"]);
    assert_eq!(task["actions"]["return"]["comment"], "required");
    assert_eq!(task["instance"]["summary"], "王卫东（玫瑰镇卫生院院长）");
    assert_eq!(task["instance"]["org_unit_name"], "玫瑰镇科协");
    // Who may see the task but not act on it is offered nothing.
    let seen = app.get(&nominator, &format!("/api/v1/tasks/{task_id}")).await;
    assert_eq!(seen["actions"], json!({}));
    let (status, _) = app
        .send(
            Some(&app.token("qd-pd-org").await),
            "GET",
            &format!("/api/v1/tasks/{task_id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// An administrator registers a workflow by sending its YAML as it is.
async fn a_workflow_is_registered_from_its_yaml(app: &TestApp) {
    let source = naxian_tests::appointment_as_version(6);
    let admin = app.token("admin").await;
    let post = |body: String, headers: &'static [(&'static str, &'static str)]| {
        let admin = admin.clone();
        async move {
            let mut req = app
                .client
                .post(app.url("/api/v1/workflows"))
                .bearer_auth(admin)
                .body(body);
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            let resp = req.send().await.unwrap();
            let status = resp.status();
            (status, resp.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, body) = post(source.clone(), &[("content-type", "application/yaml")]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["version"], 6);
    let (status, _) = post(
        source.clone(),
        &[("content-type", "application/yaml; charset=utf-8")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "the same source again changes nothing");
    let broken = source
        .replace("version: 6", "version: 7")
        .replace("to: consultation", "to: nowhere");
    let (status, body) = post(broken, &[("content-type", "application/yaml")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "source");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("request:"),
        "{body}"
    );
    let (status, _) = post(source, &[("content-type", "text/plain")]).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let nominator = app.token("jn-py-nominator").await;
    let def = app
        .get(&nominator, "/api/v1/workflows/sanzhang-appointment")
        .await;
    assert_eq!(def["version"], 6, "the broken version 7 was not stored");
}

/// A township whose party committee has no one: the submission that would
/// open a task for no one is refused, naming whom the directory lacks, and
/// nothing is written; once someone holds the role it goes through.
async fn a_task_never_opens_for_no_one(app: &TestApp) {
    let admin = app.token("admin").await;
    for unit in [
        json!({"code": "JN-PY-XC", "name": "孝直镇科协", "kind": "township", "parent": "JN-PY"}),
        json!({"code": "JN-PY-XC-PC", "name": "孝直镇党委", "kind": "department", "parent": "JN-PY-XC", "function": "party_committee"}),
    ] {
        let (status, body) = app
            .send(Some(&admin), "POST", "/api/v1/org-units", Some(unit))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let nominator = app.token("jn-py-nominator").await;
    let inst = app.nominate(&nominator, nomination("JN-PY-XC", "health")).await;
    let id = inst["id"].as_str().unwrap().to_string();
    let (status, body) = app.try_act(&nominator, &id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("nobody holds department at 孝直镇党委 (JN-PY-XC-PC)"),
        "{message}"
    );
    let after = app.get(&nominator, &format!("/api/v1/instances/{id}")).await;
    assert_eq!(steps(&after), "drafting", "nothing was written");
    let (status, body) = app
        .send(
            Some(&admin),
            "POST",
            "/api/v1/users",
            Some(json!({"login": "jn-py-xc-pc", "name": "孝直镇党委", "email": "xc@example.cn", "password": "Chushi-2026"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = app
        .send(
            Some(&admin),
            "POST",
            "/api/v1/users/jn-py-xc-pc/grants",
            Some(json!({"role": "department", "org_unit": "JN-PY-XC-PC"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let inst = app.act(&nominator, &id, "submit", json!({})).await;
    assert_eq!(steps(&inst), "consultation");
}

/// Two replicas on one database. The server's keeps each instance it moved
/// last, to decide the next action without reading it again; once the other
/// replica has moved the instance on, what the server kept is stale, and it
/// must decide on what the database holds: the next opinion counts with the
/// other replica's, and a task the other replica closed is refused.
async fn replicas_decide_on_what_the_database_holds(app: &TestApp) {
    let other = naxian_engine::Engine::new(
        app.engine.store().clone(),
        app.clock.clone(),
        naxian_engine::Settings::default(),
    );
    other.reload_calendar().await.unwrap();
    let nominator = app.token("jn-py-nominator").await;
    let id = app.in_consultation(&nominator).await;
    let org = app.token("jn-py-org").await;
    let org_task = app.task_of(&org, &id).await["id"].as_str().unwrap().to_string();
    let org_actor = other.actor("jn-py-org").await.unwrap();
    let moved = other
        .act(&org_actor, &org_task, ActionInput::named("agree"))
        .await
        .unwrap();
    assert_eq!(moved.instance.revision, 3);

    let pc = app.token("jn-py-mg-pc").await;
    let inst = app.act(&pc, &id, "agree", json!({})).await;
    let seqs: Vec<i64> = inst["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(
        seqs,
        [1, 2, 3, 4],
        "decided on the other replica's entry 3, not on the kept 2"
    );
    let path = format!("/api/v1/tasks/{org_task}/actions");
    let (status, body) = app
        .send(Some(&org), "POST", &path, Some(json!({"action": "agree"})))
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "the other replica closed it: {body}"
    );
    let health = app.token("jn-py-health").await;
    let inst = app.act(&health, &id, "agree", json!({})).await;
    assert_eq!(steps(&inst), "committee_by_election", "all three opinions are in");
    let history = other
        .instance_view(&org_actor, &id)
        .await
        .unwrap()
        .history
        .iter()
        .map(|h| h.action.clone())
        .collect::<Vec<_>>();
    assert_eq!(history, ["create", "submit", "agree", "agree", "agree"]);
    assert!(app.engine.verify_audit().await.unwrap().broken.is_none());
}

/// The three consulted departments press 同意 at the same moment, round
/// after round: each acts on a task of its own, so none is refused, and the
/// step moves on once. The same task done twice at once is the one real
/// conflict: one 200, one 409.
async fn parallel_sign_off_never_refuses_a_legitimate_action(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    let mut departments = Vec::new();
    for login in ["jn-py-org", "jn-py-mg-pc", "jn-py-health"] {
        departments.push(app.token(login).await);
    }
    for round in 0..12 {
        let id = app.in_consultation(&nominator).await;
        let mut paths = Vec::new();
        for token in &departments {
            let task = app.task_of(token, &id).await;
            paths.push(format!("/api/v1/tasks/{}/actions", task["id"].as_str().unwrap()));
        }
        let answers = futures::future::join_all(departments.iter().zip(&paths).map(|(token, path)| {
            app.send(
                Some(token),
                "POST",
                path,
                Some(json!({"action": "agree", "comment": "同意"})),
            )
        }))
        .await;
        for (status, body) in &answers {
            assert_eq!(*status, StatusCode::OK, "round {round}: {body}");
        }
        let inst = app.get(&nominator, &format!("/api/v1/instances/{id}")).await;
        assert_eq!(steps(&inst), "committee_by_election", "round {round}");
        let actions: Vec<&str> = inst["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            ["create", "submit", "agree", "agree", "agree"],
            "round {round}"
        );
        let elections = inst["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["step"] == "committee_by_election")
            .count();
        assert_eq!(elections, 1, "round {round}: the step moved on exactly once");
    }
    // One department's task, sent twice at once: one of them did it.
    let id = app.in_consultation(&nominator).await;
    let task = app.task_of(&departments[0], &id).await;
    let path = format!("/api/v1/tasks/{}/actions", task["id"].as_str().unwrap());
    let twice = futures::future::join_all((0..2).map(|_| {
        app.send(
            Some(&departments[0]),
            "POST",
            &path,
            Some(json!({"action": "agree"})),
        )
    }))
    .await;
    let mut statuses: Vec<u16> = twice.iter().map(|(s, _)| s.as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{twice:?}");
    let inst = app.get(&nominator, &format!("/api/v1/instances/{id}")).await;
    assert_eq!(inst["history"].as_array().unwrap().len(), 3, "one agree recorded");
}

fn open_units(instance: &Value) -> Vec<String> {
    let mut units: Vec<String> = instance["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["status"] == "open")
        .map(|t| t["assignee"]["unit"].as_str().unwrap().to_string())
        .collect();
    units.sort();
    units
}

/// The shipped township founding: the township's secretary applies; its
/// party committee, the county association and the county organization
/// department review one at a time in that order; the founding meeting's
/// date starts the new body's five-year term.
async fn a_township_association_is_founded(app: &TestApp) {
    let sec = app.token("jn-py-mg-sec").await;
    let data = json!({
        "township": "JN-PY-MG", "applicant": {"name": "赵联络", "phone": "13905310000"},
        "members": 60, "preparation": "已召开筹备会，拟发展会员60人。",
    });
    let (status, inst) = app
        .send(
            Some(&sec),
            "POST",
            "/api/v1/instances",
            Some(json!({"workflow": "township-founding", "data": data})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{inst}");
    let id = inst["id"].as_str().unwrap().to_string();
    let inst = app.act(&sec, &id, "submit", json!({})).await;
    assert_eq!(steps(&inst), "review");
    assert_eq!(
        open_units(&inst),
        ["JN-PY-MG-PC"],
        "one at a time: the party committee first"
    );
    let inst = app
        .act(&app.token("jn-py-mg-pc").await, &id, "agree", json!({}))
        .await;
    assert_eq!(open_units(&inst), ["JN-PY"], "then the county association");
    let inst = app
        .act(&app.token("jn-py-sec").await, &id, "agree", json!({}))
        .await;
    assert_eq!(
        open_units(&inst),
        ["JN-PY-ORG"],
        "then the organization department"
    );
    let inst = app
        .act(&app.token("jn-py-org").await, &id, "agree", json!({}))
        .await;
    assert_eq!(steps(&inst), "meeting");
    let (status, refused) = app
        .try_act(&sec, &id, "submit", json!({"data": {"chair": "王主席"}}))
        .await;
    assert_eq!(
        (status, refused["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("data.meeting_date")),
        "{refused}"
    );
    let inst = app
        .act(
            &sec,
            &id,
            "submit",
            json!({"data": {"meeting_date": "2026-11-25", "chair": "王主席"}}),
        )
        .await;
    assert_eq!(
        (inst["status"].clone(), inst["outcome"].clone()),
        (json!("completed"), json!("founded"))
    );
    let unit = app.get(&sec, "/api/v1/org-units/JN-PY-MG").await;
    assert_eq!(
        (
            unit["body"]["term_start"].clone(),
            unit["body"]["term_end"].clone()
        ),
        (json!("2026-11-25"), json!("2031-11-25")),
        "{unit}"
    );
}

/// The shipped county society founding: two of the three departments its
/// field calls for are enough, and the field decides which are asked.
async fn a_society_is_founded_with_two_of_three_departments(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    let start = |field: &'static str| {
        let nominator = nominator.clone();
        async move {
            let data = json!({"county": "JN-PY", "society": {
                "name": "平阴县医学会", "field": field, "members": 30, "sponsor": "平阴县卫生健康局"}});
            let (status, inst) = app
                .send(
                    Some(&nominator),
                    "POST",
                    "/api/v1/instances",
                    Some(json!({"workflow": "society-founding", "data": data})),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{inst}");
            let id = inst["id"].as_str().unwrap().to_string();
            let inst = app.act(&nominator, &id, "submit", json!({})).await;
            (id, inst)
        }
    };
    let (_, farming) = start("agriculture").await;
    assert_eq!(open_units(&farming), ["JN-PY-AGRI", "JN-PY-EDU", "JN-PY-ORG"]);
    let (id, inst) = start("health").await;
    assert_eq!(open_units(&inst), ["JN-PY-EDU", "JN-PY-HEALTH", "JN-PY-ORG"]);
    let inst = app
        .act(&app.token("jn-py-org").await, &id, "agree", json!({}))
        .await;
    assert_eq!(steps(&inst), "consultation", "one of two");
    let inst = app
        .act(&app.token("jn-py-health").await, &id, "agree", json!({}))
        .await;
    assert_eq!(steps(&inst), "approval", "two of three are enough");
    assert!(
        open_units(&inst).iter().all(|u| u != "JN-PY-EDU"),
        "the third is no longer asked"
    );
    let inst = app
        .act(&app.token("jn-py-sec").await, &id, "approve", json!({}))
        .await;
    assert_eq!(inst["outcome"], "founded");
}

on_both_backends!(
    a_township_association_is_founded,
    a_society_is_founded_with_two_of_three_departments,
    parallel_sign_off_never_refuses_a_legitimate_action,
    appointed_by_committee_by_election,
    appointed_by_congress_election,
    county_target_is_consulted_without_township,
    objection_then_resubmit,
    return_keeps_other_opinions,
    withdraw_by_creator,
    not_elected_ends_without_member,
    newer_version_leaves_running_instances_alone,
    replicas_decide_on_what_the_database_holds,
    sequential_consultation_returns_to_a_chosen_step,
    definitions_and_tasks_are_discoverable,
    a_workflow_is_registered_from_its_yaml,
    a_task_never_opens_for_no_one,
);
