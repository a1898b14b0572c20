//! Proof-of-work for anonymous submissions, hashcash-style over the submission id.
//!
//! `SHA-256("workvoice/v1/pow\0" || submission id (16 bytes) || nonce (u64 big-endian))` must
//! start with at least `difficulty` zero bits; the difficulty comes from the signed directory.
//! A phone pays it once per report (a retry reuses the nonce); a flood pays it per submission.

use crate::ErrorCode;
use crate::directory::MAX_POW_DIFFICULTY;
use crate::keys::{ReportId, sha256};

const LABEL: &[u8] = b"workvoice/v1/pow\0";

pub fn pow_hash(submission_id: &ReportId, nonce: u64) -> [u8; 32] {
    sha256(&[LABEL, submission_id.as_bytes(), &nonce.to_be_bytes()]).0
}

pub fn leading_zero_bits(hash: &[u8]) -> u32 {
    let mut bits = 0;
    for byte in hash {
        if *byte == 0 {
            bits += 8;
        } else {
            return bits + byte.leading_zeros();
        }
    }
    bits
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PowError {
    #[error("the proof-of-work has {got} leading zero bits, {required} are required")]
    Insufficient { got: u32, required: u8 },
    #[error("difficulty {0} is above the maximum of 32")]
    DifficultyTooHigh(u8),
}

impl ErrorCode for PowError {
    fn code(&self) -> &'static str {
        match self {
            PowError::Insufficient { .. } => "pow_insufficient",
            PowError::DifficultyTooHigh(_) => "pow_difficulty_too_high",
        }
    }
}

/// The highest proof-of-work difficulty a phone accepts from a directory (PROTOCOL.md 12): 2^20
/// hashes expected, 16 times the relay's default of 16 bits (37 ms on the build machine,
/// BENCHMARKS.md), so about 0.6 s there and a few seconds on a cheap phone. A phone refuses a
/// directory that asks for more and solves nothing; a relay refuses to be configured with more.
pub const MAX_ACCEPTED_POW_DIFFICULTY: u8 = 20;

pub fn verify_pow(submission_id: &ReportId, nonce: u64, difficulty: u8) -> Result<(), PowError> {
    if difficulty > MAX_POW_DIFFICULTY {
        return Err(PowError::DifficultyTooHigh(difficulty));
    }
    let got = leading_zero_bits(&pow_hash(submission_id, nonce));
    if got >= u32::from(difficulty) {
        Ok(())
    } else {
        Err(PowError::Insufficient {
            got,
            required: difficulty,
        })
    }
}

/// The smallest nonce that satisfies `difficulty`. Expected work: 2^difficulty hashes.
pub fn solve_pow(submission_id: &ReportId, difficulty: u8) -> Result<u64, PowError> {
    let mut start = 0u64;
    loop {
        if let Some(nonce) = solve_pow_slice(submission_id, difficulty, start, u32::MAX)? {
            return Ok(nonce);
        }
        start = start.wrapping_add(u64::from(u32::MAX));
    }
}

/// The smallest nonce in `start .. start + count` that satisfies `difficulty`, if any: a
/// bounded piece of [`solve_pow`], so that a caller can solve in slices and do other work in
/// between. Solving slices `0, count, 2·count, …` in order finds the same nonce as `solve_pow`.
pub fn solve_pow_slice(
    submission_id: &ReportId,
    difficulty: u8,
    start: u64,
    count: u32,
) -> Result<Option<u64>, PowError> {
    if difficulty > MAX_POW_DIFFICULTY {
        return Err(PowError::DifficultyTooHigh(difficulty));
    }
    let mut nonce = start;
    for _ in 0..count {
        if leading_zero_bits(&pow_hash(submission_id, nonce)) >= u32::from(difficulty) {
            return Ok(Some(nonce));
        }
        nonce = nonce.wrapping_add(1);
    }
    Ok(None)
}
