//! Evidence attachments: each file is sealed on its own under a random key that travels inside
//! the (enveloped) report, so a photo costs no per-recipient framing and can be uploaded in
//! chunks. Byte layout: `PROTOCOL.md`, section 9.
//!
//! Version 2 (what [`AttachmentSealer`] writes) cuts the padded file into 64 KiB segments
//! sealed with the STREAM construction (`aead-stream`'s `StreamBE32` over XChaCha20-Poly1305:
//! a 19-byte nonce prefix, a 32-bit big-endian segment counter and a last-segment flag), so
//! that neither the phone that seals nor the desk that opens ever holds the whole file.
//! Version 1 (one XChaCha20-Poly1305 call over the whole padded file, up to 10 MiB) was
//! written by earlier releases; [`open_attachment`] still opens it.

use aead_stream::{DecryptorBE32, EncryptorBE32};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::{Zeroize, Zeroizing};

use crate::codec::Reader;
use crate::keys::{AttachmentId, Digest, ReportId, sha256};
use crate::report::AttachmentRef;
use crate::{ErrorCode, SecureRng, padding};

pub const MAGIC: &[u8; 4] = b"WVAT";
/// The version of the one-shot layout of earlier releases (opened, never written).
pub const VERSION_ONE_SHOT: u8 = 1;
/// The version of the segmented (STREAM) layout that [`seal_attachment`] writes.
pub const VERSION: u8 = 2;
/// Header of a version 1 attachment: magic, version, report id, attachment id, 24-byte nonce.
pub const HEADER_LEN: usize = 4 + 1 + 16 + 16 + 24;
/// Header of a version 2 attachment: magic, version, report id, attachment id, 19-byte nonce
/// prefix.
pub const STREAM_HEADER_LEN: usize = 4 + 1 + 16 + 16 + NONCE_PREFIX_LEN;
/// The STREAM nonce prefix: the 24-byte XChaCha20 nonce less the counter (4) and flag (1).
pub const NONCE_PREFIX_LEN: usize = 19;
/// Plaintext bytes per segment of a version 2 attachment (the last one may be shorter).
pub const SEGMENT_BYTES: usize = 64 * 1024;
/// Poly1305 tag after each segment.
pub const TAG_LEN: usize = 16;
/// Largest plaintext attachment (version 2): 32 MiB.
pub const MAX_ATTACHMENT_BYTES: usize = 32 * 1024 * 1024;
/// Largest plaintext a version 1 attachment could hold.
pub const MAX_ONE_SHOT_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    #[error("attachment is {size} bytes, more than the {max} allowed")]
    TooLarge { size: usize, max: usize },
    #[error("the sealed attachment is malformed")]
    Malformed,
    #[error("the sealed attachment does not match its manifest entry")]
    Mismatch,
    #[error("the attachment failed authentication")]
    DecryptFailed,
}

impl ErrorCode for AttachmentError {
    fn code(&self) -> &'static str {
        match self {
            AttachmentError::TooLarge { .. } => "attachment_too_large",
            AttachmentError::Malformed => "attachment_malformed",
            AttachmentError::Mismatch => "attachment_mismatch",
            AttachmentError::DecryptFailed => "attachment_decrypt_failed",
        }
    }
}

/// The sealed size of a plaintext of `len` bytes in the version 2 layout.
pub fn sealed_len(len: usize) -> usize {
    let padded = padding::padded_len(len);
    STREAM_HEADER_LEN + padded + padded.div_ceil(SEGMENT_BYTES) * TAG_LEN
}

/// The sealed size of a plaintext of `len` bytes in the version 1 layout.
pub fn sealed_len_one_shot(len: usize) -> usize {
    HEADER_LEN + padding::padded_len(len) + TAG_LEN
}

/// The largest sealed attachment of either version: what a relay accepts for upload.
pub fn max_sealed_len() -> usize {
    sealed_len(MAX_ATTACHMENT_BYTES).max(sealed_len_one_shot(MAX_ONE_SHOT_ATTACHMENT_BYTES))
}

