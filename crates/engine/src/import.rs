//! Importing the directory from a sheet (CSV or XLSX): org units, bodies and
//! their terms, users with their role grants, or the members already on the
//! bodies. Every row is checked by the
//! rules the API applies one at a time; any bad row is reported with its row
//! number and nothing is written. A clean sheet is written in one transaction.

use crate::auth::{hash_password, Actor};
use crate::directory::{build_body, build_org_unit, build_user, require_admin};
use crate::error::EngineError;
use crate::members::{build_member, parse_yes_no, NewMember};
use crate::{Engine, NewOrgUnit, NewUser};
use naxian_model::directory::{OrgUnit, Role};
use naxian_model::Catalogue;
use naxian_model::Problem;
use naxian_store::DirectoryBatch;
use std::collections::{BTreeSet, HashMap};

/// What a sheet holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sheet {
    OrgUnits,
    Bodies,
    Users,
    Members,
}

/// A column: its key, its Chinese header, whether it must be filled, and the
/// example the template shows.
#[derive(Debug)]
pub struct Column {
    pub key: &'static str,
    pub header: &'static str,
    pub required: bool,
    pub example: &'static str,
}

const fn col(key: &'static str, header: &'static str, required: bool, example: &'static str) -> Column {
    Column {
        key,
        header,
        required,
        example,
    }
}

const ORG_UNITS: &[Column] = &[
    col("code", "单位代码", true, "JN-PY-XZ"),
    col("name", "单位名称", true, "孝直镇科协"),
    col("kind", "类型", true, "乡镇"),
    col("parent", "上级单位代码", true, "JN-PY"),
    col("function", "部门职能", false, ""),
];

const BODIES: &[Column] = &[
    col("org_unit", "单位代码", true, "JN-PY-XZ"),
    col("term_start", "本届开始日期", true, "2024-06-01"),
    col("term_end", "本届届满日期", true, "2029-05-31"),
    col("congress_date", "换届大会日期", false, ""),
];

const USERS: &[Column] = &[
    col("login", "登录名", true, "jn-py-xz-nominator"),
    col("name", "姓名", true, "张三"),
    col("email", "电子邮箱", true, "zhangsan@example.cn"),
    col("password", "初始密码", true, "Chushi-2026"),
    col("grants", "角色@单位代码", false, "提名人@JN-PY-XZ"),
    col("phone", "联系电话", false, "13800000000"),
    col("position", "职务或部门", false, "组织部部长"),
];

const MEMBERS: &[Column] = &[
    col("org_unit", "单位代码", true, "JN-PY-XZ"),
    col("name", "姓名", true, "王五"),
    col("sector", "领域", true, "卫生健康"),
    col("post", "职务", true, "副主席"),
    col("mode", "任职方式", true, "兼职"),
    col("since", "任职日期", true, "2024-06-01"),
    col("chief", "是否三长", false, "是"),
    col("employer", "工作单位", false, "孝直镇卫生院"),
    col("position", "单位职务", false, "院长"),
];

impl Sheet {
    pub const ALL: &'static [Sheet] = &[Sheet::OrgUnits, Sheet::Bodies, Sheet::Users, Sheet::Members];

    pub fn name(self) -> &'static str {
        match self {
            Sheet::OrgUnits => "org_units",
            Sheet::Bodies => "bodies",
            Sheet::Users => "users",
            Sheet::Members => "members",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Sheet::OrgUnits => "单位",
            Sheet::Bodies => "领导机构届期",
            Sheet::Users => "用户",
            Sheet::Members => "领导机构现任成员",
        }
    }

    pub fn from_name(name: &str) -> Option<Sheet> {
        Sheet::ALL.iter().copied().find(|s| s.name() == name)
    }

    pub fn columns(self) -> &'static [Column] {
        match self {
            Sheet::OrgUnits => ORG_UNITS,
            Sheet::Bodies => BODIES,
            Sheet::Users => USERS,
            Sheet::Members => MEMBERS,
        }
    }
}

