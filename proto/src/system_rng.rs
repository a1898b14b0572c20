//! The operating system's random number generator, for callers that inject randomness.
//!
//! This is the only module of the crate that touches the outside world, and only when a caller
//! asks for it (feature `system-rng`); the protocol functions themselves take any
//! [`crate::SecureRng`].

use core::convert::Infallible;

use rand_core::{TryCryptoRng, TryRng};
use ring::rand::{SecureRandom, SystemRandom};

/// Randomness from the operating system (`getrandom`), through `ring`.
#[derive(Debug, Clone)]
pub struct SystemRng(SystemRandom);

impl SystemRng {
    pub fn new() -> Self {
        Self(SystemRandom::new())
    }
}

impl Default for SystemRng {
    fn default() -> Self {
        Self::new()
    }
}

impl TryRng for SystemRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        // The operating system's generator failing leaves no safe way to continue: sealing
        // with predictable keys would be worse than stopping.
        #[allow(clippy::expect_used)]
        self.0
            .fill(dst)
            .expect("the operating system random generator failed");
        Ok(())
    }
}

impl TryCryptoRng for SystemRng {}
