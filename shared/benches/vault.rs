//! The vault's engine against its peers, in one run, as one table.
//!
//! Engines: the vault (sealing, keyed hashes, `SqliteStore`); raw SQLite with the same
//! settings (WAL, `synchronous = FULL`, `secure_delete`, exclusive locking) storing the same
//! number of 4 KiB values under 32-byte keys; redb 5 with `Durability::Immediate`; and the
//! previous engine, the vault on `LogStore`.
//!
//! For 300, 10,000 and 100,000 records of 4 KiB each engine is filled, closed, and reopened in a
//! fresh child process that reads one record: the child reports the time to open and read, and
//! how much its resident memory grew (`VmRSS` after minus before). Medians of five children.
//! For the two vault columns the engine is timed as the vault opens it (its store directory,
//! one sealed record by its stored key), and the whole unlock separately: the PIN check syncs
//! the attempt counter to disk twice (before and after the check), a fixed cost of a few
//! `fsync`s that does not grow with the records. Memory for the vault columns is after the
//! whole unlock.
//! The durable write is the median of 300 single-record writes into the 10,000-record store,
//! each made durable before the next (vault: `put` + `flush`). Disk is the size of the files
//! after close ÷ the bytes stored (records × 4,096).
//!
//! `cargo bench -p workvoice-core --bench vault` (about a minute and a half here).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableDefinition};
use rusqlite::{Connection, OptionalExtension, params};
use workvoice_core::vault::{KdfParams, LogStore, Store, Vault, VaultConfig, VaultOp};

const VALUE_LEN: usize = 4096;
const SIZES: [usize; 3] = [300, 10_000, 100_000];
const REOPENS: usize = 5;
const WRITES: usize = 300;
const PIN: &str = "482916";
const CHILD_VAR: &str = "WORKVOICE_VAULT_BENCH_CHILD";
const REDB_TABLE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("records");
const SQLITE_SETTINGS: &str = "PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = FULL; PRAGMA secure_delete = ON; PRAGMA cache_size = -512;";
const UPSERT: &str = "INSERT INTO records (key, value) VALUES (?1, ?2) \
                      ON CONFLICT (key) DO UPDATE SET value = excluded.value";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Engine {
    Vault,
    RawSqlite,
    Redb,
    VaultOnLogStore,
}

const ENGINES: [Engine; 4] = [
    Engine::Vault,
    Engine::RawSqlite,
    Engine::Redb,
    Engine::VaultOnLogStore,
];

impl Engine {
    fn name(self) -> &'static str {
        match self {
            Engine::Vault => "vault",
            Engine::RawSqlite => "sqlite",
            Engine::Redb => "redb",
            Engine::VaultOnLogStore => "logstore",
        }
    }

    fn from_name(name: &str) -> Engine {
        ENGINES
            .into_iter()
            .find(|engine| engine.name() == name)
            .unwrap()
    }

    fn title(self) -> &'static str {
        match self {
            Engine::Vault => "Workvoice vault (SQLite)",
            Engine::RawSqlite => "raw SQLite, same settings",
            Engine::Redb => "redb 5 (Immediate)",
            Engine::VaultOnLogStore => "previous vault (LogStore)",
        }
    }
}

fn fast_config() -> VaultConfig {
    VaultConfig {
        kdf: KdfParams::INSECURE_FAST_FOR_TESTS,
        ..VaultConfig::default()
    }
}

/// 4 KiB of bytes that do not compress, different for every record.
fn value(id: u64) -> Vec<u8> {
    let mut state = id.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut bytes = Vec::with_capacity(VALUE_LEN);
    while bytes.len() < VALUE_LEN {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(VALUE_LEN);
    bytes
}

/// A 32-byte key spread like the vault's keyed hashes.
fn raw_key(id: u64) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, &id.to_be_bytes())
        .as_ref()
        .to_vec()
}

fn sqlite_open(dir: &Path) -> Connection {
    let connection = Connection::open(dir.join("raw.db")).unwrap();
    connection.execute_batch(SQLITE_SETTINGS).unwrap();
    connection
        .execute_batch(
            "CREATE TABLE IF NOT EXISTS records (key BLOB NOT NULL PRIMARY KEY, value BLOB NOT NULL)",
        )
        .unwrap();
    connection
}

fn redb_open(dir: &Path) -> Database {
    Database::create(dir.join("raw.redb")).unwrap()
}

