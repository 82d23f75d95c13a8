//! The rest of the demo province (`config/demo/shandong.toml`), generated on
//! top of the core one: every city with its counties, each county with its
//! departments, townships and party committees, bodies with seats, members
//! already in office (some of them chiefs) and a user for every role. Loaded
//! as four sheet imports (one transaction each) so that it takes seconds.
//! The same file gives the same picture on every load.

use anyhow::Context as _;
use chrono::{Days, Months, NaiveDate};
use naxian_engine::import::Sheet;
use naxian_engine::{Actor, Engine};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct Extension {
    /// Names townships and streets are picked from.
    townships: Vec<String>,
    cities: Vec<City>,
}

#[derive(Deserialize)]
struct City {
    code: String,
    /// Absent for a city the core file already has.
    name: Option<String>,
    counties: Vec<String>,
}

/// A number in `0..n` drawn from `key` (FNV-1a): the same on every load.
pub(crate) fn pick(key: &str, n: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h % n.max(1)
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭",
];
const GIVEN: &[&str] = &[
    "建国", "秀英", "志强", "海燕", "立新", "春梅", "卫东", "晓明", "丽华", "国庆", "玉兰", "学军",
];

/// The chiefs' sectors, with the kind of workplace each heads.
const CHIEFS: &[(&str, &str, &str)] = &[
    ("health", "卫生院", "院长"),
    ("education", "中学", "校长"),
    ("agriculture", "农业技术推广站", "站长"),
];

const DEPARTMENTS: &[(&str, &str, &str)] = &[
    ("ORG", "organization", "委组织部"),
    ("HEALTH", "health", "卫生健康局"),
    ("EDU", "education", "教育局"),
    ("AGRI", "agriculture", "农业农村局"),
];

/// The sheets being built, each a header and rows.
struct Sheets {
    units: Vec<Vec<String>>,
    bodies: Vec<Vec<String>>,
    users: Vec<Vec<String>>,
    members: Vec<Vec<String>>,
    /// Bodies and the seats they get (county or township sized).
    seats: Vec<(String, bool)>,
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

impl Sheets {
    fn new() -> Sheets {
        let header = |s: Sheet| s.columns().iter().map(|c| c.key.to_string()).collect();
        Sheets {
            units: vec![header(Sheet::OrgUnits)],
            bodies: vec![header(Sheet::Bodies)],
            users: vec![header(Sheet::Users)],
            members: vec![header(Sheet::Members)],
            seats: Vec::new(),
        }
    }

    fn unit(&mut self, code: &str, name: &str, kind: &str, parent: &str, function: &str) {
        self.units.push(row(&[code, name, kind, parent, function]));
    }

    fn user(&mut self, login: &str, name: &str, grant: &str, phone: &str, position: &str) {
        let login = login.to_lowercase();
        let email = format!("{login}@demo.naxian.local");
        self.users.push(row(&[
            &login,
            name,
            &email,
            crate::demo::DEMO_PASSWORD,
            grant,
            phone,
            position,
        ]));
    }

