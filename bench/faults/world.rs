//! What a harness runs against: a database (its own SQLite file or its own
//! PostgreSQL), the service's environment, prepared customers and SKUs
//! (`gongfang bench-prepare`), and a connection for the checks afterwards.

use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::Utc;
use gongfang::auth::service::hash_token;
use gongfang::entity::{account, auth_token, membership};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, Database, DatabaseConnection, QueryResult, Set, Statement,
};

use crate::procs::{Postgres, Service, temp_dir};

/// The development profile's token pepper (the harness runs that profile).
const SECRET: &str = "dev-only-secret-change-me";

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct World {
    pub dir: PathBuf,
    pub database_url: String,
    /// Kept alive for the harness's lifetime (stopped and removed on drop).
    pub postgres: Option<Postgres>,
}

impl World {
    pub fn new(name: &str, backend: Backend) -> anyhow::Result<Self> {
        let dir = temp_dir(name)?;
        let (database_url, postgres) = match backend {
            Backend::Sqlite => (
                format!("sqlite://{}?mode=rwc", dir.join("gongfang.db").display()),
                None,
            ),
            Backend::Postgres => {
                let pg = Postgres::start_new()?;
                pg.create_database("gongfang")?;
                (pg.url("gongfang"), Some(pg))
            }
        };
        Ok(Self {
            dir,
            database_url,
            postgres,
        })
    }

    /// The service's environment: this database, quiet logs, no rate limits,
    /// unpaid orders kept for an hour, plus `extra`.
    pub fn env(&self, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut env = vec![
            ("GONGFANG_PROFILE", "development"),
            ("GONGFANG__LOG__LEVEL", "warn,sqlx=error"),
            ("GONGFANG__ORDERS__PAYMENT_WINDOW_SECS", "3600"),
            ("GONGFANG__RATE_LIMITS__ORDERS__PER_CUSTOMER", "0"),
            ("GONGFANG__RATE_LIMITS__ORDERS__PER_IP", "0"),
            ("GONGFANG__RATE_LIMITS__DEALS__PER_CUSTOMER", "0"),
            ("GONGFANG__RATE_LIMITS__DEALS__PER_IP", "0"),
            ("GONGFANG__DATABASE__URL", self.database_url.as_str()),
        ];
        env.extend_from_slice(extra);
        env.into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    pub fn log(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.log"))
    }

    pub async fn connect(&self) -> anyhow::Result<DatabaseConnection> {
        Ok(Database::connect(self.database_url.as_str()).await?)
    }
}

impl Drop for World {
    fn drop(&mut self) {
        self.postgres.take();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub struct Customer {
    pub token: String,
    pub address_id: i64,
}

pub struct Prepared {
    pub customers: Vec<Customer>,
    pub skus: Vec<i64>,
    pub deal_id: Option<i64>,
}

/// Bulk-inserts customers (with tokens and addresses) and SKUs through the
/// service binary, with a running flash deal when `deal_quantity` is set.
pub fn prepare(
    service: &Service,
    dir: &Path,
    customers: usize,
    skus: usize,
    stock: i64,
    deal_quantity: Option<i64>,
) -> anyhow::Result<Prepared> {
    let out = dir.join("prepared");
    let mut cmd = service.command();
    cmd.arg("bench-prepare")
        .args(["--customers", &customers.to_string()])
        .args(["--skus", &skus.to_string(), "--stock", &stock.to_string()])
        .arg("--out")
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit());
    if let Some(quantity) = deal_quantity {
        cmd.args(["--deal-quantity", &quantity.to_string()]);
    }
    anyhow::ensure!(cmd.status()?.success(), "bench-prepare failed");
    let customers = std::fs::read_to_string(out.join("customers.txt"))?
        .lines()
        .filter_map(|line| {
            let (token, address) = line.split_once(' ')?;
            Some(Customer {
                token: token.to_owned(),
                address_id: address.parse().ok()?,
            })
        })
        .collect();
    let skus = std::fs::read_to_string(out.join("skus.txt"))?
        .lines()
        .filter_map(|l| l.parse().ok())
        .collect();
    let deal_id = std::fs::read_to_string(out.join("deal.txt"))
        .ok()
        .and_then(|d| d.trim().parse().ok());
    Ok(Prepared {
        customers,
        skus,
        deal_id,
    })
}

/// A staff account with `role` in the workshop owning `sku_id`; its bearer token.
pub async fn staff_token(
    db: &DatabaseConnection,
    sku_id: i64,
    role: &str,
) -> anyhow::Result<String> {
    let workshop_id = scalar(
        db,
        &format!("SELECT workshop_id FROM skus WHERE id = {sku_id}"),
    )
    .await?;
    let now = Utc::now();
    let phone = format!("f{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let staff = account::ActiveModel {
        phone: Set(phone),
        name: Set(format!("故障演练{role}")),
        password_hash: Set("!faults".into()),
        is_platform_admin: Set(false),
        is_customer: Set(false),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    membership::ActiveModel {
        workshop_id: Set(workshop_id),
        account_id: Set(staff.id),
        role: Set(role.into()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let token = format!("gf_faults_{}", uuid::Uuid::new_v4().simple());
    auth_token::ActiveModel {
        account_id: Set(staff.id),
        token_hash: Set(hash_token(SECRET, &token)),
        created_at: Set(now),
        expires_at: Set(now + chrono::Duration::days(1)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(token)
}

pub async fn rows(db: &DatabaseConnection, sql: &str) -> anyhow::Result<Vec<QueryResult>> {
    let statement = Statement::from_string(db.get_database_backend(), sql.to_owned());
    Ok(db.query_all_raw(statement).await?)
}

/// The first column of the first row, as an integer (0 for NULL).
pub async fn scalar(db: &DatabaseConnection, sql: &str) -> anyhow::Result<i64> {
    let row = rows(db, sql).await?.into_iter().next().context("no row")?;
    Ok(row.try_get_by_index::<Option<i64>>(0)?.unwrap_or(0))
}
