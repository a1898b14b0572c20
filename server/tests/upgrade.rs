//! Upgrades: a database made by an earlier schema migrates forward when the relay starts;
//! `migrate --check` names what would change and changes nothing; a database migrated by a
//! newer relay is refused (no downgrades). The committed fixtures under `tests/fixtures/` were
//! made by this release (`write_upgrade_fixtures`, ignored: run it by hand when the schema
//! changes, and keep the old files) so that later releases test their upgrade from it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "support/process.rs"]
mod process;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::client;
use process::*;
use reqwest::StatusCode;
use workvoice_proto::keys::ReportId;
use workvoice_proto::vectors::Fixture;
use workvoice_relay::domain::keyfile;
use workvoice_relay::storage::{Backend, Storage, known_migrations};
use workvoice_relay::testing::{
    SubmissionSpec, TestDatabase, TestRelay, TestRelayOptions, fresh_postgres_database,
    prepare_submission,
};

/// The schema the committed fixtures were made at, and their files.
const FIXTURE_SCHEMA: &str = "0002";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct FixtureFacts {
    relay_version: String,
    migrations: Vec<String>,
    union_token: String,
    /// The union's inbox, in order.
    union_inbox: Vec<ReportId>,
}

fn facts() -> FixtureFacts {
    let text =
        std::fs::read_to_string(fixtures().join(format!("relay-schema-{FIXTURE_SCHEMA}.json")))
            .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn sqlite_place(parent: &Path) -> Place {
    Place {
        data_dir: parent.join("data"),
        database_url: None,
    }
}

/// The data directory of a relay whose database is a copy of `db`, with the fixture relay key.
fn place_with_database(parent: &Path, db: &Path) -> Place {
    let place = sqlite_place(parent);
    workvoice_relay::files::private_dir(&place.data_dir).unwrap();
    let copy = place.data_dir.join("relay.db");
    std::fs::copy(db, &copy).unwrap();
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o600)).unwrap();
    keyfile::write_new(&place.data_dir.join("relay.key"), &Fixture::new().relay).unwrap();
    place
}

