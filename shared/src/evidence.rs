//! Metadata removal for evidence images.
//!
//! A photo of a receipt or a contract must not tell the recruiter where the worker was or which
//! phone took it. [`strip_metadata`] rewrites the container of a JPEG or PNG, keeping only what
//! is needed to display the image; the compressed image data is copied byte for byte, nothing is
//! decoded or re-encoded.
//!
//! - **JPEG**: every segment is walked, including those between the scans of a progressive
//!   image. Kept: the frame, scan, quantisation, Huffman, arithmetic-coding and restart-interval
//!   segments, the JFIF `APP0` header (with any embedded thumbnail removed: a thumbnail may show
//!   what a crop cut away), and an `APP14` "Adobe" segment of exactly the standard 12 bytes,
//!   which only says how to convert colours and without which CMYK/YCCK images decode with
//!   wrong colours. Dropped: `APP1`–`APP15` otherwise (EXIF with its GPS and camera tags, XMP,
//!   ICC profiles, maker notes, MPF), `COM` comments, and anything after `EOI` (phones append
//!   extra images, videos and vendor trailers there).
//! - **PNG**: the signature and every chunk CRC are checked. Kept: `IHDR`, `PLTE`, `IDAT`,
//!   `IEND` and the rendering chunks `tRNS`, `gAMA`, `cHRM`, `sRGB`, `bKGD`. Dropped: everything
//!   else (`tEXt`, `zTXt`, `iTXt`, `eXIf`, `tIME`, `pHYs`, `iCCP`, unknown and private chunks,
//!   APNG frames) and anything after `IEND`.
//!
//! Any other type is refused. Inputs larger than [`MAX_ATTACHMENT_BYTES`] are refused before
//! they are read; the output is never larger than the input, so memory use is bounded.

/// Largest attachment accepted, in bytes.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

/// Image formats [`strip_metadata`] understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaType {
    /// JPEG (JFIF or EXIF container).
    Jpeg,
    /// PNG.
    Png,
}

impl MediaType {
    /// The IANA media type.
    pub fn mime(self) -> &'static str {
        match self {
            MediaType::Jpeg => "image/jpeg",
            MediaType::Png => "image/png",
        }
    }
}

/// An image with its metadata removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrippedImage {
    /// The rewritten file.
    pub bytes: Vec<u8>,
    /// Its format.
    pub media_type: MediaType,
}

/// Why an attachment cannot be cleaned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EvidenceError {
    /// Neither a JPEG nor a PNG.
    #[error("unsupported attachment type: only JPEG and PNG images are accepted")]
    UnsupportedType,
    /// Larger than [`MAX_ATTACHMENT_BYTES`].
    #[error("attachment of {size} bytes is larger than the {limit}-byte limit")]
    TooLarge {
        /// Size of the input.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The file ends before its structure does.
    #[error("the image file is truncated")]
    Truncated,
    /// The structure is invalid.
    #[error("the image file is malformed: {reason}")]
    Malformed {
        /// What is wrong, for logs.
        reason: &'static str,
    },
    /// A PNG chunk's CRC does not match its contents.
    #[error("PNG chunk failed its checksum")]
    BadChecksum,
}

const JPEG_SOI: [u8; 2] = [0xFF, 0xD8];
const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// Removes location, device and any other metadata from a JPEG or PNG image.
pub fn strip_metadata(bytes: &[u8]) -> Result<StrippedImage, EvidenceError> {
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(EvidenceError::TooLarge {
            size: bytes.len(),
            limit: MAX_ATTACHMENT_BYTES,
        });
    }
    if bytes.starts_with(&PNG_SIGNATURE) {
        Ok(StrippedImage {
            bytes: strip_png(bytes)?,
            media_type: MediaType::Png,
        })
    } else if bytes.starts_with(&JPEG_SOI) {
        Ok(StrippedImage {
            bytes: strip_jpeg(bytes)?,
            media_type: MediaType::Jpeg,
        })
    } else {
        Err(EvidenceError::UnsupportedType)
    }
}

const fn malformed(reason: &'static str) -> EvidenceError {
    EvidenceError::Malformed { reason }
}

