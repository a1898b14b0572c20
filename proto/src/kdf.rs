//! Argon2id cost parameters, one type for the phone's PIN and the desk's passphrase and
//! passwords, so the numbers live in one place. The hashing itself stays with the callers (the
//! `argon2` crate); this module does no work.

/// Argon2id costs (version 0x13). Stored next to each salt, so they can be raised later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over the memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl KdfParams {
    /// OWASP's recommended Argon2id minimum: 19 MiB, 2 passes, 1 lane. The phone computes it
    /// twice per unlock (once per key slot); the desk once per passphrase or password check.
    pub const OWASP_MINIMUM: KdfParams = KdfParams {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };

    /// Cheap costs for tests only: no protection for a low-entropy secret.
    pub const INSECURE_FAST_FOR_TESTS: KdfParams = KdfParams {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };
}

impl Default for KdfParams {
    fn default() -> Self {
        KdfParams::OWASP_MINIMUM
    }
}
