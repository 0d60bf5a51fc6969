//! `spawn_app()` and typed request helpers. With `TEST_DATABASE_URL` each test
//! gets a PostgreSQL database cloned from a template migrated once per build;
//! otherwise a temporary SQLite file. `TEST_REDIS_URL` adds Redis with a
//! per-test key prefix.

use std::time::{Duration, SystemTime};

use gongfang::auth::service::ensure_platform_admin;
use gongfang::config::Settings;
use gongfang::platform::{db, telemetry};
use gongfang::startup::Application;
use gongfang::state::AppState;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use tokio::sync::OnceCell;

pub const PASSWORD: &str = "correct-horse-battery";

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub state: AppState,
    database: TestDatabase,
    background: tokio::task::JoinHandle<anyhow::Result<()>>,
}

enum TestDatabase {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres {
        server: String,
        name: String,
    },
    /// Owned by another `TestApp` (a peer instance).
    Shared,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(customise: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = Settings::load_profile("test").expect("test settings load");
    if std::env::var("TEST_LOG").is_ok() {
        telemetry::init(&settings.log);
    }
    settings.server.bind = "127.0.0.1:0".into();
    let database = match std::env::var("TEST_DATABASE_URL") {
        Ok(server) => {
            let name = create_postgres_database(&server).await;
            settings.database.url = format!("{}/{name}", server.trim_end_matches('/'));
            TestDatabase::Postgres { server, name }
        }
        Err(_) => {
            let dir = tempfile::tempdir().expect("temp dir");
            settings.database.url = String::new();
            settings.database.sqlite_path = dir.path().join("gongfang.db").display().to_string();
            TestDatabase::Sqlite(dir)
        }
    };
    if let Ok(redis) = std::env::var("TEST_REDIS_URL") {
        settings.cache.url = redis;
        settings.cache.key_prefix = format!("gftest:{}:", uuid::Uuid::new_v4().simple());
    }
    customise(&mut settings);
    start(settings, database).await
}

/// A second instance sharing the first one's database and cache.
pub async fn spawn_peer(of: &TestApp) -> TestApp {
    let mut settings = (*of.state.settings).clone();
    settings.server.bind = "127.0.0.1:0".into();
    start(settings, TestDatabase::Shared).await
}

async fn start(settings: Settings, database: TestDatabase) -> TestApp {
    let app = Application::build(settings).await.expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    let background = tokio::spawn(app.run_until_stopped());
    gongfang::platform::outbound::install_tls_provider();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    TestApp {
        address,
        client,
        state,
        database,
        background,
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let TestDatabase::Postgres { server, name } = &self.database {
            let (server, name) = (server.clone(), name.clone());
            // The test's runtime is shutting down; drop the database from a thread of our own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async {
                    if let Ok(admin) = admin_connection(&server).await {
                        let _ = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            ))
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

static TEMPLATE: OnceCell<String> = OnceCell::const_new();

async fn create_postgres_database(server: &str) -> String {
    let template = TEMPLATE.get_or_init(|| prepare_template(server)).await;
    let name = format!("gf_test_{}", uuid::Uuid::new_v4().simple());
    let admin = admin_connection(server)
        .await
        .expect("connect to PostgreSQL");
    let sql = format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"");
    for attempt in 0..20 {
        match admin.execute_unprepared(&sql).await {
            Ok(_) => return name,
            Err(err) if attempt < 19 => {
                eprintln!("create test database: {err}; retrying");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(err) => panic!("create test database: {err}"),
        }
    }
    unreachable!()
}

/// A migrated template named after this test build, made once across all
/// test processes (an advisory lock serialises them).
async fn prepare_template(server: &str) -> String {
    let name = format!("gf_tpl_{}", build_fingerprint());
    let admin = admin_connection(server)
        .await
        .expect("connect to PostgreSQL");
    admin
        .execute_unprepared("SELECT pg_advisory_lock(727274)")
        .await
        .expect("lock");
    let exists = admin
        .query_one_raw(sea_orm::Statement::from_string(
            admin.get_database_backend(),
            format!("SELECT 1 FROM pg_database WHERE datname = '{name}'"),
        ))
        .await
        .expect("query pg_database")
        .is_some();
    if !exists {
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create template");
        let url = format!("{}/{name}", server.trim_end_matches('/'));
        let conn = Database::connect(&url).await.expect("connect to template");
        db::migrate(&conn).await.expect("migrate template");
        conn.close().await.expect("close template");
    }
    drop_stale_templates(&admin, &name).await;
    admin
        .execute_unprepared("SELECT pg_advisory_unlock(727274)")
        .await
        .expect("unlock");
    name
}

/// Templates of builds over an hour old (a concurrent run's template is younger).
async fn drop_stale_templates(admin: &DatabaseConnection, current: &str) {
    let rows = admin
        .query_all_raw(sea_orm::Statement::from_string(
            admin.get_database_backend(),
            format!("SELECT datname FROM pg_database WHERE datname LIKE 'gf\\_tpl\\_%' AND datname <> '{current}'"),
        ))
        .await
        .unwrap_or_default();
    let hour_ago = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
        .saturating_sub(3600);
    for row in rows {
        let Ok(name) = row.try_get::<String>("", "datname") else {
            continue;
        };
        let built_at = name
            .split('_')
            .nth(2)
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(0);
        if built_at < hour_ago {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\""))
                .await;
        }
    }
}

async fn admin_connection(server: &str) -> Result<DatabaseConnection, sea_orm::DbErr> {
    let mut options = ConnectOptions::new(format!("{}/postgres", server.trim_end_matches('/')));
    options.max_connections(1).sqlx_logging(false);
    Database::connect(options).await
}

/// Changes whenever the test binary is rebuilt, so a changed migration never
/// meets a stale template.
fn build_fingerprint() -> String {
    let exe = std::env::current_exe().expect("current exe");
    let modified = std::fs::metadata(exe)
        .and_then(|m| m.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH)
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    format!("{}_{}", modified.as_secs(), modified.subsec_nanos())
}

/// A workshop with one account per staff role, each logged in.
#[derive(Clone)]
pub struct Workshop {
    pub id: i64,
    pub manager: String,
    pub streamer: String,
    pub fulfilment: String,
    pub leader: String,
}

impl TestApp {
    /// Kills the instance's background work (the webhook worker mid-flight,
    /// as a crash would); its HTTP listener keeps answering.
    pub fn abort_background(&self) {
        self.background.abort();
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let builder = self.client.request(method, self.url(path));
        match token {
            Some(t) => builder.bearer_auth(t),
            None => builder,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.request(Method::GET, path, token)
            .send()
            .await
            .expect("request")
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.request(Method::POST, path, token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Response {
        self.request(Method::DELETE, path, token)
            .send()
            .await
            .expect("request")
    }

    /// Registers a customer and returns its token.
    pub async fn customer(&self, phone: &str) -> String {
        let res = self
            .post(
                "/api/v1/auth/register",
                None,
                &json!({"phone": phone, "password": PASSWORD, "name": "测试顾客"}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "register {phone}");
        token_of(res).await
    }

    pub async fn login(&self, phone: &str, password: &str) -> Response {
        self.post(
            "/api/v1/auth/login",
            None,
            &json!({"phone": phone, "password": password}),
        )
        .await
    }

    pub async fn token(&self, phone: &str) -> String {
        let res = self.login(phone, PASSWORD).await;
        assert_eq!(res.status(), StatusCode::OK, "login {phone}");
        token_of(res).await
    }

    /// A platform admin (made the way `gongfang admin create` does), logged in.
    pub async fn admin(&self) -> String {
        let phone = "10000000000";
        ensure_platform_admin(&self.state.db, &self.state.passwords, phone, PASSWORD)
            .await
            .expect("admin created");
        self.token(phone).await
    }

    /// Creates a workshop whose staff phones start with `prefix` (5 digits).
    pub async fn workshop(&self, admin: &str, prefix: &str) -> Workshop {
        let phone = |n: u8| format!("{prefix}00000{n}");
        let res = self
            .post(
                "/api/v1/workshops",
                Some(admin),
                &json!({
                    "name": format!("工坊{prefix}"),
                    "region": "杭州市建德市",
                    "description": "测试工坊",
                    "contact": "0571-1234567",
                    "manager": {"phone": phone(1), "name": "经理", "password": PASSWORD},
                }),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let id = json_of(res).await["id"].as_i64().expect("workshop id");
        let manager = self.token(&phone(1)).await;
        for (n, role) in [(2, "streamer"), (3, "fulfilment"), (4, "leader")] {
            let body = json!({"phone": phone(n), "name": role, "role": role, "password": PASSWORD});
            let res = self
                .post(
                    &format!("/api/v1/workshops/{id}/members"),
                    Some(&manager),
                    &body,
                )
                .await;
            assert_eq!(res.status(), StatusCode::CREATED, "add {role}");
        }
        Workshop {
            id,
            manager,
            streamer: self.token(&phone(2)).await,
            fulfilment: self.token(&phone(3)).await,
            leader: self.token(&phone(4)).await,
        }
    }
}

pub async fn json_of(res: Response) -> Value {
    let status = res.status();
    let text = res.text().await.expect("body");
    serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("status {status}, body is not JSON: {text}"))
}

pub async fn token_of(res: Response) -> String {
    json_of(res).await["token"]
        .as_str()
        .expect("token")
        .to_owned()
}

/// Asserts a problem+json answer with this status and code; returns the body.
pub async fn assert_problem(res: Response, status: StatusCode, code: &str) -> Value {
    let actual = res.status();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = json_of(res).await;
    assert_eq!(actual, status, "body: {body}");
    assert_eq!(content_type, "application/problem+json", "body: {body}");
    assert_eq!(body["code"], code, "body: {body}");
    assert_eq!(body["status"], status.as_u16());
    assert!(body["title"].is_string() && body["detail"].is_string() && body["type"].is_string());
    body
}

/// Asserts a 429 problem with this code and a `Retry-After` of 1 to 60 seconds.
pub async fn assert_retry_later(res: Response, code: &str) -> Value {
    let retry_after: u64 = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    assert_problem(res, StatusCode::TOO_MANY_REQUESTS, code).await
}