/// Seals one file as it arrives, segment by segment (version 2). Holds at most one segment
/// of plaintext; [`AttachmentSealer::push`] returns the sealed bytes that are ready, and
/// [`AttachmentSealer::finish`] the rest with the manifest entry.
pub struct AttachmentSealer {
    id: AttachmentId,
    key: Zeroizing<[u8; 32]>,
    header: [u8; STREAM_HEADER_LEN],
    encryptor: Option<EncryptorBE32<XChaCha20Poly1305>>,
    /// Plaintext of the frame not yet sealed: at most one segment.
    segment: Zeroizing<Vec<u8>>,
    size: u64,
    sealed_size: u64,
    digest: ring::digest::Context,
}

impl std::fmt::Debug for AttachmentSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttachmentSealer")
            .field("id", &self.id)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl AttachmentSealer {
    /// Draws, in order, the attachment id, the key and the nonce prefix. Returns the sealer and
    /// the header, the first bytes of the sealed file.
    pub fn new(report_id: ReportId, rng: &mut impl SecureRng) -> (Self, Vec<u8>) {
        let id = AttachmentId::random(rng);
        let mut key = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(key.as_mut());
        let mut prefix = [0u8; NONCE_PREFIX_LEN];
        rng.fill_bytes(&mut prefix);
        let mut header = [0u8; STREAM_HEADER_LEN];
        header[..4].copy_from_slice(MAGIC);
        header[4] = VERSION;
        header[5..21].copy_from_slice(report_id.as_bytes());
        header[21..37].copy_from_slice(id.as_bytes());
        header[37..].copy_from_slice(&prefix);
        let encryptor = EncryptorBE32::<XChaCha20Poly1305>::new(&(*key).into(), &prefix.into());
        let mut digest = ring::digest::Context::new(&ring::digest::SHA256);
        digest.update(&header);
        let sealer = Self {
            id,
            key,
            header,
            encryptor: Some(encryptor),
            segment: Zeroizing::new(Vec::with_capacity(SEGMENT_BYTES)),
            size: 0,
            sealed_size: STREAM_HEADER_LEN as u64,
            digest,
        };
        (sealer, header.to_vec())
    }

    /// The attachment's id (known from the start: it names the stored chunks).
    pub fn id(&self) -> AttachmentId {
        self.id
    }

    /// Plaintext bytes taken so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Take more of the file; appends to `out` every segment that is now complete and known
    /// not to be the last. Fails, taking nothing, once the file would pass
    /// [`MAX_ATTACHMENT_BYTES`].
    pub fn push(&mut self, mut plain: &[u8], out: &mut Vec<u8>) -> Result<(), AttachmentError> {
        let size = self.size as usize + plain.len();
        if size > MAX_ATTACHMENT_BYTES {
            return Err(AttachmentError::TooLarge {
                size,
                max: MAX_ATTACHMENT_BYTES,
            });
        }
        self.size = size as u64;
        while !plain.is_empty() {
            if self.segment.len() == SEGMENT_BYTES {
                self.seal_segment(false, out)?;
            }
            let take = (SEGMENT_BYTES - self.segment.len()).min(plain.len());
            self.segment.extend_from_slice(&plain[..take]);
            plain = &plain[take..];
        }
        Ok(())
    }

    /// Seal the buffered segment (the last one when `last`) and append it to `out`.
    fn seal_segment(&mut self, last: bool, out: &mut Vec<u8>) -> Result<(), AttachmentError> {
        let start = out.len();
        out.extend_from_slice(&self.segment);
        self.segment.zeroize();
        self.segment.clear();
        let mut sealed = out.split_off(start);
        let result = match (last, self.encryptor.as_mut()) {
            (false, Some(encryptor)) => encryptor.encrypt_next_in_place(&self.header, &mut sealed),
            (true, Some(_)) => match self.encryptor.take() {
                Some(encryptor) => encryptor.encrypt_last_in_place(&self.header, &mut sealed),
                None => Err(chacha20poly1305::aead::Error),
            },
            (_, None) => Err(chacha20poly1305::aead::Error),
        };
        if result.is_err() {
            sealed.zeroize();
            return Err(AttachmentError::Malformed);
        }
        self.digest.update(&sealed);
        self.sealed_size += sealed.len() as u64;
        out.extend_from_slice(&sealed);
        Ok(())
    }

    /// Pad (zeros, then the length), seal the last segments and append them to `out`;
    /// returns the manifest entry. The media type is given last: a stripper learns it from
    /// the file's first bytes.
    pub fn finish(
        mut self,
        media_type: &str,
        out: &mut Vec<u8>,
    ) -> Result<AttachmentRef, AttachmentError> {
        let size = self.size as usize;
        let length = u32::try_from(size).map_err(|_| AttachmentError::TooLarge {
            size,
            max: MAX_ATTACHMENT_BYTES,
        })?;
        let mut tail = vec![0u8; padding::padded_len(size) - 4 - size];
        tail.extend_from_slice(&length.to_be_bytes());
        let mut rest = &tail[..];
        while !rest.is_empty() {
            if self.segment.len() == SEGMENT_BYTES {
                self.seal_segment(false, out)?;
            }
            let take = (SEGMENT_BYTES - self.segment.len()).min(rest.len());
            self.segment.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
        }
        self.seal_segment(true, out)?;
        let mut sealed_sha256 = [0u8; 32];
        sealed_sha256.copy_from_slice(self.digest.clone().finish().as_ref());
        Ok(AttachmentRef {
            id: self.id,
            media_type: media_type.to_string(),
            size: self.size,
            sealed_size: self.sealed_size,
            sealed_sha256: Digest(sealed_sha256),
            key: *self.key,
        })
    }
}

