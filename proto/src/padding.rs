//! Length hiding with PADMÉ (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files
//! and Communication with PURBs", PETS 2019).
//!
//! A plaintext `P` is framed as `u32 big-endian len(P) || P` and then zero-padded to
//! `padme(max(len + 4, MIN_PADDED_LEN))`. PADMÉ keeps the exponent of the length and rounds
//! its mantissa to as many bits as the exponent has, so padding costs at most 12% and a padded
//! length leaks O(log log L) bits.

/// The smallest padded length: even an empty report looks like a short one.
pub const MIN_PADDED_LEN: usize = 256;

/// The PADMÉ length for `len` (`len >= 2`; smaller values return `len`).
pub fn padme(len: usize) -> usize {
    if len < 2 {
        return len;
    }
    let e = usize::BITS - 1 - len.leading_zeros(); // floor(log2 len)
    let s = u32::BITS - e.leading_zeros(); // floor(log2 e) + 1
    let last_bits = e - s;
    let mask = (1usize << last_bits) - 1;
    (len + mask) & !mask
}

/// The padded length a plaintext of `plain_len` bytes takes.
pub fn padded_len(plain_len: usize) -> usize {
    padme((plain_len + 4).max(MIN_PADDED_LEN))
}

/// Whether `len` is a length that [`padded_len`] can produce.
pub fn is_padded_len(len: usize) -> bool {
    len >= MIN_PADDED_LEN && padme(len) == len
}

/// Frame and pad a plaintext. Returns `None` if it is longer than `u32::MAX`.
pub fn pad(plain: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(padded_len(plain.len()));
    pad_into(plain, &mut out)?;
    Some(out)
}

/// [`pad`], appending to `out` (so that a caller can encrypt the padded bytes in place).
/// Returns `None`, leaving `out` unchanged, if `plain` is longer than `u32::MAX`.
pub fn pad_into(plain: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let len = u32::try_from(plain.len()).ok()?;
    let end = out.len() + padded_len(plain.len());
    out.reserve(padded_len(plain.len()));
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(plain);
    out.resize(end, 0);
    Some(())
}

/// Why padded bytes are malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PaddingError {
    #[error("padded length is not a PADMÉ length")]
    Length,
    #[error("length prefix exceeds the padded data")]
    Prefix,
    #[error("padding bytes are not zero")]
    NonZero,
}

/// Undo [`pad`]: checks the padded length, the prefix and that every padding byte is zero.
pub fn unpad(padded: &[u8]) -> Result<&[u8], PaddingError> {
    if !is_padded_len(padded.len()) {
        return Err(PaddingError::Length);
    }
    let (prefix, rest) = padded.split_at(4);
    let len = u32::from_be_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]) as usize;
    if len > rest.len() || padded_len(len) != padded.len() {
        return Err(PaddingError::Prefix);
    }
    let (plain, zeros) = rest.split_at(len);
    if zeros.iter().any(|b| *b != 0) {
        return Err(PaddingError::NonZero);
    }
    Ok(plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padme_matches_the_paper() {
        // 257 has exponent 8, whose own length is 4 bits: the low 4 bits are rounded up.
        assert_eq!(padme(256), 256);
        assert_eq!(padme(257), 272);
        assert_eq!(padme(1000), 1024);
        assert_eq!(padme(1025), 1088);
        assert_eq!(padme(65_537), 67_584);
        for len in 2..100_000usize {
            let p = padme(len);
            assert!(p >= len && p - len <= len / 8 + 1, "{len} -> {p}");
            assert_eq!(padme(p), p);
        }
    }

    #[test]
    fn round_trip_and_rejects() {
        for n in [0usize, 1, 251, 252, 253, 1000, 70_000] {
            let plain: Vec<u8> = (0..n).map(|i| i as u8).collect();
            let padded = pad(&plain).unwrap();
            assert!(is_padded_len(padded.len()));
            assert_eq!(unpad(&padded).unwrap(), &plain[..]);
        }
        let mut padded = pad(b"abc").unwrap();
        *padded.last_mut().unwrap() = 1;
        assert_eq!(unpad(&padded), Err(PaddingError::NonZero));
        assert_eq!(unpad(&[0u8; 300]), Err(PaddingError::Length));
        let mut bad = vec![0u8; 256];
        bad[..4].copy_from_slice(&300u32.to_be_bytes());
        assert_eq!(unpad(&bad), Err(PaddingError::Prefix));
    }
}
