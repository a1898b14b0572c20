//! The segment budget: every text the dialogue sends, in every language of the app, fits in
//! two SMS in its encoding (GSM-7 160/153, UCS-2 70/67). Measured over the fixture directory's
//! corridors, with the summary at its longest.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use workvoice_core::i18n::LANGUAGES;
use workvoice_proto::vectors::Fixture;
use workvoice_sms::dialogue::{Corridors, every_text, language_menu};
use workvoice_sms::segments::{encoding, segments, units};

#[test]
fn every_message_in_every_language_fits_in_two_sms() {
    let corridors = Corridors::from_listing(&Fixture::new().listing(1));
    assert!(!corridors.countries.is_empty());
    let mut over = Vec::new();
    let mut measured = 0;
    let mut widest = (String::new(), 0usize, String::new());
    for (language, _) in LANGUAGES {
        let texts = every_text(language, &corridors);
        assert!(texts.len() >= 25, "{language}: {} texts", texts.len());
        for (name, text) in texts {
            measured += 1;
            let n = segments(&text);
            let share = units(&text) * 1000
                / match encoding(&text) {
                    workvoice_sms::segments::Encoding::Gsm7 => 306,
                    workvoice_sms::segments::Encoding::Ucs2 => 134,
                };
            if share > widest.1 {
                widest = (
                    format!("{language} {name}"),
                    share,
                    encoding(&text).name().into(),
                );
            }
            if n > 2 {
                over.push(format!(
                    "{language} {name}: {} {} units = {n} SMS: {text}",
                    encoding(&text).name(),
                    units(&text)
                ));
            }
        }
    }
    println!(
        "{measured} texts measured; the fullest is {} at {}.{}% of two {} SMS",
        widest.0,
        widest.1 / 10,
        widest.1 % 10,
        widest.2
    );
    assert!(over.is_empty(), "over two SMS:\n{}", over.join("\n"));
    assert!(segments(&language_menu()) <= 2);
}

#[test]
fn nepali_bengali_and_burmese_are_sent_as_ucs2_and_english_as_gsm7() {
    let corridors = Corridors::from_listing(&Fixture::new().listing(1));
    for language in ["ne", "bn", "my"] {
        let texts = every_text(language, &corridors);
        let intro = texts.iter().find(|(n, _)| n == "intro").unwrap();
        assert_eq!(encoding(&intro.1).name(), "UCS-2", "{language}");
    }
    for (name, text) in every_text("en", &corridors) {
        if name != "Language[0]" {
            assert_eq!(encoding(&text).name(), "GSM-7", "en {name}: {text}");
        }
    }
}
