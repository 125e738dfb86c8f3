//! The NHS number: parsing is validation, so holding one means it is well formed, its check
//! digit holds, and it lies in a range some registry issues (docs/NHS-NUMBERS.md has the rule
//! for each range and where it comes from).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A valid NHS number: 10 ASCII digits whose modulus-11 check digit holds, in an issued range.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NhsNumber([u8; 10]);

/// Who issues numbers of a range (the UK's registries share one 10-digit space).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issuer {
    /// 400 000 0000 – 499 999 9999 and 600 000 0000 – 799 999 9999.
    EnglandWalesIsleOfMan,
    /// 010 000 0000 – 311 299 9999, Scotland's CHI numbers: the first six digits are the date
    /// of birth (DDMMYY).
    ScotlandChi,
    /// 320 000 0000 – 399 999 9999, Northern Ireland's Health and Care numbers.
    NorthernIreland,
    /// 900 000 0000 – 999 999 9999, never issued to a person: test and synthetic patients
    /// (999 000 0000 onwards is the range kept for test data; the national test
    /// environments use the rest of 9xx).
    Synthetic,
}

/// Ranges no registry issues NHS numbers from, with why.
const NOT_ISSUED: &[(u64, u64, &str)] = &[
    (
        0,
        99_999_999,
        "no registry issues numbers below 010 000 0000",
    ),
    (
        3_113_000_000,
        3_199_999_999,
        "311 300 0000 to 319 999 9999 is not issued",
    ),
    (
        5_000_000_000,
        5_999_999_999,
        "500 000 0000 to 599 999 9999 is reserved and never issued",
    ),
    (
        8_000_000_000,
        8_599_999_999,
        "800 000 0000 to 859 999 9999 is Ireland's Individual Health Identifier, not an NHS number",
    ),
    (
        8_600_000_000,
        8_999_999_999,
        "860 000 0000 to 899 999 9999 is not issued",
    ),
];

/// Why a string is not an NHS number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NhsNumberError {
    /// Not 10 digits, or not the `DDDDDDDDDD` / `DDD DDD DDDD` / `DDD-DDD-DDDD` shape.
    #[error(
        "an NHS number is 10 digits, written without spaces or as 3-3-4 with spaces or hyphens"
    )]
    Shape,
    /// The first nine digits give a check value of 10, which no digit can stand for.
    #[error("no NHS number has these first nine digits (their check value is 10)")]
    NoCheckDigit,
    /// The tenth digit is not the check digit of the first nine.
    #[error("the check digit does not match")]
    CheckDigit,
    /// The number lies in a range no registry issues.
    #[error("{0}")]
    NotIssued(&'static str),
    /// In Scotland's CHI range, but the first six digits are not a date of birth (DDMMYY).
    #[error(
        "a number in Scotland's CHI range starts with a date of birth (DDMMYY); this one does not"
    )]
    ChiDate,
}

/// Whether `dd`/`mm`/`yy` is a calendar date in 19yy or 20yy (CHI numbers carry no century).
fn is_ddmmyy(dd: u32, mm: u32, yy: u32) -> bool {
    [1900, 2000]
        .into_iter()
        .any(|century| chrono::NaiveDate::from_ymd_opt((century + yy) as i32, mm, dd).is_some())
}

/// The issuer of a well-formed number's range, or why no registry issues it.
fn issuer(d: &[u8; 10]) -> Result<Issuer, NhsNumberError> {
    let n = d.iter().fold(0u64, |acc, x| acc * 10 + u64::from(*x));
    if let Some((_, _, why)) = NOT_ISSUED
        .iter()
        .find(|(lo, hi, _)| (*lo..=*hi).contains(&n))
    {
        return Err(NhsNumberError::NotIssued(why));
    }
    let two = |i: usize| u32::from(d[i]) * 10 + u32::from(d[i + 1]);
    Ok(match n {
        ..=3_112_999_999 => {
            if !is_ddmmyy(two(0), two(2), two(4)) {
                return Err(NhsNumberError::ChiDate);
            }
            Issuer::ScotlandChi
        }
        3_200_000_000..=3_999_999_999 => Issuer::NorthernIreland,
        9_000_000_000.. => Issuer::Synthetic,
        _ => Issuer::EnglandWalesIsleOfMan,
    })
}

