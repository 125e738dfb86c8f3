//! The values the tests share: organisations and NHS numbers from the published examples (test
//! data only), and the callers most tests act as.

use crate::http::As;

/// Leeds City Council.
pub const LEEDS: &str = "E08000035";
/// Camden.
pub const CAMDEN: &str = "E09000007";
/// A child (a valid NHS number).
pub const CHILD: &str = "9434765919";
/// A pregnant woman, for an unborn child's plan (a valid NHS number).
pub const MOTHER: &str = "9000000009";
/// Another valid NHS number, for corrections.
pub const OTHER_CHILD: &str = MOTHER;
/// A valid NHS number no test records a plan for.
pub const NOBODY: &str = "9876543210";
/// An emergency department clinician.
pub const ED: As<'static> = Some(("unscheduled_care", "RR801", "dr-1"));
/// An operator.
pub const OPERATOR: As<'static> = Some(("operator", "X26", "op-1"));

/// The LAs whose profiles every fresh test table holds (an LA records plans only with a
/// profile, whose contacts are the ones clinicians see).
pub const PROFILED_LAS: [&str; 6] = [
    LEEDS,
    CAMDEN,
    "E09000033",
    "E06000001",
    "E06000002",
    "E06000003",
];

/// A profile as operators would set it up for `org`: Leeds's real public numbers for Leeds,
/// and the same shape for the others.
pub fn profile(org: &str) -> cpindex::profile::LaProfile {
    let (name, team, office, emergency) = match org {
        LEEDS => (
            "Leeds City Council",
            "Children's Front Door",
            "0113 222 4403",
            "0113 535 0600",
        ),
        CAMDEN => (
            "London Borough of Camden",
            "Children and Families Contact Service",
            "020 7974 3317",
            "020 7974 4444",
        ),
        _ => (
            "A local authority",
            "Children's services",
            "0300 123 4567",
            "0300 123 4568",
        ),
    };
    cpindex::profile::LaProfile {
        org: cpindex::OrgCode::parse(org).expect("an LA code"),
        name: name.into(),
        team: team.into(),
        office_hours_phone: Some(cpindex::contact::Phone::parse(office, "/o").expect("a phone")),
        emergency_duty_phone: Some(
            cpindex::contact::Phone::parse(emergency, "/e").expect("a phone"),
        ),
        webhook: None,
        acknowledge_within_hours: None,
        updated_at: chrono::Utc::now(),
        updated_by: "op-setup".into(),
    }
}

/// A random valid NHS number in the never-issued test range (999 ...), for tests that share a
/// stack and must not meet each other's children.
pub fn random_nhs_number() -> cpindex::NhsNumber {
    loop {
        let bytes = uuid::Uuid::new_v4().into_bytes();
        let mut first = [9u8; 9];
        for (slot, b) in first[3..].iter_mut().zip(bytes) {
            *slot = b % 10;
        }
        if let Some(n) = cpindex::NhsNumber::from_first_nine(first) {
            return n;
        }
    }
}
