//! A local authority's profile: who it is, how clinicians reach it, and where its alerts go.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::contact::Phone;
use crate::json_object::ObjectReader;
use crate::org::OrgCode;
use crate::problem::{ErrorCode, FieldError};
use crate::text::displayed as text;

/// A webhook address we are willing to call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WebhookUrl(String);

/// True for addresses that must never be called outside local mode (SSRF guard).
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1])
                || v4.octets()[0] == 0
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| is_private(IpAddr::V4(v4)))
        }
    }
}

impl WebhookUrl {
    /// `https://` with a public host; in local mode `http://` and loopback are allowed too.
    pub fn parse(raw: &str, field: &str, local_mode: bool) -> Result<Self, FieldError> {
        let bad = |detail: &str| FieldError::new(ErrorCode::InvalidWebhook, field, detail);
        let url = url::Url::parse(raw).map_err(|_| bad("not a URL"))?;
        match url.scheme() {
            "https" => {}
            "http" if local_mode => {}
            _ => return Err(bad("webhooks must use https")),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad(
                "credentials do not belong in the URL; use the secret reference",
            ));
        }
        let host = url.host_str().ok_or_else(|| bad("the URL has no host"))?;
        if !local_mode {
            let literal = host.trim_start_matches('[').trim_end_matches(']');
            if let Ok(ip) = literal.parse::<IpAddr>() {
                if is_private(ip) {
                    return Err(bad(
                        "private, loopback and link-local addresses are refused",
                    ));
                }
            }
            if host.eq_ignore_ascii_case("localhost")
                || host.ends_with(".localhost")
                || host.ends_with(".internal")
            {
                return Err(bad("private host names are refused"));
            }
        }
        Ok(Self(url.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where an LA's alerts go: a signed webhook, or (without one) its inbox only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    pub url: WebhookUrl,
    /// Reference to the signing secret (a Secrets Manager name or ARN; never the secret itself).
    pub secret_ref: String,
}

/// An LA's profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LaProfile {
    pub org: OrgCode,
    pub name: String,
    pub team: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office_hours_phone: Option<Phone>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emergency_duty_phone: Option<Phone>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<Webhook>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

impl LaProfile {
    /// Parses a profile body for `org` (from the path).
    pub fn from_json(
        value: &serde_json::Value,
        org: OrgCode,
        local_mode: bool,
        now: DateTime<Utc>,
        actor: &str,
    ) -> Result<Self, FieldError> {
        let mut r = ObjectReader::new(value, "")?;
        let name = text(
            r.str("name", ErrorCode::MissingField, ErrorCode::InvalidText)?,
            "/name",
            120,
        )?;
        let team = text(
            r.str("team", ErrorCode::MissingField, ErrorCode::InvalidText)?,
            "/team",
            120,
        )?;
        let office_hours_phone = r
            .opt_str("officeHoursPhone", ErrorCode::InvalidPhone)?
            .map(|p| Phone::parse(p, "/officeHoursPhone"))
            .transpose()?;
        // Mandatory: the one number a clinician at 3 a.m. must have. Absent, null and blank are
        // all refused the same way.
        let emergency_duty_phone = match r.opt_str("emergencyDutyPhone", ErrorCode::InvalidPhone)? {
            Some(p) if !p.trim().is_empty() => Some(Phone::parse(p, "/emergencyDutyPhone")?),
            _ => {
                return Err(FieldError::new(
                    ErrorCode::MissingEmergencyPhone,
                    "/emergencyDutyPhone",
                    "the emergency-duty phone number is mandatory",
                ))
            }
        };
        let webhook = match value.get("webhook") {
            None | Some(serde_json::Value::Null) => None,
            Some(w) => {
                let mut wr = ObjectReader::new(w, "/webhook")?;
                let url = WebhookUrl::parse(
                    wr.str("url", ErrorCode::MissingField, ErrorCode::InvalidWebhook)?,
                    "/webhook/url",
                    local_mode,
                )?;
                let secret_ref = text(
                    wr.str("secretRef", ErrorCode::MissingField, ErrorCode::InvalidText)?,
                    "/webhook/secretRef",
                    512,
                )?;
                wr.finish()?;
                Some(Webhook { url, secret_ref })
            }
        };
        r.handled("webhook");
        r.finish()?;
        Ok(Self {
            org,
            name,
            team,
            office_hours_phone,
            emergency_duty_phone,
            webhook,
            updated_at: now,
            updated_by: actor.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_https_webhooks_outside_local_mode() {
        assert!(WebhookUrl::parse("https://alerts.leeds.gov.uk/cpis", "/u", false).is_ok());
        for bad in [
            "http://alerts.leeds.gov.uk/cpis",
            "https://10.0.0.4/hook",
            "https://127.0.0.1/hook",
            "https://169.254.169.254/latest",
            "https://[::1]/hook",
            "https://[fd00::1]/hook",
            "https://100.64.0.1/hook",
            "https://localhost/hook",
            "https://user:pw@alerts.leeds.gov.uk/",
            "ftp://alerts.leeds.gov.uk/",
            "not a url",
        ] {
            assert!(WebhookUrl::parse(bad, "/u", false).is_err(), "{bad}");
        }
        assert!(
            WebhookUrl::parse("http://127.0.0.1:3000/local/webhooks/E08000035", "/u", true).is_ok()
        );
    }

    #[test]
    fn a_profile_parses_with_or_without_a_webhook() {
        let now = Utc::now();
        let org = OrgCode::parse("E08000035").unwrap();
        let v = serde_json::json!({"name": "Leeds", "team": "Front door", "emergencyDutyPhone": "0113 535 0600",
            "webhook": {"url": "https://alerts.leeds.gov.uk/cpis", "secretRef": "cpindex/webhook/E08000035"}});
        let p = LaProfile::from_json(&v, org.clone(), false, now, "op").unwrap();
        assert_eq!(p.webhook.unwrap().secret_ref, "cpindex/webhook/E08000035");
        let e = LaProfile::from_json(
            &serde_json::json!({"name": "L", "team": "T", "emergencyDutyPhone": "0113 535 0600", "fax": "1"}),
            org.clone(),
            false,
            now,
            "op",
        )
        .unwrap_err();
        assert_eq!(e.field, "/fax");
    }

    #[test]
    fn a_profile_without_an_emergency_duty_number_is_refused_however_it_is_left_out() {
        let org = OrgCode::parse("E08000035").unwrap();
        for edt in [
            None,
            Some(serde_json::Value::Null),
            Some(" ".into()),
            Some("".into()),
        ] {
            let mut v = serde_json::json!({"name": "Leeds", "team": "Front door"});
            if let Some(edt) = edt.clone() {
                v["emergencyDutyPhone"] = edt;
            }
            let e = LaProfile::from_json(&v, org.clone(), false, Utc::now(), "op").unwrap_err();
            assert_eq!(
                (e.code, e.field.as_str()),
                (ErrorCode::MissingEmergencyPhone, "/emergencyDutyPhone"),
                "{edt:?}"
            );
        }
    }
}
