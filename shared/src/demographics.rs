//! A child's demographics (date of birth, sex, family name) as the index may hold them: never in
//! clear, only as keyed MACs under the child-key secret (docs/DATA.md "Demographic keys").
//!
//! Two MACs per plan: one of the exact normalised triple, and one with the family name reduced
//! to its Double Metaphone code (Lawrence Philips, 2000: built for English spelling and for
//! names of Celtic, Germanic, Slavic, Romance, Greek and South Asian origin as English speakers
//! write them, so it suits the names spoken in England better than Soundex, which keeps the
//! first letter as written (Philips/Filips never meet) and knows no silent letters). A
//! clinician's search uses the exact MAC; the phonetic one only when the clinician widens the
//! search. Both also need the same date of birth and sex, which is what keeps false matches
//! rare (docs/DATA.md gives the numbers).

use std::fmt;

use chrono::NaiveDate;
use hmac::Mac;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::child_key::ChildKeys;
use crate::json_object::ObjectReader;
use crate::problem::{ErrorCode, FieldError};

/// Longest family name accepted, in characters.
pub const MAX_FAMILY_NAME_CHARS: usize = 100;

/// Letters of the Double Metaphone code kept: the algorithm's published default.
pub const PHONETIC_CODE_LEN: usize = 4;

/// Sex as FHIR's administrative gender.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
    Other,
    Unknown,
}

impl Sex {
    pub const ALL: [Sex; 4] = [Sex::Male, Sex::Female, Sex::Other, Sex::Unknown];

    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
            Sex::Other => "other",
            Sex::Unknown => "unknown",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// A family name reduced to what identifies it however it was typed: see [`normalise`].
#[derive(Clone, PartialEq, Eq)]
pub struct FamilyName(String);

impl FamilyName {
    /// The normalised name (only `a-z`).
    pub fn normalised(&self) -> &str {
        &self.0
    }

    /// The name's Double Metaphone primary code (at most [`PHONETIC_CODE_LEN`] letters); the
    /// name itself when it has no code (a name of silent letters alone, such as `H`), so that
    /// such names never all sound alike.
    ///
    /// One English spelling habit is folded first: a `p` between `m` and `s` is not heard
    /// (Thompson/Thomson, Simpson/Simson, Sampson/Samson), and Double Metaphone keeps it.
    pub fn phonetic(&self) -> String {
        let heard = self.0.replace("mps", "ms");
        let code = rphonetic::DoubleMetaphone::new(Some(PHONETIC_CODE_LEN))
            .double_metaphone(&heard)
            .primary();
        if code.is_empty() {
            self.0.clone()
        } else {
            code
        }
    }
}

impl fmt::Debug for FamilyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never a name in a log, even by accident.
        f.write_str("FamilyName(<redacted>)")
    }
}

/// Letters that no canonical decomposition turns into plain ones.
fn spell_out(c: char) -> Option<&'static str> {
    Some(match c {
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        'ø' => "o",
        'ł' => "l",
        'đ' | 'ð' => "d",
        'þ' => "th",
        'ı' => "i",
        _ => return None,
    })
}