    /// A body whose term ends some time in the next four and a half years,
    /// with a chair, members and, in some sectors, a chief.
    fn body(&mut self, code: &str, base: &str, county_sized: bool, today: NaiveDate) {
        let end = today + Days::new(20 + pick(code, 1620));
        let start = end - Months::new(60);
        self.bodies
            .push(row(&[code, &start.to_string(), &end.to_string(), ""]));
        self.seats.push((code.to_string(), county_sized));
        let since = start.to_string();
        let person = |salt: &str| {
            let s = SURNAMES[pick(&format!("{code}{salt}s"), SURNAMES.len() as u64) as usize];
            let g = GIVEN[pick(&format!("{code}{salt}g"), GIVEN.len() as u64) as usize];
            format!("{s}{g}")
        };
        let chair = person("chair");
        self.members.push(row(&[
            code,
            &chair,
            "other",
            "chair",
            "part_time",
            &since,
            "否",
            &format!("{base}科协"),
            "主席",
        ]));
        for i in 0..2 {
            let name = person(&format!("m{i}"));
            self.members.push(row(&[
                code,
                &name,
                "other",
                "member",
                "part_time",
                &since,
                "否",
                &format!("{base}企业"),
                "工程师",
            ]));
        }
        // Counties are further along than townships.
        let chance = if county_sized { 65 } else { 35 };
        for (sector, workplace, position) in CHIEFS {
            if pick(&format!("{code}{sector}"), 100) < chance {
                let name = person(sector);
                self.members.push(row(&[
                    code,
                    &name,
                    sector,
                    "vice_chair",
                    "part_time",
                    &since,
                    "是",
                    &format!("{base}{workplace}"),
                    position,
                ]));
            }
        }
    }
}

/// Generates the extension's sheets from its file.
fn sheets(ext: &Extension, today: NaiveDate) -> Sheets {
    let mut s = Sheets::new();
    for (n, city) in ext.cities.iter().enumerate() {
        let c = &city.code;
        if let Some(name) = &city.name {
            s.unit(c, name, "city", "SD", "");
            s.user(
                &format!("{c}-reporter"),
                &format!("{name}报送员"),
                &format!("reporter@{c}"),
                "",
                "",
            );
            s.user(
                &format!("{c}-supervisor"),
                &format!("{name}督导员"),
                &format!("supervisor@{c}"),
                "",
                "",
            );
            s.user(
                &format!("{c}-nominator"),
                &format!("{name}提名人"),
                &format!("nominator@{c}"),
                "",
                "",
            );
            s.user(
                &format!("{c}-leader"),
                &format!("{name}分管副主席"),
                &format!("leader@{c}"),
                &format!("1380532{:04}", 100 + n),
                "党组成员、副主席",
            );
            s.user(
                &format!("{c}-contact"),
                &format!("{name}联络员"),
                &format!("contact@{c}"),
                &format!("0531-8207{:04}", 2100 + n),
                "组织宣传部",
            );
        }
        for (i, county) in city.counties.iter().enumerate() {
            let code = format!("{c}-{:02}", i + 1);
            let name = format!("{county}科协");
            s.unit(&code, &name, "county", c, "");
            s.body(&code, county, true, today);
            let grant = |role: &str| format!("{role}@{code}");
            s.user(
                &format!("{code}-nominator"),
                &format!("{name}提名人"),
                &grant("nominator"),
                "",
                "",
            );
            s.user(
                &format!("{code}-sec"),
                &format!("{name}秘书长"),
                &grant("secretary"),
                "",
                "",
            );
            s.user(
                &format!("{code}-reporter"),
                &format!("{name}报送员"),
                &grant("reporter"),
                "",
                "",
            );
            for (suffix, function, dept) in DEPARTMENTS {
                let d = format!("{code}-{suffix}");
                let dname = format!("{county}{dept}");
                s.unit(&d, &dname, "department", &code, function);
                s.user(&d, &dname, &format!("department@{d}"), "", "");
            }
            let mut taken = Vec::new();
            for t in 0..3u64 {
                let mut k = pick(&format!("{code}t{t}"), ext.townships.len() as u64) as usize;
                while taken.contains(&k) {
                    k = (k + 1) % ext.townships.len();
                }
                taken.push(k);
                let base = &ext.townships[k];
                let street = base.ends_with("街道");
                let tcode = format!("{code}-T{}", t + 1);
                let tname = format!("{base}科协");
                s.unit(
                    &tcode,
                    &tname,
                    if street { "street" } else { "township" },
                    &code,
                    "",
                );
                s.body(&tcode, base, false, today);
                s.user(
                    &format!("{tcode}-sec"),
                    &format!("{county}{tname}秘书长"),
                    &format!("secretary@{tcode}"),
                    "",
                    "",
                );
                let pc = format!("{tcode}-PC");
                let pc_name = format!("{base}{}", if street { "党工委" } else { "党委" });
                s.unit(&pc, &pc_name, "department", &tcode, "party_committee");
                s.user(
                    &pc,
                    &format!("{county}{pc_name}"),
                    &format!("department@{pc}"),
                    "",
                    "",
                );
            }
        }
    }
    s
}

/// Loads the extension as `admin`; returns how many users it made.
pub async fn extend(
    engine: &Engine,
    admin: &Actor,
    source: &str,
    password_hash: &str,
) -> anyhow::Result<usize> {
    let ext: Extension = toml::from_str(source).context("parsing the demo province's extension")?;
    let s = sheets(&ext, engine.clock().today());
    for (sheet, table) in [
        (Sheet::OrgUnits, &s.units),
        (Sheet::Bodies, &s.bodies),
        (Sheet::Users, &s.users),
        (Sheet::Members, &s.members),
    ] {
        engine
            .import_prehashed(admin, sheet, table, password_hash)
            .await
            .map_err(|e| match e {
                naxian_engine::import::ImportError::Rows(rows) => {
                    anyhow::anyhow!("the demo's {} sheet: {:?}", sheet.name(), rows.first())
                }
                other => other.into(),
            })?;
    }
    for (code, county_sized) in &s.seats {
        let posts: BTreeMap<String, u32> = if *county_sized {
            &[
                ("chair", 1),
                ("vice_chair", 4),
                ("standing_member", 7),
                ("member", 15),
            ][..]
        } else {
            &[("chair", 1), ("vice_chair", 3), ("member", 9)][..]
        }
        .iter()
        .map(|(p, n)| (p.to_string(), *n))
        .collect();
        engine
            .set_seats(admin, code, posts, Some(3))
            .await
            .with_context(|| format!("seats of {code}"))?;
    }
    Ok(s.users.len() - 1)
}

/// The shipped extension file.
pub const SHANDONG: &str = include_str!("../../../config/demo/shandong.toml");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extension_is_shandong_sized_and_the_same_every_time() {
        let ext: Extension = toml::from_str(SHANDONG).unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        let a = sheets(&ext, today);
        let b = sheets(&ext, today);
        assert_eq!(a.members, b.members, "the same picture on every load");
        let counties = a.units.iter().filter(|r| r[2] == "county").count();
        assert_eq!(counties, 132, "with the core file's four: Shandong's 136");
        let chiefs = a.members.iter().filter(|r| r[6] == "是").count();
        assert!(
            chiefs > 200 && chiefs < 1000,
            "some sectors covered, not all: {chiefs}"
        );
        let codes: std::collections::BTreeSet<&String> = a.units.iter().map(|r| &r[0]).collect();
        assert_eq!(codes.len(), a.units.len(), "no code twice");
    }
}
