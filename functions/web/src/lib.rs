//! The web app's pages and assets, served by the deployment itself (no CDN, no request to any
//! other origin): the files `web/` builds, embedded at compile time, behind a strict
//! Content-Security-Policy. The app signs in against the configured OpenID Connect issuer and
//! calls the JSON API on the same origin; this function holds no data and reads no store.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use cpindex::claims::Provider;
use cpindex::config::{env, required, ConfigError};
use cpindex::problem::{ErrorCode, Problem};
use cpindex::routes;

mod assets {
    include!(concat!(env!("OUT_DIR"), "/assets.rs"));
}

/// Where the app signs people in: one identity provider each for NHS staff and for LA and
/// service staff (the issuers the API's JWT authorizers trust), and whether it is a laptop's.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebConfig {
    /// NHS staff's first: the sign-in page offers them in this order.
    pub providers: Vec<SignIn>,
    /// A laptop's local sign-in: the app marks every page so.
    pub local: bool,
}

/// One identity provider the app signs people in at.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignIn {
    /// `nhs` or `staff` (`cpindex::claims::Provider`).
    pub id: String,
    /// What the sign-in button says.
    pub label: String,
    pub issuer: String,
    pub client_id: String,
    pub authorize_url: String,
    pub token_url: String,
    pub scope: String,
}

impl SignIn {
    /// What `provider`'s sign-in button says.
    pub fn label(provider: Provider) -> &'static str {
        match provider {
            Provider::Nhs => "Sign in with NHS Care Identity (NHS staff)",
            Provider::Staff => "Sign in as local authority or service staff",
        }
    }
}

impl WebConfig {
    /// The configuration Lambda runs with (the template's parameters).
    pub fn from_env() -> Result<Self, ConfigError> {
        let read = |provider: Provider,
                    [issuer, client_id, authorize, token]: [&'static str; 4]|
         -> Result<SignIn, ConfigError> {
            Ok(SignIn {
                id: provider.as_str().into(),
                label: SignIn::label(provider).into(),
                issuer: required(issuer)?,
                client_id: required(client_id)?,
                authorize_url: https(authorize)?,
                token_url: https(token)?,
                scope: "openid".into(),
            })
        };
        Ok(Self {
            providers: vec![
                read(
                    Provider::Nhs,
                    [
                        env::NHS_OIDC_ISSUER,
                        env::NHS_OIDC_CLIENT_ID,
                        env::NHS_OIDC_AUTHORIZE_URL,
                        env::NHS_OIDC_TOKEN_URL,
                    ],
                )?,
                read(
                    Provider::Staff,
                    [
                        env::OIDC_ISSUER,
                        env::OIDC_CLIENT_ID,
                        env::OIDC_AUTHORIZE_URL,
                        env::OIDC_TOKEN_URL,
                    ],
                )?,
            ],
            local: false,
        })
    }

    /// The policy every answer carries: our own origin only, plus the token endpoints the app
    /// posts its codes to.
    pub fn content_security_policy(&self) -> String {
        let mut token_origins: Vec<String> = self
            .providers
            .iter()
            .filter_map(|p| origin(&p.token_url))
            .collect();
        token_origins.sort();
        token_origins.dedup();
        let token_origins = token_origins.join(" ");
        format!(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
             font-src 'self'; connect-src 'self' {token_origins}; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'; manifest-src 'self'"
        )
    }
}

fn https(name: &'static str) -> Result<String, ConfigError> {
    let v = required(name)?;
    if !v.starts_with("https://") {
        return Err(ConfigError::Invalid {
            name,
            reason: "an https URL".into(),
        });
    }
    Ok(v)
}

/// `scheme://host[:port]` of a URL.
fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split('/').next()?;
    Some(format!("{scheme}://{host}"))
}

/// The content type of an asset, by its extension.
fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

/// A table of assets: path under `/app/`, and its bytes.
pub type Assets = &'static [(&'static str, &'static [u8])];

/// Whether this binary embeds the built app (a build without Node embeds none).
pub const APP_EMBEDDED: bool = !cfg!(web_app_missing);

/// The app this binary embeds (empty without [`APP_EMBEDDED`]).
pub const EMBEDDED: Assets = assets::ASSETS;

/// The built asset at `path` (relative to `/app/`), if there is one.
pub fn asset(path: &str) -> Option<&'static [u8]> {
    find(EMBEDDED, path)
}

fn find(assets: Assets, path: &str) -> Option<&'static [u8]> {
    assets
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, bytes)| *bytes)
}

fn not_found() -> Response {
    let p = Problem::new(ErrorCode::NotFound).detail("no such page");
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "application/problem+json")],
        serde_json::to_string(&p).unwrap_or_default(),
    )
        .into_response()
}

/// What a build without the web app answers for every page (never shipped: `make sam-build`
/// refuses such a bootstrap).
fn not_built() -> Response {
    let p = Problem::new(ErrorCode::Internal)
        .detail("the web app was not built into this binary: run `make web-assets` and rebuild");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, "application/problem+json")],
        serde_json::to_string(&p).unwrap_or_default(),
    )
        .into_response()
}

fn serve(assets: Assets, path: &str) -> Response {
    if assets.is_empty() {
        return not_built();
    }
    let path = if path.is_empty() { "index.html" } else { path };
    match find(assets, path) {
        Some(bytes) => {
            // The shell and its config change with a deploy; assets are small and revalidated.
            ([(header::CONTENT_TYPE, content_type(path))], bytes).into_response()
        }
        None => not_found(),
    }
}