fn redb_write(db: &Database, entries: impl Iterator<Item = (Vec<u8>, Vec<u8>)>) {
    let mut txn = db.begin_write().unwrap();
    txn.set_durability(Durability::Immediate).unwrap();
    {
        let mut table = txn.open_table(REDB_TABLE).unwrap();
        for (key, value) in entries {
            table.insert(key.as_slice(), value.as_slice()).unwrap();
        }
    }
    txn.commit().unwrap();
}

fn vault_fill<S: Store>(vault: &Vault<S>, ids: std::ops::Range<u64>) {
    let keys: Vec<String> = ids.clone().map(|id| format!("r{id}")).collect();
    let values: Vec<Vec<u8>> = ids.map(value).collect();
    let ops: Vec<VaultOp<'_>> = keys
        .iter()
        .zip(&values)
        .map(|(key, value)| VaultOp::Put {
            ns: "reports",
            key,
            value,
        })
        .collect();
    vault.batch(&ops).unwrap();
    vault.flush().unwrap();
}

/// Fills `dir` with `count` records, in transactions of 1,000.
fn fill(engine: Engine, dir: &Path, count: usize) {
    let chunks = (0..count as u64)
        .step_by(1000)
        .map(|start| start..(start + 1000).min(count as u64));
    match engine {
        Engine::Vault => {
            let vault = Vault::create(dir, PIN, None, None, &fast_config()).unwrap();
            chunks.for_each(|ids| vault_fill(&vault, ids));
        }
        Engine::VaultOnLogStore => {
            let vault =
                Vault::<LogStore>::create_with_store(dir, PIN, None, None, &fast_config()).unwrap();
            chunks.for_each(|ids| vault_fill(&vault, ids));
        }
        Engine::RawSqlite => {
            let mut connection = sqlite_open(dir);
            for ids in chunks {
                let tx = connection.transaction().unwrap();
                for id in ids {
                    tx.execute(UPSERT, params![raw_key(id), value(id)]).unwrap();
                }
                tx.commit().unwrap();
            }
        }
        Engine::Redb => {
            let db = redb_open(dir);
            for ids in chunks {
                redb_write(&db, ids.map(|id| (raw_key(id), value(id))));
            }
        }
    }
}

/// Median time of `WRITES` durable single-record writes.
fn durable_write(engine: Engine, dir: &Path) -> Duration {
    let mut samples = Vec::with_capacity(WRITES);
    let ids = 10_000_000..10_000_000 + WRITES as u64;
    macro_rules! measure {
        ($write:expr) => {
            for id in ids {
                let value = value(id);
                let started = Instant::now();
                $write(id, &value);
                samples.push(started.elapsed());
            }
        };
    }
    match engine {
        Engine::Vault => {
            let vault = Vault::unlock(dir, PIN, None).unwrap();
            measure!(|id: u64, value: &[u8]| {
                vault.put("reports", &format!("r{id}"), value).unwrap();
                vault.flush().unwrap();
            });
        }
        Engine::VaultOnLogStore => {
            let vault = Vault::<LogStore>::unlock_with_store(dir, PIN, None).unwrap();
            measure!(|id: u64, value: &[u8]| {
                vault.put("reports", &format!("r{id}"), value).unwrap();
                vault.flush().unwrap();
            });
        }
        Engine::RawSqlite => {
            let connection = sqlite_open(dir);
            measure!(|id: u64, value: &[u8]| {
                connection
                    .prepare_cached(UPSERT)
                    .unwrap()
                    .execute(params![raw_key(id), value])
                    .unwrap();
            });
        }
        Engine::Redb => {
            let db = redb_open(dir);
            measure!(|id: u64, value: &[u8]| {
                redb_write(&db, std::iter::once((raw_key(id), value.to_vec())));
            });
        }
    }
    samples.sort();
    samples[samples.len() / 2]
}

fn resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0)
}

/// What a child process opens and reads.
#[derive(Clone, Copy)]
enum Reopen {
    /// The whole vault: PIN check (with the synced attempt counter), store, one record opened.
    Unlock,
    /// The engine alone, as the vault opens it, reading one stored (sealed) record.
    Store,
}

/// The single store directory of a vault.
fn store_dir(dir: &Path) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.is_dir())
        .unwrap()
}

/// The stored (hashed) key of the `nth` record of a vault's store, read beside the vault.
fn stored_key(engine: Engine, dir: &Path, nth: u64) -> Vec<u8> {
    match engine {
        Engine::Vault => {
            let db = Connection::open(store_dir(dir).join("vault.db")).unwrap();
            db.query_row(
                "SELECT key FROM records ORDER BY key LIMIT 1 OFFSET ?1",
                [nth as i64],
                |row| row.get(0),
            )
            .unwrap()
        }
        _ => {
            let store = LogStore::open(&store_dir(dir)).unwrap();
            let entries = store.scan_prefix(&[]).unwrap();
            entries[nth as usize % entries.len()].0.clone()
        }
    }
}

