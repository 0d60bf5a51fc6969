//! The `gongfang` binary as operators use it: `serve --demo` with environment
//! overrides, idempotent `admin create`, and production's refusal of defaults.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::json;

struct Service(Child);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn gongfang(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gongfang"));
    for var in [
        "DATABASE_URL",
        "REDIS_URL",
        "GONGFANG_PROFILE",
        "GONGFANG_ADMIN_PASSWORD",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("GONGFANG__DATABASE__SQLITE_PATH", dir.join("gongfang.db"))
        .env("GONGFANG__LOG__LEVEL", "warn")
        .stdin(Stdio::null());
    cmd
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_until_up(client: &reqwest::Client, base: &str) {
    // `serve --demo` answers ready once the demo month is loaded: 10-25 s for a
    // debug build, more on a machine busy with the rest of the suite.
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if let Ok(res) = client.get(format!("{base}/readyz")).send().await
            && res.status() == StatusCode::OK
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("service did not come up at {base}");
}

#[tokio::test]
async fn serve_demo_starts_with_environment_overrides_and_the_demo_streamer_logs_in() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = gongfang(dir.path())
        .args(["serve", "--demo", "--bind", &format!("127.0.0.1:{port}")])
        .env("GONGFANG__SERVER__JSON_LIMIT_BYTES", "300")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let _service = Service(child);
    let base = format!("http://127.0.0.1:{port}");
    gongfang::platform::outbound::install_tls_provider();
    let client = reqwest::Client::new();
    wait_until_up(&client, &base).await;

    let login = json!({"phone": gongfang::scaffold::demo::staff_phone("001", 2), "password": gongfang::scaffold::demo::DEMO_PASSWORD});
    let res = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&login)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // The override shrank the body limit from 64 KiB to 300 bytes.
    let big = json!({"phone": "13800000000", "password": "x".repeat(400), "name": "n"});
    let res = client
        .post(format!("{base}/api/v1/auth/register"))
        .json(&big)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

/// A demo that cannot load (here: no sandbox to pay through) is reported on
/// `/readyz` and in the log; the instance keeps serving instead of exiting.
#[tokio::test]
async fn serve_demo_keeps_serving_and_says_why_when_the_demo_cannot_load() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = gongfang(dir.path())
        .args(["serve", "--demo", "--bind", &format!("127.0.0.1:{port}")])
        .env("GONGFANG__PAYMENTS__SANDBOX_ENABLED", "false")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    gongfang::platform::outbound::install_tls_provider();
    let client = reqwest::Client::new();
    wait_until_up(&client, &base).await;
    let ready: serde_json::Value = client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let warmup = ready["warmup"].as_str().unwrap_or_default();
    assert!(
        warmup.starts_with("demo data: failed") && warmup.contains("SANDBOX_ENABLED"),
        "{ready}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(child.try_wait().unwrap().is_none(), "the service exited");
    let res = client
        .get(format!("{base}/api/v1/products"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let _service = Service(child);
}

#[tokio::test]
async fn admin_create_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        gongfang(dir.path())
            .args(["admin", "create", "--phone", "13811112222"])
            .env("GONGFANG_ADMIN_PASSWORD", "admin-password-1")
            .output()
            .unwrap()
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stdout).contains("created"));
    let second = run();
    assert!(second.status.success());
    assert!(String::from_utf8_lossy(&second.stdout).contains("already"));

    let url = format!("sqlite://{}", dir.path().join("gongfang.db").display());
    let db = Database::connect(&url).await.unwrap();
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n, MAX(is_platform_admin) AS admin FROM accounts WHERE phone = '13811112222'",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<i64>("", "n").unwrap(), 1);
}

#[tokio::test]
async fn admin_create_reads_the_password_from_standard_input() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let mut child = gongfang(dir.path())
        .args(["admin", "create", "--phone", "13811113333"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"stdin-password-1\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("created"));
}

#[tokio::test]
async fn production_refuses_the_default_secret_and_a_missing_database_url() {
    let dir = tempfile::tempdir().unwrap();
    let out = gongfang(dir.path())
        .arg("migrate")
        .env("GONGFANG_PROFILE", "production")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("GONGFANG__AUTH__SECRET"));

    let out = gongfang(dir.path())
        .arg("migrate")
        .env("GONGFANG_PROFILE", "production")
        .env(
            "GONGFANG__AUTH__SECRET",
            "a-long-random-production-secret-0123456789",
        )
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("DATABASE_URL"));
}
