//! Local tokens, signed the way a real identity provider signs them: each of the two local
//! issuers (NHS staff, and LA and service staff; `cpindex::claims::Provider`) holds its own
//! P-256 key (ES256), kept per clone in `.local/`, and publishes its public key as a JWK set
//! behind an OpenID discovery document. The local stack's authorizer verifies tokens from that
//! discovery document and key set, as API Gateway's JWT authorizer does. Tokens are minted for
//! `make token`, the CLI, the demo and the tests: NHS staff in NHS CIS2's shape (RBAC roles with
//! activity codes, `cpindex::cis2`), everyone else with this service's own `role`/`org` claims.
//! A crate of its own so that the CLI can mint tokens without linking the functions, and so that
//! no Lambda artefact contains it.

use std::path::Path;
use std::sync::Arc;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use cpindex::cis2;
use cpindex::claims::{claim_names, Provider, SettingType};
use cpindex::{OrgCode, Role};
pub use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{json, Map, Value};

/// The audience of local tokens (the template takes the real ones as parameters).
pub const LOCAL_AUDIENCE: &str = "cpindex";
/// Where a local stack is reached unless told otherwise (`make dev`'s port).
pub const DEFAULT_ORIGIN: &str = "http://127.0.0.1:3000";
/// The local issuers live under the stack: `<origin><IDP_PATH>/<provider>`.
pub const IDP_PATH: &str = "/local/idp";
/// The discovery document, under an issuer (OpenID Connect Discovery 1.0).
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
/// The key set, under an issuer.
pub const JWKS_PATH: &str = "/jwks.json";
/// The local sign-in's endpoints on the stack: one page for both issuers, where the person
/// chooses a role, and so the provider whose token they get.
pub const AUTHORIZE_PATH: &str = "/local/oidc/authorize";
pub const TOKEN_PATH: &str = "/local/oidc/token";

/// The issuer of `provider`'s local tokens, for a stack at `origin`.
pub fn issuer_url(origin: &str, provider: Provider) -> String {
    format!(
        "{}{IDP_PATH}/{}",
        origin.trim_end_matches('/'),
        provider.as_str()
    )
}

/// Why a token was refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("no bearer token")]
    Missing,
    #[error("the token is not valid: {}", why_invalid(.0))]
    Invalid(#[source] jsonwebtoken::errors::Error),
    #[error(
        "no local signing key at {0}: run `make dev` in the clone once (it creates them), or point \
         --state-dir or CPINDEX_STATE_DIR at the clone's .local folder"
    )]
    NoKey(std::path::PathBuf),
    #[error("the local signing key could not be read or created")]
    Key(#[source] std::io::Error),
    #[error("the local signing key at {0} is not a P-256 key")]
    BadKey(std::path::PathBuf),
    #[error("the issuer's keys could not be read: {0}")]
    Keys(String),
    #[error(
        "it was issued to {signed_in} staff; this route is for {route} staff and trusts their \
         issuer only"
    )]
    OtherProvider {
        signed_in: &'static str,
        route: &'static str,
    },
}

