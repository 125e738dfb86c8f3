//! Local tokens: HS256 JWTs signed with a per-clone secret (kept in `.local/`), minted for
//! `make token`, the CLI and the demo, and verified by the local stack's stand-in for API
//! Gateway's JWT authorizer. A crate of its own so that the CLI can mint tokens without linking
//! the functions, and so that no Lambda artefact contains it.

use std::collections::HashMap;
use std::path::Path;

use cpindex::claims::{claim_names, SettingType};
use cpindex::{OrgCode, Role};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// Issuer and audience of local tokens (the template takes the real ones as parameters).
pub const LOCAL_ISSUER: &str = "cpindex-local";
pub const LOCAL_AUDIENCE: &str = "cpindex";

/// Why a token was refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("no bearer token")]
    Missing,
    #[error("the token is not valid: {}", why_invalid(.0))]
    Invalid(#[source] jsonwebtoken::errors::Error),
    #[error(
        "no local signing secret at {0}: run `make dev` in the clone once (it creates one), or point \
         --state-dir or CPINDEX_STATE_DIR at the clone's .local folder"
    )]
    NoSecret(std::path::PathBuf),
    #[error("the local signing secret could not be read or created")]
    Secret(#[source] std::io::Error),
}

#[derive(Debug, Serialize, Deserialize)]
struct TokenClaims {
    sub: String,
    org: String,
    role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    org_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    setting_type: Option<String>,
    iss: String,
    aud: String,
    exp: i64,
    iat: i64,
}

/// Why a token was refused, in words a developer can act on.
fn why_invalid(e: &jsonwebtoken::errors::Error) -> &'static str {
    use jsonwebtoken::errors::ErrorKind;
    match e.kind() {
        ErrorKind::ExpiredSignature => "it has expired; mint a new one (make token)",
        ErrorKind::InvalidIssuer => "it was not issued by this local stack (wrong issuer)",
        ErrorKind::InvalidAudience => "it is not for this API (wrong audience)",
        ErrorKind::InvalidSignature => {
            "it was signed with another secret (a token from another clone, or from before .local was reset)"
        }
        ErrorKind::ImmatureSignature => "it is not valid yet",
        _ => "it is not a JWT this local stack issued",
    }
}

/// A readable name for a local organisation, for tokens minted without one: alerts then read
/// "seen at RR801 (Local emergency department RR801)" rather than "(-)".
pub fn default_org_name(role: Role, org: &OrgCode) -> String {
    let kind = match role {
        Role::LocalAuthority => "Local authority",
        Role::UnscheduledCare => "Local emergency department",
        Role::ScheduledCare => "Local GP practice",
        Role::Operator => "Local operations team",
        Role::PrivacyOfficer => "Local information governance",
        Role::NhsStaff => "Local NHS trust",
    };
    format!("{kind} {org}")
}

/// Signs and verifies local tokens (HS256).
#[derive(Clone)]
pub struct LocalAuth {
    secret: Vec<u8>,
}

impl LocalAuth {
    pub fn from_secret(secret: impl Into<Vec<u8>>) -> Self {
        Self {
            secret: secret.into(),
        }
    }

    /// The clone's secret in `<dir>/jwt-secret`, which must exist (the CLI never creates one: a
    /// secret made by the CLI in the wrong folder would sign tokens no stack accepts).
    pub fn load(dir: &Path) -> Result<Self, AuthError> {
        let path = dir.join(JWT_SECRET_FILE);
        match std::fs::read_to_string(&path) {
            Ok(s) => Ok(Self::from_secret(s.trim().as_bytes().to_vec())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(AuthError::NoSecret(path)),
            Err(e) => Err(AuthError::Secret(e)),
        }
    }

    /// The clone's secret in `<dir>/jwt-secret`, created on first use.
    pub fn load_or_create(dir: &Path) -> Result<Self, AuthError> {
        let secret = load_or_create_secret(dir, JWT_SECRET_FILE).map_err(AuthError::Secret)?;
        Ok(Self::from_secret(secret.into_bytes()))
    }

    /// A token for `role` at `org`, valid for `hours`.
    pub fn mint(
        &self,
        role: Role,
        org: &OrgCode,
        user: &str,
        org_name: Option<&str>,
        hours: i64,
    ) -> String {
        let now = chrono::Utc::now().timestamp();
        let claims = TokenClaims {
            sub: user.to_owned(),
            org: org.as_str().to_owned(),
            role: role.as_str().to_owned(),
            org_name: org_name.map(str::to_owned),
            // Local clinicians work in an emergency department (as their default name says).
            setting_type: (role == Role::UnscheduledCare)
                .then(|| SettingType::EmergencyDepartment.as_str().to_owned()),
            iss: LOCAL_ISSUER.into(),
            aud: LOCAL_AUDIENCE.into(),
            exp: now + hours * 3600,
            iat: now,
        };
        encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(&self.secret),
        )
        .expect("HS256 signing cannot fail")
    }