/// Seal one whole (already metadata-stripped) file for a report, in the version 2 layout.
/// Returns the manifest entry to put in the report and the sealed bytes to upload.
pub fn seal_attachment(
    plaintext: &[u8],
    media_type: &str,
    report_id: ReportId,
    rng: &mut impl SecureRng,
) -> Result<(AttachmentRef, Vec<u8>), AttachmentError> {
    if plaintext.len() > MAX_ATTACHMENT_BYTES {
        return Err(AttachmentError::TooLarge {
            size: plaintext.len(),
            max: MAX_ATTACHMENT_BYTES,
        });
    }
    let (mut sealer, mut out) = AttachmentSealer::new(report_id, rng);
    out.reserve(sealed_len(plaintext.len()));
    sealer.push(plaintext, &mut out)?;
    let entry = sealer.finish(media_type, &mut out)?;
    Ok((entry, out))
}

/// Seal one whole file in the version 1 layout of earlier releases (one XChaCha20-Poly1305
/// call over the padded file). Kept so that tests can make what older phones uploaded.
pub fn seal_attachment_one_shot(
    plaintext: &[u8],
    media_type: &str,
    report_id: ReportId,
    rng: &mut impl SecureRng,
) -> Result<(AttachmentRef, Vec<u8>), AttachmentError> {
    if plaintext.len() > MAX_ONE_SHOT_ATTACHMENT_BYTES {
        return Err(AttachmentError::TooLarge {
            size: plaintext.len(),
            max: MAX_ONE_SHOT_ATTACHMENT_BYTES,
        });
    }
    let id = AttachmentId::random(rng);
    let mut key = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(key.as_mut());
    let mut nonce = [0u8; 24];
    rng.fill_bytes(&mut nonce);
    let mut out = Vec::with_capacity(sealed_len_one_shot(plaintext.len()));
    out.extend_from_slice(MAGIC);
    out.push(VERSION_ONE_SHOT);
    out.extend_from_slice(report_id.as_bytes());
    out.extend_from_slice(id.as_bytes());
    out.extend_from_slice(&nonce);
    let padded = Zeroizing::new(padding::pad(plaintext).ok_or(AttachmentError::Malformed)?);
    let sealed = XChaCha20Poly1305::new(&(*key).into())
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: &padded,
                aad: &out,
            },
        )
        .map_err(|_| AttachmentError::Malformed)?;
    out.extend_from_slice(&sealed);
    let entry = AttachmentRef {
        id,
        media_type: media_type.to_string(),
        size: plaintext.len() as u64,
        sealed_size: out.len() as u64,
        sealed_sha256: sealed_digest(&out),
        key: *key,
    };
    Ok((entry, out))
}