#[derive(Clone)]
struct Site {
    cfg: WebConfig,
    assets: Assets,
}

async fn app_file(State(site): State<Site>, Path(path): Path<String>) -> Response {
    serve(site.assets, &path)
}

async fn index(State(site): State<Site>) -> Response {
    serve(site.assets, "index.html")
}

async fn config(State(site): State<Site>) -> Response {
    axum::Json(site.cfg).into_response()
}

/// Security headers on every answer of the web app.
async fn secure(
    State(csp): State<HeaderValue>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, csp);
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=31536000; includeSubDomains"),
    );
    resp
}

/// The web app's routes (`routes::WEB_ROUTES`) serving the embedded app, with their security
/// headers.
pub fn router(cfg: WebConfig) -> Router {
    router_with(cfg, EMBEDDED)
}

/// As [`router`], serving `assets` (tests on a machine that built no app bring their own).
pub fn router_with(cfg: WebConfig, assets: Assets) -> Router {
    let csp = HeaderValue::from_str(&cfg.content_security_policy())
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"));
    Router::new()
        .route(
            routes::WEB_ROOT_PATH,
            get(|| async { Redirect::to(routes::WEB_APP_PATH) }),
        )
        .route(routes::WEB_APP_PATH, get(index))
        .route(&format!("{}/", routes::WEB_APP_PATH), get(index))
        .route(routes::WEB_CONFIG_PATH, get(config))
        .route(&routes::axum_path(routes::WEB_ASSETS_PATH), get(app_file))
        .with_state(Site { cfg, assets })
        .layer(axum::middleware::from_fn_with_state(csp, secure))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> WebConfig {
        let provider = |p: Provider, host: &str| SignIn {
            id: p.as_str().into(),
            label: SignIn::label(p).into(),
            issuer: format!("https://{host}"),
            client_id: "web".into(),
            authorize_url: format!("https://{host}/authorize"),
            token_url: format!("https://{host}:8443/token"),
            scope: "openid".into(),
        };
        WebConfig {
            providers: vec![
                provider(Provider::Nhs, "cis2.example"),
                provider(Provider::Staff, "id.example"),
            ],
            local: false,
        }
    }

    #[test]
    fn the_policy_allows_our_origin_and_the_token_endpoints_only() {
        let csp = cfg().content_security_policy();
        assert!(csp.starts_with("default-src 'none';"));
        assert!(
            csp.contains("connect-src 'self' https://cis2.example:8443 https://id.example:8443;"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe"), "{csp}");
    }

    async fn get(router: Router, path: &str) -> (StatusCode, String, Vec<u8>) {
        use tower::ServiceExt;
        let resp = router
            .oneshot(
                axum::http::Request::get(path)
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        let status = resp.status();
        let ct = resp.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(resp.headers().contains_key(header::CONTENT_SECURITY_POLICY));
        let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, ct, body.to_vec())
    }

    #[tokio::test]
    async fn assets_are_served_with_their_type_and_a_missing_one_is_a_problem() {
        const ASSETS: Assets = &[("index.html", b"<p>shell"), ("x/app.css", b"p{}")];
        let (s, ct, body) = get(router_with(cfg(), ASSETS), "/app").await;
        assert_eq!(
            (s, ct.as_str(), body.as_slice()),
            (StatusCode::OK, "text/html; charset=utf-8", &b"<p>shell"[..])
        );
        let (s, ct, _) = get(router_with(cfg(), ASSETS), "/app/x/app.css").await;
        assert_eq!(
            (s, ct.as_str()),
            (StatusCode::OK, "text/css; charset=utf-8")
        );
        let (s, ct, _) = get(router_with(cfg(), ASSETS), "/app/nope.js").await;
        assert_eq!(
            (s, ct.as_str()),
            (StatusCode::NOT_FOUND, "application/problem+json")
        );
    }

    #[tokio::test]
    async fn a_build_without_the_app_says_so_on_every_page() {
        for path in ["/app", "/app/", "/app/app.js"] {
            let (s, ct, body) = get(router_with(cfg(), &[]), path).await;
            assert_eq!(
                (s, ct.as_str()),
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "application/problem+json"
                )
            );
            assert!(
                String::from_utf8_lossy(&body).contains("make web-assets"),
                "{path}"
            );
        }
    }

    // Only where the app was built (make builds it before any cargo step; `cargo test` alone on
    // a machine without Node has nothing to check).
    #[cfg(not(web_app_missing))]
    #[test]
    fn the_built_app_is_embedded_and_refers_to_no_other_origin() {
        for page in [
            "index.html",
            "app.js",
            "indicators.js",
            "app.css",
            "nhsuk-frontend.min.js",
        ] {
            let bytes = asset(page).unwrap_or_else(|| panic!("{page} is embedded"));
            let text = String::from_utf8_lossy(bytes);
            for other in ["https://", "http://", "//fonts", "assets.nhs.uk"] {
                let found = text.match_indices(other).any(|(i, _)| {
                    // The SVG namespace and a URL the app builds from its own config are not requests.
                    !text[i..].starts_with("http://www.w3.org/")
                });
                assert!(!found, "{page} refers to {other}");
            }
        }
    }
}
