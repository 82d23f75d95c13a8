//! The web UI in a real headless Chromium (Debian's `chromium` and
//! `chromium-driver`, installed by `.ci/run`): a nomination from the form to
//! appointed, every step done by its user in the browser, and the main pages
//! at desktop width and on a 390-px phone, saved as screenshots under
//! `target/screenshots/`; and what the browser must be refused: a form
//! without its token, a form posted from another site, another unit's task
//! page, and the sixth login attempt in a row.

use fantoccini::{Client, ClientBuilder, Locator};
use naxian_tests::{workspace_dir, Backend, TestApp};
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Driver {
    child: Child,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn chromedriver() -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the browser tests need chromedriver (Debian: apt-get install chromium chromium-driver)");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Driver {
        child,
        port,
        _profile: tempfile::tempdir().unwrap(),
    }
}

async fn browser(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--lang=zh-CN", "--window-size=1280,900",
                     format!("--user-data-dir={}", driver._profile.path().display())]
        }),
    );
    ClientBuilder::native()
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("start headless Chromium")
}

async fn login(c: &Client, app: &TestApp, login: &str) {
    c.goto(&app.url("/login")).await.unwrap();
    c.find(Locator::Id("login"))
        .await
        .unwrap()
        .send_keys(login)
        .await
        .unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys("naxian-demo")
        .await
        .unwrap();
    c.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("inbox-count")).await.unwrap();
}

