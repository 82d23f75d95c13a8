//! The demo province (`config/demo/province.toml`): org tree, departments,
//! bodies and a user for every role, loaded once into an empty directory.

use anyhow::Context as _;
use chrono::{Days, Months};
use naxian_engine::{Actor, Engine, EngineError, NewOrgUnit, NewUser};
use serde::Deserialize;

/// Every demo user's password.
pub const DEMO_PASSWORD: &str = "naxian-demo";

#[derive(Deserialize)]
struct Demo {
    province: Unit,
    cities: Vec<City>,
}

#[derive(Deserialize)]
struct Unit {
    code: String,
    name: String,
}

#[derive(Deserialize)]
struct City {
    code: String,
    name: String,
    counties: Vec<County>,
}

#[derive(Deserialize)]
struct County {
    code: String,
    name: String,
    term_ends_in_days: u64,
    townships: Vec<Township>,
}

#[derive(Deserialize)]
struct Township {
    code: String,
    name: String,
    kind: String,
    term_ends_in_days: u64,
}

const DEPARTMENTS: &[(&str, &str, &str)] = &[
    ("ORG", "organization", "委组织部"),
    ("HEALTH", "health", "卫生健康局"),
    ("EDU", "education", "教育局"),
    ("AGRI", "agriculture", "农业农村局"),
];

struct Loader<'a> {
    engine: &'a Engine,
    root: Actor,
    hash: String,
    users: usize,
}

impl Loader<'_> {
    async fn unit(
        &self,
        code: &str,
        name: &str,
        kind: &str,
        parent: Option<&str>,
        function: Option<&str>,
    ) -> anyhow::Result<()> {
        self.engine
            .create_org_unit(
                &self.root,
                NewOrgUnit {
                    code: code.into(),
                    name: name.into(),
                    kind: kind.into(),
                    parent: parent.map(Into::into),
                    function: function.map(Into::into),
                },
            )
            .await
            .with_context(|| format!("creating {code}"))?;
        Ok(())
    }

    async fn body(&self, code: &str, ends_in_days: u64) -> anyhow::Result<()> {
        let today = self.engine.clock().today();
        let end = today + Days::new(ends_in_days);
        let start = end - Months::new(60);
        self.engine
            .set_body(&self.root, code, &start.to_string(), &end.to_string(), None)
            .await
            .with_context(|| format!("body of {code}"))?;
        Ok(())
    }

    async fn user(&mut self, login: &str, name: &str, role: &str, unit: &str) -> anyhow::Result<()> {
        self.contact(login, name, role, unit, None).await
    }

    /// A user with a phone and a position, for the liaison list.
    async fn contact(
        &mut self,
        login: &str,
        name: &str,
        role: &str,
        unit: &str,
        phone_position: Option<(&str, &str)>,
    ) -> anyhow::Result<()> {
        let login = login.to_lowercase();
        self.engine
            .create_user_prehashed(
                NewUser {
                    login: login.clone(),
                    name: name.into(),
                    email: format!("{login}@demo.naxian.local"),
                    password: DEMO_PASSWORD.into(),
                    is_admin: false,
                    phone: phone_position.map(|(p, _)| p.to_string()),
                    position: phone_position.map(|(_, p)| p.to_string()),
                },
                self.hash.clone(),
            )
            .await
            .with_context(|| format!("user {login}"))?;
        self.engine
            .add_grant(&self.root, &login, role, unit)
            .await
            .with_context(|| format!("grant for {login}"))?;
        self.users += 1;
        Ok(())
    }
}

