//! Evidence images lose their location, device and text metadata, and nothing else.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use workvoice_core::evidence::{
    EvidenceError, MAX_ATTACHMENT_BYTES, MediaType, MetadataStripper, StrippedImage, strip_metadata,
};

const CAMERA_MAKE: &str = "PhoneCo";
const CAMERA_MODEL: &str = "SuperPhone X9";
const COMMENT: &str = "RECRUITER-ACME-7731 office, Kathmandu";
const XMP_MARKER: &str = "http://ns.adobe.com/xap/1.0/";

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

// ---------------------------------------------------------------- EXIF

/// A big-endian TIFF structure with IFD0 (Make, Model, GPS pointer) and a GPS IFD
/// (GPSLatitudeRef, GPSLatitude, GPSLongitudeRef, GPSLongitude), as cameras write it.
fn exif_tiff() -> Vec<u8> {
    fn entry(out: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]) {
        out.extend_from_slice(&tag.to_be_bytes());
        out.extend_from_slice(&kind.to_be_bytes());
        out.extend_from_slice(&count.to_be_bytes());
        out.extend_from_slice(&value);
    }
    const ASCII: u16 = 2;
    const LONG: u16 = 4;
    const RATIONAL: u16 = 5;
    let make = format!("{CAMERA_MAKE}\0");
    let model = format!("{CAMERA_MODEL}\0");
    // Layout: header (8) | IFD0 (2 + 3*12 + 4 = 42) | make | model | GPS IFD (2 + 4*12 + 4 = 54)
    // | latitude (24) | longitude (24).
    let ifd0 = 8u32;
    let make_at = ifd0 + 42;
    let model_at = make_at + make.len() as u32;
    let gps_at = model_at + model.len() as u32;
    let latitude_at = gps_at + 54;
    let longitude_at = latitude_at + 24;

    let mut tiff = b"MM\x00\x2a".to_vec();
    tiff.extend_from_slice(&ifd0.to_be_bytes());
    tiff.extend_from_slice(&3u16.to_be_bytes());
    entry(
        &mut tiff,
        0x010F,
        ASCII,
        make.len() as u32,
        make_at.to_be_bytes(),
    );
    entry(
        &mut tiff,
        0x0110,
        ASCII,
        model.len() as u32,
        model_at.to_be_bytes(),
    );
    entry(&mut tiff, 0x8825, LONG, 1, gps_at.to_be_bytes());
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff.extend_from_slice(make.as_bytes());
    tiff.extend_from_slice(model.as_bytes());
    assert_eq!(tiff.len() as u32, gps_at);
    tiff.extend_from_slice(&4u16.to_be_bytes());
    entry(&mut tiff, 0x0001, ASCII, 2, *b"N\0\0\0");
    entry(&mut tiff, 0x0002, RATIONAL, 3, latitude_at.to_be_bytes());
    entry(&mut tiff, 0x0003, ASCII, 2, *b"E\0\0\0");
    entry(&mut tiff, 0x0004, RATIONAL, 3, longitude_at.to_be_bytes());
    tiff.extend_from_slice(&0u32.to_be_bytes());
    for (numerator, denominator) in gps_rationals() {
        tiff.extend_from_slice(&numerator.to_be_bytes());
        tiff.extend_from_slice(&denominator.to_be_bytes());
    }
    tiff
}

/// 27° 42' 25.80" N, 85° 19' 12.34" E.
fn gps_rationals() -> [(u32, u32); 6] {
    [(27, 1), (42, 1), (2580, 100), (85, 1), (19, 1), (1234, 100)]
}

