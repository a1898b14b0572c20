//! The app's random generator: HMAC-SHA256 in counter mode, keyed by entropy that the
//! operating system supplies through the Random effect (and mixed in again before every
//! sealing), so the app stays pure while its keys and nonces stay unpredictable.

use ring::hmac;
use workvoice_proto::rand_core::{TryCryptoRng, TryRng};
use zeroize::Zeroizing;

pub struct SeededRng {
    key: Zeroizing<[u8; 32]>,
    counter: u64,
    seeded: bool,
}

impl std::fmt::Debug for SeededRng {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeededRng")
            .field("seeded", &self.seeded)
            .finish_non_exhaustive()
    }
}

impl Default for SeededRng {
    fn default() -> Self {
        Self {
            key: Zeroizing::new([0; 32]),
            counter: 0,
            seeded: false,
        }
    }
}

impl SeededRng {
    /// Mix fresh entropy into the key.
    pub fn reseed(&mut self, entropy: &[u8]) {
        let key = hmac::Key::new(hmac::HMAC_SHA256, self.key.as_ref());
        let tag = hmac::sign(&key, &[b"reseed".as_slice(), entropy].concat());
        self.key.copy_from_slice(tag.as_ref());
        self.counter = 0;
        self.seeded |= entropy.len() >= 32;
    }

    /// Whether at least 32 bytes of outside entropy were mixed in.
    pub fn is_seeded(&self) -> bool {
        self.seeded
    }

    pub fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        self.fill(&mut out);
        out
    }

    pub fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            return 0;
        }
        u64::from_le_bytes(self.bytes()) % bound
    }

    fn fill(&mut self, dst: &mut [u8]) {
        let key = hmac::Key::new(hmac::HMAC_SHA256, self.key.as_ref());
        for chunk in dst.chunks_mut(32) {
            let block = hmac::sign(&key, &self.counter.to_be_bytes());
            self.counter += 1;
            chunk.copy_from_slice(&block.as_ref()[..chunk.len()]);
        }
    }
}

impl TryRng for SeededRng {
    type Error = core::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(u32::from_le_bytes(self.bytes()))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(u64::from_le_bytes(self.bytes()))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        self.fill(dst);
        Ok(())
    }
}

impl TryCryptoRng for SeededRng {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn different_entropy_gives_different_streams() {
        let mut a = SeededRng::default();
        let mut b = SeededRng::default();
        assert!(!a.is_seeded());
        a.reseed(&[1; 32]);
        b.reseed(&[2; 32]);
        assert!(a.is_seeded());
        let (x, y): ([u8; 48], [u8; 48]) = (a.bytes(), b.bytes());
        assert_ne!(x, y);
        assert_ne!(x[..32], a.bytes::<32>());
    }
}
