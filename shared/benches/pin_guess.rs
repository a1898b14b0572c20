//! What one PIN guess costs, for `THREATS.md` ("Offline guessing of the PIN").
//!
//! - Off the phone, with the platform secret (a rooted phone whose key store can be used, or
//!   the command-line shell, which has none): one guess is one Argon2id run with
//!   `KdfParams::OWASP_MINIMUM` over the PIN and the salt from the metadata file; measured with the
//!   `argon2` crate directly, as an attacker would run it.
//! - On the phone: one `Vault::unlock` with a wrong PIN, which derives both key slots, counts
//!   the attempt durably and stops the vault at the limit (ten by default).
//!
//! Prints the median of several runs on this machine, per core, and what searching the whole
//! 4- and 6-digit spaces would take at that rate. Run: `cargo bench -p workvoice-core --bench
//! pin_guess`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use argon2::{Algorithm, Argon2, Params, Version};
use workvoice_core::vault::{KdfParams, Vault, VaultConfig, VaultError};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn human(seconds: f64) -> String {
    match seconds {
        s if s < 120.0 => format!("{s:.0} s"),
        s if s < 7_200.0 => format!("{:.0} min", s / 60.0),
        s if s < 172_800.0 => format!("{:.1} h", s / 3_600.0),
        s => format!("{:.1} days", s / 86_400.0),
    }
}

fn main() {
    let p = KdfParams::OWASP_MINIMUM;
    let params = Params::new(p.memory_kib, p.iterations, p.parallelism, Some(32)).unwrap();
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let salt = [7u8; 16];
    let mut out = [0u8; 32];
    argon
        .hash_password_into(b"000000", &salt, &mut out)
        .unwrap();
    let offline = median(
        (0..9)
            .map(|i| {
                let pin = format!("{i:06}");
                let t = Instant::now();
                argon
                    .hash_password_into(pin.as_bytes(), &salt, &mut out)
                    .unwrap();
                t.elapsed()
            })
            .collect(),
    );

    let dir = tempfile::tempdir().unwrap();
    let config = VaultConfig {
        kdf: KdfParams::OWASP_MINIMUM,
        max_attempts: 1000,
    };
    drop(Vault::create(dir.path(), "482916", None, None, &config).unwrap());
    let on_phone = median(
        (0..7)
            .map(|_| {
                let t = Instant::now();
                let result = Vault::unlock(dir.path(), "999999", None);
                assert!(matches!(result, Err(VaultError::WrongPin { .. })));
                t.elapsed()
            })
            .collect(),
    );

    let per_guess = offline.as_secs_f64();
    println!(
        "Argon2id {} MiB, {} passes, {} lane (KdfParams::OWASP_MINIMUM)",
        p.memory_kib / 1024,
        p.iterations,
        p.parallelism
    );
    println!(
        "offline guess (one Argon2id run, one core): {:.1} ms",
        per_guess * 1e3
    );
    println!(
        "  every 4-digit PIN: {} per core; every 6-digit PIN: {} per core",
        human(per_guess * 1e4),
        human(per_guess * 1e6)
    );
    println!(
        "wrong PIN on the device (Vault::unlock: both slots, attempt counted): {:.1} ms \
         ({:.2}x the offline guess)",
        on_phone.as_secs_f64() * 1e3,
        on_phone.as_secs_f64() / per_guess
    );
}