async fn reads_the_fixture(place: &Place, fixture: &Fixture) {
    let facts = facts();
    let relay = RelayProcess::spawn(place, fixture);
    let c = client();
    let inbox = inbox_report_ids(&c, &relay.base_url, &facts.union_token).await;
    assert_eq!(inbox, facts.union_inbox);
    let r = c
        .get(format!("{}/v1/directory", relay.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    drop(relay);
    let said = ok(place.run(fixture, &["migrate", "--check"]));
    assert!(said.contains("up to date"), "{said}");
    let orgs = ok(place.run(fixture, &["org", "list"]));
    assert_eq!(orgs.lines().count(), 3, "{orgs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_committed_sqlite_fixture_starts_and_reads() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let db = fixtures().join(format!("relay-schema-{FIXTURE_SCHEMA}.sqlite"));
    let place = place_with_database(dir.path(), &db);
    reads_the_fixture(&place, &fixture).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_committed_postgres_fixture_starts_and_reads() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let url = fresh_postgres_database()
        .await
        .expect("PostgreSQL tests need WORKVOICE_TEST_PG_URL: run scripts/postgres-up");
    let dump = fixtures().join(format!("relay-schema-{FIXTURE_SCHEMA}.postgres.sql"));
    let out = std::process::Command::new("psql")
        .args([url.as_str(), "-v", "ON_ERROR_STOP=1", "-q", "-f"])
        .arg(&dump)
        .output()
        .expect("psql (the PostgreSQL client) loads the SQL fixture");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let place = Place {
        data_dir: dir.path().join("data"),
        database_url: Some(url),
    };
    workvoice_relay::files::private_dir(&place.data_dir).unwrap();
    keyfile::write_new(&place.data_dir.join("relay.key"), &fixture.relay).unwrap();
    reads_the_fixture(&place, &fixture).await;
    place.drop_database().await;
}

/// A database at the first schema, with an organisation in it, migrates forward when `serve`
/// starts; `migrate --check` names the pending migration before and applies nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_schema_migrates_forward_on_start() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fixture = Fixture::new();
    let place = sqlite_place(d);

    // No database yet: everything is pending, and checking creates nothing.
    let said = ok(place.run(&fixture, &["migrate", "--check"]));
    for m in known_migrations(Backend::Sqlite) {
        assert!(said.contains(&format!("pending {m}")), "{said}");
    }
    assert!(!place.data_dir.join("relay.db").exists());

    // A relay of the first schema, holding an organisation.
    workvoice_relay::files::private_dir(&place.data_dir).unwrap();
    let url = place.settings(&fixture).database_url();
    let storage = Storage::connect(&url, 2).await.unwrap();
    storage.migrate_to(1).await.unwrap();
    let now = workvoice_relay::domain::unix_now();
    storage
        .insert_organisation(
            &fixture.union_id,
            "union",
            r#"{"names":{"en":"Old Union"},"countries":["QA"],"sectors":["F"],"languages":["en"]}"#,
            &[7u8; 32],
            now,
        )
        .await
        .unwrap();
    storage.close().await;

    let said = ok(place.run(&fixture, &["migrate", "--check"]));
    assert!(said.contains("applied 0001 initial"), "{said}");
    assert!(said.contains("pending 0002 report routes"), "{said}");
    let pending = known_migrations(Backend::Sqlite).len() - 1;
    assert!(
        said.contains(&format!("{pending} migrations would be applied")),
        "{said}"
    );
    let storage = Storage::connect(&url, 2).await.unwrap();
    assert!(
        !storage
            .table_names()
            .await
            .unwrap()
            .contains(&"report_routes".to_string()),
        "--check applied a migration"
    );
    storage.close().await;

    // `serve` migrates on start; the organisation is still there.
    let relay = RelayProcess::spawn(&place, &fixture);
    let r = client()
        .get(format!("{}/healthz", relay.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    drop(relay);
    let said = ok(place.run(&fixture, &["migrate", "--check"]));
    assert!(said.contains("applied 0002 report routes"), "{said}");
    assert!(said.contains("up to date"), "{said}");
    let orgs = ok(place.run(&fixture, &["org", "list"]));
    assert!(orgs.contains("Old Union"), "{orgs}");
}

/// A database that a newer relay migrated (a migration this binary does not carry) is
/// refused by every command that opens it, with a message saying what to do.
async fn a_newer_database_is_refused(database: TestDatabase) {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let place = Place {
        data_dir: dir.path().join("data"),
        database_url: match database {
            TestDatabase::Postgres => Some(fresh_postgres_database().await.unwrap()),
            _ => None,
        },
    };
    let world = place.seed(&fixture).await;
    drop(world);
    let mut conn =
        sqlx::AnyConnection::connect_with_url(&place.settings(&fixture).database_url()).await;
    sqlx::query::<sqlx::Any>(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9001, 'from the future', TRUE, $1, 0)",
    )
    .bind(vec![0u8; 48])
    .execute(&mut conn)
    .await
    .unwrap();
    drop(conn);
    let backup = dir.path().join("x.backup");
    let backup = backup.to_str().unwrap();

    for args in [
        &["serve"][..],
        &["migrate"],
        &["migrate", "--check"],
        &["org", "list"],
        &["backup", "--to", backup, "--public-key", &"00".repeat(32)],
    ] {
        let err = refused(place.run(&fixture, args));
        assert!(
            err.contains("9001 from the future")
                && err.contains("newer relay")
                && err.contains("Downgrades are refused"),
            "{args:?}: {err}"
        );
    }
    place.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_newer_database_is_refused() {
    a_newer_database_is_refused(TestDatabase::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_newer_database_is_refused() {
    a_newer_database_is_refused(TestDatabase::Postgres).await;
}

/// A migration whose text changed after it was applied (a binary built from altered sources)
/// is refused too, rather than run over a schema it did not make.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_migration_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::new();
    let place = sqlite_place(dir.path());
    place.seed(&fixture).await;
    let mut conn =
        sqlx::AnyConnection::connect_with_url(&place.settings(&fixture).database_url()).await;
    sqlx::query::<sqlx::Any>("UPDATE _sqlx_migrations SET checksum = $1 WHERE version = 1")
        .bind(vec![1u8; 48])
        .execute(&mut conn)
        .await
        .unwrap();
    drop(conn);
    for args in [&["serve"][..], &["migrate", "--check"]] {
        let err = refused(place.run(&fixture, args));
        assert!(
            err.contains("migration 0001 initial was changed after it was applied"),
            "{args:?}: {err}"
        );
    }
}

/// Make the fixtures of this release's schema. Run by hand when the schema changes (adding
/// files for the new schema, keeping the old ones):
/// `cargo test -p workvoice-relay --test upgrade -- --ignored write_upgrade_fixtures`
/// (with `WORKVOICE_TEST_PG_URL` set and `pg_dump` installed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "writes the committed fixtures"]
async fn write_upgrade_fixtures() {
    let latest = known_migrations(Backend::Sqlite);
    let schema = format!("{:04}", latest.last().unwrap().version);
    assert_eq!(schema, FIXTURE_SCHEMA, "update FIXTURE_SCHEMA first");
    let out = fixtures();
    std::fs::create_dir_all(&out).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("relay.db");
    let sqlite = TestRelay::spawn(TestRelayOptions {
        database: TestDatabase::Url(format!("sqlite://{}?mode=rwc", db.display())),
        ..TestRelayOptions::default()
    })
    .await
    .unwrap();
    let postgres = TestRelay::spawn(TestRelayOptions {
        database: TestDatabase::Postgres,
        ..TestRelayOptions::default()
    })
    .await
    .unwrap();
    let c = client();
    let mut inbox = None;
    for relay in [&sqlite, &postgres] {
        for seed in 0..6 {
            let p = prepare_submission(
                &relay.fixture,
                &relay.listing,
                &SubmissionSpec {
                    seed,
                    ..SubmissionSpec::default()
                },
            )
            .unwrap();
            let (status, _) = submit_with_retries(&c, &relay.base_url, &p.request, 3).await;
            assert_eq!(status, StatusCode::CREATED);
        }
        let ids = inbox_report_ids(&c, &relay.base_url, &relay.union.token).await;
        assert_eq!(ids.len(), 6);
        if let Some(first) = &inbox {
            assert_eq!(first, &ids);
        }
        inbox = Some(ids);
    }
    // The two relays hold the same reports; the tokens differ, so the PostgreSQL database
    // gets the SQLite one's union token hash.
    let token_hash: Vec<u8> = {
        let conn = sqlx::AnyConnection::connect_with_url(&sqlite.settings.database_url()).await;
        let mut conn = conn;
        use sqlx::Row;
        sqlx::query::<sqlx::Any>("SELECT token_hash FROM organisations WHERE id = $1")
            .bind(sqlite.union.id.to_hex())
            .fetch_one(&mut conn)
            .await
            .unwrap()
            .try_get(0)
            .unwrap()
    };
    {
        let mut conn =
            sqlx::AnyConnection::connect_with_url(&postgres.settings.database_url()).await;
        sqlx::query::<sqlx::Any>(
            "UPDATE organisations SET token_hash = $1, token_lookup = $2 WHERE id = $3",
        )
        .bind(token_hash.clone())
        .bind(workvoice_relay::storage::lookup_key(
            &<[u8; 32]>::try_from(token_hash.as_slice()).unwrap(),
        ))
        .bind(postgres.union.id.to_hex())
        .execute(&mut conn)
        .await
        .unwrap();
    }
    let target = out.join(format!("relay-schema-{schema}.sqlite"));
    let _ = std::fs::remove_file(&target);
    {
        let mut conn = sqlx::AnyConnection::connect_with_url(&sqlite.settings.database_url()).await;
        sqlx::query::<sqlx::Any>(sqlx::AssertSqlSafe(format!(
            "VACUUM INTO '{}'",
            target.display()
        )))
        .execute(&mut conn)
        .await
        .unwrap();
    }
    let dump = std::process::Command::new("pg_dump")
        .args([
            "--inserts",
            "--no-owner",
            "--no-privileges",
            "--no-comments",
            postgres.settings.database_url().as_str(),
        ])
        .output()
        .unwrap();
    assert!(dump.status.success());
    // `\restrict` lines are for untrusted dumps and unknown to older clients.
    let text: String = String::from_utf8(dump.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('\\'))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(
        out.join(format!("relay-schema-{schema}.postgres.sql")),
        text,
    )
    .unwrap();
    let facts = FixtureFacts {
        relay_version: env!("CARGO_PKG_VERSION").into(),
        migrations: latest.iter().map(ToString::to_string).collect(),
        union_token: sqlite.union.token.clone(),
        union_inbox: inbox.unwrap(),
    };
    std::fs::write(
        out.join(format!("relay-schema-{schema}.json")),
        serde_json::to_string_pretty(&facts).unwrap() + "\n",
    )
    .unwrap();
    sqlite.stop().await;
    postgres.stop().await;
}

/// `sqlx::AnyConnection::connect` with the drivers installed.
trait ConnectWithUrl {
    async fn connect_with_url(url: &str) -> sqlx::AnyConnection;
}

impl ConnectWithUrl for sqlx::AnyConnection {
    async fn connect_with_url(url: &str) -> sqlx::AnyConnection {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        sqlx::AnyConnection::connect(url).await.unwrap()
    }
}