/// How a family name is normalised before it is keyed, in this order (docs/DATA.md):
/// 1. compatibility decomposition (NFKD), with every combining mark dropped: `Zoë` = `Zoe`,
///    `Ó Sé` = `O Se`; letters with no decomposition are spelt out (`ß` = `ss`, `ø` = `o`);
/// 2. lower case;
/// 3. split into parts at spaces, hyphens (any dash) and full stops; apostrophes (any quote
///    mark) are dropped within a part, so `O'Brien` = `OBrien` = `O Brien`;
/// 4. in each part, a leading `mc` is written `mac` (`McDonald` = `MacDonald`) and a part `st`
///    is `saint` (`St John` = `Saint John`);
/// 5. the parts joined with nothing between them: `Smith-Jones` = `Smith Jones` = `SmithJones`.
///
/// Anything but letters left after that is refused: a name is letters.
pub fn normalise(raw: &str) -> Option<FamilyName> {
    let mut folded = String::with_capacity(raw.len());
    for c in raw.nfkd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        for lower in c.to_lowercase() {
            match spell_out(lower) {
                Some(s) => folded.push_str(s),
                None => folded.push(lower),
            }
        }
    }
    let is_separator = |c: char| {
        c.is_whitespace() || c == '.' || c == '-' || ('\u{2010}'..='\u{2015}').contains(&c)
    };
    let is_apostrophe = |c: char| "'`\u{2018}\u{2019}\u{02BC}\u{00B4}".contains(c);
    let mut out = String::with_capacity(folded.len());
    for part in folded.split(is_separator).filter(|p| !p.is_empty()) {
        let part: String = part.chars().filter(|c| !is_apostrophe(*c)).collect();
        if !part.chars().all(|c| c.is_ascii_lowercase()) {
            return None;
        }
        match part.as_str() {
            "" => {}
            "st" => out.push_str("saint"),
            p => match p.strip_prefix("mc") {
                Some(rest) => {
                    out.push_str("mac");
                    out.push_str(rest);
                }
                None => out.push_str(p),
            },
        }
    }
    (!out.is_empty()).then_some(FamilyName(out))
}

/// A child's (or, for an unborn child's plan, the mother's) demographics as given: parsed,
/// normalised and held only long enough to be keyed. Never stored, never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Demographics {
    pub birth_date: NaiveDate,
    pub sex: Sex,
    pub family_name: FamilyName,
}

impl fmt::Debug for Demographics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Demographics(<redacted>)")
    }
}

/// The names of the three fields, as the API and the CSV extract spell them.
pub const BIRTH_DATE: &str = "birthDate";
pub const SEX: &str = "sex";
pub const FAMILY_NAME: &str = "familyName";

impl Demographics {
    /// Reads `birthDate`, `sex` and `familyName` from `r`: all three or none (`Ok(None)`). A
    /// date of birth after `today` is refused. Error details never repeat the value.
    pub fn read(r: &mut ObjectReader<'_>, today: NaiveDate) -> Result<Option<Self>, FieldError> {
        // A malformed date of birth is not repeated back: it may be a real one, mistyped.
        let birth_date = crate::plan::date(r, BIRTH_DATE).map_err(|e| FieldError {
            detail: "a date of birth is a calendar date in the form YYYY-MM-DD".into(),
            ..e
        })?;
        let sex = r.opt_str("sex", ErrorCode::InvalidSex)?;
        let family_name = r.opt_str("familyName", ErrorCode::InvalidFamilyName)?;
        let (birth_date, sex, family_name) = match (birth_date, sex, family_name) {
            (None, None, None) => return Ok(None),
            (Some(b), Some(s), Some(n)) => (b, s, n),
            (b, s, _) => {
                let missing = if b.is_none() {
                    BIRTH_DATE
                } else if s.is_none() {
                    SEX
                } else {
                    FAMILY_NAME
                };
                return Err(FieldError::new(
                    ErrorCode::MissingField,
                    r.pointer(missing),
                    "demographics are the date of birth, sex and family name together: send all \
                     three or none",
                ));
            }
        };
        if birth_date > today {
            return Err(FieldError::new(
                ErrorCode::InvalidDate,
                r.pointer(BIRTH_DATE),
                "a date of birth cannot be in the future (for an unborn child's plan, send the \
                 mother's)",
            ));
        }
        let sex = Sex::parse(sex).ok_or_else(|| {
            FieldError::new(
                ErrorCode::InvalidSex,
                r.pointer(SEX),
                "sex is one of male, female, other, unknown (FHIR administrative gender)",
            )
        })?;
        if family_name.chars().count() > MAX_FAMILY_NAME_CHARS {
            return Err(FieldError::new(
                ErrorCode::InvalidFamilyName,
                r.pointer(FAMILY_NAME),
                format!("a family name is at most {MAX_FAMILY_NAME_CHARS} characters"),
            ));
        }
        let family_name = normalise(family_name).ok_or_else(|| {
            FieldError::new(
                ErrorCode::InvalidFamilyName,
                r.pointer(FAMILY_NAME),
                "a family name is letters, with spaces, hyphens, apostrophes or full stops \
                 between them",
            )
        })?;
        Ok(Some(Self {
            birth_date,
            sex,
            family_name,
        }))
    }

