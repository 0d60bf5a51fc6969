//! The processes a harness owns: its own PostgreSQL cluster (initdb into a temp
//! folder, pg_ctl on a free loopback port), its own redis-server, and release
//! builds of the service. Faults are signals sent by PID; `Drop` cleans up.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// A fresh folder under the system temp dir, removed by the owner's `Drop`.
pub fn temp_dir(name: &str) -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("gf-faults-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Sends a signal (`KILL`, `STOP`, `CONT`, `TERM`) to one process by PID.
pub fn signal(pid: u32, name: &str) -> anyhow::Result<()> {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()?;
    anyhow::ensure!(status.success(), "kill -{name} {pid} failed");
    Ok(())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

pub struct Postgres {
    pub port: u16,
    dir: PathBuf,
    bin: PathBuf,
    as_postgres_user: bool,
}

impl Postgres {
    /// initdb (trust auth, loopback only) and start on a free port.
    pub fn start_new() -> anyhow::Result<Self> {
        let bin = postgres_bin()?;
        let dir = temp_dir("pg")?;
        let as_postgres_user = is_root();
        if as_postgres_user {
            run(Command::new("chown").arg("-R").arg("postgres").arg(&dir))?;
        }
        let pg = Self {
            port: free_port()?,
            dir,
            bin,
            as_postgres_user,
        };
        pg.pg(&format!(
            "initdb -D {} -U postgres -A trust --no-sync -E UTF8",
            pg.data().display()
        ))?;
        pg.start()?;
        Ok(pg)
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    pub fn start(&self) -> anyhow::Result<()> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200",
            self.port,
            self.dir.display()
        );
        self.pg(&format!(
            "pg_ctl -D {} -o '{options}' -l {} -w -t 30 start",
            self.data().display(),
            self.dir.join("server.log").display()
        ))
    }

    /// `fast` (clients disconnected, clean shutdown) or `immediate` (crash, recovery on start).
    pub fn stop(&self, mode: &str) -> anyhow::Result<()> {
        self.pg(&format!(
            "pg_ctl -D {} -m {mode} -w -t 30 stop",
            self.data().display()
        ))
    }

    pub fn create_database(&self, name: &str) -> anyhow::Result<()> {
        let psql = format!(
            "{}/psql -q -h 127.0.0.1 -p {} -U postgres -d postgres -c 'CREATE DATABASE {name}'",
            self.bin.display(),
            self.port
        );
        run(Command::new("sh").arg("-c").arg(psql).stdout(Stdio::null()))
    }

    fn pg(&self, command: &str) -> anyhow::Result<()> {
        let full = format!("{}/{command}", self.bin.display());
        let mut cmd = if self.as_postgres_user {
            let mut c = Command::new("su");
            c.arg("postgres").arg("-c").arg(&full);
            c
        } else {
            let mut c = Command::new("sh");
            c.arg("-c").arg(&full);
            c
        };
        run(cmd.current_dir(&self.dir).stdout(Stdio::null()))
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self.stop("immediate");
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn postgres_bin() -> anyhow::Result<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .context("PostgreSQL binaries under /usr/lib/postgresql")?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("pg_ctl").exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .context("no pg_ctl under /usr/lib/postgresql/*/bin")
}

fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let out = cmd.stderr(Stdio::piped()).output()?;
    if !out.status.success() {
        bail!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

pub struct Redis {
    pub port: u16,
    child: Option<Child>,
}

impl Redis {
    pub fn start_new() -> anyhow::Result<Self> {
        let mut redis = Self {
            port: free_port()?,
            child: None,
        };
        redis.start()?;
        Ok(redis)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or(0)
    }

    pub fn start(&mut self) -> anyhow::Result<()> {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--enable-debug-command", "yes", "--port"])
            .arg(self.port.to_string())
            .stdout(Stdio::null())
            .spawn()
            .context("redis-server")?;
        self.child = Some(child);
        wait_for_port(self.port, Duration::from_secs(10))
    }

    /// SIGKILL by PID (the data is gone: Redis is a cache).
    pub fn kill(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            signal(child.id(), "KILL")?;
            child.wait()?;
        }
        Ok(())
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}

fn wait_for_port(port: u16, within: Duration) -> anyhow::Result<()> {
    let started = Instant::now();
    while started.elapsed() < within {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!("nothing listening on {port} after {within:?}")
}

/// One release-built service process on a fixed port, restartable after a kill.
pub struct Service {
    pub port: u16,
    bin: PathBuf,
    env: Vec<(String, String)>,
    log: PathBuf,
    child: Option<Child>,
}

impl Service {
    pub fn new(bin: &Path, env: Vec<(String, String)>, log: PathBuf) -> anyhow::Result<Self> {
        Ok(Self {
            port: free_port()?,
            bin: bin.to_owned(),
            env,
            log,
            child: None,
        })
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The running process's id.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// A `gongfang` subcommand with this service's environment (e.g. bench-prepare).
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.env_remove("DATABASE_URL").env_remove("REDIS_URL");
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    /// Starts the process and waits until `/healthz` answers; the time that took.
    pub async fn start(&mut self) -> anyhow::Result<Duration> {
        let started = Instant::now();
        let log = File::options().create(true).append(true).open(&self.log)?;
        let child = self
            .command()
            .arg("serve")
            .arg("--bind")
            .arg(format!("127.0.0.1:{}", self.port))
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        self.child = Some(child);
        let client = reqwest::Client::new();
        while started.elapsed() < Duration::from_secs(60) {
            let probe = client
                .get(format!("{}/healthz", self.base()))
                .timeout(Duration::from_millis(500))
                .send()
                .await;
            if probe.is_ok_and(|r| r.status().is_success()) {
                return Ok(started.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("service did not start; see {}", self.log.display())
    }

    /// SIGKILL by PID: no shutdown hook, no flush, in-flight requests cut.
    pub fn kill9(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            signal(child.id(), "KILL")?;
            child.wait()?;
        }
        Ok(())
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.kill9();
    }
}
