//! A small JPEG with a GPS EXIF segment, for the evidence tests of the CLI.

/// A valid baseline JPEG of several 256 KiB chunks' worth of nothing but a GPS position in its
/// EXIF segment, which the phone must strip.
pub fn jpeg_with_gps() -> Vec<u8> {
    fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![0xFF, marker];
        out.extend_from_slice(&(payload.len() as u16 + 2).to_be_bytes());
        out.extend_from_slice(payload);
        out
    }
    let mut out = vec![0xFF, 0xD8];
    out.extend(segment(0xE0, b"JFIF\0\x01\x02\x01\x00\x48\x00\x48\0\0"));
    let mut exif = b"Exif\0\0MM\x00\x2a\x00\x00\x00\x08GPSLatitude 27/1 42/1 N ".to_vec();
    exif.extend(std::iter::repeat_n(0x5A, 9_000));
    out.extend(segment(0xE1, &exif));
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
    // Padding in the entropy-coded data (kept byte for byte): a photo of several chunks.
    out.extend(std::iter::repeat_n(0u8, 20_000));
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}