    /// The text keyed for `kind`: purpose, version, date, sex and the (reduced) name.
    fn keyed_text(&self, kind: MatchKind) -> String {
        let name = match kind {
            MatchKind::Exact => self.family_name.normalised().to_owned(),
            MatchKind::SoundsAlike => self.family_name.phonetic(),
        };
        format!(
            "cpindex demographics v1|{}|{}|{}|{}",
            kind.as_str(),
            self.birth_date.format("%Y-%m-%d"),
            self.sex.as_str(),
            name
        )
    }

    /// Both MACs under `keys`.
    pub fn keyed(&self, keys: &ChildKeys) -> DemographicKeys {
        DemographicKeys {
            exact: keys.demographic(&self.keyed_text(MatchKind::Exact)),
            sounds_alike: keys.demographic(&self.keyed_text(MatchKind::SoundsAlike)),
        }
    }

    /// The MAC a search of `kind` looks for.
    pub fn key_for(&self, keys: &ChildKeys, kind: MatchKind) -> DemographicKey {
        keys.demographic(&self.keyed_text(kind))
    }
}

/// How a search matched a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// The same date of birth, sex and normalised family name.
    Exact,
    /// The same date of birth and sex, and a family name of the same sound.
    SoundsAlike,
}

impl MatchKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchKind::Exact => "exact",
            MatchKind::SoundsAlike => "sounds_alike",
        }
    }
}

/// One keyed MAC (64 lower-case hex digits).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DemographicKey(String);

impl DemographicKey {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A stored key (from a key of the table): 64 lower-case hex digits.
    pub fn parse(raw: &str) -> Option<Self> {
        crate::child_key::ChildKey::parse(raw)
            .ok()
            .map(|_| Self(raw.to_owned()))
    }
}

impl fmt::Debug for DemographicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DemographicKey({})", &self.0[..8])
    }
}

impl fmt::Display for DemographicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a plan record keeps of its demographics: the two MACs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DemographicKeys {
    pub exact: DemographicKey,
    pub sounds_alike: DemographicKey,
}

impl DemographicKeys {
    /// Both, each with the kind of match it answers.
    pub fn each(&self) -> [(MatchKind, &DemographicKey); 2] {
        [
            (MatchKind::Exact, &self.exact),
            (MatchKind::SoundsAlike, &self.sounds_alike),
        ]
    }

    /// Whether `key` is one of these.
    pub fn holds(&self, key: &DemographicKey) -> bool {
        &self.exact == key || &self.sounds_alike == key
    }
}

impl ChildKeys {
    /// The MAC of a demographic text: HMAC-SHA-256 under the child-key secret. The text always
    /// begins with its purpose, so it can never equal an NHS number's ten digits (a child key).
    pub(crate) fn demographic(&self, text: &str) -> DemographicKey {
        let mut mac = self.mac_for_demographics();
        mac.update(text.as_bytes());
        DemographicKey(hex::encode(mac.finalize().into_bytes()))
    }
}

/// Why an LA records a plan without an NHS number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AbsentReason {
    /// The child is not registered with a GP (an asylum-seeking child, a child new to England).
    NotRegistered,
    /// The LA could not trace the child's NHS number.
    NotTraceable,
    /// A baby just born, whose number is not yet known to the LA.
    Newborn,
}

impl AbsentReason {
    pub const ALL: [AbsentReason; 3] = [
        AbsentReason::NotRegistered,
        AbsentReason::NotTraceable,
        AbsentReason::Newborn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AbsentReason::NotRegistered => "not_registered",
            AbsentReason::NotTraceable => "not_traceable",
            AbsentReason::Newborn => "newborn",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw)
    }
}

/// A clinician's demographic search, as posted to `POST /v1/child-searches`.
#[derive(Clone, PartialEq, Eq)]
pub struct ChildSearch {
    pub demographics: Demographics,
    /// Search by the family name's sound as well as its spelling.
    pub widen: bool,
}

