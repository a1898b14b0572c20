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
//! Any other type is refused. Inputs larger than [`MAX_ATTACHMENT_BYTES`] are refused.
//! [`MetadataStripper`] does the same walk on a file that arrives in pieces (the phone reads
//! evidence from its file in bounded chunks): it holds at most one JPEG marker segment or PNG
//! chunk header, passes entropy-coded data and PNG chunk data through as they come, and stops
//! at `EOI`/`IEND` so that the rest of the file need not be read.

/// Largest attachment accepted, in bytes.
pub const MAX_ATTACHMENT_BYTES: usize = workvoice_proto::attachment::MAX_ATTACHMENT_BYTES;

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

/// Removes location, device and any other metadata from a JPEG or PNG image held whole.
pub fn strip_metadata(bytes: &[u8]) -> Result<StrippedImage, EvidenceError> {
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(EvidenceError::TooLarge {
            size: bytes.len(),
            limit: MAX_ATTACHMENT_BYTES,
        });
    }
    let mut stripper = MetadataStripper::new();
    let mut out = Vec::with_capacity(bytes.len());
    stripper.push(bytes, &mut out)?;
    let media_type = stripper.finish()?;
    Ok(StrippedImage {
        bytes: out,
        media_type,
    })
}

const fn malformed(reason: &'static str) -> EvidenceError {
    EvidenceError::Malformed { reason }
}

/// [`strip_metadata`] for a file that arrives in pieces: [`MetadataStripper::push`] takes the
/// next bytes of the file and appends the cleaned bytes they complete; nothing holds more than
/// one JPEG marker segment (at most 64 KiB) of the input. The output is the same, byte for
/// byte, as [`strip_metadata`] of the whole file, and so are the errors.
#[derive(Debug, Clone)]
pub struct MetadataStripper {
    state: State,
    /// Bytes of the unit being gathered: signature, marker segment, chunk header or CRC.
    gathered: Vec<u8>,
    taken: u64,
    seen_frame: bool,
    seen_scan: bool,
    first_chunk: bool,
    seen_data: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// The first bytes, until they say JPEG, PNG or neither.
    Signature,
    /// Expecting the `FF` that starts a marker.
    JpegMarkerStart,
    /// After `FF`: fill bytes, then the marker code.
    JpegMarkerCode,
    /// Gathering the two length bytes of the segment `marker`.
    JpegLength { marker: u8 },
    /// Gathering the `length - 2` payload bytes of the segment `marker`.
    JpegPayload { marker: u8, length: usize },
    /// Inside entropy-coded data; `ff_run` `FF` bytes were seen and not yet placed.
    JpegEntropy { ff_run: usize },
    /// Gathering a chunk's length and type.
    PngHeader,
    /// Passing through a chunk's data.
    PngData {
        kind: [u8; 4],
        length: u32,
        remaining: u32,
        keep: bool,
        crc: u32,
    },
    /// Gathering a chunk's CRC.
    PngCrc {
        kind: [u8; 4],
        length: u32,
        keep: bool,
        crc: u32,
    },
    /// The image ended (`EOI`, `IEND`): whatever follows is dropped.
    Done(MediaType),
}

impl Default for MetadataStripper {
    fn default() -> Self {
        Self::new()
    }
}

impl MetadataStripper {
    pub fn new() -> Self {
        Self {
            state: State::Signature,
            gathered: Vec::with_capacity(16),
            taken: 0,
            seen_frame: false,
            seen_scan: false,
            first_chunk: true,
            seen_data: false,
        }
    }