/// In the child: open, read one record, print the time and how much resident memory grew.
fn reopen_child(engine: Engine, kind: &str, dir: &Path, id: u64, key: &[u8]) {
    let before = resident_kib();
    let started = Instant::now();
    let found = match (engine, kind) {
        (Engine::Vault, "unlock") => Vault::unlock(dir, PIN, None)
            .unwrap()
            .get("reports", &format!("r{id}"))
            .unwrap(),
        (Engine::VaultOnLogStore, "unlock") => Vault::<LogStore>::unlock_with_store(dir, PIN, None)
            .unwrap()
            .get("reports", &format!("r{id}"))
            .unwrap(),
        (Engine::Vault, _) => workvoice_core::vault::SqliteStore::open(&store_dir(dir))
            .unwrap()
            .get(key)
            .unwrap(),
        (Engine::VaultOnLogStore, _) => LogStore::open(&store_dir(dir)).unwrap().get(key).unwrap(),
        (Engine::RawSqlite, _) => sqlite_open(dir)
            .query_row(
                "SELECT value FROM records WHERE key = ?1",
                [raw_key(id)],
                |row| row.get::<_, Vec<u8>>(0),
            )
            .optional()
            .unwrap(),
        (Engine::Redb, _) => {
            let db = redb_open(dir);
            let txn = db.begin_read().unwrap();
            let table = txn.open_table(REDB_TABLE).unwrap();
            table
                .get(raw_key(id).as_slice())
                .unwrap()
                .map(|v| v.value().to_vec())
        }
    };
    let elapsed = started.elapsed();
    let after = resident_kib();
    let found = found.unwrap();
    if kind == "unlock" || matches!(engine, Engine::RawSqlite | Engine::Redb) {
        assert_eq!(found, value(id));
    }
    println!(
        "reopen {} {}",
        elapsed.as_nanos(),
        after.saturating_sub(before)
    );
}

/// Median time and memory growth over `REOPENS` child processes.
fn reopen(engine: Engine, kind: Reopen, dir: &Path, count: usize) -> (Duration, u64) {
    let mut times = Vec::new();
    let mut memory = Vec::new();
    for round in 0..REOPENS {
        let id = (count as u64 / REOPENS as u64) * round as u64 + 7;
        let (kind, key) = match (engine, kind) {
            (Engine::Vault | Engine::VaultOnLogStore, Reopen::Store) => {
                ("store", hex::encode(stored_key(engine, dir, id)))
            }
            (_, Reopen::Store) => ("store", String::new()),
            (_, Reopen::Unlock) => ("unlock", String::new()),
        };
        let output = Command::new(std::env::current_exe().unwrap())
            .env(
                CHILD_VAR,
                format!("{}|{kind}|{}|{id}|{key}", engine.name(), dir.display()),
            )
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        let text = String::from_utf8(output.stdout).unwrap();
        let line = text.lines().find(|l| l.starts_with("reopen ")).unwrap();
        let mut fields = line.split_whitespace().skip(1);
        times.push(Duration::from_nanos(
            fields.next().unwrap().parse().unwrap(),
        ));
        memory.push(fields.next().unwrap().parse::<u64>().unwrap());
    }
    times.sort();
    memory.sort();
    (times[REOPENS / 2], memory[REOPENS / 2])
}

fn disk_bytes(path: &Path) -> u64 {
    if path.is_dir() {
        std::fs::read_dir(path)
            .unwrap()
            .map(|entry| disk_bytes(&entry.unwrap().path()))
            .sum()
    } else {
        path.metadata().map(|m| m.len()).unwrap_or(0)
    }
}

struct Cell {
    /// The engine: opened as the vault opens it, one record read.
    reopen: Duration,
    /// The whole vault unlocked and one record read (vault engines only).
    unlock: Option<(Duration, u64)>,
    memory_kib: u64,
    disk_ratio: f64,
}

fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1e3)
}

fn mb(kib: u64) -> String {
    format!("+{:.1} MB", kib as f64 * 1024.0 / 1e6)
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}