async fn logout(c: &Client) {
    c.find(Locator::Css("header form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("login")).await.unwrap();
}

/// Waits (10 s at most) until the page's main text holds `text`, through
/// the navigation that brings it.
async fn wait_for_text(c: &Client, text: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Ok(main) = c.find(Locator::Css("main")).await {
            if main.text().await.is_ok_and(|t| t.contains(text)) {
                return;
            }
        }
        assert!(std::time::Instant::now() < deadline, "no «{text}» on the page");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn body(c: &Client) -> String {
    c.find(Locator::Css("main")).await.unwrap().text().await.unwrap()
}

/// Opens the first task in the inbox and takes `action` (with `script` run first, to fill fields).
async fn act_first(c: &Client, action: &str, script: Option<&str>) {
    c.find(Locator::Css(".tasks a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Id(&format!("act-{action}")))
        .await
        .unwrap();
    if let Some(js) = script {
        c.execute(js, vec![]).await.unwrap();
    }
    take(c, action).await;
}

/// Clicks the action's button on the open task page and waits for the
/// confirmation. What cannot be undone asks first (the browser's own dialog,
/// answered yes here).
async fn take(c: &Client, action: &str) {
    c.execute("window.confirm = () => true;", vec![]).await.unwrap();
    c.find(Locator::Id(&format!("act-{action}")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Css(".notice")).await.unwrap();
}

/// What an accessibility review would flag on the page: form controls
/// without a label, text below the WCAG AA contrast ratio against its
/// background, and anything clickable that the keyboard cannot reach.
const ACCESSIBILITY: &str = r#"
const bad = [];
for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
  if (!(el.labels && el.labels.length) && !el.getAttribute('aria-label')) bad.push('no label: ' + (el.name || el.id));
}
for (const el of document.querySelectorAll('[onclick], [tabindex]')) {
  if (el.getAttribute('tabindex') !== '0') bad.push('not keyboard reachable: ' + el.outerHTML.slice(0, 60));
}
for (const a of document.querySelectorAll('a:not([href])')) bad.push('link without href: ' + a.textContent);
const lum = c => {
  const [r, g, b] = c.match(/[\d.]+/g).slice(0, 3).map(Number).map(v => {
    v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
const background = el => {
  for (; el; el = el.parentElement) {
    const c = getComputedStyle(el).backgroundColor, m = c.match(/[\d.]+/g);
    if (m && (m.length < 4 || Number(m[3]) > 0)) return c;
  }
  return 'rgb(255, 255, 255)';
};
for (const el of document.querySelectorAll('body *')) {
  if (el.closest('svg') || ![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
  const s = getComputedStyle(el);
  if (s.display === 'none' || s.visibility === 'hidden') continue;
  const [x, y] = [lum(s.color), lum(background(el))];
  const ratio = (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  const large = parseFloat(s.fontSize) >= 24 || (parseFloat(s.fontSize) >= 18.66 && Number(s.fontWeight) >= 700);
  if (ratio < (large ? 3 : 4.5)) bad.push('contrast ' + ratio.toFixed(2) + ': ' + el.textContent.trim().slice(0, 20));
}
return bad;
"#;

/// In the coverage line chart as drawn: how many pairs of labels (months,
/// percentages, legend) overlap, and how many labels reach outside the chart.
async fn line_chart_labels_clash(c: &Client) -> String {
    let answer = c
        .execute(
            "const svg = document.querySelector('svg.lines');
             const box = svg.getBoundingClientRect();
             const rs = [...svg.querySelectorAll('text')].map(t => t.getBoundingClientRect());
             let pairs = 0;
             rs.forEach((a, i) => rs.slice(i + 1).forEach(b => {
               if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) pairs++;
             }));
             const out = rs.filter(r => r.left < box.left - 0.5 || r.right > box.right + 0.5
                                     || r.bottom > box.bottom + 0.5).length;
             return pairs + ' ' + out;",
            vec![],
        )
        .await
        .unwrap();
    answer.as_str().unwrap_or_default().to_string()
}

async fn screenshot(c: &Client, name: &str) {
    let problems = c.execute(ACCESSIBILITY, vec![]).await.unwrap();
    assert_eq!(problems, json!([]), "accessibility of the {name} page");
    let dir = workspace_dir().join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    for (label, w, h) in [("desktop", 1280, 900), ("phone", 390, 844)] {
        c.set_window_size(w, h).await.unwrap();
        let png = c.screenshot().await.unwrap();
        std::fs::write(dir.join(format!("{name}-{label}.png")), png).unwrap();
        if label == "phone" {
            let fits = c
                .execute(
                    "return document.documentElement.scrollWidth <= window.innerWidth;",
                    vec![],
                )
                .await
                .unwrap();
            assert_eq!(fits, json!(true), "{name} scrolls sideways at 390 px");
        }
    }
    c.set_window_size(1280, 900).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nomination_from_form_to_appointed_in_chromium() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let driver = chromedriver().await;
    let c = browser(&driver).await;

    login(&c, &app, "jn-py-nominator").await;
    c.goto(&app.url("/nominations/new")).await.unwrap();
    let text = |id: &str, v: &str| {
        let c = c.clone();
        let id = id.to_string();
        let v = v.to_string();
        async move {
            c.find(Locator::Css(&format!("[id='f-{id}']")))
                .await
                .unwrap()
                .send_keys(&v)
                .await
                .unwrap()
        }
    };
    let choose = |id: &str, v: &str| {
        let c = c.clone();
        let id = id.to_string();
        let v = v.to_string();
        async move {
            c.find(Locator::Css(&format!("[id='f-{id}']")))
                .await
                .unwrap()
                .select_by_value(&v)
                .await
                .unwrap()
        }
    };
    text("candidate.name", "赵卫民").await;
    choose("candidate.gender", "male").await;
    text("candidate.birth_year", "1975").await;
    text("candidate.phone", "13905310001").await;
    text("candidate.email", "zhao@example.cn").await;
    text("candidate.employer", "玫瑰镇卫生院").await;
    text("candidate.position", "院长").await;
    choose("candidate.sector", "health").await;
    choose("target_org", "JN-PY-MG").await;
    choose("post", "vice_chair").await;
    choose("mode", "part_time").await;
    text("reason", "扎根基层二十年").await;
    screenshot(&c, "nomination-form").await;
    c.find(Locator::Id("submit-nomination"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Css(".timeline")).await.unwrap();
    assert!(body(&c).await.contains("征求意见中"));
    logout(&c).await;

    for dept in ["jn-py-org", "jn-py-mg-pc", "jn-py-health"] {
        login(&c, &app, dept).await;
        if dept == "jn-py-org" {
            screenshot(&c, "inbox").await;
        }
        act_first(&c, "agree", None).await;
        if dept == "jn-py-health" {
            assert!(body(&c).await.contains("委员会增补"), "routed to the by-election");
        }
        logout(&c).await;
    }

    login(&c, &app, "jn-py-mg-sec").await;
    c.find(Locator::Css(".tasks a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("act-elected")).await.unwrap();
    let asks = c
        .find(Locator::Id("act-elected"))
        .await
        .unwrap()
        .attr("data-confirm")
        .await
        .unwrap();
    assert!(
        asks.is_some_and(|q| q.contains("不能撤销")),
        "an election's result asks first"
    );
    screenshot(&c, "task").await;
    act_first_here(&c).await;
    logout(&c).await;

    for dept in ["jn-py-org", "jn-py-mg-pc"] {
        login(&c, &app, dept).await;
        act_first(&c, "acknowledge", None).await;
        logout(&c).await;
    }

    login(&c, &app, "jn-py-nominator").await;
    c.goto(&app.url("/nominations")).await.unwrap();
    let mine = body(&c).await;
    assert!(mine.contains("赵卫民") && mine.contains("已任职"), "{mine}");
    // The unit by its name, never its code.
    assert!(
        mine.contains("玫瑰镇科协") && !mine.contains("JN-PY-MG"),
        "{mine}"
    );
    logout(&c).await;

    // The province's coverage board now shows 玫瑰镇 covered for health.
    login(&c, &app, "sd-supervisor").await;
    c.find(Locator::LinkText("挂图作战"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Css("table")).await.unwrap();
    let row = c
        .find(Locator::XPath("//tr[th[contains(., '玫瑰镇科协')]]"))
        .await
        .unwrap();
    let cells = row.find_all(Locator::Css("td")).await.unwrap();
    assert_eq!(
        cells[1].attr("class").await.unwrap().as_deref(),
        Some("cov-covered")
    );
    assert!(cells[1].text().await.unwrap().contains("赵卫民"));
    assert_eq!(
        cells[2].attr("class").await.unwrap().as_deref(),
        Some("cov-blank")
    );
    assert_eq!(line_chart_labels_clash(&c).await, "0 0", "desktop");
    screenshot(&c, "coverage").await;
    // On a phone: a card per unit, each sector labelled; chart labels legible.
    c.set_window_size(390, 844).await.unwrap();
    assert_eq!(line_chart_labels_clash(&c).await, "0 0", "phone");
    let smallest = c
        .execute(
            "let min = 1e9;
             document.querySelectorAll('.charts svg text').forEach(t => {
               min = Math.min(min, parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a);
             });
             return min;",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        smallest.as_f64().unwrap() >= 11.0,
        "chart labels at 390 px: {smallest}"
    );
    let card = c
        .execute(
            "const r = [...document.querySelectorAll('.coverage-table tr.unit')]
               .find(r => r.textContent.includes('玫瑰镇科协'));
             return [getComputedStyle(r).display,
                     getComputedStyle(r.querySelector('td.cov-covered'), '::before').content,
                     getComputedStyle(document.querySelector('.coverage-table thead')).display];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(card[0], json!("block"), "{card}");
    assert!(
        card[1].as_str().unwrap().contains('：'),
        "the sector named: {card}"
    );
    assert_eq!(card[2], json!("none"), "{card}");
    c.set_window_size(1280, 900).await.unwrap();
    // Filtered: only units with a blank sector whose name holds 玫瑰.
    c.find(Locator::Id("q"))
        .await
        .unwrap()
        .send_keys("玫瑰")
        .await
        .unwrap();
    c.find(Locator::Id("state"))
        .await
        .unwrap()
        .select_by_value("blank")
        .await
        .unwrap();
    c.find(Locator::Css("#coverage-filters button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    for _ in 0..100 {
        if c.current_url().await.unwrap().as_str().contains("state=blank") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    wait_for_text(&c, "个单位").await;
    let names: Vec<String> = {
        let mut out = Vec::new();
        for r in c
            .find_all(Locator::Css(".coverage-table tr.unit th"))
            .await
            .unwrap()
        {
            out.push(r.text().await.unwrap());
        }
        out
    };
    assert_eq!(names, ["玫瑰镇科协"], "{names:?}");
    c.close().await.unwrap();

    let admin = app.token("admin").await;
    let unit = app.get(&admin, "/api/v1/org-units/JN-PY-MG").await;
    assert_eq!(unit["members"][0]["name"], "赵卫民");
    assert_eq!(unit["members"][0]["sector"], "health");
    app.stop().await;
}

/// Records the election on the open task page: the date is set by script, as date
/// inputs take keys in the browser's locale order.
async fn act_first_here(c: &Client) {
    c.execute(
        "document.getElementById('d-meeting_date').value = '2026-11-28';",
        vec![],
    )
    .await
    .unwrap();
    c.find(Locator::Id("d-votes"))
        .await
        .unwrap()
        .send_keys("23")
        .await
        .unwrap();
    take(c, "elected").await;
    assert!(body(c).await.contains("备案中"));
}

/// Serves one page on another origin: a form that posts an action to the
/// app, as a hostile site would (no token: it cannot read one).
async fn hostile_site(target: String, fields: &[(&str, &str)]) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let inputs: String = fields
        .iter()
        .map(|(k, v)| format!("<input type=hidden name={k} value={v}>"))
        .collect();
    let page = format!(
        "<!doctype html><meta charset=utf-8><form method=post action=\"{target}\">\
         {inputs}<button id=go type=submit>领奖</button></form>"
    );
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = sock.read(&mut buf).await;
            let resp = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
            let _ = sock.write_all(resp.as_bytes()).await;
        }
    });
    base
}

async fn status_of(c: &Client, url: &str) -> u64 {
    c.execute(
        "return fetch(arguments[0], {redirect: 'manual'}).then(r => r.status);",
        vec![json!(url)],
    )
    .await
    .unwrap()
    .as_u64()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_forms_other_units_and_repeated_logins_are_refused_in_chromium() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let nominator = app.token("jn-py-nominator").await;
    let inst = app
        .nominate(&nominator, naxian_tests::nomination("JN-PY-MG", "health"))
        .await;
    let id = inst["id"].as_str().unwrap().to_string();
    app.act(&nominator, &id, "submit", json!({})).await;
    let org_token = app.token("jn-py-org").await;
    let task = app.task_of(&org_token, &id).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let still_open = || async {
        app.get(&org_token, &format!("/api/v1/instances/{id}")).await["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == task.as_str() && t["status"] == "open")
    };

    let driver = chromedriver().await;
    let c = browser(&driver).await;

    // Another city's nominator: the task page is refused with 403.
    login(&c, &app, "qd-nominator").await;
    let url = app.url(&format!("/tasks/{task}"));
    c.goto(&url).await.unwrap();
    assert!(body(&c).await.contains("无权办理"), "{}", body(&c).await);
    assert_eq!(status_of(&c, &url).await, 403);
    logout(&c).await;

    // The department's own page, with the form's token blanked: refused.
    login(&c, &app, "jn-py-org").await;
    c.goto(&url).await.unwrap();
    c.wait().for_element(Locator::Id("act-agree")).await.unwrap();
    c.execute(
        "document.querySelectorAll('input[name=csrf]').forEach(e => e.value = '');",
        vec![],
    )
    .await
    .unwrap();
    c.find(Locator::Id("act-agree"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The task page has a heading too: wait for the refusal's text itself.
    wait_for_text(&c, "请求未通过安全校验").await;
    assert!(still_open().await, "nothing changed");

    // The same user, lured to another site whose form posts to Naxian.
    let site = hostile_site(
        app.url(&format!("/tasks/{task}/act")),
        &[("action", "agree"), ("csrf", "guess")],
    )
    .await;
    c.goto(&site).await.unwrap();
    c.find(Locator::Id("go")).await.unwrap().click().await.unwrap();
    wait_for_text(&c, "请求未通过安全校验").await;
    assert!(still_open().await, "nothing changed");
    c.goto(&app.url("/inbox")).await.unwrap();
    logout(&c).await;

    // Another site logs the browser in under the attacker's own account
    // (login CSRF): refused, and no session.
    let site = hostile_site(
        app.url("/login"),
        &[
            ("login", "qd-nominator"),
            ("password", "naxian-demo"),
            ("csrf", "guess"),
        ],
    )
    .await;
    c.goto(&site).await.unwrap();
    c.find(Locator::Id("go")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css(".error")).await.unwrap();
    assert!(
        body(&c).await.contains("登录页面已过期或来源不明"),
        "{}",
        body(&c).await
    );
    c.goto(&app.url("/inbox")).await.unwrap();
    assert!(c.find(Locator::Id("inbox-count")).await.is_err(), "not logged in");

    // Five wrong passwords, then the right one: still refused, generically.
    for _ in 0..5 {
        c.goto(&app.url("/login")).await.unwrap();
        c.find(Locator::Id("login"))
            .await
            .unwrap()
            .send_keys("jn-py-org")
            .await
            .unwrap();
        c.find(Locator::Id("password"))
            .await
            .unwrap()
            .send_keys("wrong-password")
            .await
            .unwrap();
        c.find(Locator::Css("button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        c.wait().for_element(Locator::Css(".error")).await.unwrap();
        assert!(body(&c).await.contains("登录名或密码错误"));
    }
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys("naxian-demo")
        .await
        .unwrap();
    c.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The page before this one had an error too: wait for the new one's text.
    wait_for_text(&c, "登录失败次数过多").await;
    assert!(c.find(Locator::Id("inbox-count")).await.is_err(), "not logged in");

    // The administration and report pages, for the screenshots; logging in
    // with the keyboard alone (Tab between the fields, Enter to send).
    c.goto(&app.url("/login")).await.unwrap();
    let tab = char::from(fantoccini::key::Key::Tab).to_string();
    let enter = char::from(fantoccini::key::Key::Enter).to_string();
    c.find(Locator::Id("login"))
        .await
        .unwrap()
        .send_keys(&format!("admin{tab}naxian-demo{enter}"))
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("inbox-count")).await.unwrap();
    c.goto(&app.url("/admin")).await.unwrap();
    c.wait().for_element(Locator::Id("import-submit")).await.unwrap();
    screenshot(&c, "admin").await;
    c.goto(&app.url("/reports")).await.unwrap();
    screenshot(&c, "reports").await;
    c.close().await.unwrap();
    app.stop().await;
}

/// Fills a generated start form: `("text", id, value)` types, `("choose", id, value)` selects.
async fn fill(c: &Client, fields: &[(&str, &str, &str)]) {
    for (how, id, value) in fields {
        let el = c.find(Locator::Css(&format!("[id='f-{id}']"))).await.unwrap();
        match *how {
            "choose" => el.select_by_value(value).await.unwrap(),
            _ => el.send_keys(value).await.unwrap(),
        };
    }
}

/// Opens 发起 from the navigation and the named workflow's form from there.
async fn start_from_the_list(c: &Client, title: &str) {
    c.find(Locator::LinkText("发起"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::LinkText(title)).await.unwrap();
    c.find(Locator::LinkText(title))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Id("submit-nomination"))
        .await
        .unwrap();
}

/// Each of `holders` logs in and takes `action` on the first task of their inbox.
async fn each_takes(c: &Client, app: &TestApp, holders: &[&str], action: &str) {
    for holder in holders {
        login(c, app, holder).await;
        act_first(c, action, None).await;
        logout(c).await;
    }
}

/// The shipped founding workflows, started from 发起 and taken to their ends
/// through the generated forms alone, as their users would.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_founding_workflows_run_through_the_generic_forms_in_chromium() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let driver = chromedriver().await;
    let c = browser(&driver).await;

    // 新建乡镇（街道）科协: the township applies, three review one after another.
    login(&c, &app, "jn-py-mg-sec").await;
    start_from_the_list(&c, "新建乡镇（街道）科协").await;
    fill(
        &c,
        &[
            ("choose", "township", "JN-PY-MG"),
            ("text", "applicant.name", "赵联络"),
            ("text", "applicant.phone", "13905310000"),
            ("text", "members", "60"),
            ("text", "preparation", "已召开筹备会，拟发展会员60人。"),
        ],
    )
    .await;
    c.find(Locator::Id("submit-nomination"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&c, "依次审核中").await;
    logout(&c).await;
    each_takes(&c, &app, &["jn-py-mg-pc", "jn-py-sec", "jn-py-org"], "agree").await;
    login(&c, &app, "jn-py-mg-sec").await;
    act_first(
        &c,
        "submit",
        Some(
            "document.getElementById('d-meeting_date').value = '2026-11-25';\
             document.getElementById('d-chair').value = '王主席';",
        ),
    )
    .await;
    assert!(body(&c).await.contains("已成立"), "{}", body(&c).await);
    logout(&c).await;
    let admin = app.token("admin").await;
    let unit = app.get(&admin, "/api/v1/org-units/JN-PY-MG").await;
    assert_eq!(unit["body"]["term_end"], "2031-11-25", "{unit}");

    // 县级学会成立: two of three departments, then the county association.
    login(&c, &app, "jn-py-nominator").await;
    start_from_the_list(&c, "县级学会成立").await;
    fill(
        &c,
        &[
            ("choose", "county", "JN-PY"),
            ("text", "society.name", "平阴县医学会"),
            ("choose", "society.field", "health"),
            ("text", "society.members", "30"),
            ("text", "society.sponsor", "平阴县卫生健康局"),
        ],
    )
    .await;
    c.find(Locator::Id("submit-nomination"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&c, "县级部门会签中").await;
    logout(&c).await;
    each_takes(&c, &app, &["jn-py-org", "jn-py-health"], "agree").await;
    each_takes(&c, &app, &["jn-py-sec"], "approve").await;
    login(&c, &app, "jn-py-nominator").await;
    c.find(Locator::LinkText("我发起的"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&c, "县级学会成立：平阴县医学会（医学卫生）").await;
    c.close().await.unwrap();
    app.stop().await;
}

/// The census in Chromium: the province opens it from the campaign list's
/// form (its own tab, the reference date, 全选 a city's counties), a
/// county fills its number tables, the city passes it, and the campaign
/// list counts it done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_census_form_and_the_campaign_list_in_chromium() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2027-01-05T10:00:00+08:00")
            .unwrap()
            .with_timezone(&chrono::Utc),
    );
    let driver = chromedriver().await;
    let c = browser(&driver).await;

    login(&c, &app, "sd-supervisor").await;
    c.find(Locator::LinkText("限时任务"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("new-campaign")).await.unwrap();
    c.find(Locator::Id("new-campaign"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::LinkText("科协组织普查"))
        .await
        .unwrap();
    c.find(Locator::LinkText("科协组织普查"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Id("d-reference_date"))
        .await
        .unwrap();
    c.find(Locator::Id("title"))
        .await
        .unwrap()
        .send_keys("2026年度科协组织普查")
        .await
        .unwrap();
    c.execute(
        "document.getElementById('due_at').value = '2027-02-28T18:00';
         document.getElementById('d-reference_date').value = '2026-12-31';",
        vec![],
    )
    .await
    .unwrap();
    c.find(Locator::XPath("//summary[text()='济南市科协']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("input[name=all][value=JN]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Id("create-campaign"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&c, "截止：2027-02-28 18:00").await;
    let page = body(&c).await;
    assert!(
        page.contains("平阴县科协") && page.contains("商河县科协") && !page.contains("平度市科协"),
        "全选 济南 takes its two counties: {page}"
    );
    assert!(page.contains("尚未通过：平阴县科协、商河县科协"), "{page}");

    logout(&c).await;
    login(&c, &app, "jn-py-reporter").await;
    c.find(Locator::Css(".tasks a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait().for_element(Locator::Id("act-submit")).await.unwrap();
    let form = body(&c).await;
    assert!(
        form.contains("组织与工作情况") && form.contains("玫瑰镇科协") && form.contains("编制数"),
        "{form}"
    );
    // Every cell typed as a person would, three in each (a year where one is asked).
    let cells = c
        .find_all(Locator::Css("table.number-table input[type=number]"))
        .await
        .unwrap();
    assert_eq!(cells.len(), 3 * (8 + 5 + 6), "three units by every column");
    for cell in &cells {
        let name = cell.attr("name").await.unwrap().unwrap_or_default();
        let value = if name.ends_with("_year") { "2001" } else { "3" };
        cell.send_keys(value).await.unwrap();
    }
    screenshot(&c, "census-form").await;
    take(&c, "submit").await;

    logout(&c).await;
    login(&c, &app, "jn-supervisor").await;
    act_first(&c, "approve", None).await;
    logout(&c).await;

    login(&c, &app, "sd-supervisor").await;
    c.goto(&app.url("/campaigns")).await.unwrap();
    c.wait().for_element(Locator::Id("campaigns")).await.unwrap();
    let row = c
        .find(Locator::XPath(
            "//table[@id='campaigns']//tr[th/a[text()='2026年度科协组织普查']]",
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(row.ends_with("2 1 0 1"), "targets, done, late, silent: {row}");
    screenshot(&c, "campaigns").await;
    c.find(Locator::LinkText("2026年度科协组织普查"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&c, "全省合计").await;
    let page = body(&c).await;
    assert!(page.contains("尚未通过：商河县科协"), "{page}");
    screenshot(&c, "census-totals").await;
    c.close().await.unwrap();
    app.stop().await;
}

/// Clicks the element with `id` and waits until the page says `text`.
async fn click_then(c: &Client, id: &str, text: &str) {
    c.find(Locator::Id(id)).await.unwrap().click().await.unwrap();
    wait_for_text(c, text).await;
}

/// Opens the inbox's task whose row says `text`.
async fn open_task_with(c: &Client, text: &str) {
    c.goto(c.current_url().await.unwrap().join("/inbox").unwrap().as_ref())
        .await
        .unwrap();
    c.find(Locator::XPath(&format!(
        "//ul[@class='tasks']/li[contains(., '{text}')]/a"
    )))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    c.wait().for_element(Locator::Css(".timeline")).await.unwrap();
}

/// 转交, 加签, 代理 and 批量同意 as their users do them: a department hands
/// its task to a colleague, who asks the education department first; that
/// colleague then goes away and names a delegate, who agrees in their name;
/// the health department agrees to several nominations at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_add_signer_delegation_and_batch_in_chromium() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.token("admin").await;
    for (path, body) in [
        (
            "/api/v1/users",
            json!({"login": "jn-py-org2", "name": "赵敏", "email": "zhaomin@example.cn", "password": "naxian-demo"}),
        ),
        (
            "/api/v1/users/jn-py-org2/grants",
            json!({"role": "department", "org_unit": "JN-PY-ORG"}),
        ),
    ] {
        let (status, b) = app.send(Some(&admin), "POST", path, Some(body)).await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{b}");
    }
    let nominator = app.token("jn-py-nominator").await;
    let id = app.in_consultation(&nominator).await;
    let driver = chromedriver().await;
    let c = browser(&driver).await;

    // 转交: the organization department hands its task to 赵敏.
    login(&c, &app, "jn-py-org").await;
    open_task_with(&c, "王卫东").await;
    // 常用意见: a click puts a phrase into the opinion box, after what is there.
    c.find(Locator::Css("#phrases [data-phrase='同意推荐。']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("#phrases [data-phrase='同意。']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let opinion = c
        .execute("return document.getElementById('comment').value;", vec![])
        .await
        .unwrap();
    assert_eq!(opinion, json!("同意推荐。\n同意。"));
    c.find(Locator::Css("#transfer summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Id("transfer-to"))
        .await
        .unwrap()
        .select_by_value("jn-py-org2")
        .await
        .unwrap();
    c.find(Locator::Id("transfer-comment"))
        .await
        .unwrap()
        .send_keys("本人出差一周")
        .await
        .unwrap();
    click_then(&c, "transfer-submit", "已转交").await;
    assert!(body(&c).await.contains("转交给赵敏"));
    logout(&c).await;

    // 消息: 赵敏 sees one unread notice in the header, opens it from 消息,
    // and is on the task; the count is gone.
    login(&c, &app, "jn-py-org2").await;
    let badge = c.find(Locator::Id("notice-count")).await.unwrap();
    let org2 = app.token("jn-py-org2").await;
    let mine = app.get(&org2, "/api/v1/notices").await;
    let unread = mine["unread"].as_u64().unwrap();
    assert_eq!(badge.text().await.unwrap(), unread.to_string(), "{mine}");
    assert!(
        !mine["notices"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "transferred"),
        "nobody is told of a transfer to themselves: {mine}"
    );
    c.find(Locator::Css("header nav a[href='/notices']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&c, "全部标为已读").await;
    assert!(
        body(&c).await.contains("本人出差一周"),
        "the reason it came: {}",
        body(&c).await
    );
    screenshot(&c, "notices").await;
    c.find(Locator::XPath(
        "//li[contains(@class, 'unread')][.//div[contains(., '本人出差一周')]]//button",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    wait_for_text(&c, "加签").await;
    assert!(c.current_url().await.unwrap().path().starts_with("/tasks/"));
    let left = app.get(&org2, "/api/v1/notices").await["unread"]
        .as_u64()
        .unwrap();
    assert_eq!(left, unread - 1, "read once opened");
    match c.find(Locator::Id("notice-count")).await {
        Ok(b) => assert_eq!(b.text().await.unwrap(), left.to_string()),
        Err(_) => assert_eq!(left, 0),
    }

    // 加签: 赵敏 asks the education department first.
    c.find(Locator::Css("#add-signer summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Id("signer-user"))
        .await
        .unwrap()
        .select_by_value("jn-py-edu")
        .await
        .unwrap();
    screenshot(&c, "add-signer").await;
    click_then(&c, "add-signer-submit", "已加签").await;
    logout(&c).await;
    login(&c, &app, "jn-py-edu").await;
    assert!(body(&c).await.contains("（赵敏加签）"));
    open_task_with(&c, "赵敏加签").await;
    take(&c, "agree").await;
    logout(&c).await;

    // 代理: 赵敏 goes away; the organization department acts in her name.
    login(&c, &app, "jn-py-org2").await;
    c.find(Locator::Css("header a.account"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Id("delegation-form"))
        .await
        .unwrap();
    c.find(Locator::Id("delegate"))
        .await
        .unwrap()
        .select_by_value("jn-py-org")
        .await
        .unwrap();
    let until = (app.clock_now() + chrono::Duration::days(5))
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y-%m-%d")
        .to_string();
    c.execute(
        "document.getElementById('until').value = arguments[0];",
        vec![json!(until)],
    )
    .await
    .unwrap();
    click_then(&c, "set-delegation", "已设置委托代理").await;
    screenshot(&c, "account").await;
    logout(&c).await;
    login(&c, &app, "jn-py-org").await;
    assert!(body(&c).await.contains("（代 赵敏）"));
    open_task_with(&c, "代 赵敏").await;
    take(&c, "agree").await;
    assert!(
        body(&c).await.contains("（代赵敏）"),
        "the timeline says for whom"
    );
    logout(&c).await;
    let inst = app.get(&nominator, &format!("/api/v1/instances/{id}")).await;
    let last = inst["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["actor"].as_str(), last["on_behalf_of"].as_str()),
        (Some("jn-py-org"), Some("jn-py-org2"))
    );

    // 批量同意: two more nominations agreed at once by the health department.
    let more = [
        app.in_consultation(&nominator).await,
        app.in_consultation(&nominator).await,
    ];
    login(&c, &app, "jn-py-health").await;
    c.find(Locator::Id("select-all"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Id("batch-comment"))
        .await
        .unwrap()
        .send_keys("同意提名")
        .await
        .unwrap();
    screenshot(&c, "inbox-batch").await;
    // The confirmation is the browser's own dialog: accepted here.
    c.execute("window.confirm = () => true;", vec![]).await.unwrap();
    click_then(&c, "batch-submit", "批量办理结果").await;
    let text = body(&c).await;
    assert_eq!(text.matches("：已办理").count(), 3, "{text}");
    c.close().await.unwrap();
    for id in more {
        let inst = app.get(&nominator, &format!("/api/v1/instances/{id}")).await;
        let last = inst["history"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            (last["actor"].as_str(), last["comment"].as_str()),
            (Some("jn-py-health"), Some("同意提名"))
        );
    }
    app.stop().await;
}