/// Opens a sealed attachment as its bytes arrive, against the report id and the manifest
/// entry, in the order of `PROTOCOL.md` 9.5. A version 2 attachment is opened segment by
/// segment and its plaintext handed out as soon as each segment is authenticated, so nothing
/// holds the whole file; a version 1 attachment (at most 10 MiB) is gathered and opened at
/// [`AttachmentOpener::finish`]. Plaintext handed out counts only once `finish` succeeds:
/// the length and digest of the whole are checked last.
pub struct AttachmentOpener {
    report_id: ReportId,
    entry: AttachmentRef,
    /// Sealed bytes of the unit being gathered: the header, then one segment at a time (or,
    /// for version 1, everything).
    pending: Zeroizing<Vec<u8>>,
    version: Option<u8>,
    header: Vec<u8>,
    decryptor: Option<DecryptorBE32<XChaCha20Poly1305>>,
    padded_len: u64,
    segments: u64,
    next_segment: u64,
    /// Position in the padded frame of the next plaintext byte.
    frame_pos: u64,
    trailer: Vec<u8>,
    received: u64,
    digest: ring::digest::Context,
}

impl std::fmt::Debug for AttachmentOpener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttachmentOpener")
            .field("id", &self.entry.id)
            .field("received", &self.received)
            .finish_non_exhaustive()
    }
}

impl AttachmentOpener {
    pub fn new(report_id: ReportId, entry: &AttachmentRef) -> Self {
        Self {
            report_id,
            entry: entry.clone(),
            pending: Zeroizing::new(Vec::new()),
            version: None,
            header: Vec::new(),
            decryptor: None,
            padded_len: 0,
            segments: 0,
            next_segment: 0,
            frame_pos: 0,
            trailer: Vec::with_capacity(4),
            received: 0,
            digest: ring::digest::Context::new(&ring::digest::SHA256),
        }
    }

    /// How many sealed bytes the unit being gathered still needs (`None`: all that come).
    fn unit_len(&self) -> Option<usize> {
        match self.version {
            None if self.header.is_empty() => Some(5),
            Some(VERSION) if self.header.len() < STREAM_HEADER_LEN => Some(STREAM_HEADER_LEN - 5),
            Some(VERSION) => {
                let start = self.next_segment * SEGMENT_BYTES as u64;
                let plain = (self.padded_len - start).min(SEGMENT_BYTES as u64);
                Some(plain as usize + TAG_LEN)
            }
            _ => None,
        }
    }

    /// Take the next sealed bytes; appends the plaintext they complete to `out`.
    pub fn push(&mut self, mut sealed: &[u8], out: &mut Vec<u8>) -> Result<(), AttachmentError> {
        self.received += sealed.len() as u64;
        if self.received > self.entry.sealed_size {
            return Err(AttachmentError::Mismatch);
        }
        self.digest.update(sealed);
        while !sealed.is_empty() {
            let Some(unit) = self.unit_len() else {
                if self.pending.len() + sealed.len()
                    > sealed_len_one_shot(MAX_ONE_SHOT_ATTACHMENT_BYTES)
                {
                    return Err(AttachmentError::Mismatch);
                }
                self.pending.extend_from_slice(sealed);
                return Ok(());
            };
            if self.version == Some(VERSION)
                && self.header.len() == STREAM_HEADER_LEN
                && self.next_segment >= self.segments
            {
                return Err(AttachmentError::Mismatch);
            }
            let take = (unit - self.pending.len()).min(sealed.len());
            self.pending.extend_from_slice(&sealed[..take]);
            sealed = &sealed[take..];
            if self.pending.len() == unit {
                let bytes = std::mem::take(&mut *self.pending);
                self.unit(bytes, out)?;
            }
        }
        Ok(())
    }