fn main() {
    if let Ok(spec) = std::env::var(CHILD_VAR) {
        let mut parts = spec.split('|');
        let engine = Engine::from_name(parts.next().unwrap());
        let kind = parts.next().unwrap();
        let dir = PathBuf::from(parts.next().unwrap());
        let id = parts.next().unwrap().parse().unwrap();
        let key = hex::decode(parts.next().unwrap()).unwrap();
        reopen_child(engine, kind, &dir, id, &key);
        return;
    }
    let started = Instant::now();
    let mut cells: Vec<(Engine, usize, Cell)> = Vec::new();
    let mut writes: Vec<(Engine, Duration)> = Vec::new();
    for count in SIZES {
        for engine in ENGINES {
            let dir = tempfile::tempdir().unwrap();
            fill(engine, dir.path(), count);
            let disk_ratio = disk_bytes(dir.path()) as f64 / (count * VALUE_LEN) as f64;
            let (reopen_time, store_memory) = reopen(engine, Reopen::Store, dir.path(), count);
            let unlock = matches!(engine, Engine::Vault | Engine::VaultOnLogStore)
                .then(|| reopen(engine, Reopen::Unlock, dir.path(), count));
            cells.push((
                engine,
                count,
                Cell {
                    reopen: reopen_time,
                    unlock,
                    // For the vault: as the app sees it, after the whole unlock.
                    memory_kib: unlock.map_or(store_memory, |(_, memory)| memory),
                    disk_ratio,
                },
            ));
            if count == 10_000 {
                writes.push((engine, durable_write(engine, dir.path())));
            }
        }
    }
    let cell = |engine: Engine, count: usize| {
        &cells
            .iter()
            .find(|(e, c, _)| *e == engine && *c == count)
            .unwrap()
            .2
    };
    let write = |engine: Engine| writes.iter().find(|(e, _)| *e == engine).unwrap().1;

    print!("\n| 4 KiB records |");
    for engine in ENGINES {
        print!(" {} |", engine.title());
    }
    println!("\n|---|{}", "---:|".repeat(ENGINES.len()));
    for count in SIZES {
        print!("| reopen the engine and read one record, {count} |");
        for engine in ENGINES {
            print!(" {} |", ms(cell(engine, count).reopen));
        }
        println!();
    }
    for count in SIZES {
        print!(
            "| whole vault unlock (PIN check, synced attempt counter) and read one record, {count} |"
        );
        for engine in ENGINES {
            match cell(engine, count).unlock {
                Some((time, _)) => print!(" {} |", ms(time)),
                None => print!(" - |"),
            }
        }
        println!();
    }
    for count in SIZES {
        print!("| memory after reopen, {count} |");
        for engine in ENGINES {
            print!(" {} |", mb(cell(engine, count).memory_kib));
        }
        println!();
    }
    print!("| durable 4 KiB write, median of {WRITES} at 10000 |");
    for engine in ENGINES {
        print!(" {:.0} µs |", write(engine).as_secs_f64() * 1e6);
    }
    println!();
    for count in SIZES {
        print!("| disk ÷ stored bytes, {count} |");
        for engine in ENGINES {
            print!(" {:.2} |", cell(engine, count).disk_ratio);
        }
        println!();
    }

    let reopen_ratio = cell(Engine::Vault, 10_000).reopen.as_secs_f64()
        / cell(Engine::RawSqlite, 10_000).reopen.as_secs_f64();
    let memory = cell(Engine::Vault, 100_000).memory_kib;
    let write_ratio = write(Engine::Vault).as_secs_f64() / write(Engine::RawSqlite).as_secs_f64();
    println!("\n| goal | measured | |\n|---|---:|---|");
    println!(
        "| reopen at 10,000 records within 2× raw SQLite | {reopen_ratio:.2}× | {} |",
        verdict(reopen_ratio <= 2.0)
    );
    println!(
        "| memory above baseline under 5 MB at 100,000 records | {} | {} |",
        mb(memory),
        verdict((memory as f64) * 1024.0 < 5e6)
    );
    println!(
        "| durable write within 1.2× raw SQLite | {write_ratio:.2}× | {} |",
        verdict(write_ratio <= 1.2)
    );
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    let lib = Path::new(&target).join("release-small/libworkvoice_core.so");
    match std::fs::metadata(&lib) {
        Ok(meta) => println!(
            "| phone library under 4 MiB stripped | {:.2} MiB | {} |",
            meta.len() as f64 / (1024.0 * 1024.0),
            verdict(meta.len() < 4 * 1024 * 1024)
        ),
        Err(_) => println!(
            "| phone library under 4 MiB stripped | not built: `cargo build -p workvoice-core --lib --profile release-small` | - |"
        ),
    }
    println!("\n({:.0} s)", started.elapsed().as_secs_f64());
}