    /// Verifies signature, expiry, issuer and audience; returns the claims as API Gateway passes them.
    pub fn verify(&self, token: &str) -> Result<HashMap<String, String>, AuthError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[LOCAL_ISSUER]);
        validation.set_audience(&[LOCAL_AUDIENCE]);
        let data =
            decode::<TokenClaims>(token, &DecodingKey::from_secret(&self.secret), &validation)
                .map_err(AuthError::Invalid)?;
        let c = data.claims;
        let mut map = HashMap::from([
            (claim_names::USER.to_owned(), c.sub),
            (claim_names::ORG.to_owned(), c.org),
            (claim_names::ROLE.to_owned(), c.role),
            ("iss".to_owned(), c.iss),
            ("aud".to_owned(), c.aud),
        ]);
        if let Some(name) = c.org_name {
            map.insert(claim_names::ORG_NAME.to_owned(), name);
        }
        if let Some(t) = c.setting_type {
            map.insert(claim_names::SETTING_TYPE.to_owned(), t);
        }
        Ok(map)
    }
}

/// The local stack's token signing secret, in the state directory.
pub const JWT_SECRET_FILE: &str = "jwt-secret";
/// The local stack's child key secret (`cpindex::child_key`), in the state directory.
pub const CHILD_KEY_FILE: &str = "child-key";

/// A local secret in `<dir>/<name>` (trimmed), created on first use: 256 random bits as 64 hex
/// digits, readable by its owner only.
pub fn load_or_create_secret(dir: &Path, name: &str) -> std::io::Result<String> {
    let path = dir.join(name);
    if let Ok(s) = std::fs::read_to_string(&path) {
        return Ok(s.trim().to_owned());
    }
    std::fs::create_dir_all(dir)?;
    let secret = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    match write_private(&path, &secret) {
        Ok(()) => Ok(secret),
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Ok(std::fs::read_to_string(&path)?.trim().to_owned())
        }
        Err(e) => Err(e),
    }
}

/// Writes the secret readable by its owner only (0600), never with the default umask.
fn write_private(path: &Path, secret: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(secret.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_tokens_verify_and_carry_the_claims() {
        let auth = LocalAuth::from_secret(b"s".to_vec());
        let org = OrgCode::parse("RR801").unwrap();
        let token = auth.mint(
            Role::UnscheduledCare,
            &org,
            "dr-1",
            Some("Leeds General ED"),
            1,
        );
        let claims = auth.verify(&token).unwrap();
        assert_eq!(claims["role"], "unscheduled_care");
        assert_eq!(claims["org"], "RR801");
        assert_eq!(claims["sub"], "dr-1");
        assert_eq!(claims["org_name"], "Leeds General ED");
    }

    #[test]
    fn a_refusal_says_why() {
        let org = OrgCode::parse("RR801").unwrap();
        let a = LocalAuth::from_secret(b"a".to_vec());
        let expired = a.mint(Role::Operator, &org, "op", None, -2);
        assert!(a
            .verify(&expired)
            .unwrap_err()
            .to_string()
            .contains("expired"));
        let other = LocalAuth::from_secret(b"b".to_vec()).mint(Role::Operator, &org, "op", None, 1);
        assert!(a
            .verify(&other)
            .unwrap_err()
            .to_string()
            .contains("another secret"));
        assert!(a
            .verify("x.y.z")
            .unwrap_err()
            .to_string()
            .contains("not a JWT"));
        let dir = std::env::temp_dir().join(format!("no-secret-{}", uuid::Uuid::new_v4()));
        let e = LocalAuth::load(&dir).err().unwrap().to_string();
        assert!(e.contains("jwt-secret") && e.contains("make dev"), "{e}");
        assert!(!dir.exists(), "load never creates the secret");
    }

    #[test]
    fn a_new_secret_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("secret-{}", uuid::Uuid::new_v4()));
        LocalAuth::load_or_create(&dir).unwrap();
        let mode = std::fs::metadata(dir.join("jwt-secret"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn wrong_secret_expired_or_garbled_tokens_are_refused() {
        let org = OrgCode::parse("RR801").unwrap();
        let token = LocalAuth::from_secret(b"a".to_vec()).mint(Role::Operator, &org, "op", None, 1);
        assert!(LocalAuth::from_secret(b"b".to_vec())
            .verify(&token)
            .is_err());
        let expired =
            LocalAuth::from_secret(b"a".to_vec()).mint(Role::Operator, &org, "op", None, -2);
        assert!(LocalAuth::from_secret(b"a".to_vec())
            .verify(&expired)
            .is_err());
        assert!(LocalAuth::from_secret(b"a".to_vec())
            .verify("not.a.token")
            .is_err());
    }
}
