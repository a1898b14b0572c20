//! Every language has every key, and nothing else, with the same placeholders as English.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use workvoice_core::i18n::{self, K, LANGUAGES, placeholders, table};

#[test]
fn no_key_is_missing_or_extra_in_any_language() {
    let keys: BTreeSet<&str> = K::ALL.iter().map(|k| k.key()).collect();
    assert_eq!(keys.len(), K::ALL.len(), "keys are unique");
    for (language, _) in LANGUAGES.iter().filter(|(l, _)| *l != "en") {
        let table = match table(language) {
            Some(Ok(t)) => t,
            Some(Err(e)) => panic!("{language}.json does not parse: {e}"),
            None => panic!("no table for {language}"),
        };
        let have: BTreeSet<&str> = table.keys().map(String::as_str).collect();
        let missing: Vec<_> = keys.difference(&have).collect();
        let extra: Vec<_> = have.difference(&keys).collect();
        assert!(missing.is_empty(), "{language} is missing {missing:?}");
        assert!(extra.is_empty(), "{language} has extra keys {extra:?}");
        for key in K::ALL {
            let text = &table[key.key()];
            assert!(!text.trim().is_empty(), "{language} {} is empty", key.key());
            assert_eq!(
                placeholders(text),
                placeholders(key.english()),
                "{language} {} has other placeholders",
                key.key()
            );
        }
    }
}

#[test]
fn translations_are_translated() {
    // A table that copies English everywhere is not a translation: allow only names and
    // codes (the app name, "OK") to stay the same.
    for (language, _) in LANGUAGES.iter().filter(|(l, _)| *l != "en") {
        let same = K::ALL
            .iter()
            .filter(|k| i18n::tr(language, **k) == k.english())
            .count();
        assert!(same <= 6, "{language}: {same} strings are still in English");
    }
}

#[test]
fn lookup_falls_back_and_fills_placeholders() {
    assert_eq!(i18n::supported_or_default("ne-NP"), "ne");
    assert_eq!(i18n::supported_or_default("fr"), "en");
    assert_eq!(
        i18n::trf("en", K::UnlockAttemptsLeft, &[("count", "3".into())]),
        "3 tries left."
    );
    assert_eq!(i18n::tr("xx", K::PinTitle), "Make a PIN");
    assert!(i18n::is_rtl("ar") && !i18n::is_rtl("ne"));
}
