//! The shared SQL of the directory: org units, bodies, members, users,
//! grants and who holds a role where: [`crate::DirectoryStore`] for a SQL backend, by
//! [`sql_directory!`] (called by [`crate::sql_store!`]).

/// Implements [`crate::DirectoryStore`] for `$ty` over sqlx database `$db`.
#[doc(hidden)]
#[macro_export]
macro_rules! sql_directory {
    ($ty:ty, $db:ty) => {
        const _: () = {
            $crate::sql_common!($ty, $db);

            /// One member's row, in the caller's transaction; its id.
            async fn insert_member(
                tx: &mut sqlx::Transaction<'_, $db>,
                m: &naxian_model::machine::Member,
            ) -> Result<i64> {
                sqlx::query_scalar(
                    "INSERT INTO members (org_unit, name, sector, post, mode, since, term_end, instance_id,
                                          chief, employer, position, left_on, left_reason, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
                )
                .bind(&m.org_unit)
                .bind(&m.name)
                .bind(&m.sector)
                .bind(&m.post)
                .bind(&m.mode)
                .bind(m.since)
                .bind(m.term_end)
                .bind(&m.instance_id)
                .bind(m.chief)
                .bind(&m.employer)
                .bind(&m.position)
                .bind(m.left_on)
                .bind(&m.left_reason)
                .bind(Utc::now())
                .fetch_one(&mut **tx)
                .await
                .map_err(e)
            }

            #[async_trait::async_trait]
            impl $crate::DirectoryStore for $ty {
                async fn create_org_unit(&self, u: &OrgUnit) -> Result<()> {
                    // One statement, one place: the batch the import writes.
                    self.import_directory(&$crate::DirectoryBatch { units: vec![u.clone()], ..Default::default() }).await
                }

                async fn org_unit(&self, code: &str) -> Result<Option<OrgUnit>> {
                    let row = sqlx::query("SELECT * FROM org_units WHERE code = $1")
                        .bind(code)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(e)?;
                    row.as_ref().map(org_unit).transpose()
                }

                async fn set_body(&self, code: &str, b: &Body) -> Result<()> {
                    self.import_directory(&$crate::DirectoryBatch { bodies: vec![(code.to_string(), b.clone())], ..Default::default() }).await
                }

                async fn body(&self, code: &str) -> Result<Option<Body>> {
                    let row = sqlx::query("SELECT * FROM bodies WHERE org_unit = $1")
                        .bind(code)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(e)?;
                    row.as_ref().map(body).transpose()
                }

                async fn members(&self, code: &str) -> Result<Vec<MemberRecord>> {
                    let rows = sqlx::query("SELECT * FROM members WHERE org_unit = $1 ORDER BY since, name")
                        .bind(code)
                        .fetch_all(self.reader())
                        .await
                        .map_err(e)?;
                    rows.iter().map(member).collect()
                }

                async fn add_member(&self, m: &naxian_model::machine::Member) -> Result<i64> {
                    let mut tx = self.writer().begin().await.map_err(e)?;
                    let id = insert_member(&mut tx, m).await?;
                    tx.commit().await.map_err(e)?;
                    Ok(id)
                }

                async fn leave_member(&self, code: &str, id: i64, on: chrono::NaiveDate, reason: Option<&str>) -> Result<bool> {
                    let done = sqlx::query(
                        "UPDATE members SET left_on = $1, left_reason = $2
                         WHERE id = $3 AND org_unit = $4 AND left_on IS NULL",
                    )
                    .bind(on)
                    .bind(reason)
                    .bind(id)
                    .bind(code)
                    .execute(self.writer())
                    .await
                    .map_err(e)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn set_seats(&self, code: &str, seats: &naxian_model::seats::Seats) -> Result<()> {
                    self.import_directory(&$crate::DirectoryBatch { seats: vec![(code.to_string(), seats.clone())], ..Default::default() }).await
                }

                async fn seats_under(&self, path: &str) -> Result<Vec<(String, naxian_model::seats::Seats)>> {
                    let rows = sqlx::query(
                        "SELECT s.org_unit, s.posts, s.chief_target FROM seats s JOIN org_units u ON u.code = s.org_unit
                         WHERE substr(u.path, 1, length($1)) = $1 ORDER BY u.path",
                    )
                    .bind(path)
                    .fetch_all(self.reader())
                    .await
                    .map_err(e)?;
                    rows.iter()
                        .map(|r| {
                            let posts: String = r.try_get("posts").map_err(e)?;
                            let target: Option<i32> = r.try_get("chief_target").map_err(e)?;
                            Ok((
                                r.try_get("org_unit").map_err(e)?,
                                naxian_model::seats::Seats {
                                    posts: serde_json::from_str(&posts).map_err(|x| $crate::StoreError::database_from("seats.posts is not a map of counts", x))?,
                                    chief_target: target.map(|t| t.max(0) as u32),
                                },
                            ))
                        })
                        .collect()
                }

                async fn bodies_under(&self, path: &str) -> Result<Vec<(String, Body)>> {
                    let rows = sqlx::query(
                        "SELECT b.* FROM bodies b JOIN org_units u ON u.code = b.org_unit
                         WHERE substr(u.path, 1, length($1)) = $1 ORDER BY u.path",
                    )
                    .bind(path)
                    .fetch_all(self.reader())
                    .await
                    .map_err(e)?;
                    rows.iter()
                        .map(|r| Ok((r.try_get("org_unit").map_err(e)?, body(r)?)))
                        .collect()
                }

                async fn import_directory(&self, b: &$crate::DirectoryBatch) -> Result<()> {
                    let now = Utc::now();
                    let mut tx = self.writer().begin().await.map_err(e)?;
                    for u in &b.units {
                        sqlx::query(
                            "INSERT INTO org_units (code, name, kind, parent, function, path, created_at)
                             VALUES ($1, $2, $3, $4, $5, $6, $7)",
                        )
                        .bind(&u.code)
                        .bind(&u.name)
                        .bind(u.kind.as_str())
                        .bind(&u.parent)
                        .bind(u.function.as_ref().map(|f| f.as_str()))
                        .bind(&u.path)
                        .bind(now)
                        .execute(&mut *tx)
                        .await
                        .map_err(e)?;
                    }
                    for (code, seats) in &b.seats {
                        sqlx::query(
                            "INSERT INTO seats (org_unit, posts, chief_target, updated_at) VALUES ($1, $2, $3, $4)
                             ON CONFLICT (org_unit) DO UPDATE SET posts = excluded.posts,
                               chief_target = excluded.chief_target, updated_at = excluded.updated_at",
                        )
                        .bind(code)
                        .bind(serde_json::to_string(&seats.posts).expect("a map of counts serializes"))
                        .bind(seats.chief_target.map(|t| t as i32))
                        .bind(now)
                        .execute(&mut *tx)
                        .await
                        .map_err(e)?;
                    }
                    for (code, body) in &b.bodies {
                        sqlx::query(
                            "INSERT INTO bodies (org_unit, term_start, term_end, congress_date, updated_at)
                             VALUES ($1, $2, $3, $4, $5)
                             ON CONFLICT (org_unit) DO UPDATE SET term_start = excluded.term_start,
                               term_end = excluded.term_end, congress_date = excluded.congress_date,
                               updated_at = excluded.updated_at",
                        )
                        .bind(code)
                        .bind(body.term_start)
                        .bind(body.term_end)
                        .bind(body.congress_date)
                        .bind(now)
                        .execute(&mut *tx)
                        .await
                        .map_err(e)?;
                    }
                    for m in &b.members {
                        insert_member(&mut tx, m).await?;
                    }
                    for u in &b.users {
                        sqlx::query(
                            "INSERT INTO users (login, name, email, password_hash, is_admin, created_at, phone, position)
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                        )
                        .bind(&u.login)
                        .bind(&u.name)
                        .bind(&u.email)
                        .bind(&u.password_hash)
                        .bind(u.is_admin)
                        .bind(now)
                        .bind(&u.phone)
                        .bind(&u.position)
                        .execute(&mut *tx)
                        .await
                        .map_err(e)?;
                    }
                    for (login, role, unit) in &b.grants {
                        sqlx::query("INSERT INTO grants (login, role, org_unit, created_at) VALUES ($1, $2, $3, $4)")
                            .bind(login)
                            .bind(role.as_str())
                            .bind(unit)
                            .bind(now)
                            .execute(&mut *tx)
                            .await
                            .map_err(e)?;
                        sqlx::query("UPDATE users SET roles_ended_at = NULL WHERE login = $1 AND roles_ended_at IS NOT NULL")
                            .bind(login)
                            .execute(&mut *tx)
                            .await
                            .map_err(e)?;
                    }
                    tx.commit().await.map_err(e)?;
                    Ok(())
                }

                async fn org_context(&self, code: &str) -> Result<Option<OrgContext>> {
                    match self.org_unit(code).await? {
                        Some(target) => self.org_context_at(&target.path).await,
                        None => Ok(None),
                    }
                }

                async fn directory_generation(&self) -> Result<i64> {
                    sqlx::query_scalar("SELECT generation FROM directory_generation WHERE id = 1")
                        .fetch_one(self.reader())
                        .await
                        .map_err(e)
                }

                async fn org_context_at(&self, path: &str) -> Result<Option<OrgContext>> {
                    let codes: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
                    if codes.is_empty() {
                        return Ok(None);
                    }
                    // The chain, the departments hanging off it and the target's
                    // body, in one round trip.
                    let sql = format!(
                        "SELECT u.*, b.term_start AS b_term_start, b.term_end AS b_term_end,
                           b.congress_date AS b_congress_date
                         FROM org_units u LEFT JOIN bodies b ON b.org_unit = u.code
                         WHERE u.code IN ({}) OR (u.kind = 'department' AND u.parent IN ({}))",
                        placeholders(1, codes.len()),
                        placeholders(1, codes.len())
                    );
                    let mut q = sqlx::query(&sql);
                    for c in &codes {
                        q = q.bind(*c);
                    }
                    let rows = q.fetch_all(self.reader()).await.map_err(e)?;
                    let target_code = *codes.last().expect("not empty");
                    let mut body = None;
                    let mut units = Vec::with_capacity(rows.len());
                    for r in &rows {
                        let u = org_unit(r)?;
                        if u.code == target_code {
                            let start: Option<NaiveDate> = r.try_get("b_term_start").map_err(e)?;
                            let end: Option<NaiveDate> = r.try_get("b_term_end").map_err(e)?;
                            if let (Some(term_start), Some(term_end)) = (start, end) {
                                body = Some(Body {
                                    term_start,
                                    term_end,
                                    congress_date: r.try_get("b_congress_date").map_err(e)?,
                                });
                            }
                        }
                        units.push(u);
                    }
                    let mut chain = Vec::new();
                    for c in &codes {
                        match units.iter().find(|u| u.code == *c) {
                            Some(u) => chain.push(u.clone()),
                            None if *c == target_code => return Ok(None),
                            None => return Err(StoreError::database(format!("unit {c} on path {path} is missing"))),
                        }
                    }
                    let departments: Vec<OrgUnit> = units
                        .into_iter()
                        .filter(|u| u.kind == naxian_model::OrgKind::Department && !codes.contains(&u.code.as_str()))
                        .collect();
                    let mut at: Vec<&str> = codes.clone();
                    at.extend(departments.iter().map(|d| d.code.as_str()));
                    let sql = format!(
                        "SELECT login, role, org_unit FROM grants WHERE org_unit IN ({}) ORDER BY org_unit, role, login",
                        placeholders(1, at.len())
                    );
                    let mut q = sqlx::query_as::<_, (String, String, String)>(&sql);
                    for c in &at {
                        q = q.bind(*c);
                    }
                    let holdings = q
                        .fetch_all(self.reader())
                        .await
                        .map_err(e)?
                        .into_iter()
                        .filter_map(|(login, role, unit)| {
                            role.parse().ok().map(|role| naxian_model::directory::Holding { login, role, unit })
                        })
                        .collect();
                    Ok(Some(OrgContext { chain, departments, body, holdings }))
                }

                async fn create_user(&self, u: &UserRecord) -> Result<()> {
                    self.import_directory(&$crate::DirectoryBatch { users: vec![u.clone()], ..Default::default() }).await
                }

                async fn user(&self, login: &str) -> Result<Option<UserRecord>> {
                    // Logins are compared without regard to case (migration 0019).
                    let row = sqlx::query("SELECT * FROM users WHERE lower(login) = lower($1)")
                        .bind(login)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(e)?;
                    row.as_ref().map(user).transpose()
                }

                async fn put_delegation(&self, d: &naxian_model::Delegation) -> Result<()> {
                    sqlx::query(
                        "INSERT INTO delegations (login, delegate, starts_at, ends_at, workflows, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6)
                         ON CONFLICT (login) DO UPDATE SET delegate = excluded.delegate,
                           starts_at = excluded.starts_at, ends_at = excluded.ends_at,
                           workflows = excluded.workflows, created_at = excluded.created_at",
                    )
                    .bind(&d.login)
                    .bind(&d.delegate)
                    .bind(d.from)
                    .bind(d.until)
                    .bind(d.workflows.as_ref().map(Json))
                    .bind(d.created_at)
                    .execute(self.writer())
                    .await
                    .map_err(e)?;
                    Ok(())
                }

                async fn delegation(&self, login: &str) -> Result<Option<naxian_model::Delegation>> {
                    let row = sqlx::query("SELECT * FROM delegations WHERE login = $1")
                        .bind(login)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(e)?;
                    row.as_ref().map(delegation).transpose()
                }

                async fn end_delegation(&self, login: &str) -> Result<bool> {
                    let done = sqlx::query("DELETE FROM delegations WHERE login = $1")
                        .bind(login)
                        .execute(self.writer())
                        .await
                        .map_err(e)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn delegations_of(&self, logins: &[String]) -> Result<Vec<naxian_model::Delegation>> {
                    if logins.is_empty() {
                        return Ok(Vec::new());
                    }
                    let sql = format!(
                        "SELECT * FROM delegations WHERE login IN ({}) ORDER BY login",
                        placeholders(1, logins.len())
                    );
                    let mut q = sqlx::query(&sql);
                    for l in logins {
                        q = q.bind(l);
                    }
                    let rows = q.fetch_all(self.reader()).await.map_err(e)?;
                    rows.iter().map(delegation).collect()
                }

                async fn delegations_to(&self, delegate: &str) -> Result<Vec<naxian_model::Delegation>> {
                    let rows = sqlx::query("SELECT * FROM delegations WHERE delegate = $1 ORDER BY login")
                        .bind(delegate)
                        .fetch_all(self.reader())
                        .await
                        .map_err(e)?;
                    rows.iter().map(delegation).collect()
                }

                async fn add_grant(&self, login: &str, role: &Role, org: &str) -> Result<()> {
                    self.import_directory(&$crate::DirectoryBatch {
                        grants: vec![(login.to_string(), role.clone(), org.to_string())],
                        ..Default::default()
                    })
                    .await
                }

                async fn remove_grant(&self, login: &str, role: &Role, org: &str, at: DateTime<Utc>) -> Result<bool> {
                    let mut tx = self.writer().begin().await.map_err(e)?;
                    let removed = sqlx::query("DELETE FROM grants WHERE login = $1 AND role = $2 AND org_unit = $3")
                        .bind(login)
                        .bind(role.as_str())
                        .bind(org)
                        .execute(&mut *tx)
                        .await
                        .map_err(e)?
                        .rows_affected();
                    if removed > 0 {
                        sqlx::query(
                            "UPDATE users SET roles_ended_at = $2 WHERE login = $1
                               AND NOT EXISTS (SELECT 1 FROM grants g WHERE g.login = users.login)",
                        )
                        .bind(login)
                        .bind(at)
                        .execute(&mut *tx)
                        .await
                        .map_err(e)?;
                    }
                    tx.commit().await.map_err(e)?;
                    Ok(removed > 0)
                }

                async fn purge_user_phones(&self, before: DateTime<Utc>) -> Result<u64> {
                    // A role granted since clears `roles_ended_at`; the grants
                    // check guards a grant written by an older process.
                    Ok(sqlx::query(
                        "UPDATE users SET phone = NULL WHERE phone IS NOT NULL AND roles_ended_at < $1
                           AND NOT EXISTS (SELECT 1 FROM grants g WHERE g.login = users.login)",
                    )
                    .bind(before)
                    .execute(self.writer())
                    .await
                    .map_err(e)?
                    .rows_affected())
                }

                async fn grants(&self, login: &str) -> Result<Vec<Grant>> {
                    let rows = sqlx::query(
                        "SELECT g.role, g.org_unit, u.path, r.may FROM grants g JOIN org_units u ON u.code = g.org_unit
                         LEFT JOIN roles r ON r.name = g.role
                         WHERE g.login = $1 ORDER BY u.path, g.role",
                    )
                    .bind(login)
                    .fetch_all(self.reader())
                    .await
                    .map_err(e)?;
                    rows.iter()
                        .map(|r| $crate::sql::rows::GrantRow::from_row(r).map_err(e)?.into_model())
                        .collect()
                }

                async fn holders(&self, role: &Role, unit_path: &str) -> Result<Vec<(UserRecord, String)>> {
                    // A grant covers the unit if it is at the unit or one of its
                    // ancestors: exactly the codes on its path.
                    let codes: Vec<&str> = unit_path.split('/').filter(|c| !c.is_empty()).collect();
                    if codes.is_empty() {
                        return Ok(Vec::new());
                    }
                    let sql = format!(
                        "SELECT us.*, u.path AS grant_path FROM grants g JOIN org_units u ON u.code = g.org_unit
                         JOIN users us ON us.login = g.login
                         WHERE g.role = $1 AND g.org_unit IN ({})
                         ORDER BY length(u.path) DESC, us.login",
                        placeholders(2, codes.len())
                    );
                    let mut q = sqlx::query(&sql).bind(role.as_str());
                    for c in &codes {
                        q = q.bind(*c);
                    }
                    let rows = q.fetch_all(self.reader()).await.map_err(e)?;
                    rows.iter()
                        .map(|r| Ok((user(r)?, r.try_get::<String, _>("grant_path").map_err(e)?)))
                        .collect()
                }

                async fn units_of_kind(&self, kind: naxian_model::OrgKind) -> Result<Vec<OrgUnit>> {
                    let rows = sqlx::query("SELECT * FROM org_units WHERE kind = $1 ORDER BY code")
                        .bind(kind.as_str())
                        .fetch_all(self.reader())
                        .await
                        .map_err(e)?;
                    rows.iter().map(org_unit).collect()
                }

                async fn units_under(&self, path: &str) -> Result<Vec<OrgUnit>> {
                    let rows = sqlx::query("SELECT * FROM org_units WHERE substr(path, 1, length($1)) = $1 ORDER BY path")
                        .bind(path)
                        .fetch_all(self.reader())
                        .await
                        .map_err(e)?;
                    rows.iter().map(org_unit).collect()
                }

                async fn members_under(&self, path: &str) -> Result<Vec<(MemberRecord, String)>> {
                    let rows = sqlx::query(
                        "SELECT m.*, u.path AS unit_path FROM members m JOIN org_units u ON u.code = m.org_unit
                         WHERE substr(u.path, 1, length($1)) = $1 ORDER BY u.path, m.since",
                    )
                    .bind(path)
                    .fetch_all(self.reader())
                    .await
                    .map_err(e)?;
                    rows.iter()
                        .map(|r| Ok((member(r)?, r.try_get::<String, _>("unit_path").map_err(e)?)))
                        .collect()
                }

                async fn contacts_under(&self, path: &str) -> Result<Vec<$crate::Contact>> {
                    let rows = sqlx::query(
                        "SELECT u.*, g.role, us.login, us.name AS user_name, us.email, us.phone, us.position
                         FROM grants g JOIN org_units u ON u.code = g.org_unit JOIN users us ON us.login = g.login
                         WHERE substr(u.path, 1, length($1)) = $1 ORDER BY u.path, g.role, us.login",
                    )
                    .bind(path)
                    .fetch_all(self.reader())
                    .await
                    .map_err(e)?;
                    rows.iter()
                        .map(|r| $crate::sql::rows::ContactRow::from_row(r).map_err(e)?.into_model())
                        .collect()
                }

                async fn catalogue(&self) -> Result<naxian_model::Catalogue> {
                    let roles = sqlx::query("SELECT name, label, may FROM roles ORDER BY position, name")
                        .fetch_all(self.reader())
                        .await
                        .map_err(e)?;
                    let functions = sqlx::query("SELECT name, label FROM dept_functions ORDER BY position, name")
                        .fetch_all(self.reader())
                        .await
                        .map_err(e)?;
                    Ok(naxian_model::Catalogue {
                        roles: roles
                            .iter()
                            .map(|r| $crate::sql::rows::RoleRow::from_row(r).map_err(e)?.into_model())
                            .collect::<Result<_>>()?,
                        functions: functions
                            .iter()
                            .map(|r| $crate::sql::rows::FunctionRow::from_row(r).map_err(e)?.into_model())
                            .collect::<Result<_>>()?,
                    })
                }

                // `WHERE true` in the upserts below: SQLite reads `ON CONFLICT`
                // after a bare `SELECT … FROM` as part of a join.
                async fn seed_catalogue(&self, shipped: &naxian_model::Catalogue) -> Result<usize> {
                    let mut tx = self.writer().begin().await.map_err(e)?;
                    let mut added = 0;
                    for r in &shipped.roles {
                        let done = sqlx::query(
                            "INSERT INTO roles (name, label, may, position)
                             SELECT $1, $2, $3, COALESCE(MAX(position), 0) + 1 FROM roles WHERE true
                             ON CONFLICT (name) DO NOTHING",
                        )
                        .bind(r.name.as_str())
                        .bind(&r.label)
                        .bind(sqlx::types::Json(&r.may))
                        .execute(&mut *tx)
                        .await
                        .map_err(e)?;
                        added += done.rows_affected() as usize;
                    }
                    for f in &shipped.functions {
                        let done = sqlx::query(
                            "INSERT INTO dept_functions (name, label, position)
                             SELECT $1, $2, COALESCE(MAX(position), 0) + 1 FROM dept_functions WHERE true
                             ON CONFLICT (name) DO NOTHING",
                        )
                        .bind(f.name.as_str())
                        .bind(&f.label)
                        .execute(&mut *tx)
                        .await
                        .map_err(e)?;
                        added += done.rows_affected() as usize;
                    }
                    tx.commit().await.map_err(e)?;
                    Ok(added)
                }

                async fn put_role(&self, r: &naxian_model::catalogue::RoleEntry) -> Result<()> {
                    sqlx::query(
                        "INSERT INTO roles (name, label, may, position)
                         SELECT $1, $2, $3, COALESCE(MAX(position), 0) + 1 FROM roles WHERE true
                         ON CONFLICT (name) DO UPDATE SET label = excluded.label, may = excluded.may",
                    )
                    .bind(r.name.as_str())
                    .bind(&r.label)
                    .bind(sqlx::types::Json(&r.may))
                    .execute(self.writer())
                    .await
                    .map_err(e)?;
                    Ok(())
                }

                async fn put_function(&self, f: &naxian_model::catalogue::FunctionEntry) -> Result<()> {
                    sqlx::query(
                        "INSERT INTO dept_functions (name, label, position)
                         SELECT $1, $2, COALESCE(MAX(position), 0) + 1 FROM dept_functions WHERE true
                         ON CONFLICT (name) DO UPDATE SET label = excluded.label",
                    )
                    .bind(f.name.as_str())
                    .bind(&f.label)
                    .execute(self.writer())
                    .await
                    .map_err(e)?;
                    Ok(())
                }

                async fn set_digest(&self, login: &str, digest: bool) -> Result<bool> {
                    let done = sqlx::query("UPDATE users SET digest = $1 WHERE login = $2")
                        .bind(digest)
                        .bind(login)
                        .execute(self.writer())
                        .await
                        .map_err(e)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn set_contact(&self, login: &str, email: &str, phone: Option<&str>, digest: bool) -> Result<bool> {
                    let done = sqlx::query("UPDATE users SET email = $1, phone = $2, digest = $3 WHERE login = $4")
                        .bind(email)
                        .bind(phone)
                        .bind(digest)
                        .bind(login)
                        .execute(self.writer())
                        .await
                        .map_err(e)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn phrases(&self, login: &str) -> Result<Option<Vec<String>>> {
                    let row: Option<Json<Vec<String>>> = sqlx::query_scalar("SELECT texts FROM phrases WHERE login = $1")
                        .bind(login)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(e)?;
                    Ok(row.map(|j| j.0))
                }

                async fn set_phrases(&self, login: &str, texts: &[String]) -> Result<()> {
                    sqlx::query(
                        "INSERT INTO phrases (login, texts) VALUES ($1, $2)
                         ON CONFLICT (login) DO UPDATE SET texts = excluded.texts",
                    )
                    .bind(login)
                    .bind(Json(texts))
                    .execute(self.writer())
                    .await
                    .map_err(e)?;
                    Ok(())
                }

                async fn set_password(&self, login: &str, hash: &str, must_change: bool) -> Result<bool> {
                    let mut tx = self.writer().begin().await.map_err(e)?;
                    let done = sqlx::query(
                        "UPDATE users SET password_hash = $1, must_change_password = $2 WHERE login = $3",
                    )
                    .bind(hash)
                    .bind(must_change)
                    .bind(login)
                    .execute(&mut *tx)
                    .await
                    .map_err(e)?;
                    if must_change {
                        // A reset shuts out whoever held the old password: its
                        // sessions and API tokens end with it.
                        for table in ["sessions", "tokens"] {
                            sqlx::query(&format!("DELETE FROM {table} WHERE login = $1"))
                                .bind(login)
                                .execute(&mut *tx)
                                .await
                                .map_err(e)?;
                        }
                    }
                    tx.commit().await.map_err(e)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn digest_users(&self) -> Result<Vec<UserRecord>> {
                    let rows = sqlx::query("SELECT * FROM users WHERE digest = $1 ORDER BY login")
                        .bind(true)
                        .fetch_all(self.reader())
                        .await
                        .map_err(e)?;
                    rows.iter().map(user).collect()
                }
            }
        };
    };
}