/// One bad cell (or a bad header, on row 1).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    /// The row as the spreadsheet numbers it: the header is row 1.
    pub row: usize,
    /// The column's key.
    pub field: String,
    /// The English account (for the command line and logs).
    pub message: String,
    /// What is wrong with the cell, when it is a bad value (pages render it).
    #[serde(skip)]
    pub problem: Option<Problem>,
}

impl RowError {
    fn new(row: usize, field: &str, problem: Problem) -> RowError {
        RowError {
            row,
            field: field.into(),
            message: problem.to_string(),
            problem: Some(problem),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    pub units: usize,
    pub bodies: usize,
    pub users: usize,
    pub grants: usize,
    pub members: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{} bad rows; nothing was imported", .0.len())]
    Rows(Vec<RowError>),
    #[error("the file cannot be read: {0}")]
    Unreadable(String),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// The cells of a CSV (UTF-8, with or without a BOM) or XLSX file, row by row.
pub fn read_table(bytes: &[u8]) -> Result<Vec<Vec<String>>, ImportError> {
    if bytes.starts_with(b"PK\x03\x04") {
        use calamine::{Reader, Xlsx};
        let mut book: Xlsx<_> =
            Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| ImportError::Unreadable(e.to_string()))?;
        let first = book
            .sheet_names()
            .first()
            .cloned()
            .ok_or_else(|| ImportError::Unreadable("the workbook has no sheet".into()))?;
        let range = book
            .worksheet_range(&first)
            .map_err(|e| ImportError::Unreadable(e.to_string()))?;
        return Ok(range
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect());
    }
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
        .map_err(|_| ImportError::Unreadable("a CSV file must be UTF-8".into()))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| {
            r.map(|rec| rec.iter().map(str::to_string).collect())
                .map_err(|e| ImportError::Unreadable(e.to_string()))
        })
        .collect()
}

/// Which column of the sheet each header cell is, by key or Chinese header.
fn map_headers(sheet: Sheet, header: &[String]) -> Result<Vec<Option<&'static Column>>, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut seen = BTreeSet::new();
    let mapped: Vec<Option<&'static Column>> = header
        .iter()
        .map(|h| {
            let h = h.trim();
            if h.is_empty() {
                return None;
            }
            let c = sheet.columns().iter().find(|c| c.key == h || c.header == h);
            match c {
                Some(c) if !seen.insert(c.key) => {
                    errors.push(RowError::new(1, c.key, Problem::ColumnTwice { column: h.into() }));
                    None
                }
                Some(c) => Some(c),
                None => {
                    errors.push(RowError::new(1, h, Problem::UnknownColumn { column: h.into() }));
                    None
                }
            }
        })
        .collect();
    for c in sheet.columns().iter().filter(|c| c.required) {
        if !seen.contains(c.key) {
            errors.push(RowError::new(
                1,
                c.key,
                Problem::ColumnMissing {
                    column: c.header.into(),
                },
            ));
        }
    }
    if errors.is_empty() {
        Ok(mapped)
    } else {
        Err(errors)
    }
}