    fn unit(&mut self, mut bytes: Vec<u8>, out: &mut Vec<u8>) -> Result<(), AttachmentError> {
        if self.header.is_empty() {
            if &bytes[..4] != MAGIC {
                return Err(AttachmentError::Mismatch);
            }
            match bytes[4] {
                VERSION_ONE_SHOT => {
                    self.version = Some(VERSION_ONE_SHOT);
                    self.pending.extend_from_slice(&bytes);
                }
                VERSION => self.version = Some(VERSION),
                _ => return Err(AttachmentError::Mismatch),
            }
            self.header = bytes;
            return Ok(());
        }
        if self.header.len() < STREAM_HEADER_LEN {
            self.header.extend_from_slice(&bytes);
            let header = &self.header;
            if header[5..21] != self.report_id.as_bytes()[..]
                || header[21..37] != self.entry.id.as_bytes()[..]
            {
                return Err(AttachmentError::Mismatch);
            }
            let size = usize::try_from(self.entry.size).map_err(|_| AttachmentError::Mismatch)?;
            if size > MAX_ATTACHMENT_BYTES || self.entry.sealed_size != sealed_len(size) as u64 {
                return Err(AttachmentError::Mismatch);
            }
            self.padded_len = padding::padded_len(size) as u64;
            self.segments = self.padded_len.div_ceil(SEGMENT_BYTES as u64);
            let prefix: [u8; NONCE_PREFIX_LEN] = header[37..STREAM_HEADER_LEN]
                .try_into()
                .map_err(|_| AttachmentError::Malformed)?;
            self.decryptor = Some(DecryptorBE32::<XChaCha20Poly1305>::new(
                &self.entry.key.into(),
                &prefix.into(),
            ));
            return Ok(());
        }
        let last = self.next_segment + 1 == self.segments;
        let decrypted = match (last, self.decryptor.as_mut()) {
            (false, Some(decryptor)) => decryptor.decrypt_next_in_place(&self.header, &mut bytes),
            (true, Some(_)) => match self.decryptor.take() {
                Some(decryptor) => decryptor.decrypt_last_in_place(&self.header, &mut bytes),
                None => Err(chacha20poly1305::aead::Error),
            },
            (_, None) => Err(chacha20poly1305::aead::Error),
        };
        decrypted.map_err(|_| AttachmentError::DecryptFailed)?;
        self.next_segment += 1;
        let plain = Zeroizing::new(bytes);
        let size = self.entry.size;
        let zeros_end = self.padded_len - 4;
        for (pos, byte) in (self.frame_pos..).zip(plain.iter()) {
            if pos >= zeros_end {
                self.trailer.push(*byte);
            } else if pos >= size && *byte != 0 {
                return Err(AttachmentError::Malformed);
            }
        }
        let plain_end = (self.frame_pos + plain.len() as u64).min(size);
        if plain_end > self.frame_pos {
            out.extend_from_slice(&plain[..(plain_end - self.frame_pos) as usize]);
        }
        self.frame_pos += plain.len() as u64;
        if last && self.trailer[..] != (size as u32).to_be_bytes()[..] {
            return Err(AttachmentError::Malformed);
        }
        Ok(())
    }

    /// Check the whole: its length and digest against the entry, and that the file was
    /// complete; for version 1, open it and append its plaintext to `out`.
    pub fn finish(self, out: &mut Vec<u8>) -> Result<(), AttachmentError> {
        let header_len = match self.version {
            Some(VERSION) => STREAM_HEADER_LEN,
            Some(_) => HEADER_LEN,
            None => 5,
        };
        if self.header.len() < 5
            || (self.version == Some(VERSION) && self.header.len() < header_len)
            || (self.version == Some(VERSION_ONE_SHOT) && self.pending.len() < header_len)
        {
            return Err(AttachmentError::Malformed);
        }
        let mut digest = [0u8; 32];
        digest.copy_from_slice(self.digest.finish().as_ref());
        if self.received != self.entry.sealed_size || Digest(digest) != self.entry.sealed_sha256 {
            return Err(AttachmentError::Mismatch);
        }
        if self.version == Some(VERSION_ONE_SHOT) {
            out.extend_from_slice(&open_one_shot(&self.pending, self.report_id, &self.entry)?);
            return Ok(());
        }
        if self.next_segment != self.segments {
            return Err(AttachmentError::Mismatch);
        }
        Ok(())
    }
}