/// A cursor over the input that only hands out bytes that exist.
struct Cursor<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, count: usize) -> Result<&'a [u8], EvidenceError> {
        let end = self
            .pos
            .checked_add(count)
            .ok_or(EvidenceError::Truncated)?;
        let taken = self
            .input
            .get(self.pos..end)
            .ok_or(EvidenceError::Truncated)?;
        self.pos = end;
        Ok(taken)
    }

    fn byte(&mut self) -> Result<u8, EvidenceError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, EvidenceError> {
        let bytes = self.take(2)?;
        Ok(u16::from_be_bytes([bytes[0], bytes[1]]))
    }

    fn u32(&mut self) -> Result<u32, EvidenceError> {
        let bytes = self.take(4)?;
        Ok(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }
}

// JPEG markers (ITU T.81 table B.1).
const SOF_FIRST: u8 = 0xC0;
const DHT: u8 = 0xC4;
const JPG: u8 = 0xC8;
const DAC: u8 = 0xCC;
const SOF_LAST: u8 = 0xCF;
const RST_FIRST: u8 = 0xD0;
const RST_LAST: u8 = 0xD7;
const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const DQT: u8 = 0xDB;
const DNL: u8 = 0xDC;
const DRI: u8 = 0xDD;
const DHP: u8 = 0xDE;
const EXP: u8 = 0xDF;
const APP0: u8 = 0xE0;
const APP14: u8 = 0xEE;
const APP15: u8 = 0xEF;
const COM: u8 = 0xFE;

/// JFIF identifier, version (2), units, X and Y density (2 each); thumbnail size follows.
const JFIF_HEADER_LEN: usize = 12;
const ADOBE_PAYLOAD_LEN: usize = 12;

fn strip_jpeg(input: &[u8]) -> Result<Vec<u8>, EvidenceError> {
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(&JPEG_SOI);
    let mut cursor = Cursor { input, pos: 2 };
    let mut seen_frame = false;
    let mut seen_scan = false;
    loop {
        if cursor.byte()? != 0xFF {
            return Err(malformed("expected a marker"));
        }
        let mut marker = cursor.byte()?;
        while marker == 0xFF {
            marker = cursor.byte()?;
        }
        match marker {
            EOI if seen_scan => {
                out.extend_from_slice(&[0xFF, EOI]);
                return Ok(out);
            }
            EOI => return Err(malformed("image ends before any scan")),
            SOI => return Err(malformed("start of image inside the image")),
            RST_FIRST..=RST_LAST => return Err(malformed("restart marker outside a scan")),
            0x00 => return Err(malformed("stuffed zero outside a scan")),
            _ => {}
        }
        let length = usize::from(cursor.u16()?);
        if length < 2 {
            return Err(malformed("segment length below 2"));
        }
        let payload = cursor.take(length - 2)?;
        match marker {
            APP0 => {
                if let Some(header) = jfif_header(payload) {
                    out.extend_from_slice(&[0xFF, APP0, 0x00, 16]);
                    out.extend_from_slice(header);
                    out.extend_from_slice(&[0, 0]);
                }
            }
            APP14 if payload.len() == ADOBE_PAYLOAD_LEN && payload.starts_with(b"Adobe") => {
                write_segment(&mut out, marker, payload);
            }
            0xE1..=APP15 | COM => {}
            SOS => {
                if !seen_frame {
                    return Err(malformed("scan before frame header"));
                }
                write_segment(&mut out, marker, payload);
                let data_end = entropy_coded_end(input, cursor.pos)?;
                out.extend_from_slice(cursor.take(data_end.saturating_sub(cursor.pos))?);
                seen_scan = true;
            }
            DHT | DAC | DQT | DNL | DRI | DHP | EXP => write_segment(&mut out, marker, payload),
            JPG => return Err(malformed("reserved JPEG extension marker")),
            SOF_FIRST..=SOF_LAST => {
                seen_frame = true;
                write_segment(&mut out, marker, payload);
            }
            _ => return Err(malformed("unknown marker")),
        }
    }
}

/// The JFIF header without its thumbnail, if `payload` is a JFIF `APP0` segment.
fn jfif_header(payload: &[u8]) -> Option<&[u8]> {
    if payload.starts_with(b"JFIF\0") && payload.len() >= JFIF_HEADER_LEN + 2 {
        payload.get(..JFIF_HEADER_LEN)
    } else {
        None
    }
}