/// `提名人@JN-PY-XZ; 部门经办人@JN-PY-ORG` → [(role, unit)].
fn parse_grants(catalogue: &Catalogue, cell: &str) -> Result<Vec<(Role, String)>, Problem> {
    let mut out = Vec::new();
    for part in cell
        .split([';', '；', ',', '，', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (role, unit) = part
            .split_once(['@', '＠'])
            .ok_or_else(|| Problem::NotGrant { text: part.into() })?;
        let role = catalogue
            .find_role(role)
            .map_err(|_| Problem::NotGrant { text: part.into() })?;
        let grant = (role, unit.trim().to_string());
        if !out.contains(&grant) {
            out.push(grant);
        }
    }
    Ok(out)
}

/// A data row as (key → value), with its spreadsheet row number.
type Record = (usize, HashMap<&'static str, String>);

fn records(columns: &[Option<&'static Column>], rows: &[Vec<String>]) -> Vec<Record> {
    rows.iter()
        .enumerate()
        .filter(|(_, r)| r.iter().any(|c| !c.trim().is_empty()))
        .map(|(i, r)| {
            let values = columns
                .iter()
                .zip(r.iter().chain(std::iter::repeat(&String::new())))
                .filter_map(|(c, v)| c.map(|c| (c.key, v.trim().to_string())))
                .collect();
            (i + 2, values)
        })
        .collect()
}

impl Engine {
    /// Imports a sheet's rows as `actor`. `progress(phase, done, total)` is
    /// called as rows are checked (`checking`) and passwords hashed (`hashing`).
    pub async fn import(
        &self,
        actor: &Actor,
        sheet: Sheet,
        table: &[Vec<String>],
        progress: &(dyn Fn(&'static str, usize, usize) + Send + Sync),
    ) -> Result<ImportReport, ImportError> {
        self.import_with(actor, sheet, table, progress, None).await
    }

    /// As [`Engine::import`], every user given the one password hashed
    /// beforehand (a bulk load of many users sharing a first password).
    pub async fn import_prehashed(
        &self,
        actor: &Actor,
        sheet: Sheet,
        table: &[Vec<String>],
        password_hash: &str,
    ) -> Result<ImportReport, ImportError> {
        self.import_with(actor, sheet, table, &|_, _, _| {}, Some(password_hash))
            .await
    }

    async fn import_with(
        &self,
        actor: &Actor,
        sheet: Sheet,
        table: &[Vec<String>],
        progress: &(dyn Fn(&'static str, usize, usize) + Send + Sync),
        password_hash: Option<&str>,
    ) -> Result<ImportReport, ImportError> {
        let Some((header, rows)) = table.split_first() else {
            return Err(ImportError::Rows(vec![RowError::new(
                1,
                "file",
                Problem::EmptySheet,
            )]));
        };
        let columns = map_headers(sheet, header).map_err(ImportError::Rows)?;
        let records = records(&columns, rows);
        if records.is_empty() {
            return Err(ImportError::Rows(vec![RowError::new(2, "file", Problem::NoRows)]));
        }
        let catalogue = self.store.catalogue().await.map_err(EngineError::from)?;
        let vocabulary = match sheet {
            Sheet::Members => self.member_vocabulary().await?,
            _ => Default::default(),
        };
        let mut batch = DirectoryBatch::default();
        let mut errors = Vec::new();
        let mut passwords = Vec::new();
        let total = records.len();
        for (done, (row, values)) in records.iter().enumerate() {
            let get = |k: &str| values.get(k).cloned().unwrap_or_default();
            let mut fail = |e: EngineError| match e {
                EngineError::Invalid { field, problem } => errors.push(RowError::new(*row, &field, problem)),
                e @ (EngineError::Unavailable(_)
                | EngineError::Database(_)
                | EngineError::Busy(_)
                | EngineError::Internal(_)) => errors.push(RowError {
                    row: *row,
                    field: String::new(),
                    message: e.detail(),
                    problem: None,
                }),
                other => errors.push(RowError {
                    row: *row,
                    field: "code".into(),
                    message: other.to_string(),
                    problem: None,
                }),
            };
            match sheet {
                Sheet::OrgUnits => match self.import_unit(actor, &catalogue, &batch, &get).await {
                    Ok(u) => batch.units.push(u),
                    Err(e) => fail(e),
                },
                Sheet::Bodies => {
                    let code = get("org_unit");
                    match self.existing_unit(&batch, "org_unit", &code).await.and_then(|u| {
                        let congress = get("congress_date");
                        build_body(
                            actor,
                            &u,
                            &get("term_start"),
                            &get("term_end"),
                            Some(congress.as_str()),
                        )
                    }) {
                        Ok(_) if batch.bodies.iter().any(|(c, _)| *c == code) => fail(EngineError::invalid(
                            "org_unit",
                            Problem::EarlierRow { value: code.clone() },
                        )),
                        Ok(b) => batch.bodies.push((code, b)),
                        Err(e) => fail(e),
                    }
                }
                Sheet::Members => match self.import_member(actor, &vocabulary, &get).await {
                    Ok(m) => batch.members.push(m),
                    Err(e) => fail(e),
                },
                Sheet::Users => match self.import_user(actor, &catalogue, &batch, &get).await {
                    Ok((user, grants)) => {
                        passwords.push(get("password"));
                        batch.grants.extend(grants);
                        batch.users.push(user);
                    }
                    Err(e) => fail(e),
                },
            }
            progress("checking", done + 1, total);
        }
        if !errors.is_empty() {
            return Err(ImportError::Rows(errors));
        }
        // Hashing is the slow part: only for a sheet that will be written.
        let users = batch.users.len();
        for (i, (user, password)) in batch.users.iter_mut().zip(passwords).enumerate() {
            user.password_hash = match password_hash {
                Some(h) => h.to_string(),
                None => hash_password(&password)?,
            };
            progress("hashing", i + 1, users);
        }
        self.store.import_directory(&batch).await.map_err(|e| match e {
            naxian_store::StoreError::Conflict(detail) => {
                ImportError::Engine(EngineError::Conflict(naxian_model::Refusal::ImportRaced {
                    detail,
                }))
            }
            other => ImportError::Engine(other.into()),
        })?;
        tracing::info!(sheet = sheet.name(), login = %actor.login, rows = total, "directory imported");
        Ok(ImportReport {
            units: batch.units.len(),
            bodies: batch.bodies.len(),
            users,
            grants: batch.grants.len(),
            members: batch.members.len(),
        })
    }

    async fn import_member(
        &self,
        actor: &Actor,
        vocabulary: &crate::reports::Vocabulary,
        get: &impl Fn(&str) -> String,
    ) -> Result<naxian_model::machine::Member, EngineError> {
        let code = get("org_unit");
        let unit = self
            .existing_unit(&DirectoryBatch::default(), "org_unit", &code)
            .await?;
        let body = self.store.body(&code).await?;
        let chief = parse_yes_no(&get("chief")).map_err(|p| EngineError::invalid("chief", p))?;
        build_member(
            actor,
            &unit,
            body.as_ref(),
            vocabulary,
            self.clock.today(),
            NewMember {
                name: get("name"),
                sector: get("sector"),
                post: get("post"),
                mode: get("mode"),
                since: get("since"),
                chief,
                employer: Some(get("employer")),
                position: Some(get("position")),
            },
        )
    }

    /// A unit named by a row: one imported on an earlier row, or a stored one.
    async fn existing_unit(
        &self,
        batch: &DirectoryBatch,
        field: &str,
        code: &str,
    ) -> Result<OrgUnit, EngineError> {
        if code.is_empty() {
            return Err(EngineError::invalid(field, Problem::Required));
        }
        if let Some(u) = batch.units.iter().find(|u| u.code == code) {
            return Ok(u.clone());
        }
        self.store
            .org_unit(code)
            .await?
            .ok_or_else(|| EngineError::invalid(field, Problem::NoOrgUnit { code: code.into() }))
    }

    async fn import_unit(
        &self,
        actor: &Actor,
        catalogue: &Catalogue,
        batch: &DirectoryBatch,
        get: &impl Fn(&str) -> String,
    ) -> Result<OrgUnit, EngineError> {
        let code = get("code");
        let parent = match get("parent") {
            p if p.is_empty() => None,
            p => Some(self.existing_unit(batch, "parent", &p).await?),
        };
        let unit = build_org_unit(
            actor,
            catalogue,
            NewOrgUnit {
                code: code.clone(),
                name: get("name"),
                kind: get("kind"),
                parent: None,
                function: Some(get("function")),
            },
            parent.as_ref(),
        )?;
        if batch.units.iter().any(|u| u.code.eq_ignore_ascii_case(&code)) {
            return Err(EngineError::invalid("code", Problem::EarlierRow { value: code }));
        }
        if self.store.org_unit(&code).await?.is_some() {
            return Err(EngineError::invalid("code", Problem::UnitExists { code }));
        }
        Ok(unit)
    }

    async fn import_user(
        &self,
        actor: &Actor,
        catalogue: &Catalogue,
        batch: &DirectoryBatch,
        get: &impl Fn(&str) -> String,
    ) -> Result<(naxian_store::UserRecord, Vec<(String, Role, String)>), EngineError> {
        let user = build_user(
            Some(actor),
            NewUser {
                login: get("login"),
                name: get("name"),
                email: get("email"),
                password: get("password"),
                is_admin: false,
                phone: Some(get("phone")),
                position: Some(get("position")),
            },
            // Hashed later, once every row is known to be good.
            Some(String::new()),
        )?;
        if batch
            .users
            .iter()
            .any(|u| u.login.eq_ignore_ascii_case(&user.login))
        {
            return Err(EngineError::invalid(
                "login",
                Problem::EarlierRow { value: user.login },
            ));
        }
        if self.store.user(&user.login).await?.is_some() {
            return Err(EngineError::invalid(
                "login",
                Problem::UserExists { login: user.login },
            ));
        }
        let mut grants = Vec::new();
        for (role, code) in
            parse_grants(catalogue, &get("grants")).map_err(|p| EngineError::invalid("grants", p))?
        {
            let unit = self.existing_unit(batch, "grants", &code).await?;
            require_admin(actor, &unit.path).map_err(|_| {
                EngineError::invalid("grants", Problem::OutsideAdministration { code: code.clone() })
            })?;
            grants.push((user.login.clone(), role, code));
        }
        Ok((user, grants))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_by_key_or_chinese_and_missing_ones_named() {
        let h = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let cols = map_headers(Sheet::OrgUnits, &h(&["单位代码", "name", "类型", "上级单位代码"])).unwrap();
        assert_eq!(
            cols.iter().flatten().map(|c| c.key).collect::<Vec<_>>(),
            ["code", "name", "kind", "parent"]
        );
        let errs = map_headers(Sheet::OrgUnits, &h(&["单位代码", "名字"])).unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["名字", "name", "kind", "parent"]);
        assert!(errs.iter().all(|e| e.row == 1));
    }

    #[test]
    fn grants_in_either_language_and_separator() {
        let cat = Catalogue::shipped();
        assert_eq!(
            parse_grants(&cat, "提名人@JN-PY；department＠JN-PY-ORG, 提名人@JN-PY").unwrap(),
            [
                (
                    "nominator".parse::<naxian_model::Role>().unwrap(),
                    "JN-PY".to_string()
                ),
                (
                    "department".parse::<naxian_model::Role>().unwrap(),
                    "JN-PY-ORG".to_string()
                )
            ]
        );
        assert!(parse_grants(&cat, "提名人 JN-PY").is_err());
        assert!(parse_grants(&cat, "boss@JN-PY")
            .unwrap_err()
            .to_string()
            .contains("role"));
        assert!(parse_grants(&cat, "").unwrap().is_empty());
    }

    #[test]
    fn csv_with_a_bom_and_blank_rows() {
        let t = read_table("\u{feff}单位代码,单位名称\nA,甲\n,\n\"B\",\"乙,丙\"\n".as_bytes()).unwrap();
        assert_eq!(t[0], ["单位代码", "单位名称"]);
        let cols = vec![Some(&ORG_UNITS[0]), Some(&ORG_UNITS[1])];
        let recs = records(&cols, &t[1..]);
        assert_eq!(recs.len(), 2, "the blank row is skipped");
        assert_eq!(recs[1].0, 4, "rows are numbered as the spreadsheet numbers them");
        assert_eq!(recs[1].1["name"], "乙,丙");
        assert!(matches!(read_table(b"\xff\xfe"), Err(ImportError::Unreadable(_))));
    }
}
