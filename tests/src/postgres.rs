//! PostgreSQL for the end-to-end tests: a fresh database per test in the shared cluster
//! (`WORKVOICE_TEST_PG_URL`, from `scripts/postgres-up`), and a throwaway cluster of the test's
//! own, on a free port under a temporary directory, for the scenario that restarts PostgreSQL
//! under load without disturbing the other suites' databases.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use sqlx::Connection;

use crate::process::{free_port, run, tail};

pub use workvoice_relay::testing::PG_URL_VAR;

/// The admin URL of the shared cluster. Panics, saying what to run, when it is not set: the
/// PostgreSQL tests never skip silently.
pub fn admin_url() -> String {
    match std::env::var(PG_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!(
            "{PG_URL_VAR} is not set: run `scripts/postgres-up` and export what it prints as \
             {PG_URL_VAR} (or run `scripts/test`, which does) for the PostgreSQL end-to-end tests"
        ),
    }
}

/// A database created for one test; dropped (with its connections) when this is dropped.
#[derive(Debug)]
pub struct FreshDatabase {
    pub url: String,
    name: String,
    admin_url: String,
}

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let base = match base[after_scheme..].find('/') {
        Some(slash) => &base[..after_scheme + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

async fn execute(admin_url: &str, sql: String) -> Result<(), String> {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(admin_url)
        .await
        .map_err(|e| format!("cannot connect to {PG_URL_VAR}: {e}"))?;
    let result = sqlx::query::<sqlx::Any>(sqlx::AssertSqlSafe(sql))
        .execute(&mut conn)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string());
    let _ = conn.close().await;
    result
}

impl FreshDatabase {
    /// Create a database named after `label` and a random suffix through `admin_url`.
    pub async fn create(admin_url: &str, label: &str) -> Result<FreshDatabase, String> {
        let mut rng = workvoice_proto::system_rng::SystemRng::new();
        let suffix = workvoice_proto::keys::ReportId::random(&mut rng).to_hex();
        let name = format!("wv_e2e_{label}_{}", &suffix[..12]);
        execute(admin_url, format!("CREATE DATABASE {name}")).await?;
        Ok(FreshDatabase {
            url: with_database(admin_url, &name),
            name,
            admin_url: admin_url.to_string(),
        })
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // On a thread of its own: this may be dropped inside or outside a runtime.
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                let _ = rt.block_on(execute(
                    &admin_url,
                    format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                ));
            }
        })
        .join();
    }
}

/// A PostgreSQL cluster of the test's own: `initdb` into a temporary directory, `pg_ctl`
/// start on a free port (127.0.0.1 only), a `workvoice` role owning database `workvoice_e2e`.
/// Runs as the `postgres` user when the tests run as root. Dropping it stops the server
/// (immediate mode) and deletes everything.
#[derive(Debug)]
pub struct ThrowawayCluster {
    pub port: u16,
    /// `postgres://workvoice:workvoice@127.0.0.1:<port>/workvoice_e2e`
    pub url: String,
    bin: PathBuf,
    data: PathBuf,
    socket_dir: PathBuf,
    log: PathBuf,
    as_postgres: bool,
    _dir: tempfile::TempDir,
}

/// The newest installed server's `bin` directory (`WORKVOICE_PG_BIN` overrides it).
pub fn server_bin_dir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("WORKVOICE_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|e| {
            format!("no PostgreSQL under /usr/lib/postgresql ({e}): run `scripts/postgres-up`")
        })?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("pg_ctl").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).ok_or_else(|| {
        "no pg_ctl under /usr/lib/postgresql/*/bin: run `scripts/postgres-up`".into()
    })
}

fn id_of(args: &[&str]) -> Result<u32, String> {
    let out = run(Command::new("id").args(args), Duration::from_secs(10))?;
    out.stdout
        .trim()
        .parse()
        .map_err(|_| format!("`id {}` said {:?}", args.join(" "), out.stdout))
}

