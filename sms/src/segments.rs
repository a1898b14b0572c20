//! How many SMS a text costs (3GPP TS 23.038): a text of the GSM 7-bit default alphabet takes
//! 160 characters in one SMS and 153 per part when split (an extension character such as `€`
//! or `{` counts twice); any other text is sent as UCS-2, 70 in one SMS and 67 per part
//! (counted in UTF-16 code units).

/// The GSM 03.38 default alphabet (basic table).
const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// Characters of the extension table (sent as escape + character: two septets).
const EXTENSION: &str = "^{}\\[~]|€\u{000C}";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Gsm7 => "GSM-7",
            Encoding::Ucs2 => "UCS-2",
        }
    }
}

/// The encoding a phone would choose for `text`.
pub fn encoding(text: &str) -> Encoding {
    if text
        .chars()
        .all(|c| BASIC.contains(c) || EXTENSION.contains(c))
    {
        Encoding::Gsm7
    } else {
        Encoding::Ucs2
    }
}

/// The length of `text` in its encoding's units (septets or UTF-16 code units).
pub fn units(text: &str) -> usize {
    match encoding(text) {
        Encoding::Gsm7 => text
            .chars()
            .map(|c| if EXTENSION.contains(c) { 2 } else { 1 })
            .sum(),
        Encoding::Ucs2 => text.encode_utf16().count(),
    }
}

/// How many SMS `text` is sent as.
pub fn segments(text: &str) -> usize {
    let (single, part) = match encoding(text) {
        Encoding::Gsm7 => (160, 153),
        Encoding::Ucs2 => (70, 67),
    };
    let n = units(text);
    if n <= single { 1 } else { n.div_ceil(part) }
}

/// Split `text` into pieces that each fit in `max_segments` SMS, at spaces where possible.
/// For texts not written here (a desk's answer), which can be of any length.
pub fn split(text: &str, max_segments: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for word in text.split_inclusive(' ') {
        let candidate = format!("{current}{word}");
        if segments(candidate.trim_end()) <= max_segments {
            current = candidate;
            continue;
        }
        if !current.is_empty() {
            out.push(current.trim_end().to_string());
            current = String::new();
        }
        // A single word too long for a message is cut by characters.
        for c in word.chars() {
            let candidate = format!("{current}{c}");
            if segments(&candidate) > max_segments {
                out.push(std::mem::take(&mut current));
            }
            current.push(c);
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim_end().to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_as_a_phone_does() {
        assert_eq!(segments(&"a".repeat(160)), 1);
        assert_eq!(segments(&"a".repeat(161)), 2);
        assert_eq!(segments(&"a".repeat(306)), 2);
        assert_eq!(segments(&"a".repeat(307)), 3);
        assert_eq!(segments(&"€".repeat(80)), 1);
        assert_eq!(segments(&"€".repeat(81)), 2);
        assert_eq!(encoding("नमस्ते"), Encoding::Ucs2);
        assert_eq!(segments(&"न".repeat(70)), 1);
        assert_eq!(segments(&"न".repeat(71)), 2);
        assert_eq!(segments(&"न".repeat(134)), 2);
        assert_eq!(segments(&"न".repeat(135)), 3);
        // One character outside GSM-7 makes the whole text UCS-2.
        assert_eq!(segments(&format!("{}ó", "a".repeat(70))), 2);
    }

    #[test]
    fn split_keeps_every_piece_within_budget_and_loses_nothing() {
        let text = "word ".repeat(200);
        let pieces = split(&text, 2);
        assert!(pieces.len() > 1);
        assert!(pieces.iter().all(|p| segments(p) <= 2));
        assert_eq!(pieces.join(" "), text.trim_end());
        let long = "न".repeat(300);
        let pieces = split(&long, 2);
        assert!(pieces.iter().all(|p| segments(p) <= 2));
        assert_eq!(pieces.concat(), long);
    }
}