/// Byte patterns that only the GPS data contains.
fn gps_fingerprints() -> Vec<Vec<u8>> {
    let mut prints = vec![
        // GPSLatitude entry: tag 2, RATIONAL, count 3.
        vec![0x00, 0x02, 0x00, 0x05, 0x00, 0x00, 0x00, 0x03],
        // GPSLongitude entry.
        vec![0x00, 0x04, 0x00, 0x05, 0x00, 0x00, 0x00, 0x03],
        // GPSInfo pointer tag in IFD0.
        vec![0x88, 0x25, 0x00, 0x04],
    ];
    for (numerator, denominator) in gps_rationals() {
        let mut rational = numerator.to_be_bytes().to_vec();
        rational.extend_from_slice(&denominator.to_be_bytes());
        prints.push(rational);
    }
    prints
}

// ---------------------------------------------------------------- JPEG

fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0xFF, marker];
    out.extend_from_slice(&(payload.len() as u16 + 2).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

fn jfif_app0(thumbnail: Option<(u8, u8)>) -> Vec<u8> {
    let mut payload = b"JFIF\0\x01\x02\x01\x00\x48\x00\x48".to_vec();
    match thumbnail {
        None => payload.extend_from_slice(&[0, 0]),
        Some((width, height)) => {
            payload.extend_from_slice(&[width, height]);
            payload.extend(std::iter::repeat_n(0xAB, 3 * usize::from(width * height)));
        }
    }
    segment(0xE0, &payload)
}

/// Frame and tables of a baseline 16x8 greyscale JPEG: two 8x8 blocks, the left one mid grey,
/// the right one brighter (DC difference +2 with quantiser 64).
fn jpeg_tables() -> Vec<u8> {
    let mut out = Vec::new();
    let mut quant = vec![0x00, 64];
    quant.extend_from_slice(&[1; 63]);
    out.extend(segment(0xDB, &quant));
    // SOF0: precision 8, height 8, width 16, one component (id 1, 1x1, table 0).
    out.extend(segment(0xC0, &[8, 0, 8, 0, 16, 1, 1, 0x11, 0]));
    // DC table 0: two 2-bit codes, 00 -> category 0, 01 -> category 2.
    let mut dc = vec![0x00, 0, 2];
    dc.extend_from_slice(&[0; 14]);
    dc.extend_from_slice(&[0x00, 0x02]);
    out.extend(segment(0xC4, &dc));
    // AC table 0: one 1-bit code, 0 -> end of block.
    let mut ac = vec![0x10, 1];
    ac.extend_from_slice(&[0; 15]);
    ac.push(0x00);
    out.extend(segment(0xC4, &ac));
    out
}

/// Scan header and entropy-coded data: block 1 "00" (DC +0) "0" (EOB), block 2 "01" "10"
/// (DC +2) "0" (EOB) = 0b0000_1100.
fn jpeg_scan() -> Vec<u8> {
    let mut out = segment(0xDA, &[1, 1, 0x00, 0, 63, 0]);
    out.push(0x0C);
    out
}

fn clean_jpeg() -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8];
    out.extend(jfif_app0(None));
    out.extend(jpeg_tables());
    out.extend(jpeg_scan());
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

fn jpeg_with_metadata() -> Vec<u8> {
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend(exif_tiff());
    let mut xmp = format!("{XMP_MARKER}\0").into_bytes();
    xmp.extend_from_slice(b"<x:xmpmeta><exif:GPSLatitude>27,42.43N</exif:GPSLatitude></x:xmpmeta>");
    let mut icc = b"ICC_PROFILE\0\x01\x01".to_vec();
    icc.extend_from_slice(&[0x42; 64]);

    let mut out = vec![0xFF, 0xD8];
    out.extend(jfif_app0(Some((2, 2))));
    out.extend(segment(0xE1, &exif));
    out.extend(segment(0xE1, &xmp));
    out.extend(segment(0xE2, &icc));
    out.extend(segment(0xFE, COMMENT.as_bytes()));
    out.extend(segment(0xED, b"Photoshop 3.0\0IPTC city: Kathmandu"));
    out.extend(jpeg_tables());
    // Fill bytes before a marker are legal.
    out.extend_from_slice(&[0xFF, 0xFF]);
    out.extend(jpeg_scan());
    out.extend_from_slice(&[0xFF, 0xD9]);
    // A vendor trailer after the end of the image.
    out.extend_from_slice(format!("SEFT {CAMERA_MODEL} {COMMENT}").as_bytes());
    out
}