impl ThrowawayCluster {
    pub fn start() -> Result<ThrowawayCluster, String> {
        let bin = server_bin_dir()?;
        let as_postgres = id_of(&["-u"])? == 0;
        let dir = tempfile::Builder::new()
            .prefix("wv-e2e-pg-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        if as_postgres {
            let (uid, gid) = (id_of(&["-u", "postgres"])?, id_of(&["-g", "postgres"])?);
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .map_err(|e| format!("cannot give {} to postgres: {e}", dir.path().display()))?;
        }
        let data = dir.path().join("data");
        let mut cluster = ThrowawayCluster {
            port: 0,
            url: String::new(),
            bin,
            data: data.clone(),
            socket_dir: dir.path().to_path_buf(),
            log: dir.path().join("postgres.log"),
            as_postgres,
            _dir: dir,
        };
        cluster.pg(
            "initdb",
            &[
                "-D",
                &data.display().to_string(),
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--no-sync",
                "--no-instructions",
            ],
        )?;
        let mut last = String::new();
        for _attempt in 0..3 {
            cluster.port = free_port()?;
            cluster.url = format!(
                "postgres://workvoice:workvoice@127.0.0.1:{}/workvoice_e2e",
                cluster.port
            );
            cluster.configure()?;
            match cluster.pg_ctl(&["start"]) {
                Ok(_) => {
                    cluster.wait_ready(Duration::from_secs(60))?;
                    cluster.psql("CREATE ROLE workvoice LOGIN PASSWORD 'workvoice'")?;
                    cluster.psql("CREATE DATABASE workvoice_e2e OWNER workvoice")?;
                    return Ok(cluster);
                }
                // Most likely the port was taken in between: try another.
                Err(e) => last = e,
            }
        }
        Err(format!(
            "the throwaway PostgreSQL cluster did not start: {last}"
        ))
    }

    fn command(&self, program: &Path) -> Command {
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    }

    fn pg(&self, tool: &str, args: &[&str]) -> Result<String, String> {
        let out = run(
            self.command(&self.bin.join(tool)).args(args),
            Duration::from_secs(120),
        )?;
        if out.status.success() {
            Ok(out.stdout)
        } else {
            Err(format!(
                "{tool} {} failed ({}): {}{}\n{}",
                args.join(" "),
                out.status,
                out.stdout,
                out.stderr,
                tail(&std::fs::read_to_string(&self.log).unwrap_or_default(), 20)
            ))
        }
    }

    fn pg_ctl(&self, args: &[&str]) -> Result<String, String> {
        let data = self.data.display().to_string();
        let log = self.log.display().to_string();
        let mut all = vec!["-D", &data, "-l", &log, "-w", "-t", "60"];
        all.extend_from_slice(args);
        self.pg("pg_ctl", &all)
    }

    /// Port, 127.0.0.1 only, sockets in the temporary directory, fsync on as in production (the
    /// relay refuses to start on a PostgreSQL whose commits are not durable). Appended: the last
    /// value wins.
    fn configure(&self) -> Result<(), String> {
        use std::io::Write;
        let conf = self.data.join("postgresql.conf");
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&conf)
            .map_err(|e| format!("cannot open {}: {e}", conf.display()))?;
        writeln!(
            file,
            "port = {}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\n\
             fsync = on\nsynchronous_commit = on\nmax_connections = 60\nshared_buffers = 16MB",
            self.port,
            self.socket_dir.display()
        )
        .map_err(|e| e.to_string())
    }

    fn psql(&self, sql: &str) -> Result<String, String> {
        let port = self.port.to_string();
        let host = self.socket_dir.display().to_string();
        self.pg(
            "psql",
            &[
                "-h",
                &host,
                "-p",
                &port,
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-v",
                "ON_ERROR_STOP=1",
                "-q",
                "-c",
                sql,
            ],
        )
    }

    /// Wait (bounded) until the server accepts connections on its TCP port.
    pub fn wait_ready(&self, limit: Duration) -> Result<(), String> {
        let until = Instant::now() + limit;
        let port = self.port.to_string();
        loop {
            let ok = run(
                Command::new(self.bin.join("pg_isready")).args([
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &port,
                    "-t",
                    "2",
                ]),
                Duration::from_secs(10),
            )
            .is_ok_and(|o| o.status.success());
            if ok {
                return Ok(());
            }
            if Instant::now() >= until {
                return Err(format!(
                    "PostgreSQL on port {port} is not ready after {limit:?}:\n{}",
                    tail(&std::fs::read_to_string(&self.log).unwrap_or_default(), 20)
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// `pg_ctl restart -m <mode>` (`fast`: connections terminated, clean shutdown;
    /// `immediate`: the server is killed and recovers from its write-ahead log), then wait
    /// until it accepts connections again. Returns how long the server was unavailable.
    pub fn restart(&self, mode: &str) -> Result<Duration, String> {
        let started = Instant::now();
        self.pg_ctl(&["-m", mode, "restart"])?;
        self.wait_ready(Duration::from_secs(60))?;
        Ok(started.elapsed())
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for ThrowawayCluster {
    fn drop(&mut self) {
        if self.data.join("postmaster.pid").exists() {
            let _ = self.pg_ctl(&["-m", "immediate", "stop"]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_name_is_replaced() {
        assert_eq!(
            with_database("postgres://u:p@127.0.0.1:5432/postgres", "x"),
            "postgres://u:p@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h/postgres?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
    }
}
