//! `workvoice-relay backup` and `restore`: an online, consistent copy of the relay's database
//! and key, encrypted while it is written to an operator's HPKE key, and its restoration into
//! an empty database.
//!
//! The file: `"WVBACKUP"`, a version byte (1), the 32-byte HPKE encapsulated key, then frames
//! of `flag (1 byte: 0, or 1 for the last) || length (u32, big-endian) || ciphertext`. Frame
//! `n` is the `n`-th message of one HPKE base-mode context (RFC 9180: DHKEM(X25519), HKDF-SHA256,
//! ChaCha20-Poly1305; info `"workvoice relay backup v1"`) over at most 64 KiB of plaintext,
//! with the file header and the flag as associated data. Reordered, dropped, altered or
//! truncated frames do not open; the last frame says it is last. The plaintext is the
//! JSON-lines copy of [`crate::storage`]'s `export`; it exists only in memory, a frame at a
//! time. The private key never needs to be on the server: `backup keygen` on the operator's
//! machine, and only the public key on the server.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use workvoice_proto::SecureRng;
use workvoice_proto::hpke_suite::{self, Context, ENC_LEN, Mode, TAG_LEN};
use workvoice_proto::keys::{HpkePrivateKey, HpkePublicKey, SigningKey, ct_eq};
use workvoice_proto::system_rng::SystemRng;
use zeroize::Zeroizing;

use crate::configuration::Settings;
use crate::domain::keyfile;
use crate::files;
use crate::storage::{CopyCounts, ExportHeader, Storage, known_migrations};

/// The file's first bytes: magic and format version.
pub const MAGIC: &[u8; 9] = b"WVBACKUP\x01";
const INFO: &[u8] = b"workvoice relay backup v1";
/// Plaintext bytes per frame.
pub const FRAME_BYTES: usize = 64 * 1024;
const HEADER_LEN: usize = MAGIC.len() + ENC_LEN;

fn other(text: impl Into<String>) -> std::io::Error {
    std::io::Error::other(text.into())
}

/// Writes an encrypted backup to `out` as plaintext is written to it; [`SealWriter::finish`]
/// writes the last frame.
pub struct SealWriter<W: Write> {
    out: W,
    context: Context,
    header: [u8; HEADER_LEN],
    seq: u64,
    buffer: Zeroizing<Vec<u8>>,
}

impl<W: Write> std::fmt::Debug for SealWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealWriter(frame {})", self.seq)
    }
}

impl<W: Write> SealWriter<W> {
    pub fn new(
        mut out: W,
        recipient: &HpkePublicKey,
        rng: &mut impl SecureRng,
    ) -> std::io::Result<Self> {
        let mut ikm = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(ikm.as_mut());
        let (enc, shared) =
            hpke_suite::encap(recipient, None, ikm.as_ref()).map_err(|e| other(e.to_string()))?;
        let mut header = [0u8; HEADER_LEN];
        header[..MAGIC.len()].copy_from_slice(MAGIC);
        header[MAGIC.len()..].copy_from_slice(&enc);
        out.write_all(&header)?;
        Ok(SealWriter {
            out,
            context: Context::new(Mode::Base, &shared, INFO),
            header,
            seq: 0,
            buffer: Zeroizing::new(Vec::with_capacity(FRAME_BYTES)),
        })
    }

    fn frame(&mut self, take: usize, last: bool) -> std::io::Result<()> {
        let flag = u8::from(last);
        let mut aad = self.header.to_vec();
        aad.push(flag);
        let sealed = self
            .context
            .seal(self.seq, &aad, &self.buffer[..take])
            .map_err(|e| other(e.to_string()))?;
        self.seq += 1;
        self.out.write_all(&[flag])?;
        self.out.write_all(&(sealed.len() as u32).to_be_bytes())?;
        self.out.write_all(&sealed)?;
        self.buffer.drain(..take);
        Ok(())
    }