fn decode_jpeg(bytes: &[u8]) -> Vec<u8> {
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    let pixels = decoder.decode().unwrap();
    let info = decoder.info().unwrap();
    assert_eq!((info.width, info.height), (16, 8));
    pixels
}

fn assert_no_metadata(bytes: &[u8]) {
    for needle in [
        &b"Exif"[..],
        CAMERA_MAKE.as_bytes(),
        CAMERA_MODEL.as_bytes(),
        COMMENT.as_bytes(),
        XMP_MARKER.as_bytes(),
        b"GPSLatitude",
        b"ICC_PROFILE",
        b"Kathmandu",
        b"tEXt",
        b"iTXt",
        b"zTXt",
        b"eXIf",
        b"tIME",
    ] {
        assert!(
            !contains(bytes, needle),
            "{:?} survived",
            String::from_utf8_lossy(needle)
        );
    }
    for print in gps_fingerprints() {
        assert!(!contains(bytes, &print), "GPS bytes {print:02x?} survived");
    }
}

#[test]
fn jpeg_loses_exif_gps_xmp_icc_comments_and_trailer() {
    let input = jpeg_with_metadata();
    assert!(contains(&input, b"Exif"));
    for print in gps_fingerprints() {
        assert!(
            contains(&input, &print),
            "the test image lacks {print:02x?}"
        );
    }
    let StrippedImage { bytes, media_type } = strip_metadata(&input).unwrap();
    assert_eq!(media_type, MediaType::Jpeg);
    assert_eq!(media_type.mime(), "image/jpeg");
    assert_no_metadata(&bytes);
    assert!(bytes.starts_with(&[0xFF, 0xD8]));
    assert!(bytes.ends_with(&[0xFF, 0xD9]));
    // Exactly the image without metadata: JFIF header (thumbnail removed), tables and scan
    // byte for byte.
    assert_eq!(bytes, clean_jpeg());
    let pixels = decode_jpeg(&bytes);
    assert_eq!(pixels, decode_jpeg(&input));
    assert_eq!((pixels[0], pixels[8]), (128, 144));
}

#[test]
fn clean_jpeg_is_unchanged_and_stripping_is_idempotent() {
    let clean = clean_jpeg();
    assert_eq!(strip_metadata(&clean).unwrap().bytes, clean);
    let once = strip_metadata(&jpeg_with_metadata()).unwrap().bytes;
    assert_eq!(strip_metadata(&once).unwrap().bytes, once);
}

#[test]
fn segments_between_progressive_scans_are_walked() {
    // Structure of a progressive JPEG: metadata may follow the first scan.
    let entropy = [0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD3, 0x56];
    let mut input = vec![0xFF, 0xD8];
    input.extend(segment(0xDB, &[0; 65]));
    input.extend(segment(0xC2, &[8, 0, 8, 0, 8, 1, 1, 0x11, 0]));
    input.extend(segment(0xC4, &[0; 17]));
    input.extend(segment(0xDA, &[1, 1, 0, 0, 0, 0]));
    input.extend_from_slice(&entropy);
    input.extend(segment(0xE1, b"Exif\0\0late metadata"));
    input.extend(segment(0xFE, COMMENT.as_bytes()));
    input.extend(segment(0xC4, &[0x10; 17]));
    input.extend(segment(0xDA, &[1, 1, 0, 1, 63, 0]));
    input.extend_from_slice(&entropy);
    input.extend_from_slice(&[0xFF, 0xD9]);

    let bytes = strip_metadata(&input).unwrap().bytes;
    assert_no_metadata(&bytes);
    let mut expected = vec![0xFF, 0xD8];
    expected.extend(segment(0xDB, &[0; 65]));
    expected.extend(segment(0xC2, &[8, 0, 8, 0, 8, 1, 1, 0x11, 0]));
    expected.extend(segment(0xC4, &[0; 17]));
    expected.extend(segment(0xDA, &[1, 1, 0, 0, 0, 0]));
    expected.extend_from_slice(&entropy);
    expected.extend(segment(0xC4, &[0x10; 17]));
    expected.extend(segment(0xDA, &[1, 1, 0, 1, 63, 0]));
    expected.extend_from_slice(&entropy);
    expected.extend_from_slice(&[0xFF, 0xD9]);
    assert_eq!(bytes, expected);
}