    /// Whether the image has ended: the rest of the file need not be read.
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done(_))
    }

    /// Take the next bytes of the file; appends the cleaned bytes they complete to `out`.
    pub fn push(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<(), EvidenceError> {
        let size = self.taken as usize + input.len();
        if size > MAX_ATTACHMENT_BYTES && !self.is_done() {
            return Err(EvidenceError::TooLarge {
                size,
                limit: MAX_ATTACHMENT_BYTES,
            });
        }
        self.taken = size as u64;
        while !input.is_empty() {
            input = self.step(input, out)?;
        }
        Ok(())
    }

    /// The file ended: its format, or why it is not a whole image.
    pub fn finish(self) -> Result<MediaType, EvidenceError> {
        match self.state {
            State::Done(media_type) => Ok(media_type),
            State::Signature => Err(EvidenceError::UnsupportedType),
            _ => Err(EvidenceError::Truncated),
        }
    }

    /// Gather bytes into `self.gathered` until it holds `want`; returns the rest of the input
    /// and whether the unit is complete.
    fn gather<'a>(&mut self, input: &'a [u8], want: usize) -> (&'a [u8], bool) {
        let take = want.saturating_sub(self.gathered.len()).min(input.len());
        self.gathered.extend_from_slice(&input[..take]);
        (&input[take..], self.gathered.len() == want)
    }

    /// Process some of `input`; returns what is left of it.
    fn step<'a>(&mut self, input: &'a [u8], out: &mut Vec<u8>) -> Result<&'a [u8], EvidenceError> {
        match self.state {
            State::Signature => {
                self.gathered.push(input[0]);
                let got = &self.gathered[..];
                if got == PNG_SIGNATURE {
                    out.extend_from_slice(&PNG_SIGNATURE);
                    self.gathered.clear();
                    self.state = State::PngHeader;
                } else if got == JPEG_SOI {
                    out.extend_from_slice(&JPEG_SOI);
                    self.gathered.clear();
                    self.state = State::JpegMarkerStart;
                } else if !PNG_SIGNATURE.starts_with(got) && !JPEG_SOI.starts_with(got) {
                    return Err(EvidenceError::UnsupportedType);
                }
                Ok(&input[1..])
            }
            State::Done(_) => Ok(&[]),
            State::JpegMarkerStart => {
                if input[0] != 0xFF {
                    return Err(malformed("expected a marker"));
                }
                self.state = State::JpegMarkerCode;
                Ok(&input[1..])
            }
            State::JpegMarkerCode => {
                let marker = input[0];
                if marker != 0xFF {
                    self.jpeg_marker(marker, out)?;
                }
                Ok(&input[1..])
            }
            State::JpegLength { marker } => {
                let (rest, complete) = self.gather(input, 2);
                if complete {
                    let length =
                        usize::from(u16::from_be_bytes([self.gathered[0], self.gathered[1]]));
                    self.gathered.clear();
                    if length < 2 {
                        return Err(malformed("segment length below 2"));
                    }
                    self.state = State::JpegPayload { marker, length };
                    if length == 2 {
                        self.jpeg_segment(marker, out)?;
                    }
                }
                Ok(rest)
            }
            State::JpegPayload { marker, length } => {
                let (rest, complete) = self.gather(input, length - 2);
                if complete {
                    self.jpeg_segment(marker, out)?;
                }
                Ok(rest)
            }
            State::JpegEntropy { ff_run } => self.jpeg_entropy(input, ff_run, out),
            State::PngHeader => {
                let (rest, complete) = self.gather(input, 8);
                if complete {
                    self.png_header(out)?;
                }
                Ok(rest)
            }
            State::PngData {
                kind,
                length,
                remaining,
                keep,
                crc,
            } => {
                let take = input.len().min(remaining as usize);
                let data = &input[..take];
                if keep {
                    out.extend_from_slice(data);
                }
                let crc = crc32_update(crc, data);
                let remaining = remaining - take as u32;
                self.state = if remaining == 0 {
                    State::PngCrc {
                        kind,
                        length,
                        keep,
                        crc,
                    }
                } else {
                    State::PngData {
                        kind,
                        length,
                        remaining,
                        keep,
                        crc,
                    }
                };
                Ok(&input[take..])
            }
            State::PngCrc {
                kind,
                length,
                keep,
                crc,
            } => {
                let (rest, complete) = self.gather(input, 4);
                if complete {
                    let stored = u32::from_be_bytes([
                        self.gathered[0],
                        self.gathered[1],
                        self.gathered[2],
                        self.gathered[3],
                    ]);
                    self.gathered.clear();
                    self.png_chunk_end(kind, length, keep, !crc == stored, stored, out)?;
                }
                Ok(rest)
            }
        }
    }

    /// A marker code after its `FF` (fill bytes skipped).
    fn jpeg_marker(&mut self, marker: u8, out: &mut Vec<u8>) -> Result<(), EvidenceError> {
        match marker {
            EOI if self.seen_scan => {
                out.extend_from_slice(&[0xFF, EOI]);
                self.state = State::Done(MediaType::Jpeg);
                Ok(())
            }
            EOI => Err(malformed("image ends before any scan")),
            SOI => Err(malformed("start of image inside the image")),
            RST_FIRST..=RST_LAST => Err(malformed("restart marker outside a scan")),
            0x00 => Err(malformed("stuffed zero outside a scan")),
            _ => {
                self.state = State::JpegLength { marker };
                Ok(())
            }
        }
    }

    /// A whole marker segment, its payload in `self.gathered`.
    fn jpeg_segment(&mut self, marker: u8, out: &mut Vec<u8>) -> Result<(), EvidenceError> {
        let payload = std::mem::take(&mut self.gathered);
        self.state = State::JpegMarkerStart;
        match marker {
            APP0 => {
                if let Some(header) = jfif_header(&payload) {
                    out.extend_from_slice(&[0xFF, APP0, 0x00, 16]);
                    out.extend_from_slice(header);
                    out.extend_from_slice(&[0, 0]);
                }
            }
            APP14 if payload.len() == ADOBE_PAYLOAD_LEN && payload.starts_with(b"Adobe") => {
                write_segment(out, marker, &payload);
            }
            0xE1..=APP15 | COM => {}
            SOS => {
                if !self.seen_frame {
                    return Err(malformed("scan before frame header"));
                }
                write_segment(out, marker, &payload);
                self.seen_scan = true;
                self.state = State::JpegEntropy { ff_run: 0 };
            }
            DHT | DAC | DQT | DNL | DRI | DHP | EXP => write_segment(out, marker, &payload),
            JPG => return Err(malformed("reserved JPEG extension marker")),
            SOF_FIRST..=SOF_LAST => {
                self.seen_frame = true;
                write_segment(out, marker, &payload);
            }
            _ => return Err(malformed("unknown marker")),
        }
        self.gathered = payload;
        self.gathered.clear();
        Ok(())
    }

    /// Entropy-coded data: copied until a marker other than a stuffed zero or a restart. Inside
    /// the data, `FF 00` is an escaped `FF`, `FF D0`–`FF D7` are restart markers and runs of
    /// `FF` are fill; a run of `FF` before a real marker is dropped (the marker is written
    /// again with one).
    fn jpeg_entropy<'a>(
        &mut self,
        input: &'a [u8],
        mut ff_run: usize,
        out: &mut Vec<u8>,
    ) -> Result<&'a [u8], EvidenceError> {
        let mut index = 0;
        while index < input.len() {
            if ff_run == 0 {
                match input[index..].iter().position(|&byte| byte == 0xFF) {
                    Some(offset) => {
                        out.extend_from_slice(&input[index..index + offset]);
                        index += offset + 1;
                        ff_run = 1;
                    }
                    None => {
                        out.extend_from_slice(&input[index..]);
                        index = input.len();
                    }
                }
                continue;
            }
            let byte = input[index];
            index += 1;
            match byte {
                0xFF => ff_run += 1,
                0x00 | RST_FIRST..=RST_LAST => {
                    out.resize(out.len() + ff_run, 0xFF);
                    out.push(byte);
                    ff_run = 0;
                }
                marker => {
                    self.jpeg_marker(marker, out)?;
                    return Ok(&input[index..]);
                }
            }
        }
        self.state = State::JpegEntropy { ff_run };
        Ok(&input[index..])
    }

    /// A chunk's length and type, in `self.gathered`.
    fn png_header(&mut self, out: &mut Vec<u8>) -> Result<(), EvidenceError> {
        let header = std::mem::take(&mut self.gathered);
        let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        if length > PNG_MAX_CHUNK_LEN {
            return Err(malformed("chunk length above 2^31 - 1"));
        }
        let kind = [header[4], header[5], header[6], header[7]];
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(malformed("chunk type is not four letters"));
        }
        let keep = PNG_KEPT_CHUNKS.iter().any(|kept| **kept == kind);
        if keep {
            out.extend_from_slice(&header);
        }
        let crc = crc32_update(u32::MAX, &kind);
        self.state = if length == 0 {
            State::PngCrc {
                kind,
                length,
                keep,
                crc,
            }
        } else {
            State::PngData {
                kind,
                length,
                remaining: length,
                keep,
                crc,
            }
        };
        self.gathered = header;
        self.gathered.clear();
        Ok(())
    }

    /// A chunk's CRC arrived: the checks that follow it, in the order of the whole-file walk.
    fn png_chunk_end(
        &mut self,
        kind: [u8; 4],
        length: u32,
        keep: bool,
        crc_ok: bool,
        stored: u32,
        out: &mut Vec<u8>,
    ) -> Result<(), EvidenceError> {
        if !crc_ok {
            return Err(EvidenceError::BadChecksum);
        }
        let is_ihdr = &kind == b"IHDR";
        if self.first_chunk != is_ihdr {
            return Err(malformed("IHDR must be the first chunk, and only it"));
        }
        if is_ihdr && length as usize != IHDR_LEN {
            return Err(malformed("IHDR has the wrong length"));
        }
        self.first_chunk = false;
        self.seen_data |= &kind == b"IDAT";
        if keep {
            out.extend_from_slice(&stored.to_be_bytes());
        }
        self.state = State::PngHeader;
        if &kind == b"IEND" {
            if !self.seen_data {
                return Err(malformed("no image data before IEND"));
            }
            self.state = State::Done(MediaType::Png);
        }
        Ok(())
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

const PNG_KEPT_CHUNKS: [&[u8; 4]; 9] = [
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"bKGD",
];
const PNG_MAX_CHUNK_LEN: u32 = 0x7FFF_FFFF;
const IHDR_LEN: usize = 13;
const CRC_TABLE: [u32; 256] = {
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

/// Running CRC-32 (ISO 3309, as used by PNG): start from `u32::MAX`, invert at the end.
fn crc32_update(mut crc: u32, bytes: &[u8]) -> u32 {
    for &byte in bytes {
        crc = CRC_TABLE[usize::from((crc as u8) ^ byte)] ^ (crc >> 8);
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_png_reference() {
        // CRC of the IEND chunk type, present in every PNG.
        assert_eq!(!crc32_update(u32::MAX, b"IEND"), 0xAE42_6082);
        assert_eq!(
            !crc32_update(crc32_update(u32::MAX, b"1234"), b"56789"),
            0xCBF4_3926
        );
    }

    #[test]
    fn entropy_data_ends_at_the_first_real_marker_across_pieces() {
        let mut stripper = MetadataStripper::new();
        stripper.state = State::JpegEntropy { ff_run: 0 };
        let data = [0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD3, 0x56, 0xFF, 0xFF, 0xD9];
        let mut out = Vec::new();
        for piece in data.chunks(1) {
            stripper.seen_scan = true;
            stripper.push(piece, &mut out).unwrap_or_default();
        }
        assert_eq!(out, [0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD3, 0x56, 0xFF, EOI]);
        assert!(stripper.is_done());
    }
}
