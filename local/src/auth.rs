//! The local stand-in for API Gateway's JWT authorizers: one per identity provider, each route
//! behind its roles' provider's (`RouteDef::provider`). Like API Gateway's, each verifies an
//! asymmetric signature with the keys its issuer publishes (discovery document, then JWK set),
//! and `iss`, `aud` and `exp`; the claims go to the functions in the request context API Gateway
//! builds. The two local issuers are the stack's own (`local-token`), so their documents are
//! read in-process rather than fetched back over HTTP from the same server.

use std::collections::HashMap;

use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
use lambda_http::request::RequestContext;
use local_token::JwkSet;

use cpindex::claims::Provider;
pub use local_token::{AuthError, LocalAuth, LOCAL_AUDIENCE};

/// Whose staff sign in at `provider`, in an error message.
fn who(provider: Provider) -> &'static str {
    match provider {
        Provider::Nhs => "NHS",
        Provider::Staff => "LA and service",
    }
}

/// The request context API Gateway (HTTP API, payload 2.0) builds for a request whose JWT
/// carried `claims`; `None` for an unauthenticated request.
pub fn gateway_context(
    method: &str,
    path: &str,
    claims: Option<HashMap<String, String>>,
) -> RequestContext {
    let mut ctx = serde_json::json!({
        "routeKey": "$default",
        "accountId": "000000000000",
        "stage": "$default",
        "requestId": uuid::Uuid::new_v4().to_string(),
        "timeEpoch": chrono::Utc::now().timestamp_millis(),
        "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "local"}
    });
    if let Some(claims) = claims {
        ctx["authorizer"] = serde_json::json!({"jwt": {"claims": claims, "scopes": null}});
    }
    let ctx: ApiGatewayV2httpRequestContext =
        serde_json::from_value(ctx).expect("the context shape is fixed");
    RequestContext::ApiGatewayV2(ctx)
}

/// One provider's authorizer: its issuer, and the keys its discovery document leads to.
#[derive(Clone)]
struct IssuerKeys {
    issuer: String,
    keys: JwkSet,
}

/// The authorizers of a local stack: one per provider.
#[derive(Clone)]
pub struct Authorizers {
    nhs: IssuerKeys,
    staff: IssuerKeys,
}

impl Authorizers {
    /// The authorizers trusting `auth`'s two issuers, their keys read as API Gateway reads a
    /// real issuer's: `jwks_uri` from the discovery document, then the key set it names.
    pub fn trusting(auth: &LocalAuth) -> Result<Self, AuthError> {
        let read = |provider| -> Result<IssuerKeys, AuthError> {
            let issuer = auth.issuer(provider);
            let discovery = auth.discovery(provider);
            if discovery["issuer"] != issuer.as_str() {
                return Err(AuthError::Keys(format!(
                    "the discovery document of {issuer} names another issuer"
                )));
            }
            let uri = discovery["jwks_uri"].as_str().unwrap_or_default();
            let document = auth.document(uri).ok_or_else(|| {
                AuthError::Keys(format!("{issuer}'s jwks_uri `{uri}` is not served here"))
            })?;
            let keys = serde_json::from_value(document)
                .map_err(|e| AuthError::Keys(format!("{issuer}'s key set: {e}")))?;
            Ok(IssuerKeys { issuer, keys })
        };
        Ok(Self {
            nhs: read(Provider::Nhs)?,
            staff: read(Provider::Staff)?,
        })
    }

    /// The claims of `token` if `provider`'s authorizer accepts it, as API Gateway passes them.
    pub fn verify(
        &self,
        provider: Provider,
        token: &str,
    ) -> Result<HashMap<String, String>, AuthError> {
        let (k, other) = match provider {
            Provider::Nhs => (&self.nhs, &self.staff),
            Provider::Staff => (&self.staff, &self.nhs),
        };
        // Local mode only: name the mix-up (API Gateway answers a bare 401).
        if local_token::unverified_issuer(token).as_deref() == Some(other.issuer.as_str()) {
            return Err(AuthError::OtherProvider {
                signed_in: who(provider.other()),
                route: who(provider),
            });
        }
        let claims = local_token::verify(token, &k.keys, &k.issuer, LOCAL_AUDIENCE)?;
        Ok(local_token::as_gateway_claims(&claims))
    }
}