#[test]
fn adobe_colour_segment_is_kept() {
    let adobe = segment(0xEE, b"Adobe\x00\x64\x00\x00\x00\x00\x01");
    let mut input = vec![0xFF, 0xD8];
    input.extend(adobe.clone());
    input.extend(segment(0xEE, b"Adobe but not the standard segment"));
    input.extend(jpeg_tables());
    input.extend(jpeg_scan());
    input.extend_from_slice(&[0xFF, 0xD9]);
    let bytes = strip_metadata(&input).unwrap().bytes;
    assert!(contains(&bytes, &adobe));
    assert!(!contains(&bytes, b"standard"));
}

#[test]
fn malformed_jpegs_are_typed_errors() {
    let clean = clean_jpeg();
    let no_eoi = &clean[..clean.len() - 2];
    assert_eq!(strip_metadata(no_eoi), Err(EvidenceError::Truncated));
    for prefix in 0..clean.len() {
        match strip_metadata(&clean[..prefix]) {
            Err(EvidenceError::Truncated | EvidenceError::UnsupportedType) => {}
            other => panic!("prefix {prefix}: {other:?}"),
        }
    }
    let cases: [(&[u8], EvidenceError); 4] = [
        (
            &[0xFF, 0xD8, 0xFF, 0xD9],
            EvidenceError::Malformed {
                reason: "image ends before any scan",
            },
        ),
        (
            &[0xFF, 0xD8, 0x00, 0x00],
            EvidenceError::Malformed {
                reason: "expected a marker",
            },
        ),
        (
            &[0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01],
            EvidenceError::Malformed {
                reason: "segment length below 2",
            },
        ),
        (
            &[0xFF, 0xD8, 0xFF, 0xE1, 0x10, 0x00, 1, 2],
            EvidenceError::Truncated,
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(strip_metadata(input), Err(expected), "{input:02x?}");
    }
    let mut scan_first = vec![0xFF, 0xD8];
    scan_first.extend(jpeg_scan());
    scan_first.extend_from_slice(&[0xFF, 0xD9]);
    assert!(matches!(
        strip_metadata(&scan_first),
        Err(EvidenceError::Malformed { .. })
    ));
}

// ---------------------------------------------------------------- PNG

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                0xEDB8_8320 ^ (crc >> 1)
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut covered = kind.to_vec();
    covered.extend_from_slice(data);
    out.extend_from_slice(&crc32(&covered).to_be_bytes());
    out
}

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// 2x2 RGB pixels: red, green / blue, white.
fn png_pixels() -> Vec<u8> {
    vec![
        255, 0, 0, 0, 255, 0, //
        0, 0, 255, 255, 255, 255,
    ]
}

fn png_idat() -> Vec<u8> {
    // Each scanline: filter type 0, then 6 bytes. zlib stream with one stored deflate block.
    let pixels = png_pixels();
    let mut raw = Vec::new();
    for row in pixels.chunks(6) {
        raw.push(0);
        raw.extend_from_slice(row);
    }
    let length = raw.len() as u16;
    let mut zlib = vec![0x78, 0x01, 0x01];
    zlib.extend_from_slice(&length.to_le_bytes());
    zlib.extend_from_slice(&(!length).to_le_bytes());
    zlib.extend_from_slice(&raw);
    zlib.extend_from_slice(&adler32(&raw).to_be_bytes());
    chunk(b"IDAT", &zlib)
}