    /// Seal what is buffered as the last frame; returns the output.
    pub fn finish(mut self) -> std::io::Result<W> {
        while self.buffer.len() > FRAME_BYTES {
            self.frame(FRAME_BYTES, false)?;
        }
        let rest = self.buffer.len();
        self.frame(rest, true)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> Write for SealWriter<W> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(data);
        // Keep at least one byte back, so the last frame is never empty by accident of size.
        while self.buffer.len() > FRAME_BYTES {
            self.frame(FRAME_BYTES, false)?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Reads the plaintext of an encrypted backup; fails on a frame that does not open, a file
/// that ends before its last frame, or bytes after it.
pub struct OpenReader<R: Read> {
    input: R,
    context: Context,
    header: [u8; HEADER_LEN],
    seq: u64,
    plain: Zeroizing<Vec<u8>>,
    at: usize,
    done: bool,
}

impl<R: Read> std::fmt::Debug for OpenReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OpenReader(frame {})", self.seq)
    }
}

impl<R: Read> OpenReader<R> {
    pub fn new(mut input: R, key: &HpkePrivateKey) -> std::io::Result<Self> {
        let mut header = [0u8; HEADER_LEN];
        input.read_exact(&mut header).map_err(|_| {
            other("this is not a Workvoice relay backup (too short for its header)")
        })?;
        if &header[..MAGIC.len()] != MAGIC {
            return Err(other("this is not a Workvoice relay backup (version 1)"));
        }
        let mut enc = [0u8; ENC_LEN];
        enc.copy_from_slice(&header[MAGIC.len()..]);
        let shared = hpke_suite::decap(&enc, key, None).map_err(|e| other(e.to_string()))?;
        Ok(OpenReader {
            input,
            context: Context::new(Mode::Base, &shared, INFO),
            header,
            seq: 0,
            plain: Zeroizing::new(Vec::new()),
            at: 0,
            done: false,
        })
    }

    fn next_frame(&mut self) -> std::io::Result<()> {
        let mut head = [0u8; 5];
        self.input
            .read_exact(&mut head)
            .map_err(|_| other("the backup is truncated: it ends before its last frame"))?;
        let flag = head[0];
        let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
        if flag > 1 || len > FRAME_BYTES + TAG_LEN {
            return Err(other("the backup is damaged: a frame header is invalid"));
        }
        let mut sealed = vec![0u8; len];
        self.input
            .read_exact(&mut sealed)
            .map_err(|_| other("the backup is truncated: it ends inside a frame"))?;
        let mut aad = self.header.to_vec();
        aad.push(flag);
        self.plain = self.context.open(self.seq, &aad, &sealed).map_err(|_| {
            other(if self.seq == 0 {
                "the backup does not open with this key (another key, or an altered file)"
            } else {
                "the backup is damaged or altered: a frame does not authenticate"
            })
        })?;
        self.seq += 1;
        self.at = 0;
        if flag == 1 {
            self.done = true;
            let mut extra = [0u8; 1];
            if self.input.read(&mut extra)? != 0 {
                return Err(other("the backup is damaged: bytes follow its last frame"));
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for OpenReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.plain.len() {
            if self.done {
                return Ok(0);
            }
            self.next_frame()?;
        }
        let n = buf.len().min(self.plain.len() - self.at);
        buf[..n].copy_from_slice(&self.plain[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> String + '_ {
    move |e| format!("{}: {e}", path.display())
}

/// `backup keygen`: write a new private key (hex, mode 0600, never overwriting) to `out` and
/// its public key to `out.pub`; returns the public key.
pub fn keygen(out: &Path) -> Result<HpkePublicKey, String> {
    let key = HpkePrivateKey::generate(&mut SystemRng::new());
    let public = key.public_key();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(files::FILE_MODE)
        .open(out)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                format!(
                    "{} exists already; refusing to overwrite a key",
                    out.display()
                )
            } else {
                io_err(out)(e)
            }
        })?;
    let text = Zeroizing::new(format!("{}\n", hex::encode(*key.to_bytes())));
    file.write_all(text.as_bytes()).map_err(io_err(out))?;
    file.sync_all().map_err(io_err(out))?;
    let public_path = public_path(out);
    std::fs::write(&public_path, format!("{}\n", public.to_hex())).map_err(io_err(&public_path))?;
    Ok(public)
}

fn public_path(key: &Path) -> PathBuf {
    let mut name = key.as_os_str().to_owned();
    name.push(".pub");
    PathBuf::from(name)
}

/// A backup public key given as 64 hex characters or as a file holding them.
pub fn read_public_key(text: &str) -> Result<HpkePublicKey, String> {
    if let Some(key) = HpkePublicKey::from_hex(text.trim()) {
        return Ok(key);
    }
    let path = Path::new(text);
    let content = std::fs::read_to_string(path).map_err(|e| {
        format!("--public-key {text:?} is neither 64 hex characters nor a readable file: {e}")
    })?;
    HpkePublicKey::from_hex(content.trim()).ok_or_else(|| {
        format!(
            "{} does not hold a backup public key (64 hex characters)",
            path.display()
        )
    })
}

/// A private key written by [`keygen`]; refuses a file that group or others can read.
pub fn read_private_key(path: &Path) -> Result<HpkePrivateKey, String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(io_err(path))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "{} is readable by others (mode {mode:o}); run chmod 600 on it",
            path.display()
        ));
    }
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(io_err(path))?);
    let mut bytes = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(text.trim(), bytes.as_mut()).map_err(|_| {
        format!(
            "{} does not hold a backup private key (64 hex characters)",
            path.display()
        )
    })?;
    Ok(HpkePrivateKey::from_bytes(*bytes))
}