/// Check a whole sealed attachment (either version) against its manifest entry and decrypt it.
pub fn open_attachment(
    sealed: &[u8],
    report_id: ReportId,
    entry: &AttachmentRef,
) -> Result<Vec<u8>, AttachmentError> {
    if sealed.len() as u64 != entry.sealed_size || sha256(&[sealed]) != entry.sealed_sha256 {
        return Err(AttachmentError::Mismatch);
    }
    if sealed.len() < 5 {
        return Err(AttachmentError::Malformed);
    }
    let mut opener = AttachmentOpener::new(report_id, entry);
    let mut out = Vec::with_capacity(usize::try_from(entry.size).unwrap_or(0).min(sealed.len()));
    let opened = opener
        .push(sealed, &mut out)
        .and_then(|()| opener.finish(&mut out));
    if let Err(e) = opened {
        out.zeroize();
        return Err(e);
    }
    Ok(out)
}

/// Open a version 1 attachment whose length and digest were checked (`PROTOCOL.md` 9.3).
fn open_one_shot(
    sealed: &[u8],
    report_id: ReportId,
    entry: &AttachmentRef,
) -> Result<Vec<u8>, AttachmentError> {
    let mut r = Reader::new(sealed);
    let header_ok = r.take(4).ok() == Some(&MAGIC[..])
        && r.u8().ok() == Some(VERSION_ONE_SHOT)
        && r.array::<16>().ok() == Some(*report_id.as_bytes())
        && r.array::<16>().ok() == Some(*entry.id.as_bytes());
    let nonce = r.array::<24>().map_err(|_| AttachmentError::Malformed)?;
    if !header_ok {
        return Err(AttachmentError::Mismatch);
    }
    let padded = Zeroizing::new(
        XChaCha20Poly1305::new(&entry.key.into())
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &sealed[HEADER_LEN..],
                    aad: &sealed[..HEADER_LEN],
                },
            )
            .map_err(|_| AttachmentError::DecryptFailed)?,
    );
    let plain = padding::unpad(&padded).map_err(|_| AttachmentError::Malformed)?;
    if plain.len() as u64 != entry.size {
        return Err(AttachmentError::Mismatch);
    }
    Ok(plain.to_vec())
}

