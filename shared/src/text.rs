//! Text that people read: names, teams, organisation names, references. Shown to a clinician at
//! 3 a.m. or to an LA duty worker, it must display as what it is. Invisible and direction-changing
//! characters (bidirectional overrides and isolates, zero-width characters, the byte-order mark,
//! other format and control characters, line and paragraph separators, private-use and unassigned
//! code points) can make one name or number display as another, so they are refused, not
//! stripped: the sender must see what was wrong. Accepted text is trimmed and normalised to NFC,
//! so the same name is stored the same way whichever way it was typed.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use crate::problem::{ErrorCode, FieldError};

/// Why a character may not appear in displayed text, if it may not.
pub fn refused(c: char) -> Option<&'static str> {
    match c.general_category() {
        GeneralCategory::Control => Some("a control character"),
        // Cf: bidi embeddings, overrides and isolates, zero-width (non-)joiners, BOM, soft hyphen…
        GeneralCategory::Format => Some("an invisible formatting character"),
        GeneralCategory::LineSeparator | GeneralCategory::ParagraphSeparator => {
            Some("a line or paragraph separator")
        }
        GeneralCategory::PrivateUse => Some("a private-use character"),
        GeneralCategory::Surrogate | GeneralCategory::Unassigned => Some("an unassigned character"),
        // Spaces other than the ordinary one (no-break, em, ideographic…) look alike but do not
        // compare alike.
        GeneralCategory::SpaceSeparator if c != ' ' => Some("an unusual space"),
        _ => None,
    }
}

/// Displayed text: trimmed, NFC, 1 to `max` characters, no refused character (the first one is
/// named by its code point in the error, never echoed).
pub fn displayed(raw: &str, field: &str, max: usize) -> Result<String, FieldError> {
    let bad = |detail: String| FieldError::new(ErrorCode::InvalidText, field, detail);
    if let Some((i, c, why)) = raw
        .chars()
        .enumerate()
        .find_map(|(i, c)| refused(c).map(|why| (i, c, why)))
    {
        return Err(bad(format!(
            "character {} (U+{:04X}) is {why}, which could make the text display as something else",
            i + 1,
            c as u32
        )));
    }
    let t: String = raw.trim().nfc().collect();
    let n = t.chars().count();
    if n == 0 || n > max {
        return Err(bad(format!("expected 1 to {max} characters, got {n}")));
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Characters that make text display as something else: every member of the classes, not
    /// one example of each.
    fn spoofing_char() -> impl Strategy<Value = char> {
        prop_oneof![
            prop::sample::select(vec![
                '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}',
                '\u{202E}', // embeddings, overrides
                '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', // isolates
                '\u{200B}', '\u{200C}', '\u{200D}', '\u{200E}', '\u{200F}',
                '\u{2060}', // zero-width, marks
                '\u{FEFF}', '\u{00AD}', '\u{061C}', '\u{180E}', // BOM, soft hyphen, ALM, MVS
                '\u{2028}', '\u{2029}', '\u{00A0}', '\u{2007}', '\u{3000}',
            ]),
            (0u32..0x20).prop_map(|c| char::from_u32(c).unwrap()),
            (0x7Fu32..0xA0).prop_map(|c| char::from_u32(c).unwrap()),
            (0xE000u32..0xF900).prop_map(|c| char::from_u32(c).unwrap()),
            (0xE0000u32..0xE0080).prop_filter_map("tag chars", char::from_u32),
        ]
    }

    proptest! {
        #[test]
        fn any_spoofing_character_anywhere_is_refused(
            before in "[A-Za-z' -]{0,20}", c in spoofing_char(), after in "[A-Za-z0-9 ]{0,20}"
        ) {
            let raw = format!("{before}{c}{after}");
            let e = displayed(&raw, "/responsibleLa/name", 120).unwrap_err();
            prop_assert_eq!(e.code, ErrorCode::InvalidText);
            prop_assert_eq!(e.field.as_str(), "/responsibleLa/name");
            let named = format!("U+{:04X}", c as u32);
            prop_assert!(e.detail.contains(&named), "{} does not name {}", e.detail, named);
        }

        #[test]
        fn ordinary_names_in_any_script_are_kept_as_typed(name in "[\\p{L}][\\p{L}\\p{M}' .-]{0,40}") {
            let got = displayed(&name, "/name", 120);
            let nfc: String = name.trim().nfc().collect();
            prop_assert_eq!(got.ok(), (!nfc.is_empty()).then_some(nfc));
        }
    }

    #[test]
    fn text_is_trimmed_normalised_and_bounded() {
        // "é" as e + combining acute becomes the one precomposed character.
        assert_eq!(
            displayed("  Rene\u{301}e ", "/n", 10).unwrap(),
            "Ren\u{e9}e"
        );
        assert_eq!(displayed(&"x".repeat(10), "/n", 10).unwrap().len(), 10);
        assert_eq!(
            displayed(&"x".repeat(11), "/n", 10).unwrap_err().code,
            ErrorCode::InvalidText
        );
        assert!(displayed("   ", "/n", 10).is_err());
        assert!(displayed("Leeds City Council", "/n", 120).is_ok());
    }
}
