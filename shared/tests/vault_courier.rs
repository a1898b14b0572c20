//! The courier store: opens without the PIN, only with the vault's platform secret, reveals no
//! names or values in its files, and goes with the vault on a wipe or a duress unlock.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::Path;

use workvoice_core::vault::{KdfParams, PlatformSecret, Vault, VaultConfig, VaultError};

const PIN: &str = "482916";
const DURESS: &str = "111999";
const TOKEN: &str = "mailbox-token-0aAlMAD8IAdo3oCJayM7erPg";

fn config() -> VaultConfig {
    VaultConfig {
        kdf: KdfParams::INSECURE_FAST_FOR_TESTS,
        max_attempts: 10,
    }
}

fn secret() -> PlatformSecret {
    PlatformSecret::new([7; 32])
}

fn every_file(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            all.extend(every_file(&path));
        } else {
            all.extend(fs::read(&path).unwrap());
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn the_courier_opens_without_the_pin_only_with_the_platform_secret_and_is_private() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        Vault::open_courier(dir.path(), Some(&secret())),
        Err(VaultError::NotInitialised)
    ));
    let vault = Vault::create(dir.path(), PIN, None, Some(&secret()), &config()).unwrap();
    drop(vault);
    let courier = Vault::open_courier(dir.path(), Some(&secret())).unwrap();
    courier
        .put("courier", "report-1", TOKEN.as_bytes())
        .unwrap();
    courier.flush().unwrap();
    drop(courier);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.path().join("courier.salt")), 0o600);
        let store = dir.path().join("courier");
        assert_eq!(mode(&store), 0o700);
        for entry in fs::read_dir(&store).unwrap() {
            let path = entry.unwrap().path();
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
    }
    let files = every_file(dir.path());
    assert!(!contains(&files, TOKEN.as_bytes()), "the value is sealed");
    assert!(!contains(&files, b"report-1"), "the key is a keyed hash");
    assert!(
        !contains(&files, b"courier\0"),
        "the namespace is a keyed hash"
    );

    // Another phone's secret, or none (the files copied off the phone): nothing opens.
    for other in [None, Some(PlatformSecret::new([8; 32]))] {
        let courier = Vault::open_courier(dir.path(), other.as_ref()).unwrap();
        assert!(courier.list("courier").is_err() || courier.list("courier").unwrap().is_empty());
        assert!(courier.get("courier", "report-1").unwrap_or(None).is_none());
    }
    let courier = Vault::open_courier(dir.path(), Some(&secret())).unwrap();
    assert_eq!(
        courier.get("courier", "report-1").unwrap().as_deref(),
        Some(TOKEN.as_bytes())
    );
    // The PIN vault still opens as before: the courier shares nothing with its key.
    drop(courier);
    let vault = Vault::unlock(dir.path(), PIN, Some(&secret())).unwrap();
    assert!(vault.list("courier").unwrap().is_empty());
}

#[test]
fn a_wipe_and_a_duress_unlock_take_the_courier_with_the_vault() {
    let dir = tempfile::tempdir().unwrap();
    drop(Vault::create(dir.path(), PIN, Some(DURESS), None, &config()).unwrap());
    let courier = Vault::open_courier(dir.path(), None).unwrap();
    courier
        .put("courier", "report-1", TOKEN.as_bytes())
        .unwrap();
    courier.flush().unwrap();
    drop(courier);
    let salt = fs::read(dir.path().join("courier.salt")).unwrap();

    drop(Vault::unlock(dir.path(), DURESS, None).unwrap());
    assert!(
        !contains(&every_file(dir.path()), &salt),
        "the old salt is gone"
    );
    let courier = Vault::open_courier(dir.path(), None).unwrap();
    assert!(courier.list("courier").unwrap().is_empty());
    courier
        .put("courier", "report-2", TOKEN.as_bytes())
        .unwrap();
    courier.flush().unwrap();
    drop(courier);

    Vault::wipe_dir(dir.path()).unwrap();
    assert!(!dir.path().join("courier").exists());
    assert!(!dir.path().join("courier.salt").exists());
    assert!(matches!(
        Vault::open_courier(dir.path(), None),
        Err(VaultError::NotInitialised)
    ));
}
