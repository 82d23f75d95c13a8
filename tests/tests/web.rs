//! The web UI over HTTP as a browser sends it (cookies, forms): login with a
//! database session, CSRF refusals, throttling, and a nomination taken through
//! consultation by forms alone. Browser-driven tests build on these pages.

use naxian_tests::web::{browser, csrf, get, login, task_links};
use naxian_tests::TestApp;
use reqwest::StatusCode;
use serde_json::json;

async fn nominate_and_consult_through_the_forms(app: &TestApp) {
    let anon = browser();
    let r = anon.get(app.url("/inbox")).send().await.unwrap();
    assert_eq!(
        (r.status(), r.headers()["location"].to_str().unwrap()),
        (StatusCode::SEE_OTHER, "/login")
    );
    let (status, html) = get(&anon, app, "/login").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<label for=\"login\">登录名</label>"));

    let nominator = login(app, "jn-py-nominator").await;
    let (_, form) = get(&nominator, app, "/nominations/new").await;
    assert!(
        form.contains("玫瑰镇科协"),
        "the units the nominator may nominate for"
    );
    let token = csrf(&form);
    let mut fields = vec![
        ("csrf", token.as_str()),
        ("candidate.name", "李<script>alert(1)</script>"),
        ("candidate.gender", "female"),
        ("candidate.birth_year", "1979"),
        ("candidate.phone", "not a phone"),
        ("candidate.email", "li@example.cn"),
        ("candidate.employer", "平阴县第一中学"),
        ("candidate.position", "校长"),
        ("candidate.sector", "education"),
        ("target_org", "JN-PY-MG"),
        ("post", "standing_member"),
        ("mode", "part_time"),
        ("reason", "教育骨干"),
        ("then", "submit"),
    ];
    let r = nominator
        .post(app.url("/nominations/new"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"e-candidate.phone\""),
        "the error sits next to its field"
    );
    assert!(html.contains("请填写11位手机号码"), "in Chinese");
    assert!(
        html.contains("李&#60;script&#62;") || html.contains("李&lt;script&gt;"),
        "values are escaped"
    );
    fields[4].1 = "13905310000";
    let r = nominator
        .post(app.url("/nominations/new"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let task_page = r.headers()["location"].to_str().unwrap().to_string();
    let (_, html) = get(&nominator, app, &task_page).await;
    assert!(html.contains("征求意见中"), "submitted: {html}");
    assert!(
        !html.contains("<script>alert(1)</script>"),
        "user input never becomes markup"
    );

    // The county organization department sees it in its inbox and agrees by form.
    let org = login(app, "jn-py-org").await;
    let (_, inbox) = get(&org, app, "/inbox").await;
    let links = task_links(&inbox);
    assert_eq!(links.len(), 1);
    assert!(inbox.contains("id=\"inbox-count\">1<"));
    let (_, page) = get(&org, app, &format!("/tasks/{}", links[0])).await;
    assert!(page.contains("id=\"act-agree\""));
    let token = csrf(&page);
    let r = org
        .post(app.url(&format!("/tasks/{}/act", links[0])))
        .form(&[("csrf", token.as_str()), ("action", "object"), ("comment", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "an objection needs a comment"
    );
    let r = org
        .post(app.url(&format!("/tasks/{}/act", links[0])))
        .form(&[("csrf", token.as_str()), ("action", "agree"), ("comment", "同意")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "a redirect: a refresh sends nothing again"
    );
    let (_, html) = get(&org, app, r.headers()["location"].to_str().unwrap()).await;
    assert!(html.contains("已办理。") && html.contains("同意"));
    let (_, done) = get(&org, app, "/done").await;
    assert_eq!(task_links(&done), links);

    // Another county's department may not open this task's page.
    let other = login(app, "jn-sh-org").await;
    let (status, _) = get(&other, app, &format!("/tasks/{}", links[0])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn forms_without_the_token_or_from_elsewhere_are_refused(app: &TestApp) {
    let nominator = login(app, "jn-py-nominator").await;
    let (_, form) = get(&nominator, app, "/nominations/new").await;
    let token = csrf(&form);
    let fields = |t: &str| {
        vec![
            ("csrf", t.to_string()),
            ("candidate.name", "王".to_string()),
            ("then", "draft".to_string()),
        ]
    };
    let r = nominator
        .post(app.url("/nominations/new"))
        .form(&fields(""))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "no token");
    let r = nominator
        .post(app.url("/nominations/new"))
        .form(&fields(&"0".repeat(64)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "a wrong token");
    let r = nominator
        .post(app.url("/nominations/new"))
        .header("Origin", "http://evil.example")
        .form(&fields(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "from another site");
    let r = nominator
        .post(app.url("/logout"))
        .form(&[("csrf", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "not even logout");
    let admin = app.token("admin").await;
    let listed = app.get(&admin, "/api/v1/instances").await;
    assert!(
        listed["items"].as_array().unwrap().is_empty(),
        "nothing was created"
    );

    // Logging out ends the session for good.
    let r = nominator
        .post(app.url("/logout"))
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let resp = nominator.get(app.url("/inbox")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "back to the login page");
    assert_eq!(resp.headers()["location"], "/login");
    // Pages carry a Content-Security-Policy without inline script.
    let csp = resp
        .headers()
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
}

async fn urge_and_withdraw_from_the_task_page(app: &TestApp) {
    let token = app.token("jn-py-nominator").await;
    let inst = app
        .nominate(&token, naxian_tests::nomination("JN-PY-MG", "health"))
        .await;
    let id = inst["id"].as_str().unwrap().to_string();
    let drafting = inst["tasks"][0]["id"].as_str().unwrap().to_string();
    app.act(&token, &id, "submit", serde_json::json!({})).await;

    let nominator = login(app, "jn-py-nominator").await;
    let (_, page) = get(&nominator, app, &format!("/tasks/{drafting}")).await;
    assert!(
        page.contains("平阴县委组织部") && page.contains("玫瑰镇党委"),
        "who still has to act"
    );
    let urge_ids: Vec<String> = page
        .split("id=\"urge-")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_string())
        .collect();
    assert_eq!(urge_ids.len(), 3);
    let token_field = csrf(&page);
    let urge = |task: &str| {
        nominator
            .post(app.url(&format!("/tasks/{task}/urge")))
            .form(&[("csrf", token_field.as_str()), ("back", drafting.as_str())])
            .send()
    };
    let r = urge(&urge_ids[0]).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, urged) = get(&nominator, app, r.headers()["location"].to_str().unwrap()).await;
    assert!(urged.contains("已催办"));
    let r = urge(&urge_ids[0]).await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().await.unwrap().contains("今天已催办过"));

    // A department sees no urge or withdraw controls on its own task.
    let org = login(app, "jn-py-org").await;
    let (_, inbox) = get(&org, app, "/inbox").await;
    let (_, own) = get(&org, app, &format!("/tasks/{}", task_links(&inbox)[0])).await;
    assert!(!own.contains("id=\"withdraw\"") && !own.contains("id=\"urge-"));

    let r = nominator
        .post(app.url(&format!("/instances/{id}/withdraw")))
        .form(&[
            ("csrf", token_field.as_str()),
            ("back", drafting.as_str()),
            ("comment", "候选人调离"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = get(&nominator, app, r.headers()["location"].to_str().unwrap()).await;
    assert!(html.contains("已撤回") && !html.contains("id=\"withdraw\""));
    let admin = app.token("admin").await;
    assert_eq!(
        app.get(&admin, &format!("/api/v1/instances/{id}")).await["outcome"],
        "withdrawn"
    );
}

async fn the_monthly_report_by_form_and_the_provinces_table(app: &TestApp) {
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-12-01T09:00:05+08:00")
            .unwrap()
            .with_timezone(&chrono::Utc),
    );
    assert_eq!(app.engine.run_schedules_once("t").await.unwrap(), 1);

    let reporter = login(app, "jn-reporter").await;
    let (_, inbox) = get(&reporter, app, "/inbox").await;
    let links = task_links(&inbox);
    assert_eq!(links.len(), 1, "{inbox}");
    let (_, page) = get(&reporter, app, &format!("/tasks/{}", links[0])).await;
    assert!(
        page.contains("name=\"data.narrative.progress\""),
        "the narrative is written on the task page"
    );
    assert!(
        !page.contains("name=\"data.figures\""),
        "the figures are not editable"
    );
    let token = csrf(&page);
    let post = |progress: &'static str| {
        reporter
            .post(app.url(&format!("/tasks/{}/act", links[0])))
            .form(&[
                ("csrf", token.as_str()),
                ("action", "submit"),
                ("data.narrative.progress", progress),
                ("data.narrative.problems", "个别乡镇换届推迟"),
                ("data.narrative.good_cases", "卫生院院长兼任副主席"),
                ("data.narrative.next_steps", "推进全覆盖"),
            ])
            .send()
    };
    let r = post("").await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "all four parts are needed");
    assert!(r.text().await.unwrap().contains("工作进展：必填"));
    let r = post("本月新增常委2名").await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = get(&reporter, app, r.headers()["location"].to_str().unwrap()).await;
    assert!(page.contains("省科协审阅中"));
    let r = post("本月新增常委2名").await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT, "the same form sent twice");
    let again = r.text().await.unwrap();
    assert!(
        again.contains("这项任务已办理"),
        "the workflow's refusal in Chinese: {again}"
    );

    let province = login(app, "sd-supervisor").await;
    // Without a month, the table shows the one the open reports are about.
    let (status, table) = get(&province, app, "/reports").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        table.contains("济南市科协") && table.contains("已提交"),
        "{table}"
    );
    assert!(
        table.contains("青岛市科协") && table.contains("填报中"),
        "{table}"
    );
    let (_, own) = get(&reporter, app, "/reports?month=2026-11").await;
    assert!(own.contains("济南市科协") && own.contains("已提交"), "{own}");
    assert!(!own.contains("青岛市科协"), "a city sees its own report only");
}

async fn a_campaign_created_and_followed_in_the_browser(app: &TestApp) {
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2027-03-05T10:00:00+08:00")
            .unwrap()
            .with_timezone(&chrono::Utc),
    );
    let sup = login(app, "sd-supervisor").await;
    let (_, form) = get(&sup, app, "/campaigns/new").await;
    assert!(
        form.contains("value=\"JN\"") && form.contains("value=\"QD-PD\""),
        "cities and counties to choose from"
    );
    assert!(
        form.contains("name=\"all\" value=\"QD\"") && form.contains("value=\"QD-PD-DZ\""),
        "a select-all per city, and the townships below each county"
    );
    let token = csrf(&form);
    let r = sup
        .post(app.url("/campaigns/new"))
        .form(&[
            ("csrf", token.as_str()),
            ("title", "报送实施方案"),
            ("due_at", "2027-03-20T18:00"),
            ("remind", "3,1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("承办单位：请至少选择一个"));
    let r = sup
        .post(app.url("/campaigns/new"))
        .form(&[
            ("csrf", token.as_str()),
            ("title", "报送实施方案"),
            ("due_at", "2027-03-20T18:00"),
            ("targets", "JN"),
            ("all", "QD"),
            ("remind", "3,1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let (status, page) = get(&sup, app, &location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("报送实施方案") && page.contains("2027-03-20 18:00"),
        "{page}"
    );
    assert_eq!(
        page.matches("办理中").count(),
        3,
        "济南 and, by 全选, 青岛's two counties: {page}"
    );
    assert!(page.contains("平度市科协") && page.contains("莱西市科协"));
    assert!(
        !page.contains(">青岛市科协<"),
        "全选 takes the counties, not the city"
    );
    assert!(
        page.contains("提前提醒：3 天、1 天"),
        "durations in words: {page}"
    );
    let (status, list) = get(&sup, app, "/campaigns").await;
    assert_eq!(status, StatusCode::OK);
    let row = list
        .split("报送实施方案")
        .nth(1)
        .and_then(|r| r.split("</tr>").next())
        .unwrap_or_else(|| panic!("the campaign is listed: {list}"));
    let cells: Vec<&str> = row
        .split("<td")
        .skip(1)
        .map(|c| c.split('>').nth(1).unwrap().split('<').next().unwrap())
        .collect();
    assert_eq!(
        cells[2..],
        ["3", "0", "0", "3"],
        "targets, done, late, silent: {row}"
    );
    // Searched by title; none is late yet.
    let (_, found) = get(&sup, app, "/campaigns?q=%E5%AE%9E%E6%96%BD%E6%96%B9%E6%A1%88").await;
    assert!(
        found.contains("报送实施方案") && found.contains("共 1 项"),
        "{found}"
    );
    let (_, none) = get(&sup, app, "/campaigns?q=%E6%99%AE%E6%9F%A5").await;
    assert!(none.contains("没有符合条件的限时任务"), "{none}");
    let (_, late) = get(&sup, app, "/campaigns?overdue=1").await;
    assert!(late.contains("共 0 项"), "{late}");
}

/// The count drawn after a bar's label on the board.
fn bar_count(html: &str, figure: &str, label: &str) -> String {
    let chart = html.split(&format!("id=\"{figure}\"")).nth(1).expect("the chart");
    let chart = chart.split("</svg>").next().unwrap();
    let after = chart
        .split(&format!(">{label}</text>"))
        .nth(1)
        .unwrap_or_else(|| panic!("no bar {label} in {chart}"));
    let last_text = after.split("</text>").next().unwrap();
    last_text.rsplit('>').next().unwrap().to_string()
}

async fn the_board_charts_steps_overdue_counties_and_coverage_over_time(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    for (target, sector) in [("JN-PY-MG", "health"), ("JN-PY-YS", "education")] {
        let inst = app
            .nominate(&nominator, naxian_tests::nomination(target, sector))
            .await;
        app.act(
            &nominator,
            inst["id"].as_str().unwrap(),
            "submit",
            serde_json::json!({}),
        )
        .await;
    }
    let sh = app.token("jn-sh-nominator").await;
    app.nominate(&sh, naxian_tests::nomination("JN-SH-YQ", "agriculture"))
        .await;

    let province = login(app, "sd-supervisor").await;
    let (status, board) = get(&province, app, "/coverage").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bar_count(&board, "chart-steps", "征求意见"), "2");
    assert_eq!(bar_count(&board, "chart-steps", "填写提名"), "1");
    assert_eq!(bar_count(&board, "chart-overdue", "平阴县科协"), "0");
    assert!(
        board.contains("class=\"line s0\"") && board.contains("济南市科协 0%"),
        "one line per city"
    );
    // The cards are grouped by city and county, and found by the city's name.
    let heading = |html: &str, text: &str| html.contains(&format!("scope=\"rowgroup\">{text}</th>"));
    assert!(heading(&board, "济南市科协 · 平阴县科协"), "{board}");
    let (_, found) = get(&province, app, "/coverage?q=%E9%9D%92%E5%B2%9B").await;
    assert!(!heading(&found, "济南市科协 · 平阴县科协"), "only 青岛's units");
    assert!(found.contains("scope=\"rowgroup\">青岛市科协 · "), "{found}");

    // A month on, the consultation is overdue in 平阴 only.
    app.clock.set(app.clock_now() + chrono::Duration::days(30));
    let province = login(app, "sd-supervisor").await;
    let (_, board) = get(&province, app, "/coverage").await;
    assert_eq!(bar_count(&board, "chart-overdue", "平阴县科协"), "2");
    assert_eq!(bar_count(&board, "chart-overdue", "商河县科协"), "0");
}

/// A workflow registered as a file is started from the web like the
/// appointment: the documented founding example, by a nominator.
async fn any_registered_workflow_is_started_from_the_web(app: &TestApp) {
    let doc = std::fs::read_to_string(naxian_tests::workspace_dir().join("docs/WORKFLOWS.md")).unwrap();
    let start = doc.find("```yaml file=founding-example.yaml\n").unwrap();
    let body = &doc[start..];
    let body = &body[body.find('\n').unwrap() + 1..];
    let source = &body[..body.find("\n```").unwrap()];
    let (status, b) = app
        .send(
            Some(&app.token("admin").await),
            "POST",
            "/api/v1/workflows",
            Some(serde_json::json!({"source": source})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let nominator = login(app, "jn-py-nominator").await;
    let (status, form) = get(&nominator, app, "/nominations/new?workflow=founding-example").await;
    assert_eq!(status, StatusCode::OK, "{form}");
    assert!(form.contains("<h1>发起：乡镇科协成立申请</h1>"), "{form}");
    assert!(
        form.contains("会员人数") && form.contains("玫瑰镇科协"),
        "its fields and the units"
    );
    let token = csrf(&form);
    let r = nominator
        .post(app.url("/nominations/new"))
        .form(&[
            ("csrf", token.as_str()),
            ("workflow", "founding-example"),
            ("applicant.name", "赵申请"),
            ("applicant.phone", "13905310000"),
            ("members", "40"),
            ("township", "JN-PY-MG"),
            ("sector", "education"),
            ("founded_on", "2027-01-10"),
            ("then", "submit"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let (_, task) = get(&nominator, app, r.headers()["location"].to_str().unwrap()).await;
    assert!(task.contains("赵申请"), "{task}");
    assert!(
        task.contains("乡镇党委审核"),
        "submitted: at the party committee now: {task}"
    );
}

/// 发起 lists the workflows each user may start; a start form shows every
/// problem at once, each beside its field and in a summary on top; 我发起的
/// lists what the user started in any workflow.
async fn any_workflow_is_started_from_the_start_page(app: &TestApp) {
    let sec = login(app, "jn-py-mg-sec").await;
    let (status, list) = get(&sec, app, "/start").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list.contains("/nominations/new?workflow=township-founding") && list.contains("新建乡镇（街道）科协"),
        "{list}"
    );
    assert!(
        !list.contains("society-founding"),
        "a township secretary starts no society: {list}"
    );
    let nominator = login(app, "jn-py-nominator").await;
    let (_, list) = get(&nominator, app, "/start").await;
    assert!(
        list.contains("吸纳“三长”进入科协领导机构") && list.contains("县级学会成立"),
        "{list}"
    );

    let (_, form) = get(&sec, app, "/nominations/new?workflow=township-founding").await;
    let token = csrf(&form);
    let r = sec
        .post(app.url("/nominations/new"))
        .form(&[
            ("csrf", token.as_str()),
            ("workflow", "township-founding"),
            ("township", "JN-PY-MG"),
            ("applicant.phone", "12"),
            ("members", "many"),
            ("then", "submit"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let html = r.text().await.unwrap();
    for field in ["applicant.name", "applicant.phone", "members", "preparation"] {
        assert!(
            html.contains(&format!("id=\"e-{field}\"")),
            "{field} has its error: {html}"
        );
    }
    assert!(html.contains("共 4 处需要修改"), "a summary on top: {html}");
    let admin = app.token("admin").await;
    let listed = app
        .get(&admin, "/api/v1/instances?workflow=township-founding")
        .await;
    assert!(
        listed["items"].as_array().unwrap().is_empty(),
        "nothing was started"
    );

    let r = sec
        .post(app.url("/nominations/new"))
        .form(&[
            ("csrf", token.as_str()),
            ("workflow", "township-founding"),
            ("township", "JN-PY-MG"),
            ("applicant.name", "赵联络"),
            ("applicant.phone", "13905310000"),
            ("members", "60"),
            ("preparation", "已召开筹备会"),
            ("then", "submit"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, mine) = get(&sec, app, "/nominations").await;
    assert!(mine.contains("<h1>我发起的</h1>"), "{mine}");
    assert!(
        mine.contains("新建乡镇（街道）科协：") && mine.contains("联系人赵联络"),
        "{mine}"
    );
}

/// A task page holds one form: the step's fields once, one opinion box and
/// a button per action, red for those that send the matter back; the pressed
/// button decides, and the opinion typed goes with it.
async fn the_task_page_has_one_opinion_box_and_the_steps_buttons(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    let id = app.in_consultation(&nominator).await;
    let org = login(app, "jn-py-org").await;
    let task = app.task_of(&app.token("jn-py-org").await, &id).await;
    let path = format!("/tasks/{}", task["id"].as_str().unwrap());
    let (_, html) = get(&org, app, &path).await;
    assert_eq!(
        html.matches("name=\"comment\"").count(),
        1,
        "one opinion box: {html}"
    );
    assert_eq!(
        html.matches("<form class=\"stack card actions\"").count(),
        1,
        "{html}"
    );
    for (action, class) in [("agree", "primary"), ("object", "danger"), ("return", "danger")] {
        assert!(
            html.contains(&format!(
                "name=\"action\" value=\"{action}\" id=\"act-{action}\" class=\"{class}\""
            )),
            "{action} is a {class} button: {html}"
        );
    }
    assert!(html.contains("审批意见（有异议、退回补充时必填）"), "{html}");
    // What is judged comes first, then the opinion and its buttons; the
    // flow diagram below them.
    let at = |needle: &str| html.find(needle).unwrap_or_else(|| panic!("{needle} in {html}"));
    assert!(at("<h2>信息</h2>") < at("id=\"act-agree\""));
    assert!(
        at("id=\"act-agree\"") < at("class=\"card diagram\""),
        "the diagram below the buttons"
    );
    let token = csrf(&html);
    let r = org
        .post(app.url(&format!("{path}/act")))
        .form(&[
            ("csrf", token.as_str()),
            ("comment", "请补充任职经历"),
            ("action", "object"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let admin = app.token("admin").await;
    let inst = app.get(&admin, &format!("/api/v1/instances/{id}")).await;
    let last = inst["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["action"].clone(), last["comment"].clone()),
        (json!("object"), json!("请补充任职经历"))
    );
}

naxian_tests::on_both_backends!(
    the_task_page_has_one_opinion_box_and_the_steps_buttons,
    any_workflow_is_started_from_the_start_page,
    any_registered_workflow_is_started_from_the_web,
    nominate_and_consult_through_the_forms,
    forms_without_the_token_or_from_elsewhere_are_refused,
    urge_and_withdraw_from_the_task_page,
    the_monthly_report_by_form_and_the_provinces_table,
    a_campaign_created_and_followed_in_the_browser,
    the_board_charts_steps_overdue_counties_and_coverage_over_time,
);
