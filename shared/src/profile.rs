//! A local authority's profile: who it is, how clinicians reach it, and where its alerts go.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::contact::Phone;
use crate::json_object::ObjectReader;
use crate::org::OrgCode;
use crate::overdue::AckWindow;
use crate::problem::{ErrorCode, FieldError};
use crate::text::displayed as text;

/// A webhook address we are willing to call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WebhookUrl(String);

/// True for addresses that must never be called outside local mode (SSRF guard): anything that
/// is not a public unicast address. IPv6 forms that carry an IPv4 address (mapped, compatible,
/// NAT64, 6to4) are judged by the IPv4 address they carry.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                // 100.64.0.0/10 carrier-grade NAT; 198.18.0.0/15 benchmarking; 192.0.0.0/24 IETF.
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19))
                || (a == 192 && b == 0 && v4.octets()[2] == 0)
                // 192.88.99.0/24: the deprecated 6to4 relay anycast (RFC 7526).
                || (a == 192 && b == 88 && v4.octets()[2] == 99)
                // 240.0.0.0/4 reserved.
                || a >= 240
        }
        IpAddr::V6(v6) => {
            let seg = v6.segments();
            let embedded = |hi: u16, lo: u16| {
                std::net::Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8)
            };
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            // IPv4-compatible ::a.b.c.d (deprecated, still routed by some stacks).
            if seg[..6] == [0; 6] && !(v6.is_loopback() || v6.is_unspecified()) {
                return is_private(IpAddr::V4(embedded(seg[6], seg[7])));
            }
            // NAT64 64:ff9b::/96 and the local-use 64:ff9b:1::/48.
            if seg[0] == 0x64 && seg[1] == 0xff9b {
                return seg[2] != 0 || is_private(IpAddr::V4(embedded(seg[6], seg[7])));
            }
            // 6to4 2002::/16 embeds an IPv4 address in segments 1 and 2.
            if seg[0] == 0x2002 {
                return is_private(IpAddr::V4(embedded(seg[1], seg[2])));
            }
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (seg[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (seg[0] & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated)
                || (seg[0] == 0x2001 && seg[1] == 0x0db8) // documentation
                || (seg[0] == 0x3fff && seg[1] < 0x1000) // documentation 3fff::/20
                || (seg[0] == 0x0100 && seg[1..4] == [0; 3]) // discard-only 100::/64
                // IANA's IPv6 special-purpose registry: the IETF protocol block 2001::/23 as a
                // whole (Teredo 2001::/32 hides the client's address, so it cannot be judged;
                // benchmarking, ORCHID; no webhook lives there), and SRv6 SIDs 5f00::/16.
                || (seg[0] == 0x2001 && seg[1] < 0x0200)
                || seg[0] == 0x5f00
        }
    }
}

/// Which webhook addresses a process accepts. Lambda's entry points name
/// [`WebhookPolicy::PublicHttpsOnly`] in their code; only the local stack (a laptop, whose
/// receiver listens on loopback) builds its functions with [`WebhookPolicy::LocalHttpAllowed`].
/// Nothing in the environment chooses it, so no deployed function can be switched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookPolicy {
    /// `https://` to a public address only (every deployed function).
    PublicHttpsOnly,
    /// `http://` and loopback addresses too (the local stack alone).
    LocalHttpAllowed,
}

impl WebhookPolicy {
    /// Whether plain HTTP and loopback addresses are allowed.
    pub fn allows_local(self) -> bool {
        self == WebhookPolicy::LocalHttpAllowed
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
        // The local stack's own receiver is on loopback: plain http goes nowhere else, even
        // there (docs/ALERTS.md).
        let loopback = host.eq_ignore_ascii_case("localhost")
            || host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if url.scheme() == "http" && !loopback {
            return Err(bad(
                "the local stack accepts http:// only for a loopback address (127.0.0.1, [::1], localhost); use https",
            ));
        }
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
    /// How long its alerts may stay unacknowledged before they are overdue (none: the
    /// deployment's default, `ALERT_ACK_HOURS`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledge_within_hours: Option<AckWindow>,
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
        let acknowledge_within_hours = match value.get("acknowledgeWithinHours") {
            None | Some(serde_json::Value::Null) => None,
            Some(h) => Some(AckWindow::parse(
                h.as_u64().unwrap_or(0),
                "/acknowledgeWithinHours",
            )?),
        };
        r.handled("acknowledgeWithinHours");
        r.finish()?;
        Ok(Self {
            org,
            name,
            team,
            office_hours_phone,
            emergency_duty_phone,
            webhook,
            acknowledge_within_hours,
            updated_at: now,
            updated_by: actor.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_unicast_addresses_may_be_called() {
        for private in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "100.127.255.255",
            "198.18.0.1",
            "198.19.255.255",
            "240.0.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.0.8",
            "192.0.2.1",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "::10.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b::a00:1",
            "64:ff9b:1::1",
            "2002:7f00:1::1",
            "2002:a9fe:a9fe::1",
            "fec0::1",
            "100::1",
            // Teredo (the client's address is hidden in it), the 6to4 relay anycast, and the
            // rest of IANA's special-purpose blocks that are not globally reachable.
            "2001::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "192.88.99.1",
            "2001:2::1",
            "2001:10::1",
            "2001:1ff::1",
            "3fff::1",
            "3fff:fff::1",
            "5f00::1",
        ] {
            assert!(
                is_private(private.parse().unwrap()),
                "{private} must be refused"
            );
        }
        for public in [
            "8.8.8.8",
            "81.2.69.142",
            "100.128.0.1",
            "198.20.0.1",
            "2a00:1450:4009::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "2001:200::1",
            "2001:4860:4860::8888",
            "192.88.100.1",
            "3fff:1000::1",
        ] {
            assert!(!is_private(public.parse().unwrap()), "{public} is public");
        }
    }

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
        for local in [
            "http://127.0.0.1:3000/local/webhooks/E08000035",
            "http://[::1]:3000/hook",
            "http://localhost:3000/hook",
        ] {
            assert!(WebhookUrl::parse(local, "/u", true).is_ok(), "{local}");
        }
        // Even the local stack calls no other host over plain http.
        for far in [
            "http://alerts.leeds.gov.uk/cpis",
            "http://10.0.0.4/hook",
            "http://192.168.1.9/",
        ] {
            assert!(WebhookUrl::parse(far, "/u", true).is_err(), "{far}");
        }
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
    fn an_acknowledgement_window_is_whole_hours_or_left_to_the_default() {
        let org = OrgCode::parse("E08000035").unwrap();
        let body = |h: serde_json::Value| serde_json::json!({"name": "L", "team": "T", "emergencyDutyPhone": "0113 535 0600", "acknowledgeWithinHours": h});
        let p = LaProfile::from_json(&body(6.into()), org.clone(), false, Utc::now(), "op");
        assert_eq!(
            p.unwrap().acknowledge_within_hours.map(AckWindow::as_hours),
            Some(6)
        );
        let p = LaProfile::from_json(
            &body(serde_json::Value::Null),
            org.clone(),
            false,
            Utc::now(),
            "op",
        );
        assert_eq!(p.unwrap().acknowledge_within_hours, None);
        for bad in [0.into(), 169.into(), (-4).into(), 2.5.into(), "4".into()] {
            let e =
                LaProfile::from_json(&body(bad), org.clone(), false, Utc::now(), "op").unwrap_err();
            assert_eq!(
                (e.code, e.field.as_str()),
                (ErrorCode::InvalidAckWindow, "/acknowledgeWithinHours")
            );
        }
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