/// The check digit of nine leading digits, or `None` when the check value is 10 (invalid).
pub fn check_digit(first_nine: &[u8; 9]) -> Option<u8> {
    let sum: u32 = first_nine
        .iter()
        .zip((2..=10u32).rev())
        .map(|(&d, weight)| u32::from(d) * weight)
        .sum();
    match 11 - (sum % 11) {
        11 => Some(0),
        10 => None,
        check => Some(check as u8),
    }
}

impl NhsNumber {
    /// Parses `DDDDDDDDDD`, or the 3-3-4 form with spaces (`DDD DDD DDDD`) or hyphens
    /// (`DDD-DDD-DDDD`), ASCII digits only; then the check digit; then the range.
    pub fn parse(input: &str) -> Result<Self, NhsNumberError> {
        let bytes = input.as_bytes();
        let digits: Vec<u8> = match bytes.len() {
            10 => bytes.to_vec(),
            12 if (bytes[3] == b' ' && bytes[7] == b' ')
                || (bytes[3] == b'-' && bytes[7] == b'-') =>
            {
                bytes
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != 3 && *i != 7)
                    .map(|(_, b)| *b)
                    .collect()
            }
            _ => return Err(NhsNumberError::Shape),
        };
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(NhsNumberError::Shape);
        }
        let mut out = [0u8; 10];
        for (slot, b) in out.iter_mut().zip(&digits) {
            *slot = b - b'0';
        }
        let first_nine: [u8; 9] = out[..9].try_into().expect("nine digits");
        match check_digit(&first_nine) {
            None => return Err(NhsNumberError::NoCheckDigit),
            Some(check) if check != out[9] => return Err(NhsNumberError::CheckDigit),
            Some(_) => {}
        }
        issuer(&out)?;
        Ok(Self(out))
    }

    /// Who issues numbers of this one's range.
    pub fn issuer(&self) -> Issuer {
        issuer(&self.0).expect("an NhsNumber is in an issued range")
    }

    /// Builds a valid number from nine leading digits, when one exists (for tests and demo data).
    pub fn from_first_nine(first_nine: [u8; 9]) -> Option<Self> {
        if first_nine.iter().any(|d| *d > 9) {
            return None;
        }
        let check = check_digit(&first_nine)?;
        let mut out = [0u8; 10];
        out[..9].copy_from_slice(&first_nine);
        out[9] = check;
        issuer(&out).ok()?;
        Some(Self(out))
    }

    /// The ten digits without spaces: the form used in storage keys and on the wire.
    pub fn digits(&self) -> String {
        self.0.iter().map(|d| char::from(b'0' + d)).collect()
    }

    /// A form safe for logs: only the last three digits (`*** *** *919`).
    pub fn masked(&self) -> String {
        format!("*** *** *{}{}{}", self.0[7], self.0[8], self.0[9])
    }

    /// True for the range 999 000 0000 to 999 999 9999, which is never issued (test data).
    pub fn is_test_range(&self) -> bool {
        self.0[..3] == [9, 9, 9]
    }
}

impl FromStr for NhsNumber {
    type Err = NhsNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for NhsNumber {
    /// The spaced form people read: `943 476 5919`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.digits();
        write!(f, "{} {} {}", &d[..3], &d[3..6], &d[6..])
    }
}

impl fmt::Debug for NhsNumber {
    // Debug output ends up in logs: never print the number in clear.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NhsNumber({})", self.masked())
    }
}

impl Serialize for NhsNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.digits())
    }
}

