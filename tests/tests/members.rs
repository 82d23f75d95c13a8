//! Members already on a body, on SQLite and PostgreSQL: entered by an
//! administrator (of the province or of the county), imported from a sheet,
//! and leaving (届中调整); the coverage board, its export and the monthly
//! figures count the chiefs among them beside the appointed ones, and a
//! unit whose last chief of a sector leaves is blank again. The board's
//! trend line ends where its cards stand.

use naxian_engine::import::{read_table, ImportError, Sheet};
use naxian_tests::{on_both_backends, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn today(app: &TestApp) -> chrono::NaiveDate {
    app.clock_now()
        .with_timezone(&naxian_model::calendar::shanghai())
        .date_naive()
}

async fn board_unit(app: &TestApp, token: &str, code: &str) -> Value {
    let board = app.get(token, "/api/v1/coverage?under=JN-PY").await;
    board["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["code"] == code)
        .cloned()
        .unwrap()
}

async fn members_of(app: &TestApp, token: &str, code: &str) -> Vec<Value> {
    app.get(token, &format!("/api/v1/org-units/{code}")).await["members"]
        .as_array()
        .unwrap()
        .clone()
}

fn chief(name: &str, sector: &str) -> Value {
    json!({"name": name, "sector": sector, "post": "vice_chair", "mode": "part_time",
           "since": "2024-06-01", "chief": true, "employer": "榆山街道卫生院", "position": "院长"})
}

async fn members_entered_and_leaving_change_the_board(app: &TestApp) {
    let admin = app.token("admin").await;
    let ys = board_unit(app, &admin, "JN-PY-YS").await;
    assert_eq!(ys["state"]["health"], "blank");

    // 平阴's own administrator enters a chief for one of its streets.
    let (status, _) = app
        .send(
            Some(&admin),
            "POST",
            "/api/v1/users",
            Some(
                json!({"login": "jn-py-admin", "name": "平阴管理员", "email": "py@example.cn",
                        "password": "naxian-demo"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = app
        .send(
            Some(&admin),
            "POST",
            "/api/v1/users/jn-py-admin/grants",
            Some(json!({"role": "admin", "org_unit": "JN-PY"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let county = app.token("jn-py-admin").await;
    let (status, doctor) = app
        .send(
            Some(&county),
            "POST",
            "/api/v1/org-units/JN-PY-YS/members",
            Some(chief("赵院长", "卫生健康")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{doctor}");
    assert_eq!(doctor["sector"], "health", "a label is taken for its value");
    assert_eq!(doctor["source"], "entered");
    assert_eq!(doctor["chief"], true);
    assert_eq!(doctor["employer"], "榆山街道卫生院");
    let (status, _) = app
        .send(
            Some(&county),
            "POST",
            "/api/v1/org-units/QD-PD-DZ/members",
            Some(chief("外县人", "health")),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another county's unit");
    let nominator = app.token("jn-py-nominator").await;
    let (status, _) = app
        .send(
            Some(&nominator),
            "POST",
            "/api/v1/org-units/JN-PY-YS/members",
            Some(chief("提名人", "health")),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a nominator enters nobody");

    // The street's page lists the entered chief as such.
    let page_user = naxian_tests::web::login(app, "jn-py-nominator").await;
    let (status, page) = naxian_tests::web::get(&page_user, app, "/units/JN-PY-YS").await;
    assert_eq!(status, StatusCode::OK);
    let row = page
        .split("赵院长")
        .nth(1)
        .and_then(|r| r.split("</tr>").next())
        .unwrap_or_else(|| panic!("the chief on the unit's page: {page}"));
    assert!(
        row.contains("卫生健康") && row.contains("<td>是</td>") && row.contains("录入"),
        "{row}"
    );

    // A member who is not a chief is listed but covers nothing.
    let mut teacher = chief("钱老师", "education");
    teacher["chief"] = json!(false);
    let (status, _) = app
        .send(
            Some(&admin),
            "POST",
            "/api/v1/org-units/JN-PY-YS/members",
            Some(teacher),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let ys = board_unit(app, &admin, "JN-PY-YS").await;
    assert_eq!(ys["state"]["health"], "covered");
    assert_eq!(ys["members"]["health"][0]["name"], "赵院长");
    assert_eq!(ys["state"]["education"], "blank", "钱老师 is no chief");
    let jn = app.engine.store().org_unit("JN").await.unwrap().unwrap();
    let month = today(app).format("%Y-%m").to_string();
    let figures = app.engine.appointment_figures(&jn, &month).await.unwrap();
    assert_eq!(figures["coverage"]["townships"]["covered"]["health"], 1);
    assert_eq!(figures["coverage"]["townships"]["covered"]["education"], 0);
    assert_eq!(members_of(app, &admin, "JN-PY-YS").await.len(), 2);

    // Bad input: the field is named and nothing is entered.
    let future = (today(app) + chrono::Duration::days(3)).to_string();
    let mut cases: Vec<(Value, &str)> = Vec::new();
    for (key, value, field) in [
        ("name", json!(" "), "name"),
        ("sector", json!("外星"), "sector"),
        ("post", json!(""), "post"),
        ("mode", json!("全职全薪"), "mode"),
        ("since", json!("2024-13-01"), "since"),
        ("since", json!(future), "since"),
        ("sector", json!("other"), "chief"),
        ("employer", json!("x".repeat(101)), "employer"),
    ] {
        let mut body = chief("坏数据", "health");
        body[key] = value;
        cases.push((body, field));
    }
    for (body, field) in cases {
        let (status, e) = app
            .send(
                Some(&admin),
                "POST",
                "/api/v1/org-units/JN-PY-YS/members",
                Some(body),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {e}");
        assert_eq!(e["error"]["field"], field, "{e}");
    }
    let (status, e) = app
        .send(
            Some(&admin),
            "POST",
            "/api/v1/org-units/JN-PY-ORG/members",
            Some(chief("部门", "health")),
        )
        .await;
    assert_eq!(
        (status, e["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("org_unit"))
    );
    let mut extra = chief("多字段", "health");
    extra["age"] = json!(50);
    let (status, _) = app
        .send(
            Some(&admin),
            "POST",
            "/api/v1/org-units/JN-PY-YS/members",
            Some(extra),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        members_of(app, &admin, "JN-PY-YS").await.len(),
        2,
        "nothing was entered"
    );

    // The chief leaves: refused before their start, then recorded once; the street is blank again.
    let id = doctor["id"].as_i64().unwrap();
    let leave = |on: &str| json!({"on": on, "reason": "调任县医院"});
    let path = format!("/api/v1/org-units/JN-PY-YS/members/{id}/leave");
    let (status, e) = app
        .send(Some(&admin), "POST", &path, Some(leave("2024-05-31")))
        .await;
    assert_eq!(
        (status, e["error"]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("on"))
    );
    assert_eq!(
        board_unit(app, &admin, "JN-PY-YS").await["state"]["health"],
        "covered"
    );
    let on = today(app).to_string();
    let (status, left) = app.send(Some(&county), "POST", &path, Some(leave(&on))).await;
    assert_eq!(status, StatusCode::OK, "{left}");
    assert_eq!(left["left_on"], on.as_str());
    assert_eq!(left["left_reason"], "调任县医院");
    let (status, _) = app.send(Some(&admin), "POST", &path, Some(leave(&on))).await;
    assert_eq!(status, StatusCode::CONFLICT, "a member leaves once");
    for other in [
        format!("/api/v1/org-units/JN-PY-MG/members/{id}/leave"),
        "/api/v1/org-units/JN-PY-YS/members/999999/leave".to_string(),
        "/api/v1/org-units/JN-PY-YS/members/abc/leave".to_string(),
    ] {
        let (status, _) = app.send(Some(&admin), "POST", &other, Some(leave(&on))).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{other}");
    }
    let ys = board_unit(app, &admin, "JN-PY-YS").await;
    assert_eq!(ys["state"]["health"], "blank", "the last health chief left");
    let figures = app.engine.appointment_figures(&jn, &month).await.unwrap();
    assert_eq!(figures["coverage"]["townships"]["covered"]["health"], 0);
    let current = members_of(app, &admin, "JN-PY-YS").await;
    assert_eq!(current.len(), 1, "only 钱老师 is current: {current:?}");
}

async fn members_import_all_rows_or_none(app: &TestApp) {
    let admin = app.engine.actor("admin").await.unwrap();
    let sheet = |text: &str| read_table(text.as_bytes()).unwrap();
    let bad = sheet(
        "单位代码,姓名,领域,职务,任职方式,任职日期,是否三长,工作单位,单位职务\n\
         JN-PY-MG,孙校长,教育,委员,兼职,2024-06-01,是,玫瑰镇中学,校长\n\
         JN-PY-XX,李站长,农业农村,委员,兼职,2024-06-01,是,,\n\
         JN-PY-YS,周医生,卫生健康,委员,兼职,2024-06-01,也许,,\n",
    );
    let Err(ImportError::Rows(rows)) = app
        .engine
        .import(&admin, Sheet::Members, &bad, &|_, _, _| {})
        .await
    else {
        panic!("a sheet with bad rows is refused");
    };
    let found: Vec<(usize, &str)> = rows.iter().map(|r| (r.row, r.field.as_str())).collect();
    assert_eq!(found, [(3, "org_unit"), (4, "chief")]);
    let token = app.token("admin").await;
    assert!(
        members_of(app, &token, "JN-PY-MG").await.is_empty(),
        "row 2 was not kept"
    );

    let good = sheet(
        "org_unit,name,sector,post,mode,since,chief\n\
         JN-PY-MG,孙校长,教育,委员,兼职,2024-06-01,是\n\
         JN-PY-MG,李站长,agriculture,member,part_time,2024-06-01,yes\n",
    );
    let report = app
        .engine
        .import(&admin, Sheet::Members, &good, &|_, _, _| {})
        .await
        .unwrap();
    assert_eq!(report.members, 2);
    let mg = board_unit(app, &token, "JN-PY-MG").await;
    assert_eq!(mg["state"]["education"], "covered");
    assert_eq!(mg["state"]["agriculture"], "covered");
    assert_eq!(mg["state"]["health"], "blank");
    let members = members_of(app, &token, "JN-PY-MG").await;
    assert!(members
        .iter()
        .all(|m| m["source"] == "entered" && m["chief"] == true));
}

/// The board's trend line ends where its cards stand: for each city, the
/// line's last point is the share of township × sector places the cards
/// show covered, with chiefs entered at several cities and one who left.
async fn the_trend_line_ends_where_the_cards_stand(app: &TestApp) {
    let admin = app.token("admin").await;
    let mut entered = Vec::new();
    for (unit, sector, since) in [
        ("JN-PY-YS", "health", "2024-06-01"),
        ("JN-PY-MG", "education", "2025-01-15"),
        ("JN-PY-MG", "health", "2025-03-01"),
        ("QD-PD-DZ", "agriculture", "2025-02-01"),
    ] {
        let mut member = chief("孙主任", sector);
        member["since"] = json!(since);
        let (status, body) = app
            .send(
                Some(&admin),
                "POST",
                &format!("/api/v1/org-units/{unit}/members"),
                Some(member),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        entered.push((unit, body["id"].as_i64().unwrap()));
    }
    // 玫瑰镇's health chief leaves yesterday: neither the cards nor today's point count her.
    let yesterday = today(app).pred_opt().unwrap().to_string();
    let (unit, left) = &entered[2];
    let (status, body) = app
        .send(
            Some(&admin),
            "POST",
            &format!("/api/v1/org-units/{unit}/members/{left}/leave"),
            Some(json!({"on": yesterday})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let actor = app.engine.actor("sd-supervisor").await.unwrap();
    let rows = app.engine.coverage(&actor, "SD").await.unwrap();
    let charts = app.engine.board_charts(&actor, "SD").await.unwrap();
    let vocabulary = app.engine.member_vocabulary().await.unwrap();
    let sectors = vocabulary.sector_values();
    let cities: Vec<_> = app
        .engine
        .store()
        .units_under("/SD/")
        .await
        .unwrap()
        .into_iter()
        .filter(|u| u.kind == naxian_model::OrgKind::City)
        .collect();
    let mut checked = 0;
    for (name, series) in &charts.coverage_by_city {
        let city = cities.iter().find(|c| &c.name == name).unwrap();
        let towns: Vec<_> = rows
            .iter()
            .filter(|r| r.unit.kind != naxian_model::OrgKind::County && r.unit.path.starts_with(&city.path))
            .collect();
        let covered = towns
            .iter()
            .map(|r| sectors.iter().filter(|s| r.covered(s)).count())
            .sum::<usize>();
        let cards = covered as f64 * 100.0 / (towns.len() * sectors.len()) as f64;
        let last = *series.last().unwrap();
        assert!((last - cards).abs() < 1e-9, "{name}: line {last}, cards {cards}");
        if cards > 0.0 {
            checked += 1;
        }
    }
    assert_eq!(checked, 2, "济南 and 青岛 have chiefs on the cards");
    // Last month's end still counts the chief who left: the line is a history.
    let jn = &charts
        .coverage_by_city
        .iter()
        .find(|(n, _)| n == "济南市科协")
        .unwrap()
        .1;
    assert!(jn[jn.len() - 2] > jn[jn.len() - 1], "{jn:?}");
}

on_both_backends!(
    members_entered_and_leaving_change_the_board,
    the_trend_line_ends_where_the_cards_stand,
    members_import_all_rows_or_none,
);
