//! Small baseline JPEGs for the evidence tests and the evidence bench: a 16x8 greyscale frame
//! whose entropy-coded data is `scan`, kept byte for byte by the metadata stripper, with an
//! optional EXIF (APP1) payload after the JFIF header. Each user takes what it needs.
#![allow(dead_code)]

fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0xFF, marker];
    out.extend_from_slice(&(payload.len() as u16 + 2).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

pub fn jpeg(exif: Option<&[u8]>, scan: impl IntoIterator<Item = u8>) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8];
    out.extend(segment(0xE0, b"JFIF\0\x01\x02\x01\x00\x48\x00\x48\0\0"));
    if let Some(exif) = exif {
        out.extend(segment(0xE1, exif));
    }
    let mut quant = vec![0x00, 64];
    quant.extend_from_slice(&[1; 63]);
    out.extend(segment(0xDB, &quant));
    out.extend(segment(0xC0, &[8, 0, 8, 0, 16, 1, 1, 0x11, 0]));
    let mut dc = vec![0x00, 0, 2];
    dc.extend_from_slice(&[0; 14]);
    dc.extend_from_slice(&[0x00, 0x02]);
    out.extend(segment(0xC4, &dc));
    let mut ac = vec![0x10, 1];
    ac.extend_from_slice(&[0; 15]);
    ac.push(0x00);
    out.extend(segment(0xC4, &ac));
    out.extend(segment(0xDA, &[1, 1, 0x00, 0, 63, 0]));
    out.push(0x0C);
    out.extend(scan);
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

/// A JPEG carrying an EXIF block with GPS coordinates, and 5,000 bytes of scan data (a photo
/// of several upload chunks).
pub fn jpeg_with_gps() -> Vec<u8> {
    let mut exif = b"Exif\0\0MM\x00\x2a\x00\x00\x00\x08".to_vec();
    exif.extend_from_slice(b"GPSLatitude 27/1 42/1 2580/100 N GPSLongitude 85/1 19/1 E");
    jpeg(Some(&exif), std::iter::repeat_n(0u8, 5_000))
}