impl<'de> Deserialize<'de> for NhsNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_valid_numbers_parse() {
        for n in [
            "9434765919",
            "9000000009",
            "9876543210",
            "943 476 5919",
            "943-476-5919",
        ] {
            assert!(NhsNumber::parse(n).is_ok(), "{n} should be valid");
        }
    }

    #[test]
    fn a_widely_quoted_example_fails_its_check() {
        assert_eq!(
            NhsNumber::parse("9876544321"),
            Err(NhsNumberError::CheckDigit)
        );
    }

    #[test]
    fn check_value_ten_is_invalid_whatever_the_last_digit() {
        // 999 123 456 gives a check value of 10.
        for last in 0..=9 {
            let s = format!("999123456{last}");
            assert_eq!(NhsNumber::parse(&s), Err(NhsNumberError::NoCheckDigit));
        }
    }

    #[test]
    fn check_value_eleven_becomes_zero() {
        // 000 000 000 sums to 0, so 11 - 0 = 11, written 0: the check holds, but no registry
        // issues numbers that low.
        assert!(matches!(
            NhsNumber::parse("0000000000"),
            Err(NhsNumberError::NotIssued(_))
        ));
        assert_eq!(
            NhsNumber::parse("0000000001"),
            Err(NhsNumberError::CheckDigit)
        );
    }

    /// The first number at or after `start` whose check digit holds.
    fn first_checked_from(start: u64) -> String {
        (start..)
            .map(|n| format!("{n:010}"))
            .find(|s| {
                let d: Vec<u8> = s.bytes().map(|b| b - b'0').collect();
                check_digit(&d[..9].try_into().unwrap()) == Some(d[9])
            })
            .unwrap()
    }

    #[test]
    fn each_range_is_classified_by_its_rule() {
        let issuer_of =
            |start: u64| NhsNumber::parse(&first_checked_from(start)).map(|n| n.issuer());
        assert_eq!(issuer_of(4_000_000_000), Ok(Issuer::EnglandWalesIsleOfMan));
        assert_eq!(issuer_of(6_000_000_000), Ok(Issuer::EnglandWalesIsleOfMan));
        assert_eq!(issuer_of(7_999_999_900), Ok(Issuer::EnglandWalesIsleOfMan));
        assert_eq!(issuer_of(3_200_000_000), Ok(Issuer::NorthernIreland));
        assert_eq!(issuer_of(9_990_000_000), Ok(Issuer::Synthetic));
        assert_eq!(issuer_of(9_000_000_000), Ok(Issuer::Synthetic));
        // CHI: 01 01 90 (1 January 1990), 29 02 00 (2000 is a leap year), 31 12 99.
        assert_eq!(issuer_of(101_900_000), Ok(Issuer::ScotlandChi));
        assert_eq!(issuer_of(2_902_000_000), Ok(Issuer::ScotlandChi));
        assert_eq!(issuer_of(3_112_990_000), Ok(Issuer::ScotlandChi));
        // CHI numbers whose first six digits are no date: 30 February, month 13, month 00, 29
        // February 2001.
        for start in [3_002_900_000, 1_013_900_000, 100_050_000, 2_902_010_000] {
            assert_eq!(issuer_of(start), Err(NhsNumberError::ChiDate), "{start}");
        }
        for start in [
            0,
            99_999_000,
            3_113_000_000,
            5_000_000_000,
            8_000_000_000,
            8_600_000_000,
        ] {
            assert!(
                matches!(issuer_of(start), Err(NhsNumberError::NotIssued(_))),
                "{start}"
            );
        }
    }

    #[test]
    fn wrong_lengths_and_odd_spacing_are_shape_errors() {
        for s in [
            "",
            "943476591",
            "94347659190",
            " 9434765919",
            "9434765919 ",
            "94 3476 5919",
            "943  476 5919",
            "9434 765 919",
            "943-476 5919",
            "943 476-5919",
            "9434-76-5919",
            "943\u{a0}476\u{a0}5919",
            "٩٤٣٤٧٦٥٩١٩",
            "94347659１9",
            "abcdefghij",
        ] {
            assert_eq!(NhsNumber::parse(s), Err(NhsNumberError::Shape), "{s:?}");
        }
    }

    #[test]
    fn display_is_spaced_and_debug_is_masked() {
        let n = NhsNumber::parse("9434765919").unwrap();
        assert_eq!(n.to_string(), "943 476 5919");
        assert_eq!(n.digits(), "9434765919");
        assert_eq!(format!("{n:?}"), "NhsNumber(*** *** *919)");
        assert!(!format!("{n:?}").contains("9434765919"));
    }

    #[test]
    fn serde_round_trip_uses_digits_and_rejects_invalid() {
        let n: NhsNumber = serde_json::from_str("\"943 476 5919\"").unwrap();
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"9434765919\"");
        assert!(serde_json::from_str::<NhsNumber>("\"9876544321\"").is_err());
    }

    #[test]
    fn test_range_is_recognised() {
        assert!(NhsNumber::from_first_nine([9, 9, 9, 0, 0, 0, 0, 0, 1])
            .unwrap()
            .is_test_range());
        assert!(!NhsNumber::parse("9434765919").unwrap().is_test_range());
    }

    /// Independent oracle for the shape and the check digit: the `nhs-number` crate's parser and
    /// check (it knows no ranges; the range rule is checked against an independent Python
    /// implementation in `make test`, scripts/nhs-oracle.py).
    fn oracle_accepts(s: &str) -> bool {
        s.parse::<nhs_number::NHSNumber>()
            .map(|n| n.validate_check_digit())
            .unwrap_or(false)
    }

    /// Ours, as far as the oracle can judge: shape and check digit, whatever the range says.
    fn ours_check_digit(s: &str) -> bool {
        !matches!(
            NhsNumber::parse(s),
            Err(NhsNumberError::Shape | NhsNumberError::NoCheckDigit | NhsNumberError::CheckDigit)
        )
    }

    #[test]
    fn agrees_with_an_independent_implementation_on_100k_random_numbers() {
        // Deterministic LCG so a failure reproduces; covers every check-digit branch many times.
        let mut state: u64 = 0x5eed_1234_abcd_ef01;
        let mut valid = 0;
        for i in 0..100_000u64 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let n = (state >> 11) % 10_000_000_000;
            let s = if i % 7 == 0 {
                let d = format!("{n:010}");
                format!("{} {} {}", &d[..3], &d[3..6], &d[6..])
            } else {
                format!("{n:010}")
            };
            let ours = ours_check_digit(&s);
            assert_eq!(ours, oracle_accepts(&s), "disagreement on {s:?}");
            valid += usize::from(ours);
        }
        // About 1 in 11 random strings are valid; make sure both branches were exercised.
        assert!((7_000..11_000).contains(&valid), "valid count {valid}");
    }

    proptest! {
        #[test]
        fn agrees_with_oracle_on_arbitrary_strings(s in "\\PC{0,14}") {
            // The crate also reads the hyphenated form; so do we.
            prop_assert_eq!(ours_check_digit(&s), oracle_accepts(&s));
        }

        #[test]
        fn agrees_with_oracle_on_digit_strings(s in "[0-9 ]{9,13}") {
            prop_assert_eq!(ours_check_digit(&s), oracle_accepts(&s));
        }

        #[test]
        fn every_valid_number_round_trips_through_both_forms(first in proptest::array::uniform9(0u8..=9)) {
            if let Some(n) = NhsNumber::from_first_nine(first) {
                prop_assert_eq!(NhsNumber::parse(&n.digits()), Ok(n));
                prop_assert_eq!(NhsNumber::parse(&n.to_string()), Ok(n));
            }
        }

        #[test]
        fn changing_one_digit_is_always_detected(first in proptest::array::uniform9(0u8..=9), pos in 0usize..10, delta in 1u8..=9) {
            if let Some(n) = NhsNumber::from_first_nine(first) {
                let mut d: Vec<u8> = n.digits().into_bytes();
                d[pos] = b'0' + ((d[pos] - b'0' + delta) % 10);
                let s = String::from_utf8(d).unwrap();
                prop_assert!(NhsNumber::parse(&s).is_err());
            }
        }
    }
}