/// Why a token was refused, in words a developer can act on.
fn why_invalid(e: &jsonwebtoken::errors::Error) -> &'static str {
    use jsonwebtoken::errors::ErrorKind;
    match e.kind() {
        ErrorKind::ExpiredSignature => "it has expired; mint a new one (make token)",
        ErrorKind::InvalidIssuer => {
            "it was not issued by the issuer this route trusts (another provider, or another stack)"
        }
        ErrorKind::InvalidAudience => "it is not for this API (wrong audience)",
        ErrorKind::InvalidSignature | ErrorKind::InvalidKeyFormat => {
            "its signature does not match the issuer's keys (a token from another clone, or from before .local was reset)"
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

/// One issuer's signing key: P-256, kept as PKCS#8.
struct SigningKey {
    kid: String,
    pkcs8: Vec<u8>,
    /// The uncompressed public point (0x04 || x || y).
    public: Vec<u8>,
}

impl SigningKey {
    fn from_pkcs8(pkcs8: Vec<u8>) -> Option<Self> {
        use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8).ok()?;
        let public = pair.public_key().as_ref().to_vec();
        use sha2::Digest;
        let kid = URL_SAFE_NO_PAD.encode(&sha2::Sha256::digest(&public)[..12]);
        Some(Self { kid, pkcs8, public })
    }

    fn generate() -> String {
        use aws_lc_rs::rand::SystemRandom;
        use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
        let doc =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .expect("P-256 key generation");
        STANDARD.encode(doc.as_ref())
    }

    fn jwk(&self) -> Value {
        json!({
            "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": self.kid,
            "x": URL_SAFE_NO_PAD.encode(&self.public[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&self.public[33..65]),
        })
    }
}

/// Signs local tokens for both providers; knows the stack's origin (the issuers' address).
#[derive(Clone)]
pub struct LocalAuth {
    nhs: Arc<SigningKey>,
    staff: Arc<SigningKey>,
    origin: String,
}

fn key_file(provider: Provider) -> String {
    format!("idp-{}.key", provider.as_str())
}

impl LocalAuth {
    /// The clone's keys in `<dir>`, which must exist (the CLI never creates them: a key made by
    /// the CLI in the wrong folder would sign tokens no stack accepts).
    pub fn load(dir: &Path) -> Result<Self, AuthError> {
        Self::open(dir, |path| match std::fs::read_to_string(path) {
            Ok(s) => Ok(s.trim().to_owned()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(AuthError::NoKey(path.to_owned()))
            }
            Err(e) => Err(AuthError::Key(e)),
        })
    }

    /// The clone's keys in `<dir>`, created on first use.
    pub fn load_or_create(dir: &Path) -> Result<Self, AuthError> {
        Self::open(dir, |path| {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            load_or_create_with(dir, name, SigningKey::generate).map_err(AuthError::Key)
        })
    }

    fn open(
        dir: &Path,
        read: impl Fn(&Path) -> Result<String, AuthError>,
    ) -> Result<Self, AuthError> {
        let key = |provider| {
            let path = dir.join(key_file(provider));
            let text = read(&path)?;
            STANDARD
                .decode(text)
                .ok()
                .and_then(SigningKey::from_pkcs8)
                .map(Arc::new)
                .ok_or(AuthError::BadKey(path))
        };
        Ok(Self {
            nhs: key(Provider::Nhs)?,
            staff: key(Provider::Staff)?,
            origin: DEFAULT_ORIGIN.into(),
        })
    }

    /// The same keys, for a stack reached at `origin` (its issuers' address).
    pub fn at_origin(mut self, origin: &str) -> Self {
        self.origin = origin.trim_end_matches('/').to_owned();
        self
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// `provider`'s issuer.
    pub fn issuer(&self, provider: Provider) -> String {
        issuer_url(&self.origin, provider)
    }

    fn key(&self, provider: Provider) -> &SigningKey {
        match provider {
            Provider::Nhs => &self.nhs,
            Provider::Staff => &self.staff,
        }
    }

    /// `provider`'s public keys, as its JWK set document.
    pub fn jwks(&self, provider: Provider) -> Value {
        json!({"keys": [self.key(provider).jwk()]})
    }

    /// `provider`'s OpenID discovery document: its issuer, key set and the local sign-in.
    pub fn discovery(&self, provider: Provider) -> Value {
        let issuer = self.issuer(provider);
        json!({
            "issuer": issuer,
            "jwks_uri": format!("{issuer}{JWKS_PATH}"),
            "authorization_endpoint": format!("{}{AUTHORIZE_PATH}", self.origin),
            "token_endpoint": format!("{}{TOKEN_PATH}", self.origin),
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "code_challenge_methods_supported": ["S256"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "token_endpoint_auth_methods_supported": ["none"],
            "scopes_supported": ["openid"],
        })
    }

    /// The document this stack's issuers serve at `url` (a discovery document or a key set).
    pub fn document(&self, url: &str) -> Option<Value> {
        Provider::ALL.into_iter().find_map(|p| {
            let issuer = self.issuer(p);
            let rest = url.strip_prefix(&issuer)?;
            match rest {
                DISCOVERY_PATH => Some(self.discovery(p)),
                JWKS_PATH => Some(self.jwks(p)),
                _ => None,
            }
        })
    }

    /// A token for `role` at `org`, valid for `hours`, from the role's provider: NHS staff in
    /// CIS2's shape (the role's activity code: `B0107` unscheduled care, `B0170` scheduled
    /// care, none for [`Role::NhsStaff`]), everyone else with `role`/`org` claims.
    pub fn mint(
        &self,
        role: Role,
        org: &OrgCode,
        user: &str,
        org_name: Option<&str>,
        hours: i64,
    ) -> String {
        match role.provider() {
            Provider::Nhs => {
                let codes: &[&str] = match role {
                    Role::UnscheduledCare => &[cis2::VIEW_FLAG_NOTIFYING],
                    Role::ScheduledCare => &[cis2::VIEW_FLAG_SILENT],
                    _ => &[],
                };
                self.mint_cis2(org, user, org_name, codes, hours)
            }
            Provider::Staff => {
                let mut claims = json!({
                    claim_names::USER: user,
                    claim_names::ORG: org.as_str(),
                    claim_names::ROLE: role.as_str(),
                });
                if let Some(name) = org_name {
                    claims[claim_names::ORG_NAME] = json!(name);
                }
                self.sign(Provider::Staff, claims, hours)
            }
        }
    }

    /// A CIS2-shaped token: one RBAC role at `org` holding `activity_codes`, selected at sign-in.
    pub fn mint_cis2(
        &self,
        org: &OrgCode,
        user: &str,
        org_name: Option<&str>,
        activity_codes: &[&str],
        hours: i64,
    ) -> String {
        use sha2::Digest;
        // Stable, numeric ids, as CIS2's are (the same user and organisation, the same ids).
        let digits = |salt: &str| {
            let d = sha2::Sha256::digest(format!("{salt}/{user}/{org}").as_bytes());
            let n = u64::from_be_bytes(d[..8].try_into().expect("8 bytes")) % 100_000_000;
            format!("5552{n:08}")
        };
        let role_id = digits("role");
        let org_id = digits("org");
        let mut claims = json!({
            claim_names::USER: user,
            cis2::cis2_claims::USER_UID: user,
            cis2::cis2_claims::SELECTED_ROLE: role_id,
            cis2::cis2_claims::ROLES: [{
                "person_orgid": org_id,
                "person_roleid": role_id,
                "org_code": org.as_str(),
                "role_code": "S8000:G8000:R8001",
                "role_name": "\"Clinical\":\"Clinical Provision\":\"Nurse Access Role\"",
                "activity_codes": activity_codes,
            }],
        });
        if let Some(name) = org_name {
            claims[cis2::cis2_claims::ORG_MEMBERSHIPS] =
                json!([{"person_orgid": org_id, "org_name": name, "org_code": org.as_str()}]);
        }
        // Local clinicians with the notifying view work in an emergency department (as their
        // default name says); a broker in front of CIS2 may add the setting the same way.
        if activity_codes.contains(&cis2::VIEW_FLAG_NOTIFYING) {
            claims[claim_names::SETTING_TYPE] = json!(SettingType::EmergencyDepartment.as_str());
        }
        self.sign(Provider::Nhs, claims, hours)
    }

    fn sign(&self, provider: Provider, mut claims: Value, hours: i64) -> String {
        let now = chrono::Utc::now().timestamp();
        claims["iss"] = json!(self.issuer(provider));
        claims["aud"] = json!(LOCAL_AUDIENCE);
        claims["iat"] = json!(now);
        claims["exp"] = json!(now + hours * 3600);
        let key = self.key(provider);
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(key.kid.clone());
        encode(&header, &claims, &EncodingKey::from_ec_der(&key.pkcs8))
            .expect("ES256 signing with a checked key cannot fail")
    }
}

/// A token's claims, unverified (to show what a token carries, never to trust it).
pub fn unverified_claims(token: &str) -> Option<Value> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The issuer a token names (unverified: only to find which keys to check it with).
pub fn unverified_issuer(token: &str) -> Option<String> {
    unverified_claims(token)?
        .get("iss")?
        .as_str()
        .map(str::to_owned)
}

/// Verifies `token` as API Gateway's JWT authorizer does: an asymmetric signature by a key in
/// `keys` (the issuer's JWK set, by `kid`), `iss`, `aud` and `exp`. Returns the claims.
pub fn verify(
    token: &str,
    keys: &JwkSet,
    issuer: &str,
    audience: &str,
) -> Result<Map<String, Value>, AuthError> {
    let header = jsonwebtoken::decode_header(token).map_err(AuthError::Invalid)?;
    let jwk = header
        .kid
        .as_deref()
        .and_then(|kid| keys.find(kid))
        .ok_or_else(|| {
            AuthError::Invalid(jsonwebtoken::errors::ErrorKind::InvalidSignature.into())
        })?;
    let key = DecodingKey::from_jwk(jwk).map_err(AuthError::Invalid)?;
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let data =
        decode::<Map<String, Value>>(token, &key, &validation).map_err(AuthError::Invalid)?;
    Ok(data.claims)
}

/// Claims as API Gateway's authorizer passes them to a function: each a string (a list or an
/// object as its JSON).
pub fn as_gateway_claims(claims: &Map<String, Value>) -> std::collections::HashMap<String, String> {
    claims
        .iter()
        .map(|(k, v)| {
            let s = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), s)
        })
        .collect()
}

/// The local stack's child key secret (`cpindex::child_key`), in the state directory.
pub const CHILD_KEY_FILE: &str = "child-key";

/// A local secret in `<dir>/<name>` (trimmed), created on first use: 256 random bits as 64 hex
/// digits, readable by its owner only.
pub fn load_or_create_secret(dir: &Path, name: &str) -> std::io::Result<String> {
    load_or_create_with(dir, name, || {
        format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        )
    })
}

/// `<dir>/<name>` (trimmed), made by `make` and written readable by its owner only on first use.
fn load_or_create_with(
    dir: &Path,
    name: &str,
    make: impl FnOnce() -> String,
) -> std::io::Result<String> {
    let path = dir.join(name);
    if let Ok(s) = std::fs::read_to_string(&path) {
        return Ok(s.trim().to_owned());
    }
    std::fs::create_dir_all(dir)?;
    let secret = make();
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

    fn temp() -> std::path::PathBuf {
        std::env::temp_dir().join(format!("local-token-{}", uuid::Uuid::new_v4()))
    }

    fn keys(auth: &LocalAuth, provider: Provider) -> JwkSet {
        serde_json::from_value(auth.jwks(provider)).unwrap()
    }

    fn check(
        auth: &LocalAuth,
        provider: Provider,
        token: &str,
    ) -> Result<Map<String, Value>, AuthError> {
        verify(
            token,
            &keys(auth, provider),
            &auth.issuer(provider),
            LOCAL_AUDIENCE,
        )
    }

    #[test]
    fn staff_tokens_carry_role_claims_and_nhs_tokens_cis2_roles() {
        let dir = temp();
        let auth = LocalAuth::load_or_create(&dir)
            .unwrap()
            .at_origin("http://127.0.0.1:3077/");
        let la = OrgCode::parse("E08000035").unwrap();
        let token = auth.mint(
            Role::LocalAuthority,
            &la,
            "sw-1",
            Some("Leeds City Council"),
            1,
        );
        let claims = check(&auth, Provider::Staff, &token).unwrap();
        assert_eq!(claims["role"], "local_authority");
        assert_eq!(claims["iss"], "http://127.0.0.1:3077/local/idp/staff");
        assert_eq!(
            unverified_issuer(&token).unwrap(),
            "http://127.0.0.1:3077/local/idp/staff"
        );

        let ed = OrgCode::parse("RR801").unwrap();
        for (role, codes) in [
            (Role::UnscheduledCare, vec!["B0107"]),
            (Role::ScheduledCare, vec!["B0170"]),
            (Role::NhsStaff, vec![]),
        ] {
            let token = auth.mint(role, &ed, "dr-1", Some("Leeds General ED"), 1);
            let claims = check(&auth, Provider::Nhs, &token).unwrap();
            assert!(
                claims.get("role").is_none(),
                "CIS2 tokens carry no role claim"
            );
            assert_eq!(
                claims["nhsid_nrbac_roles"][0]["activity_codes"],
                json!(codes)
            );
            let parsed = cis2::claims(&Value::Object(claims.clone()), None).unwrap();
            assert_eq!((parsed.role, parsed.org), (role, ed.clone()));
            assert_eq!(parsed.org_name.as_deref(), Some("Leeds General ED"));
        }
        // The same clone's keys again: the same tokens verify.
        let again = LocalAuth::load(&dir)
            .unwrap()
            .at_origin("http://127.0.0.1:3077");
        assert!(check(&again, Provider::Staff, &token).is_ok());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_other_providers_token_an_expired_one_or_another_clones_is_refused_and_says_why() {
        let (a, b) = (temp(), temp());
        let auth = LocalAuth::load_or_create(&a).unwrap();
        let other_clone = LocalAuth::load_or_create(&b).unwrap();
        let org = OrgCode::parse("RR801").unwrap();
        let nhs = auth.mint(Role::UnscheduledCare, &org, "dr", None, 1);
        let why = check(&auth, Provider::Staff, &nhs).unwrap_err().to_string();
        assert!(why.contains("signature") || why.contains("issuer"), "{why}");
        let expired = auth.mint(Role::Operator, &org, "op", None, -2);
        assert!(check(&auth, Provider::Staff, &expired)
            .unwrap_err()
            .to_string()
            .contains("expired"));
        let forged = other_clone.mint(Role::Operator, &org, "op", None, 1);
        assert!(check(&auth, Provider::Staff, &forged)
            .unwrap_err()
            .to_string()
            .contains("signature"));
        assert!(check(&auth, Provider::Staff, "x.y.z")
            .unwrap_err()
            .to_string()
            .contains("not a JWT"));
        let other_stack = auth.clone().at_origin("http://127.0.0.1:4000");
        let elsewhere = other_stack.mint(Role::Operator, &org, "op", None, 1);
        assert!(check(&auth, Provider::Staff, &elsewhere)
            .unwrap_err()
            .to_string()
            .contains("issuer"));
        let _ = (std::fs::remove_dir_all(a), std::fs::remove_dir_all(b));
    }

    #[test]
    fn keys_are_made_once_readable_by_their_owner_only_and_never_by_load() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp();
        let e = LocalAuth::load(&dir).err().unwrap().to_string();
        assert!(e.contains("idp-nhs.key") && e.contains("make dev"), "{e}");
        assert!(!dir.exists(), "load never creates a key");
        LocalAuth::load_or_create(&dir).unwrap();
        for p in [Provider::Nhs, Provider::Staff] {
            let mode = std::fs::metadata(dir.join(key_file(p)))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