fn write_segment(out: &mut Vec<u8>, marker: u8, payload: &[u8]) {
    out.extend_from_slice(&[0xFF, marker]);
    // The payload came from a segment whose length fitted in 16 bits.
    let length = u16::try_from(payload.len() + 2).unwrap_or(u16::MAX);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(payload);
}

/// Index of the marker that ends the entropy-coded data starting at `start`. Inside the data,
/// `FF 00` is an escaped `FF`, `FF D0`–`FF D7` are restart markers and runs of `FF` are fill.
fn entropy_coded_end(input: &[u8], start: usize) -> Result<usize, EvidenceError> {
    let mut index = start;
    loop {
        let offset = input
            .get(index..)
            .and_then(|rest| rest.iter().position(|&byte| byte == 0xFF))
            .ok_or(EvidenceError::Truncated)?;
        let marker_start = index + offset;
        let mut next = marker_start + 1;
        while input.get(next) == Some(&0xFF) {
            next += 1;
        }
        match input.get(next) {
            None => return Err(EvidenceError::Truncated),
            Some(0x00 | RST_FIRST..=RST_LAST) => index = next + 1,
            Some(_) => return Ok(marker_start),
        }
    }
}

const PNG_KEPT_CHUNKS: [&[u8; 4]; 9] = [
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"bKGD",
];
const PNG_MAX_CHUNK_LEN: u32 = 0x7FFF_FFFF;
const IHDR_LEN: usize = 13;

fn strip_png(input: &[u8]) -> Result<Vec<u8>, EvidenceError> {
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(&PNG_SIGNATURE);
    let mut cursor = Cursor {
        input,
        pos: PNG_SIGNATURE.len(),
    };
    let mut first = true;
    let mut seen_data = false;
    loop {
        let chunk_start = cursor.pos;
        let length = cursor.u32()?;
        if length > PNG_MAX_CHUNK_LEN {
            return Err(malformed("chunk length above 2^31 - 1"));
        }
        let kind = cursor.take(4)?;
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(malformed("chunk type is not four letters"));
        }
        let data = cursor.take(usize::try_from(length).map_err(|_| EvidenceError::Truncated)?)?;
        let stored_crc = cursor.u32()?;
        if crc32(&[kind, data]) != stored_crc {
            return Err(EvidenceError::BadChecksum);
        }
        let is_ihdr = kind == b"IHDR";
        if first != is_ihdr {
            return Err(malformed("IHDR must be the first chunk, and only it"));
        }
        if is_ihdr && data.len() != IHDR_LEN {
            return Err(malformed("IHDR has the wrong length"));
        }
        first = false;
        seen_data |= kind == b"IDAT";
        if PNG_KEPT_CHUNKS.iter().any(|kept| kept.as_slice() == kind) {
            out.extend_from_slice(input.get(chunk_start..cursor.pos).unwrap_or_default());
        }
        if kind == b"IEND" {
            return if seen_data {
                Ok(out)
            } else {
                Err(malformed("no image data before IEND"))
            };
        }
    }
}

/// CRC-32 (ISO 3309, as used by PNG) over the concatenation of `parts`.
fn crc32(parts: &[&[u8]]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut index = 0;
        while index < 256 {
            let mut value = index as u32;
            let mut bit = 0;
            while bit < 8 {
                value = if value & 1 == 1 {
                    0xEDB8_8320 ^ (value >> 1)
                } else {
                    value >> 1
                };
                bit += 1;
            }
            table[index] = value;
            index += 1;
        }
        table
    };
    let mut crc = u32::MAX;
    for part in parts {
        for &byte in *part {
            crc = TABLE[usize::from((crc as u8) ^ byte)] ^ (crc >> 8);
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_png_reference() {
        // CRC of the IEND chunk type, present in every PNG.
        assert_eq!(crc32(&[b"IEND"]), 0xAE42_6082);
        assert_eq!(crc32(&[b"123456789"]), 0xCBF4_3926);
    }

    #[test]
    fn entropy_data_ends_at_the_first_real_marker() {
        let data = [0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD3, 0x56, 0xFF, 0xFF, 0xD9];
        assert_eq!(entropy_coded_end(&data, 0), Ok(7));
        assert_eq!(
            entropy_coded_end(&data[..6], 0),
            Err(EvidenceError::Truncated)
        );
    }
}
