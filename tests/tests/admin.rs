//! The administration page: only for administrators, a form per directory
//! change, templates to download, and imports that write all rows or none,
//! with each bad row named by its number.

use naxian_tests::web::{csrf, get, login};
use naxian_tests::TestApp;
use reqwest::multipart::{Form, Part};
use reqwest::{Client, StatusCode};

async fn import(
    c: &Client,
    app: &TestApp,
    token: &str,
    sheet: &str,
    name: &str,
    bytes: Vec<u8>,
) -> (StatusCode, String) {
    let form = Form::new()
        .text("csrf", token.to_string())
        .text("sheet", sheet.to_string())
        .part("file", Part::bytes(bytes).file_name(name.to_string()));
    let r = c
        .post(app.url("/admin/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    // Done: a redirect to the page, which says what was imported.
    if r.status() == StatusCode::SEE_OTHER {
        let to = r.headers()["location"].to_str().unwrap().to_string();
        return (r.status(), get(c, app, &to).await.1);
    }
    (r.status(), r.text().await.unwrap())
}

fn xlsx(rows: &[&[&str]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *v).unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

async fn administrators_edit_and_import_the_directory(app: &TestApp) {
    let nominator = login(app, "jn-py-nominator").await;
    let (_, inbox) = get(&nominator, app, "/inbox").await;
    assert!(
        !inbox.contains("href=\"/admin\""),
        "no admin link for a nominator"
    );
    let (status, _) = get(&nominator, app, "/admin").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let admin = login(app, "admin").await;
    let (status, page) = get(&admin, app, "/admin").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("href=\"/admin\"") && page.contains("玫瑰镇科协") && page.contains("jn-py-nominator")
    );
    let token = csrf(&page);

    // One form: a new township under 平阴县, refused first without the token.
    let unit = |t: &str, kind: &str| {
        admin
            .post(app.url("/admin/units"))
            .form(&[
                ("csrf", t),
                ("code", "JN-PY-XZ"),
                ("name", "孝直镇科协"),
                ("kind", kind),
                ("parent", "JN-PY"),
                ("function", ""),
            ])
            .send()
    };
    assert_eq!(
        unit("", "township").await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let r = unit(&token, "castle").await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("类型：请从列表中选择"));
    let r = unit(&token, "township").await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "a refresh sends nothing again");
    assert_eq!(r.headers()["location"], "/admin?done=1");
    let (_, done) = get(&admin, app, "/admin?done=1").await;
    assert!(done.contains("已新建单位“孝直镇科协”"), "{done}");
    let (_, again) = get(&admin, app, "/admin?done=1").await;
    assert!(!again.contains("已新建单位"), "said once");
    // Units and users are found by name, code or login.
    let (_, found) = get(&admin, app, "/admin?q=%E5%AD%9D%E7%9B%B4").await;
    assert!(found.contains("<td>孝直镇科协</td>"), "{found}");
    assert!(!found.contains("<td>玫瑰镇科协</td>"), "only what was asked for");
    let (_, found) = get(&admin, app, "/admin?q=jn-py-nominator").await;
    assert!(found.contains("<tr><td>jn-py-nominator</td>"), "{found}");
    assert!(!found.contains("<tr><td>jn-py-org</td>"), "{found}");
    assert!(app.engine.store().org_unit("JN-PY-XZ").await.unwrap().is_some());

    // The template names the columns the import reads.
    let r = admin
        .get(app.url("/admin/templates/users.csv"))
        .send()
        .await
        .unwrap();
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    let body = r.text().await.unwrap();
    assert!(
        body.starts_with("\u{feff}登录名,姓名,电子邮箱,初始密码,角色@单位代码"),
        "{body}"
    );

    // Org units from XLSX: a township and its party committee, the second
    // row's parent being the first.
    let (status, page) = import(
        &admin,
        app,
        &token,
        "org_units",
        "units.xlsx",
        xlsx(&[
            &["单位代码", "单位名称", "类型", "上级单位代码", "部门职能"],
            &["JN-PY-AS", "安城镇科协", "乡镇", "JN-PY", ""],
            &["JN-PY-AS-PC", "安城镇党委", "部门", "JN-PY-AS", "乡镇党委"],
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    assert!(page.contains("已导入：单位 2 个"), "{page}");
    let pc = app.engine.store().org_unit("JN-PY-AS-PC").await.unwrap().unwrap();
    assert_eq!(pc.path, "/SD/JN/JN-PY/JN-PY-AS/JN-PY-AS-PC/");

    // Users from CSV with two bad rows: both reported by number, none imported.
    let bad = "登录名,姓名,电子邮箱,初始密码,角色@单位代码\n\
               as-nominator,安城提名人,as@example.cn,Chushi-2026,提名人@JN-PY-AS\n\
               as-pc,安城党委,not-an-address,Chushi-2026,部门经办人@JN-PY-AS-PC\n\
               as-x,某人,x@example.cn,short,提名人@JN-PY-AS\n";
    let (status, page) = import(&admin, app, &token, "users", "users.csv", bad.as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("未导入任何数据"), "{page}");
    assert!(
        page.contains("<td>3</td><td>电子邮箱</td><td>请填写正确的电子邮箱</td>"),
        "{page}"
    );
    assert!(page.contains("<td>4</td><td>初始密码</td>"), "{page}");
    assert!(
        app.engine.store().user("as-nominator").await.unwrap().is_none(),
        "nothing imported"
    );

    let good = bad
        .replace("not-an-address", "as-pc@example.cn")
        .replace(",short,", ",Chushi-2026,");
    let (status, page) = import(&admin, app, &token, "users", "users.csv", good.into_bytes()).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    assert!(page.contains("用户 3 个，角色 3 项"), "{page}");
    // The imported department user logs in with the sheet's password.
    let r = naxian_tests::web::post_login(&naxian_tests::web::browser(), app, "as-pc", "Chushi-2026").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let (status, page) = import(&admin, app, &token, "users", "x.csv", b"\xff\xfe\x00".to_vec()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("文件无法读取"), "{page}");
}

naxian_tests::on_both_backends!(administrators_edit_and_import_the_directory,);

/// The units and the users are each a page at a time; one list's pager
/// keeps the other's page and the search.
async fn the_directory_lists_page_through(app: &TestApp) {
    let admin = login(app, "admin").await;
    let (_, page) = get(&admin, app, "/admin?under=JN-PY").await;
    let token = csrf(&page);
    let mut csv = String::from("单位代码,单位名称,类型,上级单位代码,部门职能\n");
    for i in 0..60 {
        csv.push_str(&format!("JN-PY-T{i:02},第{i:02}村科协,乡镇,JN-PY,\n"));
    }
    let (status, page) = import(&admin, app, &token, "org_units", "units.csv", csv.into_bytes()).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let rows = |html: &str| html.matches("村科协</td>").count();
    let (_, first) = get(&admin, app, "/admin?under=JN-PY&q=JN-PY-T&users=1").await;
    assert!(first.contains("查找“JN-PY-T”：60 个单位"), "{first}");
    assert_eq!(rows(&first), 50);
    let next = first
        .split("id=\"units-next-page\"")
        .next()
        .and_then(|head| head.rsplit("href=\"").next())
        .map(|href| href.split('"').next().unwrap().replace("&#38;", "&"))
        .unwrap();
    assert_eq!(next, "/admin?units=2&q=JN%2DPY%2DT&under=JN%2DPY&users=1");
    let (_, second) = get(&admin, app, &next).await;
    assert_eq!(rows(&second), 10);
    assert!(
        second.contains("第 2 / 2 页") && second.contains("第59村科协"),
        "{second}"
    );
    assert!(!second.contains("users-next-page"), "the users fit on one page");
}

naxian_tests::on_both_backends!(the_directory_lists_page_through,);

/// A role given on the page is said with the person's and the unit's names,
/// and so is the refusal of one held already: no login, no code.
async fn grants_are_said_by_name(app: &TestApp) {
    let admin = login(app, "admin").await;
    let (_, page) = get(&admin, app, "/admin").await;
    let token = csrf(&page);
    let user = app.engine.store().user("jn-py-org").await.unwrap().unwrap();
    let unit = app.engine.store().org_unit("JN-PY-MG").await.unwrap().unwrap();
    let grant = || {
        admin
            .post(app.url("/admin/grants"))
            .form(&[
                ("csrf", token.as_str()),
                ("login", "jn-py-org"),
                ("role", "nominator"),
                ("org_unit", "JN-PY-MG"),
            ])
            .send()
    };
    let r = grant().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, done) = get(&admin, app, "/admin?done=1").await;
    let said = format!("已授权：{}在{}担任提名人。", user.name, unit.name);
    assert!(done.contains(&said), "{said} in {done}");
    let r = grant().await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let refused = r.text().await.unwrap();
    let said = format!("{}已在{}担任提名人。", user.name, unit.name);
    assert!(refused.contains(&said), "{said} in {refused}");
    assert!(!refused.contains("jn-py-org 已在"), "{refused}");
}

naxian_tests::on_both_backends!(grants_are_said_by_name,);