fn png_ihdr() -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&2u32.to_be_bytes());
    ihdr.extend_from_slice(&2u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(b"IHDR", &ihdr)
}

fn clean_png() -> Vec<u8> {
    let mut out = PNG_SIGNATURE.to_vec();
    out.extend(png_ihdr());
    out.extend(chunk(b"gAMA", &45455u32.to_be_bytes()));
    out.extend(png_idat());
    out.extend(chunk(b"IEND", &[]));
    out
}

fn png_with_metadata() -> Vec<u8> {
    let mut out = PNG_SIGNATURE.to_vec();
    out.extend(png_ihdr());
    out.extend(chunk(b"tEXt", format!("Comment\0{COMMENT}").as_bytes()));
    out.extend(chunk(
        b"iTXt",
        format!("XML:com.adobe.xmp\0\0\0\0\0{XMP_MARKER} GPSLatitude").as_bytes(),
    ));
    out.extend(chunk(b"zTXt", b"Software\0\0compressed text"));
    out.extend(chunk(b"eXIf", &exif_tiff()));
    out.extend(chunk(b"tIME", &[0x07, 0xEA, 11, 28, 9, 30, 0]));
    out.extend(chunk(b"pHYs", &[0, 0, 0x0B, 0x13, 0, 0, 0x0B, 0x13, 1]));
    out.extend(chunk(b"iCCP", b"ICC_PROFILE\0\0zlib"));
    out.extend(chunk(b"gAMA", &45455u32.to_be_bytes()));
    out.extend(chunk(b"prVt", CAMERA_MODEL.as_bytes()));
    out.extend(png_idat());
    out.extend(chunk(b"IEND", &[]));
    out.extend_from_slice(format!("trailer {COMMENT}").as_bytes());
    out
}

fn decode_png(bytes: &[u8]) -> Vec<u8> {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    pixels.truncate(info.buffer_size());
    pixels
}

#[test]
fn png_loses_text_exif_time_and_private_chunks() {
    let input = png_with_metadata();
    let StrippedImage { bytes, media_type } = strip_metadata(&input).unwrap();
    assert_eq!(media_type, MediaType::Png);
    assert_eq!(media_type.mime(), "image/png");
    assert_no_metadata(&bytes);
    assert!(!contains(&bytes, b"pHYs") && !contains(&bytes, b"iCCP") && !contains(&bytes, b"prVt"));
    assert!(bytes.starts_with(&PNG_SIGNATURE));
    assert!(bytes.ends_with(&chunk(b"IEND", &[])));
    assert!(contains(&bytes, &png_idat()));
    assert_eq!(bytes, clean_png());
    assert_eq!(decode_png(&bytes), png_pixels());
    assert_eq!(decode_png(&input), png_pixels());
    assert_eq!(strip_metadata(&bytes).unwrap().bytes, bytes);
}

#[test]
fn malformed_pngs_are_typed_errors() {
    let input = png_with_metadata();
    let end = input.len() - format!("trailer {COMMENT}").len();
    for prefix in 0..end {
        match strip_metadata(&input[..prefix]) {
            Err(EvidenceError::Truncated | EvidenceError::UnsupportedType) => {}
            other => panic!("prefix {prefix}: {other:?}"),
        }
    }
    // A flipped bit in a chunk that would be dropped anyway still fails its CRC.
    let mut corrupt = input.clone();
    corrupt[8 + 25 + 12] ^= 0x01;
    assert_eq!(strip_metadata(&corrupt), Err(EvidenceError::BadChecksum));

    let mut no_ihdr = PNG_SIGNATURE.to_vec();
    no_ihdr.extend(png_idat());
    no_ihdr.extend(chunk(b"IEND", &[]));
    assert!(matches!(
        strip_metadata(&no_ihdr),
        Err(EvidenceError::Malformed { .. })
    ));

    let mut no_data = PNG_SIGNATURE.to_vec();
    no_data.extend(png_ihdr());
    no_data.extend(chunk(b"IEND", &[]));
    assert!(matches!(
        strip_metadata(&no_data),
        Err(EvidenceError::Malformed { .. })
    ));

    let mut huge_length = PNG_SIGNATURE.to_vec();
    huge_length.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xF0]);
    huge_length.extend_from_slice(b"IHDR");
    assert!(matches!(
        strip_metadata(&huge_length),
        Err(EvidenceError::Malformed { .. })
    ));
    let mut long_chunk = PNG_SIGNATURE.to_vec();
    long_chunk.extend_from_slice(&0x7FFF_FFFFu32.to_be_bytes());
    long_chunk.extend_from_slice(b"IHDR");
    assert_eq!(strip_metadata(&long_chunk), Err(EvidenceError::Truncated));
}

