//! The proof that evidence is never held whole: a 20 MiB photo goes from the compose
//! flow to the union's desk while the phone core's peak memory grows by less than 4 MiB.
//!
//! The arrangement, and why the figure is the core's:
//! - The **phone core runs in this test process**: the command-line shell's library
//!   (`workvoice_cli::Shell`, the real core and vault behind the bytes-level FFI object, with
//!   a blocking HTTP client) composes the report with `Event::AddEvidenceFile` and performs
//!   the core's HTTP requests itself, straight to the relay (no proxy in between).
//! - The **relay and the desk are other processes** (`workvoice-relay serve`,
//!   `workvoice-desk sync`, started by [`World`]), so their memory is not this process's.
//!   The world's setup (seeding the relay's database, the fault proxies it starts idle) runs
//!   before the measurement.
//! - The photo is written to disk in 64 KiB pieces, so the test never holds it either.
//! - Just before the phone starts on the photo, the process's peak resident set (`VmHWM` in
//!   `/proc/self/status`) is reset to the current resident set by writing `5` to
//!   `/proc/self/clear_refs`; the growth is `VmHWM` after the upload minus `VmRSS` at the
//!   reset. So the figure covers stripping, sealing, storing and uploading the 20 MiB, and
//!   nothing before.
//! - A control in the same run shows the instrument can see a whole file: reading the photo
//!   into memory once, after the measurement, moves `VmHWM` by about its size.
//!
//! Only then is the desk's copy read (through the desk library, in this process, after the
//! measurement): its bytes must hash to the photo with its metadata stripped, computed here
//! independently while the file was written.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::time::{Duration, Instant};

use workvoice_cli::{Shell, ShellConfig, read_report_file};
use workvoice_desk::{Desk, Passphrase};
use workvoice_tests::desk::DESK_PASSPHRASE;
use workvoice_tests::phone::{PIN, ReportSpec};
use workvoice_tests::proxy::FaultPlan;
use workvoice_tests::world::{Backend, World};

const PHOTO_BYTES: usize = 20 * 1024 * 1024;
const BOUND_BYTES: u64 = 4 * 1024 * 1024;
const PIECE: usize = 64 * 1024;

/// `VmHWM` and `VmRSS` of this process, in bytes.
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| {
                v.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .unwrap()
                    * 1024
            })
            .unwrap_or_else(|| panic!("no {name} in /proc/self/status"))
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// Reset the peak resident set to the current one; returns the resident set then.
fn reset_peak() -> u64 {
    std::fs::write("/proc/self/clear_refs", "5").expect("writing /proc/self/clear_refs");
    let (peak, rss) = memory();
    assert!(
        peak <= rss + 64 * 1024,
        "the peak was reset ({peak} vs {rss})"
    );
    rss
}

fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0xFF, marker];
    out.extend_from_slice(&(payload.len() as u16 + 2).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// Writes a JPEG of exactly `len` bytes whose EXIF segment (camera and GPS text) the phone
/// must drop; returns the SHA-256 of the file without it, the bytes the desk must end with.
fn write_photo(path: &std::path::Path, len: usize) -> [u8; 32] {
    let mut clean_head = vec![0xFF, 0xD8];
    clean_head.extend(segment(0xDB, &[0u8; 65]));
    clean_head.extend(segment(0xC0, &[8, 0, 16, 0, 16, 1, 1, 0x11, 0]));
    clean_head.extend(segment(0xC4, &[0u8; 29]));
    let mut exif = b"Exif\0\0GPS 27.7172 N 85.3240 E; SuperPhone X9".to_vec();
    exif.resize(4000, b'.');
    let exif = segment(0xE1, &exif);
    let scan = segment(0xDA, &[1, 1, 0, 0, 63, 0]);
    let tail = [0xFF, 0xD9];
    let data_len = len - 2 - exif.len() - (clean_head.len() - 2) - scan.len() - tail.len();

    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut clean = ring::digest::Context::new(&ring::digest::SHA256);
    file.write_all(&clean_head[..2]).unwrap();
    file.write_all(&exif).unwrap();
    file.write_all(&clean_head[2..]).unwrap();
    file.write_all(&scan).unwrap();
    clean.update(&clean_head);
    clean.update(&scan);
    let mut piece = vec![0u8; PIECE];
    let mut written = 0usize;
    while written < data_len {
        let n = PIECE.min(data_len - written);
        for (i, byte) in piece[..n].iter_mut().enumerate() {
            // Entropy-coded data without 0xFF, kept byte for byte.
            *byte = ((written + i) % 251) as u8 & 0x7F;
        }
        file.write_all(&piece[..n]).unwrap();
        clean.update(&piece[..n]);
        written += n;
    }
    file.write_all(&tail).unwrap();
    clean.update(&tail);
    file.flush().unwrap();
    drop(file);
    assert_eq!(std::fs::metadata(path).unwrap().len(), len as u64);
    clean.finish().as_ref().try_into().unwrap()
}

#[test]
fn a_20_mib_photo_reaches_the_desk_while_the_core_grows_by_under_4_mib() {
    let world = World::new(Backend::Sqlite, FaultPlan::None).unwrap();
    let photo = world.path().join("receipt.jpg");
    let expected = write_photo(&photo, PHOTO_BYTES);

    let spec = ReportSpec::new(&world.tag, 0, 0, false);
    let mut report = spec.file_json();
    report["evidence"] = serde_json::json!([photo.display().to_string()]);
    let report_path = world.path().join("report.json");
    std::fs::write(&report_path, report.to_string()).unwrap();
    let report_file = read_report_file(&report_path).unwrap();

    let phone_dir = world.path().join("phone");
    std::fs::create_dir_all(&phone_dir).unwrap();
    let mut phone = Shell::start(&ShellConfig {
        data_dir: phone_dir.display().to_string(),
        relay_url: world.relay_url().unwrap(),
        root_public_key: Some(world.relay_config.root_public_key.clone()),
        language: "en".into(),
        fast_kdf: true,
        quick_retries: false,
        ohttp_relay: None,
    })
    .unwrap();
    phone.init(PIN, None).unwrap();

    let before = reset_peak();
    let started = Instant::now();
    phone.compose(&report_file, world.path()).unwrap();
    let composed = started.elapsed();
    let items = phone.sync_until_sent(Duration::from_secs(600)).unwrap();
    let sent = started.elapsed();
    let (peak, after) = memory();
    let growth = peak.saturating_sub(before);

    // The control: the same file held whole moves the peak by about its size.
    let control_before = reset_peak();
    let whole = std::fs::read(&photo).unwrap();
    let (control_peak, _) = memory();
    let control_growth = control_peak.saturating_sub(control_before);
    drop(whole);

    let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    println!(
        "evidence 20 MiB, compose to relay: core peak +{:.2} MiB (VmRSS {:.1} MiB at the \
         reset, VmHWM {:.1} MiB after, VmRSS {:.1} MiB after); composed and queued in {:.1} s, sent \
         and uploaded by {:.1} s; control (the file read whole): +{:.2} MiB",
        mib(growth),
        mib(before),
        mib(peak),
        mib(after),
        composed.as_secs_f64(),
        sent.as_secs_f64(),
        mib(control_growth),
    );
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0].uploads_pending, 0, "{items:?}");
    assert!(
        control_growth >= PHOTO_BYTES as u64 * 9 / 10,
        "the instrument sees a file held whole (+{control_growth} bytes)"
    );
    assert!(
        growth < BOUND_BYTES,
        "the core's peak grew by {growth} bytes (bound {BOUND_BYTES})"
    );

    // The desk (another process) downloads, opens and keeps the evidence.
    let summary = world.desk.sync().unwrap();
    assert_eq!(summary.stored, 1, "{summary:?}");
    let desk = world
        .runtime
        .block_on(Desk::open(
            &world.desk_dir(),
            &Passphrase::new(DESK_PASSPHRASE),
        ))
        .unwrap();
    let case_id = world
        .runtime
        .block_on(desk.store().case_id_by_report(&items[0].report_id))
        .unwrap()
        .expect("the desk has the case");
    let case = world.runtime.block_on(desk.case(case_id)).unwrap();
    let report = Desk::report_of(&case).unwrap();
    spec.matches(&report).unwrap();
    assert_eq!(report.attachments.len(), 1);
    let entry = &report.attachments[0];
    assert_eq!(entry.media_type, "image/jpeg");
    let (media_type, bytes) = world
        .runtime
        .block_on(desk.attachment(case_id, entry.id))
        .unwrap();
    assert_eq!(media_type, "image/jpeg");
    assert_eq!(bytes.len() as u64, entry.size);
    assert!(bytes.len() < PHOTO_BYTES, "the EXIF segment is gone");
    let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
    assert_eq!(
        digest.as_ref(),
        &expected[..],
        "the desk's copy is the photo without its metadata"
    );
}