/// Loads the demo into `engine` unless its province already exists.
/// Returns whether it loaded, and how many users it made.
pub async fn load(engine: &Engine, source: &str) -> anyhow::Result<Option<usize>> {
    let demo: Demo = toml::from_str(source).context("parsing the demo province")?;
    match engine.unit(&demo.province.code).await {
        Ok(_) => return Ok(None),
        Err(EngineError::NotFound(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let hash = naxian_engine::auth::hash_password(DEMO_PASSWORD)?;
    let admin = match engine.actor("admin").await {
        Ok(actor) => actor,
        Err(EngineError::NotFound(_)) => {
            engine
                .create_user_prehashed(
                    NewUser {
                        login: "admin".into(),
                        name: "系统管理员".into(),
                        email: "admin@demo.naxian.local".into(),
                        password: DEMO_PASSWORD.into(),
                        is_admin: true,
                        phone: None,
                        position: None,
                    },
                    hash.clone(),
                )
                .await?;
            engine.actor("admin").await?
        }
        Err(e) => return Err(e.into()),
    };
    let mut l = Loader {
        engine,
        root: admin,
        hash,
        users: 1,
    };
    let p = &demo.province;
    l.unit(&p.code, &p.name, "province", None, None).await?;
    l.user("sd-supervisor", "省科协组织部", "supervisor", &p.code)
        .await?;
    l.user("sd-viewer", "省科协观察员", "viewer", &p.code).await?;
    for city in &demo.cities {
        l.unit(&city.code, &city.name, "city", Some(&p.code), None)
            .await?;
        l.user(
            &format!("{}-reporter", city.code),
            &format!("{}报送员", city.name),
            "reporter",
            &city.code,
        )
        .await?;
        l.user(
            &format!("{}-supervisor", city.code),
            &format!("{}督导员", city.name),
            "supervisor",
            &city.code,
        )
        .await?;
        // The city's liaison list (联络表): its responsible leader and its
        // full-time contact in the responsible department.
        let n = demo.cities.iter().position(|c| c.code == city.code).unwrap_or(0);
        l.contact(
            &format!("{}-leader", city.code),
            &format!("{}分管副主席", city.name),
            "leader",
            &city.code,
            Some((&format!("1380531{:04}", 100 + n), "党组成员、副主席")),
        )
        .await?;
        l.contact(
            &format!("{}-contact", city.code),
            &format!("{}联络员", city.name),
            "contact",
            &city.code,
            Some((&format!("0531-8206{:04}", 2100 + n), "组织宣传部")),
        )
        .await?;
        l.user(
            &format!("{}-nominator", city.code),
            &format!("{}提名人", city.name),
            "nominator",
            &city.code,
        )
        .await?;
        for county in &city.counties {
            let c = &county.code;
            l.unit(c, &county.name, "county", Some(&city.code), None).await?;
            l.body(c, county.term_ends_in_days).await?;
            l.user(
                &format!("{c}-nominator"),
                &format!("{}提名人", county.name),
                "nominator",
                c,
            )
            .await?;
            l.user(
                &format!("{c}-sec"),
                &format!("{}秘书长", county.name),
                "secretary",
                c,
            )
            .await?;
            // The county's own reporter: a campaign addressed to the county
            // reaches them, not only the city's reporter above.
            l.user(
                &format!("{c}-reporter"),
                &format!("{}报送员", county.name),
                "reporter",
                c,
            )
            .await?;
            let county_name = county.name.trim_end_matches("科协");
            for (suffix, function, dept) in DEPARTMENTS {
                let code = format!("{c}-{suffix}");
                l.unit(
                    &code,
                    &format!("{county_name}{dept}"),
                    "department",
                    Some(c),
                    Some(function),
                )
                .await?;
                l.user(&code, &format!("{county_name}{dept}"), "department", &code)
                    .await?;
            }
            for t in &county.townships {
                l.unit(&t.code, &t.name, &t.kind, Some(c), None).await?;
                l.body(&t.code, t.term_ends_in_days).await?;
                l.user(
                    &format!("{}-sec", t.code),
                    &format!("{}秘书长", t.name),
                    "secretary",
                    &t.code,
                )
                .await?;
                let pc = format!("{}-PC", t.code);
                let base = t.name.trim_end_matches("科协");
                let pc_name = if t.kind == "street" {
                    format!("{base}党工委")
                } else {
                    format!("{base}党委")
                };
                l.unit(
                    &pc,
                    &pc_name,
                    "department",
                    Some(&t.code),
                    Some("party_committee"),
                )
                .await?;
                l.user(&pc, &pc_name, "department", &pc).await?;
            }
        }
    }
    Ok(Some(l.users))
}

/// The shipped demo file.
pub const PROVINCE: &str = include_str!("../../../config/demo/province.toml");