// ---------------------------------------------------------------- other inputs

#[test]
fn other_types_are_refused() {
    for input in [
        &b""[..],
        b"GIF89a\x01\x00\x01\x00",
        b"%PDF-1.7",
        b"RIFF\x00\x00\x00\x00WEBPVP8 ",
        b"\x00\x00\x00\x18ftypheic",
        b"\xFF",
        b"hello",
    ] {
        assert_eq!(strip_metadata(input), Err(EvidenceError::UnsupportedType));
    }
}

#[test]
fn oversized_attachments_are_refused() {
    let mut big = clean_jpeg();
    big.resize(MAX_ATTACHMENT_BYTES + 1, 0);
    assert_eq!(
        strip_metadata(&big),
        Err(EvidenceError::TooLarge {
            size: MAX_ATTACHMENT_BYTES + 1,
            limit: MAX_ATTACHMENT_BYTES,
        })
    );
    // At the limit the size is fine; this one is refused only for its garbage tail.
    big.truncate(MAX_ATTACHMENT_BYTES);
    assert!(!matches!(
        strip_metadata(&big),
        Err(EvidenceError::TooLarge { .. })
    ));
}

// ---------------------------------------------------------------- never panic

fn check_any(input: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(image) = strip_metadata(input) {
        prop_assert!(image.bytes.len() <= input.len());
        let again = strip_metadata(&image.bytes);
        prop_assert_eq!(again.as_ref().map(|image| &image.bytes), Ok(&image.bytes));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_bytes_never_panic(input in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check_any(&input)?;
    }

    #[test]
    fn random_bodies_behind_real_signatures_never_panic(
        png in any::<bool>(),
        body in proptest::collection::vec(any::<u8>(), 0..2048),
    ) {
        let mut input = if png { PNG_SIGNATURE.to_vec() } else { vec![0xFF, 0xD8, 0xFF] };
        input.extend(body);
        check_any(&input)?;
    }

    #[test]
    fn mutated_real_images_never_panic(
        png in any::<bool>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut input = if png { png_with_metadata() } else { jpeg_with_metadata() };
        for (at, value) in edits {
            let index = at.index(input.len());
            input[index] = value;
        }
        let keep = cut.index(input.len() + 1);
        input.truncate(keep.max(input.len() / 2));
        check_any(&input)?;
    }

    /// The file read in pieces of any size gives the same bytes, or the same error, as the
    /// whole file.
    #[test]
    fn pieces_strip_like_the_whole_file(
        png in any::<bool>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        piece in 1usize..600,
    ) {
        let mut input = if png { png_with_metadata() } else { jpeg_with_metadata() };
        for (at, value) in edits {
            let index = at.index(input.len());
            input[index] = value;
        }
        let mut stripper = MetadataStripper::new();
        let mut out = Vec::new();
        let mut result = Ok(());
        for chunk in input.chunks(piece) {
            if stripper.is_done() {
                break;
            }
            result = stripper.push(chunk, &mut out);
            if result.is_err() {
                break;
            }
        }
        let pieces = result.and_then(|()| stripper.finish()).map(|media_type| StrippedImage {
            bytes: out,
            media_type,
        });
        prop_assert_eq!(pieces, strip_metadata(&input));
    }
}