/// SHA-256 of sealed bytes, as the manifest and the relay's upload check use it.
pub fn sealed_digest(sealed: &[u8]) -> Digest {
    sha256(&[sealed])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use aead_stream::{NewStream, StreamBE32, StreamPrimitive};

    use super::*;
    use crate::vectors::DeterministicRng;

    fn photo(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn segments_are_the_stream_construction_over_the_padded_frame() {
        let plain = photo(150_000);
        let report_id = ReportId([9; 16]);
        let (entry, sealed) = seal_attachment(
            &plain,
            "image/jpeg",
            report_id,
            &mut DeterministicRng::new("attachment"),
        )
        .unwrap();
        assert_eq!(sealed.len(), sealed_len(plain.len()));
        assert_eq!(entry.sealed_size, sealed.len() as u64);
        assert_eq!(entry.sealed_sha256, sealed_digest(&sealed));
        assert_eq!(sealed[4], VERSION);
        // The frame: the file, zeros, then its length; cut into 64 KiB segments.
        let padded = padding::padded_len(plain.len());
        let mut frame = plain.clone();
        frame.resize(padded - 4, 0);
        frame.extend_from_slice(&(plain.len() as u32).to_be_bytes());
        let prefix: [u8; NONCE_PREFIX_LEN] = sealed[37..STREAM_HEADER_LEN].try_into().unwrap();
        let stream = StreamBE32::<XChaCha20Poly1305>::new(&entry.key.into(), &prefix.into());
        let segments: Vec<&[u8]> = frame.chunks(SEGMENT_BYTES).collect();
        let mut expected = sealed[..STREAM_HEADER_LEN].to_vec();
        for (i, segment) in segments.iter().enumerate() {
            let last = i + 1 == segments.len();
            let aad = &sealed[..STREAM_HEADER_LEN];
            let mut buffer = segment.to_vec();
            stream
                .encrypt_in_place(i as u32, last, aad, &mut buffer)
                .unwrap();
            expected.extend(buffer);
        }
        assert_eq!(sealed, expected);
        assert_eq!(open_attachment(&sealed, report_id, &entry).unwrap(), plain);
    }

    #[test]
    fn the_streaming_opener_takes_any_cut_and_hands_out_the_file() {
        let plain = photo(200_000);
        let report_id = ReportId([3; 16]);
        let mut rng = DeterministicRng::new("stream cut");
        let (mut sealer, mut sealed) = AttachmentSealer::new(report_id, &mut rng);
        for piece in plain.chunks(7_777) {
            sealer.push(piece, &mut sealed).unwrap();
        }
        let entry = sealer.finish("image/png", &mut sealed).unwrap();
        for cut in [1usize, 5, 56, 1000, 65_552, 1 << 20] {
            let mut opener = AttachmentOpener::new(report_id, &entry);
            let mut out = Vec::new();
            for piece in sealed.chunks(cut) {
                opener.push(piece, &mut out).unwrap();
            }
            opener.finish(&mut out).unwrap();
            assert_eq!(out, plain, "cut {cut}");
        }
    }

    #[test]
    fn opening_refuses_in_order() {
        let plain = photo(70_000);
        let report_id = ReportId([4; 16]);
        let mut rng = DeterministicRng::new("refusals");
        let (entry, sealed) = seal_attachment(&plain, "image/jpeg", report_id, &mut rng).unwrap();
        let open = |bytes: &[u8], entry: &AttachmentRef| {
            let entry = AttachmentRef {
                sealed_size: bytes.len() as u64,
                sealed_sha256: sealed_digest(bytes),
                ..entry.clone()
            };
            open_attachment(bytes, report_id, &entry)
        };
        assert_eq!(
            open_attachment(&sealed[..sealed.len() - 1], report_id, &entry),
            Err(AttachmentError::Mismatch)
        );
        assert_eq!(open(&sealed[..4], &entry), Err(AttachmentError::Malformed));
        assert_eq!(open(&sealed[..40], &entry), Err(AttachmentError::Malformed));
        let mut other_version = sealed.clone();
        other_version[4] = 3;
        assert_eq!(open(&other_version, &entry), Err(AttachmentError::Mismatch));
        assert_eq!(
            open_attachment(&sealed, ReportId([5; 16]), &entry),
            Err(AttachmentError::Mismatch)
        );
        // A dropped last segment: the entry's size says how many segments there are.
        let first_two = &sealed[..STREAM_HEADER_LEN + SEGMENT_BYTES + TAG_LEN];
        assert_eq!(open(first_two, &entry), Err(AttachmentError::Mismatch));
        let smaller = AttachmentRef {
            size: 1000,
            ..entry.clone()
        };
        assert_eq!(open(&sealed, &smaller), Err(AttachmentError::Mismatch));
        let mut flipped = sealed.clone();
        flipped[STREAM_HEADER_LEN + 10] ^= 1;
        assert_eq!(open(&flipped, &entry), Err(AttachmentError::DecryptFailed));
        // Two segments swapped, or the second marked as not last, fail authentication.
        let mut header_flipped = sealed.clone();
        header_flipped[40] ^= 1;
        assert_eq!(
            open(&header_flipped, &entry),
            Err(AttachmentError::DecryptFailed)
        );
        let big = seal_attachment(
            &photo(2 * SEGMENT_BYTES + 100),
            "image/png",
            report_id,
            &mut rng,
        )
        .unwrap();
        let seg = SEGMENT_BYTES + TAG_LEN;
        let mut swapped = big.1[..STREAM_HEADER_LEN].to_vec();
        swapped.extend_from_slice(&big.1[STREAM_HEADER_LEN + seg..STREAM_HEADER_LEN + 2 * seg]);
        swapped.extend_from_slice(&big.1[STREAM_HEADER_LEN..STREAM_HEADER_LEN + seg]);
        swapped.extend_from_slice(&big.1[STREAM_HEADER_LEN + 2 * seg..]);
        assert_eq!(open(&swapped, &big.0), Err(AttachmentError::DecryptFailed));
    }

    #[test]
    fn a_frame_with_a_wrong_length_or_non_zero_padding_is_malformed() {
        let report_id = ReportId([6; 16]);
        let key = [7u8; 32];
        let prefix = [8u8; NONCE_PREFIX_LEN];
        let id = AttachmentId([1; 16]);
        let seal_frame = |frame: &[u8]| {
            let mut sealed = MAGIC.to_vec();
            sealed.push(VERSION);
            sealed.extend_from_slice(report_id.as_bytes());
            sealed.extend_from_slice(id.as_bytes());
            sealed.extend_from_slice(&prefix);
            let header = sealed.clone();
            let stream = StreamBE32::<XChaCha20Poly1305>::new(&key.into(), &prefix.into());
            let segments: Vec<&[u8]> = frame.chunks(SEGMENT_BYTES).collect();
            for (i, segment) in segments.iter().enumerate() {
                let last = i + 1 == segments.len();
                let mut buffer = segment.to_vec();
                stream
                    .encrypt_in_place(i as u32, last, &header, &mut buffer)
                    .unwrap();
                sealed.extend(buffer);
            }
            let entry = AttachmentRef {
                id,
                media_type: "image/png".into(),
                size: 10,
                sealed_size: sealed.len() as u64,
                sealed_sha256: sealed_digest(&sealed),
                key,
            };
            open_attachment(&sealed, report_id, &entry)
        };
        let mut frame = vec![b'x'; 10];
        frame.resize(252, 0);
        frame.extend_from_slice(&10u32.to_be_bytes());
        assert_eq!(seal_frame(&frame).unwrap(), vec![b'x'; 10]);
        let mut wrong_length = frame.clone();
        wrong_length[255] = 11;
        assert_eq!(seal_frame(&wrong_length), Err(AttachmentError::Malformed));
        let mut non_zero = frame.clone();
        non_zero[100] = 1;
        assert_eq!(seal_frame(&non_zero), Err(AttachmentError::Malformed));
    }

    #[test]
    fn version_one_attachments_of_earlier_releases_still_open() {
        let plain = photo(100_000);
        let report_id = ReportId([9; 16]);
        let (entry, sealed) = seal_attachment_one_shot(
            &plain,
            "image/jpeg",
            report_id,
            &mut DeterministicRng::new("attachment"),
        )
        .unwrap();
        assert_eq!(sealed.len(), sealed_len_one_shot(plain.len()));
        assert_eq!(sealed[4], VERSION_ONE_SHOT);
        // The bytes a one-shot encryption of the padded file gives, as PROTOCOL.md lays out.
        let nonce: [u8; 24] = sealed[HEADER_LEN - 24..HEADER_LEN].try_into().unwrap();
        let one_shot = XChaCha20Poly1305::new(&entry.key.into())
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &padding::pad(&plain).unwrap(),
                    aad: &sealed[..HEADER_LEN],
                },
            )
            .unwrap();
        assert_eq!(&sealed[HEADER_LEN..], &one_shot[..]);
        assert_eq!(open_attachment(&sealed, report_id, &entry).unwrap(), plain);
        let mut opener = AttachmentOpener::new(report_id, &entry);
        let mut out = Vec::new();
        for piece in sealed.chunks(4096) {
            opener.push(piece, &mut out).unwrap();
        }
        opener.finish(&mut out).unwrap();
        assert_eq!(out, plain);
    }

    #[test]
    fn twenty_mebibytes_fit_and_the_limit_is_enforced_while_streaming() {
        let report_id = ReportId([2; 16]);
        let mut rng = DeterministicRng::new("limit");
        let (mut sealer, _) = AttachmentSealer::new(report_id, &mut rng);
        let mut sink = Vec::new();
        let block = vec![0u8; 1 << 20];
        for _ in 0..32 {
            sealer.push(&block, &mut sink).unwrap();
            sink.clear();
        }
        assert_eq!(
            sealer.push(&[0], &mut sink),
            Err(AttachmentError::TooLarge {
                size: MAX_ATTACHMENT_BYTES + 1,
                max: MAX_ATTACHMENT_BYTES
            })
        );
        assert!(max_sealed_len() >= sealed_len(20 << 20));
    }
}
