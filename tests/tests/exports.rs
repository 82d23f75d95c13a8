//! The downloads: instances, coverage matrix, monthly report table and
//! liaison list, as CSV (UTF-8 with a BOM) and XLSX, each limited to what the
//! user may see.

use calamine::{Reader, Xlsx};
use naxian_tests::web::{get, login};
use naxian_tests::{nomination, TestApp};
use reqwest::{Client, StatusCode};

async fn download(c: &Client, app: &TestApp, path: &str) -> (StatusCode, String, String, Vec<u8>) {
    let r = c.get(app.url(path)).send().await.unwrap();
    let header = |name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let (kind, disposition) = (header("content-type"), header("content-disposition"));
    (r.status(), kind, disposition, r.bytes().await.unwrap().to_vec())
}

fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "CSV starts with a BOM");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    text.lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

fn xlsx_rows(bytes: Vec<u8>) -> Vec<Vec<String>> {
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let first = book.sheet_names()[0].clone();
    book.worksheet_range(&first)
        .unwrap()
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

async fn each_table_downloads_as_csv_and_xlsx_within_the_users_reach(app: &TestApp) {
    let nominator = app.token("jn-py-nominator").await;
    app.nominate(&nominator, nomination("JN-PY-MG", "health")).await;

    let province = login(app, "sd-supervisor").await;
    let (status, kind, disposition, bytes) =
        download(&province, app, "/exports/coverage.csv?under=JN-PY").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(kind, "text/csv; charset=utf-8");
    assert!(
        disposition.starts_with("attachment;") && disposition.contains(".csv"),
        "{disposition}"
    );
    let rows = csv_rows(&bytes);
    assert_eq!(rows[0][..3], ["县（市、区）", "乡镇（街道）", "卫生健康状态"]);
    let mg = rows
        .iter()
        .find(|r| r[1] == "玫瑰镇科协")
        .expect("the township's row");
    assert_eq!(
        (mg[0].as_str(), mg[2].as_str(), mg[4].as_str()),
        ("平阴县科协", "推进中", "空白")
    );
    assert!(
        !rows.iter().any(|r| r[0] == "商河县科协"),
        "only under the unit asked for"
    );

    let (status, kind, _, bytes) = download(&province, app, "/exports/coverage.xlsx?under=JN-PY").await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("application/vnd.openxmlformats"), "{kind}");
    let sheet = xlsx_rows(bytes);
    assert_eq!(sheet[0][1], "乡镇（街道）");
    assert!(sheet.iter().any(|r| r[1] == "玫瑰镇科协" && r[2] == "推进中"));

    let (_, _, _, bytes) = download(&province, app, "/exports/contacts.csv?under=JN-PY").await;
    let contacts = csv_rows(&bytes);
    assert_eq!(
        contacts[0],
        [
            "单位",
            "单位代码",
            "职责",
            "姓名",
            "职务或部门",
            "联系电话",
            "电子邮箱"
        ]
    );
    assert!(
        contacts
            .iter()
            .any(|r| r[1] == "JN-PY-ORG" && r[2] == "部门经办人" && r[6].contains('@')),
        "{contacts:?}"
    );
    assert!(contacts.iter().skip(1).all(|r| r[1].starts_with("JN-PY")));

    // The city's liaison list as the notice's form has it: a line per
    // association, the city's with its leader, department and contact with
    // their phones; a county that named nobody yet has its line, empty.
    let (status, _, _, bytes) = download(&province, app, "/exports/liaison.xlsx?under=JN").await;
    assert_eq!(status, StatusCode::OK);
    let form = xlsx_rows(bytes);
    assert_eq!(
        form[0],
        [
            "序号",
            "单位",
            "分管领导",
            "职务",
            "联系电话",
            "责任部门",
            "专职人员",
            "联系电话",
            "电子邮箱"
        ]
    );
    assert_eq!(
        form[1][..8],
        [
            "1",
            "济南市科协",
            "济南市科协分管副主席",
            "党组成员、副主席",
            "13805310100",
            "组织宣传部",
            "济南市科协联络员",
            "0531-82062100"
        ],
        "{form:?}"
    );
    assert!(form[1][8].contains('@'), "{form:?}");
    assert_eq!(form[2][1..3], ["平阴县科协", ""], "{form:?}");
    assert_eq!(form.len(), 4, "the city and its two counties: {form:?}");

    // Every contact with their role, as a download and on the printable page.
    let (status, _, _, bytes) = download(&province, app, "/exports/contacts.xlsx?under=JN").await;
    assert_eq!(status, StatusCode::OK);
    let sheet = xlsx_rows(bytes);
    let row = |role: &str| {
        sheet
            .iter()
            .find(|r| r[1] == "JN" && r[2] == role)
            .cloned()
            .unwrap_or_else(|| panic!("no {role} of 济南 in {sheet:?}"))
    };
    assert_eq!(
        row("分管领导")[3..6],
        ["济南市科协分管副主席", "党组成员、副主席", "13805310100"]
    );
    assert_eq!(row("专职人员")[4..6], ["组织宣传部", "0531-82062100"]);
    let (status, page) = get(&province, app, "/liaison?under=JN").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("“3+1”工作联络表") && page.contains("0531-82062100"),
        "{page}"
    );

    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-12-01T09:00:05+08:00")
            .unwrap()
            .with_timezone(&chrono::Utc),
    );
    app.engine.run_schedules_once("t").await.unwrap();
    // The clock jumped past the session's idle timeout.
    let province = login(app, "sd-supervisor").await;
    let (status, _, disposition, bytes) =
        download(&province, app, "/exports/reports.xlsx?month=2026-12").await;
    assert_eq!(status, StatusCode::OK);
    assert!(disposition.contains("filename*=UTF-8''2026-12"), "{disposition}");
    let table = xlsx_rows(bytes);
    assert_eq!(table[0][..2], ["市", "状态"]);
    let cities: Vec<&str> = table[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(cities, ["济南市科协", "青岛市科协"]);

    // The nominator's instances list holds their nomination; the other
    // city's nominator sees none of it.
    let own = login(app, "jn-py-nominator").await;
    let (_, _, _, bytes) = download(&own, app, "/exports/instances.csv").await;
    let list = csv_rows(&bytes);
    assert_eq!(list.len(), 2, "{list:?}");
    assert_eq!(list[1][3], "玫瑰镇科协");
    let other = login(app, "qd-nominator").await;
    let (_, _, _, bytes) = download(&other, app, "/exports/instances.csv").await;
    let theirs = csv_rows(&bytes);
    assert!(
        theirs.iter().all(|r| !r.contains(&"玫瑰镇科协".to_string())),
        "{theirs:?}"
    );

    // Outside one's grants: refused, as the page would be.
    let (status, _) = get(&other, app, "/exports/liaison.csv?under=JN-PY").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = get(&province, app, "/exports/secrets.csv").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get(&province, app, "/exports/reports.csv?month=2026-13").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

naxian_tests::on_both_backends!(each_table_downloads_as_csv_and_xlsx_within_the_users_reach,);