/// What a backup or a restore copied.
#[derive(Debug, Clone)]
pub struct Copied {
    pub counts: CopyCounts,
    pub relay_key: bool,
}

/// `backup --to FILE`: copy the database of `storage` (one snapshot, while the relay keeps
/// serving) and the relay key of `settings`, encrypted to `recipient`. Written to `FILE.partial`
/// (mode 0600) and renamed to `FILE` once complete and flushed to disk; refuses an existing
/// `FILE`.
pub async fn backup(
    settings: &Settings,
    storage: &Storage,
    recipient: &HpkePublicKey,
    to: &Path,
) -> Result<Copied, String> {
    if to.exists() {
        return Err(format!(
            "{} exists already; choose a new file for each backup",
            to.display()
        ));
    }
    let partial = {
        let mut name = to.as_os_str().to_owned();
        name.push(".partial");
        PathBuf::from(name)
    };
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(files::FILE_MODE)
        .open(&partial)
        .map_err(io_err(&partial))?;
    let result = async {
        let relay_key = relay_key_seed(settings)?;
        let mut extra = Map::new();
        extra.insert(
            "relay_version".into(),
            Value::from(env!("CARGO_PKG_VERSION")),
        );
        extra.insert("taken_at".into(), Value::from(crate::domain::unix_now()));
        if let Some(seed) = &relay_key {
            extra.insert("relay_key".into(), Value::from(hex::encode(seed.as_ref())));
        }
        let mut writer = SealWriter::new(
            std::io::BufWriter::new(file),
            recipient,
            &mut SystemRng::new(),
        )
        .map_err(io_err(&partial))?;
        let counts = storage
            .export(&mut writer, extra)
            .await
            .map_err(|e| e.to_string())?;
        let file = writer
            .finish()
            .map_err(io_err(&partial))?
            .into_inner()
            .map_err(|e| io_err(&partial)(e.into_error()))?;
        file.sync_all().map_err(io_err(&partial))?;
        Ok::<_, String>(Copied {
            counts,
            relay_key: relay_key.is_some(),
        })
    }
    .await;
    match result {
        Ok(copied) => {
            std::fs::rename(&partial, to).map_err(io_err(to))?;
            Ok(copied)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

fn relay_key_seed(settings: &Settings) -> Result<Option<Zeroizing<[u8; 32]>>, String> {
    let path = settings.relay_key_path();
    if !path.exists() {
        return Ok(None);
    }
    let key = keyfile::read(&path).map_err(|e| e.to_string())?;
    Ok(Some(Zeroizing::new(*key.seed())))
}

/// `restore --from FILE --key KEYFILE`: decrypt, check, and load a backup into the database of
/// `settings`, then migrate it to this binary's schema; write the relay key it holds. Refuses
/// a database with any row in it, or another relay key, unless `force` (then both are
/// replaced). A file that does not open, is truncated or altered leaves the database empty.
pub async fn restore(
    settings: &Settings,
    from: &Path,
    key: &HpkePrivateKey,
    force: bool,
) -> Result<Copied, String> {
    let file = std::fs::File::open(from).map_err(io_err(from))?;
    let mut input = BufReader::with_capacity(
        FRAME_BYTES,
        OpenReader::new(BufReader::new(file), key)
            .map_err(|e| format!("{}: {e}", from.display()))?,
    );
    let input: &mut (dyn BufRead + Send) = &mut input;
    let header: ExportHeader = Storage::read_export_header(input).map_err(|e| e.to_string())?;

    let backend = crate::storage::Backend::from_url(&settings.database_url())
        .ok_or("unsupported database URL (expected sqlite: or postgres://)")?;
    let known = known_migrations(backend);
    for m in &header.migrations {
        if !known.iter().any(|k| k.version == m.version) {
            return Err(format!(
                "the backup was taken from a newer relay (relay {}, migration {m}); restore it \
                 with that release or a newer one",
                header
                    .extra
                    .get("relay_version")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown")
            ));
        }
    }
    let relay_key = match header.extra.get("relay_key").and_then(Value::as_str) {
        Some(text) => {
            let mut seed = Zeroizing::new([0u8; 32]);
            hex::decode_to_slice(text, seed.as_mut())
                .map_err(|_| "the backup's relay key is malformed".to_string())?;
            Some(SigningKey::from_seed(*seed).map_err(|_| "the backup's relay key is malformed")?)
        }
        None => None,
    };
    let key_path = settings.relay_key_path();
    if let Some(k) = &relay_key
        && key_path.exists()
        && !force
    {
        let here = keyfile::read(&key_path).map_err(|e| e.to_string())?;
        if !ct_eq(here.seed(), k.seed()) {
            return Err(format!(
                "{} holds another relay key than the backup; pass --force to replace it",
                key_path.display()
            ));
        }
    }

    // Held to the end: refused while a relay serves this data directory, and no relay starts
    // on it while the restore writes.
    let _lock = crate::files::lock_for_restore(&settings.data_dir).map_err(|e| e.to_string())?;
    let storage = crate::cli::connect_storage(settings).await?;
    let rows = storage.data_rows().await.map_err(|e| e.to_string())?;
    if rows > 0 && !force {
        return Err(format!(
            "the database is not empty ({rows} rows); restore writes only into an empty \
             database. Point the configuration at a new one, or pass --force to replace \
             everything in it with the backup"
        ));
    }
    storage.drop_all_tables().await.map_err(|e| e.to_string())?;
    let at = header
        .migrations
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0);
    storage.migrate_to(at).await.map_err(|e| e.to_string())?;
    let imported = storage.import(input).await;
    let counts = match imported {
        Ok(c) => c,
        Err(e) => {
            // Leave an empty database, not one at an old schema with no data.
            let _ = storage.drop_all_tables().await;
            storage.close().await;
            return Err(e.to_string());
        }
    };
    storage.migrate().await.map_err(|e| e.to_string())?;
    storage.close().await;
    if let Some(k) = &relay_key {
        if key_path.exists() {
            std::fs::remove_file(&key_path).map_err(io_err(&key_path))?;
        }
        keyfile::write_new(&key_path, k).map_err(|e| e.to_string())?;
    }
    Ok(Copied {
        counts,
        relay_key: relay_key.is_some(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn key() -> HpkePrivateKey {
        HpkePrivateKey::derive(b"backup test key")
    }

    fn seal(plain: &[u8]) -> Vec<u8> {
        let mut w =
            SealWriter::new(Vec::new(), &key().public_key(), &mut SystemRng::new()).unwrap();
        // In uneven pieces, as the JSON lines come.
        for piece in plain.chunks(1000) {
            w.write_all(piece).unwrap();
        }
        w.finish().unwrap()
    }

    fn open(file: &[u8], key: &HpkePrivateKey) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        OpenReader::new(file, key)?.read_to_end(&mut out)?;
        Ok(out)
    }

    /// Offsets of each frame's flag byte.
    fn frames(file: &[u8]) -> Vec<usize> {
        let mut at = HEADER_LEN;
        let mut out = Vec::new();
        while at < file.len() {
            out.push(at);
            let len = u32::from_be_bytes(file[at + 1..at + 5].try_into().unwrap()) as usize;
            at += 5 + len;
        }
        out
    }

    #[test]
    fn every_size_round_trips_and_ends_in_one_last_frame() {
        for size in [
            0,
            1,
            FRAME_BYTES - 1,
            FRAME_BYTES,
            FRAME_BYTES + 1,
            3 * FRAME_BYTES,
        ] {
            let plain: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            let file = seal(&plain);
            assert_eq!(open(&file, &key()).unwrap(), plain, "size {size}");
            let starts = frames(&file);
            assert_eq!(
                starts.len(),
                size.div_ceil(FRAME_BYTES).max(1),
                "size {size}"
            );
            let flags: Vec<u8> = starts.iter().map(|&s| file[s]).collect();
            assert_eq!(flags.last(), Some(&1));
            assert!(flags[..flags.len() - 1].iter().all(|&f| f == 0));
        }
    }

    #[test]
    fn a_wrong_key_an_altered_byte_a_cut_or_reordered_file_do_not_open() {
        let plain: Vec<u8> = (0..2 * FRAME_BYTES + 10).map(|i| (i % 7) as u8).collect();
        let file = seal(&plain);
        let wrong = HpkePrivateKey::derive(b"another key");
        assert!(
            open(&file, &wrong)
                .unwrap_err()
                .to_string()
                .contains("does not open with this key")
        );
        // Any byte changed: the magic, the encapsulated key, a flag, a length, a ciphertext.
        for at in [
            0,
            MAGIC.len() + 3,
            HEADER_LEN,
            HEADER_LEN + 2,
            HEADER_LEN + 100,
            file.len() - 1,
        ] {
            let mut bad = file.clone();
            bad[at] ^= 0x20;
            assert!(open(&bad, &key()).is_err(), "byte {at} altered");
        }
        let starts = frames(&file);
        // Cut at a frame boundary: no last frame.
        let cut = &file[..starts[2]];
        assert!(
            open(cut, &key())
                .unwrap_err()
                .to_string()
                .contains("truncated")
        );
        // Cut inside a frame.
        assert!(open(&file[..file.len() - 3], &key()).is_err());
        // Bytes after the last frame.
        let mut longer = file.clone();
        longer.push(0);
        assert!(
            open(&longer, &key())
                .unwrap_err()
                .to_string()
                .contains("follow its last frame")
        );
        // The first two frames swapped.
        let mut swapped = file[..HEADER_LEN].to_vec();
        swapped.extend_from_slice(&file[starts[1]..starts[2]]);
        swapped.extend_from_slice(&file[starts[0]..starts[1]]);
        swapped.extend_from_slice(&file[starts[2]..]);
        assert!(open(&swapped, &key()).is_err());
        // The last frame's flag cleared: it no longer authenticates.
        let mut unflagged = file.clone();
        unflagged[starts[2]] = 0;
        assert!(open(&unflagged, &key()).is_err());
    }
}
