//! Attachments: accepted by their bytes, limited in size, served as downloads
//! with the detected type, and only to those who may see the instance, over
//! the API and from the task page.

use naxian_tests::web::{get, login, task_links};
use naxian_tests::{nomination, on_both_backends, TestApp, PDF};
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::Value;

async fn upload(
    app: &TestApp,
    token: &str,
    instance: &str,
    name: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    app.upload(token, instance, name, bytes).await
}

async fn attach_list_and_download(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    let inst = app.nominate(&nominator, nomination("JN-PY-MG", "health")).await;
    let id = inst["id"].as_str().unwrap();

    let (status, a) = upload(app, &nominator, id, "../推荐表.pdf", PDF.to_vec()).await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    assert_eq!(
        (a["file_name"].as_str(), a["content_type"].as_str()),
        (Some("推荐表.pdf"), Some("application/pdf"))
    );
    assert_eq!(a["size"], PDF.len());

    // A page of HTML named .pdf is not a PDF; nothing is stored.
    let (status, err) = upload(
        app,
        &nominator,
        id,
        "x.pdf",
        b"<html><script>alert(1)</script>".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    assert_eq!(err["error"]["field"], "file");
    let (status, err) = upload(app, &nominator, id, "empty.pdf", vec![]).await;
    assert_eq!(
        (status, err["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("file"))
    );
    let mut big = PDF.to_vec();
    big.resize(10 * 1024 * 1024 + 1, b' ');
    let (status, _) = upload(app, &nominator, id, "big.pdf", big).await;
    assert!(
        status == StatusCode::PAYLOAD_TOO_LARGE || status == StatusCode::BAD_REQUEST,
        "over 10 MiB: {status}"
    );

    app.act(&nominator, id, "submit", serde_json::json!({})).await;
    // The consulted department sees the list and downloads the very bytes.
    let org = app.token("jn-py-org").await;
    let list = app
        .get(&org, &format!("/api/v1/instances/{id}/attachments"))
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    let aid = list[0]["id"].as_str().unwrap();
    let r = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/attachments/{aid}")))
        .bearer_auth(&org)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let disposition = r.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(
        disposition.starts_with("attachment;") && disposition.contains("filename*=UTF-8''%E6%8E%A8"),
        "{disposition}"
    );
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.bytes().await.unwrap().as_ref(), PDF);

    // Another city's nominator can neither read nor add.
    let other = app.token("qd-nominator").await;
    for path in [
        format!("/api/v1/instances/{id}/attachments"),
        format!("/api/v1/attachments/{aid}"),
    ] {
        let (status, _) = app.send(Some(&other), "GET", &path, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    let (status, _) = upload(app, &other, id, "x.pdf", PDF.to_vec()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .send(None, "GET", &format!("/api/v1/attachments/{aid}"), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

on_both_backends!(attach_list_and_download);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_task_page_lists_uploads_and_downloads_them() {
    let app = TestApp::spawn(naxian_tests::Backend::Sqlite).await;
    let nominator = app.token("jn-py-nominator").await;
    let inst = app.nominate(&nominator, nomination("JN-PY-MG", "health")).await;
    let id = inst["id"].as_str().unwrap().to_string();
    app.act(&nominator, &id, "submit", serde_json::json!({})).await;

    let org = login(&app, "jn-py-org").await;
    let (_, inbox) = get(&org, &app, "/inbox").await;
    let task = task_links(&inbox).remove(0);
    let (_, page) = get(&org, &app, &format!("/tasks/{task}")).await;
    assert!(
        page.contains("enctype=\"multipart/form-data\"") && page.contains("暂无附件"),
        "{page}"
    );
    let token = naxian_tests::web::csrf(&page);

    let send = |csrf: &str, bytes: &'static [u8]| {
        let form = Form::new()
            .text("csrf", csrf.to_string())
            .text("back", task.clone())
            .part("file", Part::bytes(bytes).file_name("回执<script>.pdf"));
        org.post(app.url(&format!("/instances/{id}/attachments")))
            .multipart(form)
            .send()
    };
    let r = send("forged", PDF).await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "no upload without the form's token"
    );
    let r = send(&token, b"MZ\x90\0not a document").await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("附件只接受"));
    let r = send(&token, PDF).await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "a refresh uploads nothing again"
    );
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(to, format!("/tasks/{task}?done=attached"));
    let (_, html) = naxian_tests::web::get(&org, &app, &to).await;
    assert!(
        html.contains("附件已上传") && html.contains("回执script.pdf") && !html.contains("<script>.pdf"),
        "names are escaped: {html}"
    );
    let link = html
        .split("href=\"/attachments/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a download link")
        .to_string();
    let r = org
        .get(app.url(&format!("/attachments/{link}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    assert_eq!(r.bytes().await.unwrap().as_ref(), PDF);

    let stranger = login(&app, "qd-nominator").await;
    let (status, _) = get(&stranger, &app, &format!("/attachments/{link}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.stop().await;
}