impl fmt::Debug for ChildSearch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChildSearch(<redacted>, widen: {})", self.widen)
    }
}

impl ChildSearch {
    /// Parses a search body: all three demographics required, `widen` optional (false).
    pub fn from_json(value: &serde_json::Value, today: NaiveDate) -> Result<Self, FieldError> {
        let mut r = ObjectReader::new(value, "")?;
        let widen = match value.get("widen") {
            None | Some(serde_json::Value::Null) => false,
            Some(serde_json::Value::Bool(b)) => *b,
            Some(_) => {
                return Err(FieldError::new(
                    ErrorCode::InvalidQuery,
                    "/widen",
                    "`widen` is true or false",
                ))
            }
        };
        r.handled("widen");
        let demographics = Demographics::read(&mut r, today)?.ok_or_else(|| {
            FieldError::new(
                ErrorCode::MissingField,
                "/birthDate",
                "a search needs the date of birth, sex and family name",
            )
        })?;
        r.finish()?;
        Ok(Self {
            demographics,
            widen,
        })
    }

    /// The MACs searched, each with the kind of match it finds: the exact one, and the
    /// sound-alike one when widened.
    pub fn keys(&self, keys: &ChildKeys) -> Vec<(MatchKind, DemographicKey)> {
        let mut out = vec![(
            MatchKind::Exact,
            self.demographics.key_for(keys, MatchKind::Exact),
        )];
        if self.widen {
            out.push((
                MatchKind::SoundsAlike,
                self.demographics.key_for(keys, MatchKind::SoundsAlike),
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn n(raw: &str) -> String {
        normalise(raw)
            .map(|f| f.normalised().to_owned())
            .unwrap_or_else(|| format!("<refused {raw}>"))
    }

    /// Names from Patrick McKenzie's "Falsehoods Programmers Believe About Names" (2010) and the
    /// W3C's "Personal names around the world" (2011), as English systems receive them: each row
    /// is a set of spellings one clinician or LA might type for the same family name.
    const SAME_NAME: &[&[&str]] = &[
        &["O'Brien", "OBrien", "O Brien", "o\u{2019}brien", "O`Brien"],
        &[
            "McDonald",
            "MacDonald",
            "Mc Donald",
            "MACDONALD",
            "mcdonald",
        ],
        &[
            "Smith-Jones",
            "Smith Jones",
            "SmithJones",
            "smith\u{2013}jones",
        ],
        &["Zoë", "Zoe", "ZOË", "Zoe\u{0308}"],
        &["Ó Sé", "O Se", "O'Se", "Ó'Sé"],
        &["Müller", "Muller", "MÜLLER"],
        &["Núñez", "Nunez"],
        &["Łukasiewicz", "Lukasiewicz"],
        &["Strauß", "Strauss"],
        &["St. John", "St John", "Saint John", "Saint-John"],
        &["D'Arcy", "Darcy", "D\u{2019}Arcy"],
        &["Van der Berg", "van der Berg", "Vanderberg", "van-der-berg"],
        &["Nguyễn", "Nguyen"],
        &["Øvergård", "Overgard"],
        &["Mc'Kenzie", "MacKenzie", "McKenzie"],
        &["ﬁnch", "Finch"],
    ];

    #[test]
    fn spellings_of_one_name_normalise_alike() {
        for spellings in SAME_NAME {
            let first = n(spellings[0]);
            assert!(!first.starts_with('<'), "{first}");
            for s in &spellings[1..] {
                assert_eq!(n(s), first, "{s} vs {}", spellings[0]);
            }
        }
    }

    #[test]
    fn different_names_stay_different() {
        for (a, b) in [
            ("Smith", "Smyth"),
            ("McDonald", "Donald"),
            ("Stone", "Saintone"),
            ("Brien", "OBrien"),
        ] {
            assert_ne!(n(a), n(b), "{a} vs {b}");
        }
    }

    #[test]
    fn non_letters_are_refused() {
        for bad in [
            "",
            "  ",
            "-",
            "'",
            "Smith2",
            "O'Brien!",
            "史密斯",
            "Jones\u{200B}",
            "a@b",
        ] {
            assert!(normalise(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn sound_alike_names_share_a_phonetic_code_and_others_do_not() {
        let code = |s: &str| normalise(s).unwrap().phonetic();
        for (a, b) in [
            ("Smith", "Smyth"),
            ("Thompson", "Thomson"),
            ("Philips", "Filips"),
            ("Stephenson", "Stevenson"),
            ("Knight", "Night"),
            ("Catherall", "Katherall"),
            ("Mohammed", "Muhammad"),
            ("Reid", "Reed"),
            ("Clarke", "Clark"),
            ("Simpson", "Simson"),
        ] {
            assert_eq!(code(a), code(b), "{a} vs {b}");
        }
        for (a, b) in [("Smith", "Jones"), ("Patel", "Khan"), ("Brown", "Green")] {
            assert_ne!(code(a), code(b), "{a} vs {b}");
        }
    }

    fn demo(v: serde_json::Value) -> Result<Option<Demographics>, FieldError> {
        let mut r = ObjectReader::new(&v, "").unwrap();
        let d = Demographics::read(&mut r, NaiveDate::from_ymd_opt(2026, 12, 6).unwrap())?;
        r.finish()?;
        Ok(d)
    }

    #[test]
    fn all_three_or_none_and_each_field_checked_without_repeating_it() {
        assert_eq!(demo(json!({})).unwrap(), None);
        let ok = json!({"birthDate": "2019-04-02", "sex": "female", "familyName": "O'Brien"});
        assert!(demo(ok.clone()).unwrap().is_some());
        let cases = [
            (
                "birthDate",
                json!(null),
                ErrorCode::MissingField,
                "/birthDate",
            ),
            ("sex", json!(null), ErrorCode::MissingField, "/sex"),
            (
                "familyName",
                json!(null),
                ErrorCode::MissingField,
                "/familyName",
            ),
            ("sex", json!("F"), ErrorCode::InvalidSex, "/sex"),
            (
                "birthDate",
                json!("2027-01-01"),
                ErrorCode::InvalidDate,
                "/birthDate",
            ),
            (
                "birthDate",
                json!("02/04/2019"),
                ErrorCode::InvalidDate,
                "/birthDate",
            ),
            (
                "familyName",
                json!("Smith99"),
                ErrorCode::InvalidFamilyName,
                "/familyName",
            ),
            (
                "familyName",
                json!("x".repeat(101)),
                ErrorCode::InvalidFamilyName,
                "/familyName",
            ),
        ];
        for (field, value, code, pointer) in cases {
            let mut v = ok.clone();
            v[field] = value;
            let e = demo(v).unwrap_err();
            assert_eq!((e.code, e.field.as_str()), (code, pointer), "{field}");
            assert!(!e.detail.contains("Smith99") && !e.detail.contains("Brien"));
        }
        assert!(!format!("{:?}", demo(ok).unwrap()).contains("rien"));
    }

    #[test]
    fn the_two_keys_differ_and_depend_on_each_field_and_the_secret() {
        let keys = ChildKeys::from_secret(SECRET).unwrap();
        let d = |b: &str, s: &str, f: &str| {
            demo(json!({"birthDate": b, "sex": s, "familyName": f}))
                .unwrap()
                .unwrap()
                .keyed(&keys)
        };
        let base = d("2019-04-02", "female", "Thompson");
        assert_ne!(base.exact, base.sounds_alike);
        assert_eq!(base, d("2019-04-02", "female", "THOMPSON"));
        let misspelt = d("2019-04-02", "female", "Thomson");
        assert_ne!(base.exact, misspelt.exact);
        assert_eq!(base.sounds_alike, misspelt.sounds_alike);
        assert_ne!(base, d("2019-04-03", "female", "Thompson"));
        assert_ne!(
            base.sounds_alike,
            d("2019-04-03", "female", "Thomson").sounds_alike
        );
        assert_ne!(
            base.sounds_alike,
            d("2019-04-02", "male", "Thomson").sounds_alike
        );
        let other = ChildKeys::from_secret(&SECRET.replace('0', "1")).unwrap();
        let under_other =
            demo(json!({"birthDate": "2019-04-02", "sex": "female", "familyName": "Thompson"}))
                .unwrap()
                .unwrap()
                .keyed(&other);
        assert_ne!(base.exact, under_other.exact);
    }

    #[test]
    fn a_search_needs_all_three_and_widens_only_when_asked() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let keys = ChildKeys::from_secret(SECRET).unwrap();
        let s = ChildSearch::from_json(
            &json!({"birthDate": "2019-04-02", "sex": "male", "familyName": "Reid"}),
            today,
        )
        .unwrap();
        assert_eq!(s.keys(&keys).len(), 1);
        let w = ChildSearch::from_json(
            &json!({"birthDate": "2019-04-02", "sex": "male", "familyName": "Reid", "widen": true}),
            today,
        )
        .unwrap();
        assert_eq!(w.keys(&keys).len(), 2);
        for bad in [
            json!({}),
            json!({"birthDate": "2019-04-02", "sex": "male"}),
            json!({"birthDate": "2019-04-02", "sex": "male", "familyName": "Reid", "widen": "yes"}),
            json!({"birthDate": "2019-04-02", "sex": "male", "familyName": "Reid", "nhsNumber": "1"}),
        ] {
            assert!(ChildSearch::from_json(&bad, today).is_err(), "{bad}");
        }
    }

    proptest! {
        /// Whatever malformed date of birth arrives (mistyped, another format, trailing text),
        /// it is refused at `/birthDate` and never repeated in the error.
        #[test]
        fn a_malformed_birth_date_is_refused_without_repeating_it(
            raw in "[0-9]{1,4}[-/. ][0-9]{1,2}[-/. ][0-9]{1,4}[a-z ]{0,2}",
        ) {
            prop_assume!(NaiveDate::parse_from_str(&raw, "%Y-%m-%d").is_err() || raw.len() != 10);
            let v = json!({"birthDate": raw, "sex": "female", "familyName": "Smith"});
            let e = demo(v).unwrap_err();
            prop_assert_eq!((e.code, e.field.as_str()), (ErrorCode::InvalidDate, "/birthDate"));
            prop_assert!(!e.detail.contains(raw.as_str()), "{}", e.detail);
        }

        /// Normalising is idempotent, yields only a-z, and ignores case, accents and separators.
        #[test]
        fn normalising_is_stable_and_blind_to_case_accents_and_separators(
            parts in proptest::collection::vec("[a-zA-Z]{1,8}", 1..4),
            seps in proptest::collection::vec(prop_oneof![Just(" "), Just("-"), Just(". "), Just("\u{2013}")], 3),
            accent in prop_oneof![Just(""), Just("\u{0301}"), Just("\u{0308}")],
        ) {
            let mut written = String::new();
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    written.push_str(seps[i - 1]);
                }
                written.push_str(p);
                written.push_str(accent);
            }
            let joined: String = parts.concat();
            let a = normalise(&written).unwrap();
            prop_assert!(a.normalised().bytes().all(|b| b.is_ascii_lowercase()));
            prop_assert_eq!(normalise(a.normalised()).unwrap().normalised().to_owned(), a.normalised());
            let upper = normalise(&written.to_uppercase()).unwrap();
            prop_assert_eq!(upper.normalised().to_owned(), a.normalised());
            // Joined without separators, a name normalises alike unless a part began with Mc or was St.
            let special = parts.iter().any(|p| p.to_lowercase().starts_with("mc") || p.eq_ignore_ascii_case("st"));
            if !special {
                prop_assert_eq!(normalise(&joined).unwrap().normalised().to_owned(), a.normalised());
            }
        }

        /// Any character that is not a letter, separator or apostrophe makes a name refused.
        #[test]
        fn a_name_holding_a_digit_or_symbol_is_refused(
            head in "[a-zA-Z]{0,6}",
            bad in "[0-9!@#$%^&*()_+=<>?/\\\\|{}\\[\\]~;:,]",
            tail in "[a-zA-Z]{0,6}",
        ) {
            let name = format!("{head}{bad}{tail}");
            prop_assert!(normalise(&name).is_none(), "{}", name);
        }
    }
}
