//! A local OpenID Connect sign-in for `make dev`: the authorization code flow with PKCE, as the
//! web app runs it against a real issuer, ending in the same locally signed token `make token`
//! prints, from the issuer of the chosen role's provider (a clinician's in CIS2's shape). The
//! issuers' discovery documents and key sets are served here too. The person chooses a role, an
//! organisation and a user id; every page says it is local.
//! Like a real issuer it then keeps a session (a cookie on its own path), so the web app's
//! silent sign-in (`prompt=none`) after a reload gets a code without asking again, and
//! `login_required` when there is no session.
//! It lives in the local stack only: no Lambda artefact links it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;
use cpindex::{OrgCode, Role};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::auth::LocalAuth;

/// Where the local sign-in lives on the stack.
pub use local_token::{AUTHORIZE_PATH, TOKEN_PATH};
/// The web app's client id locally.
pub const CLIENT_ID: &str = "cpindex-web-local";

/// A code is good for one exchange, within this long.
const CODE_LIFETIME: Duration = Duration::from_secs(120);
/// Hours a locally issued token lasts (a working shift), and the issuer's session with it.
const TOKEN_HOURS: i64 = 12;
/// The issuer's session cookie, sent only to the issuer's own paths.
const SESSION_COOKIE: &str = "cpindex_local_session";

const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

/// Who the person chose to be.
#[derive(Clone)]
struct Person {
    role: Role,
    org: OrgCode,
    user: String,
    org_name: Option<String>,
}

struct Pending {
    challenge: String,
    redirect_uri: String,
    person: Person,
    issued: Instant,
}

/// The issuer's own session: who signed in, and when.
struct Session {
    person: Person,
    started: Instant,
}

#[derive(Clone)]
struct Issuer {
    auth: LocalAuth,
    /// The stack's own origin: the only place a code is ever sent.
    origin: String,
    codes: Arc<Mutex<HashMap<String, Pending>>>,
    sessions: Arc<Mutex<HashMap<String, Session>>>,
}

#[derive(Deserialize)]
struct AuthorizeQuery {
    response_type: String,
    client_id: String,
    redirect_uri: String,
    state: String,
    code_challenge: String,
    code_challenge_method: String,
    /// `none`: answer at once from the session, never with a page (OIDC Core 3.1.2.1).
    #[serde(default)]
    prompt: Option<String>,
}

#[derive(Deserialize)]
struct Choice {
    redirect_uri: String,
    state: String,
    code_challenge: String,
    role: String,
    org: String,
    user: String,
    #[serde(default)]
    org_name: String,
}

#[derive(Deserialize)]
struct TokenForm {
    grant_type: String,
    code: String,
    redirect_uri: String,
    client_id: String,
    code_verifier: String,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(body: String) -> Response {
    (
        [(header::CONTENT_SECURITY_POLICY, CSP)],
        Html(format!(
            "<!doctype html><html lang=\"en\" class=\"nhsuk-template\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>Local sign-in - Child protection information</title>\
             <link rel=\"stylesheet\" href=\"/app/app.css\"></head><body>\
             <div class=\"app-local-banner\" role=\"note\">Local sign-in: for development only. \
             Never use real patient details here.</div>\
             <div class=\"nhsuk-width-container\"><main class=\"nhsuk-main-wrapper\" id=\"maincontent\">\
             {body}</main></div></body></html>"
        )),
    )
        .into_response()
}

fn refuse(status: StatusCode, why: &str) -> Response {
    let mut r = page(format!(
        "<h1>Sign-in refused</h1><p class=\"nhsuk-body\">{}</p>",
        escape(why)
    ));
    *r.status_mut() = status;
    r
}

fn radio(value: &str, label: &str, checked: bool) -> String {
    format!(
        "<div class=\"nhsuk-radios__item\"><input class=\"nhsuk-radios__input\" id=\"role-{value}\" \
         name=\"role\" type=\"radio\" value=\"{value}\"{}><label class=\"nhsuk-label nhsuk-radios__label\" \
         for=\"role-{value}\">{label}</label></div>",
        if checked { " checked" } else { "" }
    )
}

fn field(id: &str, label: &str, hint: &str, value: &str) -> String {
    format!(
        "<div class=\"nhsuk-form-group\"><label class=\"nhsuk-label\" for=\"{id}\">{label}</label>\
         <div class=\"nhsuk-hint\" id=\"{id}-hint\">{hint}</div><input class=\"nhsuk-input nhsuk-input--width-20\" \
         id=\"{id}\" name=\"{id}\" type=\"text\" value=\"{value}\" aria-describedby=\"{id}-hint\"></div>"
    )
}

/// The session a request's cookie names, if it is still current.
fn session_of(issuer: &Issuer, headers: &HeaderMap) -> Option<Person> {
    let id = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(SESSION_COOKIE)?.strip_prefix('='))?;
    let mut sessions = issuer.sessions.lock().expect("sessions");
    sessions.retain(|_, s| s.started.elapsed() < Duration::from_secs(TOKEN_HOURS as u64 * 3600));
    sessions.get(id).map(|s| s.person.clone())
}

/// A one-time code for `person`, sent back to the app with its state.
fn issue_code(
    issuer: &Issuer,
    person: Person,
    challenge: String,
    redirect_uri: &str,
    state: &str,
) -> Response {
    let code = uuid::Uuid::new_v4().simple().to_string();
    issuer.codes.lock().expect("codes").insert(
        code.clone(),
        Pending {
            challenge,
            redirect_uri: redirect_uri.to_owned(),
            person,
            issued: Instant::now(),
        },
    );
    back_to_app(redirect_uri, &format!("code={code}"), state)
}

/// Back to the app's redirect URI with `params` and the state it sent.
fn back_to_app(redirect_uri: &str, params: &str, state: &str) -> Response {
    let sep = if redirect_uri.contains('?') { '&' } else { '?' };
    Redirect::to(&format!(
        "{redirect_uri}{sep}{params}&state={}",
        url::form_urlencoded::byte_serialize(state.as_bytes()).collect::<String>()
    ))
    .into_response()
}

async fn authorize(
    State(issuer): State<Issuer>,
    headers: HeaderMap,
    Query(q): Query<AuthorizeQuery>,
) -> Response {
    if q.response_type != "code" || q.client_id != CLIENT_ID {
        return refuse(StatusCode::BAD_REQUEST, "Unknown client or response type.");
    }
    if q.code_challenge_method != "S256" || q.code_challenge.len() < 43 {
        return refuse(
            StatusCode::BAD_REQUEST,
            "A PKCE S256 code challenge is required.",
        );
    }
    if !q.redirect_uri.starts_with(&format!("{}/", issuer.origin)) {
        return refuse(
            StatusCode::BAD_REQUEST,
            "Codes are only sent back to this stack.",
        );
    }
    if q.prompt.as_deref() == Some("none") {
        return match session_of(&issuer, &headers) {
            Some(person) => {
                issue_code(&issuer, person, q.code_challenge, &q.redirect_uri, &q.state)
            }
            None => back_to_app(&q.redirect_uri, "error=login_required", &q.state),
        };
    }
    let hidden = |n: &str, v: &str| {
        format!(
            "<input type=\"hidden\" name=\"{n}\" value=\"{}\">",
            escape(v)
        )
    };
    page(format!(
        "<h1>Local sign-in</h1><p class=\"nhsuk-body\">Choose who to be. The token is signed with this \
         laptop's local key and is accepted only by this local stack.</p>\
         <form method=\"post\" action=\"{AUTHORIZE_PATH}\" novalidate>{}{}{}\
         <div class=\"nhsuk-form-group\"><fieldset class=\"nhsuk-fieldset\"><legend class=\"nhsuk-fieldset__legend nhsuk-fieldset__legend--m\">Role</legend>\
         <div class=\"nhsuk-radios\">{}{}{}{}{}{}</div></fieldset></div>{}{}{}\
         <button class=\"nhsuk-button\" type=\"submit\">Sign in</button></form>",
        hidden("redirect_uri", &q.redirect_uri),
        hidden("state", &q.state),
        hidden("code_challenge", &q.code_challenge),
        radio("unscheduled_care", "Clinician in unscheduled care (emergency department)", true),
        radio("scheduled_care", "Clinician in scheduled care (silent look-up)", false),
        radio("local_authority", "Local authority team", false),
        radio("operator", "Service operator", false),
        radio("privacy_officer", "Privacy officer (Caldicott guardian, information governance)", false),
        radio("nhs_staff", "NHS staff without a CP-IS activity (every look-up refused)", false),
        field("org", "Organisation code", "For example RR801 (an ED), E08000035 (Leeds), X26 (operator)", "RR801"),
        field("user", "User id", "Shown to LAs as who looked the child up", "local-user"),
        field("org_name", "Organisation name (optional)", "For example Leeds General Infirmary ED", ""),
    ))
}

async fn choose(State(issuer): State<Issuer>, Form(c): Form<Choice>) -> Response {
    let Some(role) = Role::parse(&c.role) else {
        return refuse(StatusCode::BAD_REQUEST, "Choose a role.");
    };
    let org = match OrgCode::parse(c.org.trim()) {
        Ok(o) => o,
        Err(e) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                &format!("Organisation code: {}", e.detail),
            )
        }
    };
    let user = c.user.trim();
    if user.is_empty() || user.len() > 64 {
        return refuse(
            StatusCode::BAD_REQUEST,
            "Give a user id of 1 to 64 characters.",
        );
    }
    if !c.redirect_uri.starts_with(&format!("{}/", issuer.origin)) {
        return refuse(
            StatusCode::BAD_REQUEST,
            "Codes are only sent back to this stack.",
        );
    }
    let name = c.org_name.trim();
    let person = Person {
        role,
        org,
        user: user.to_owned(),
        org_name: (!name.is_empty()).then(|| name.to_owned()),
    };
    let session = uuid::Uuid::new_v4().simple().to_string();
    issuer.sessions.lock().expect("sessions").insert(
        session.clone(),
        Session {
            person: person.clone(),
            started: Instant::now(),
        },
    );
    let mut r = issue_code(&issuer, person, c.code_challenge, &c.redirect_uri, &c.state);
    // HttpOnly and on the issuer's path only: the app's scripts never see it.
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={session}; Path={AUTHORIZE_PATH}; HttpOnly; SameSite=Lax; Max-Age={}",
        TOKEN_HOURS * 3600
    )) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

fn token_error(code: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(serde_json::json!({"error": code})),
    )
        .into_response()
}

async fn token(State(issuer): State<Issuer>, Form(f): Form<TokenForm>) -> Response {
    if f.grant_type != "authorization_code" || f.client_id != CLIENT_ID {
        return token_error("unsupported_grant_type");
    }
    // One exchange per code, whatever its outcome.
    let Some(p) = issuer.codes.lock().expect("codes").remove(&f.code) else {
        return token_error("invalid_grant");
    };
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(f.code_verifier.as_bytes()));
    if p.issued.elapsed() > CODE_LIFETIME
        || p.redirect_uri != f.redirect_uri
        || challenge != p.challenge
    {
        return token_error("invalid_grant");
    }
    let who = &p.person;
    let access = issuer.auth.mint(
        who.role,
        &who.org,
        &who.user,
        who.org_name.as_deref(),
        TOKEN_HOURS,
    );
    Json(serde_json::json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": TOKEN_HOURS * 3600,
    }))
    .into_response()
}

/// The local issuer's routes, for a stack reachable at `origin`.
pub fn routes(auth: LocalAuth, origin: &str) -> Router {
    let issuer = Issuer {
        auth,
        origin: origin.trim_end_matches('/').to_owned(),
        codes: Arc::default(),
        sessions: Arc::default(),
    };
    let documents = issuer.auth.clone();
    Router::new()
        .route(AUTHORIZE_PATH, get(authorize).post(choose))
        .route(TOKEN_PATH, post(token))
        .with_state(issuer)
        .route(
            &format!("{}/{{provider}}/{{*document}}", local_token::IDP_PATH),
            get(move |uri: axum::http::Uri| async move { document(&documents, &uri) }),
        )
}

/// An issuer's discovery document or key set, as a real issuer publishes them.
fn document(auth: &LocalAuth, uri: &axum::http::Uri) -> Response {
    match auth.document(&format!("{}{}", auth.origin(), uri.path())) {
        Some(d) => ([(header::CACHE_CONTROL, "public, max-age=300")], Json(d)).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The web app's configuration for a local stack at `origin`: this issuer, marked local.
pub fn web_config(origin: &str) -> web::WebConfig {
    let origin = origin.trim_end_matches('/');
    // One local sign-in page serves both issuers (the role chosen decides whose token it is).
    let provider = |p: cpindex::claims::Provider| web::SignIn {
        id: p.as_str().into(),
        label: web::SignIn::label(p).into(),
        issuer: local_token::issuer_url(origin, p),
        client_id: CLIENT_ID.into(),
        authorize_url: format!("{origin}{AUTHORIZE_PATH}"),
        token_url: format!("{origin}{TOKEN_PATH}"),
        scope: "openid".into(),
    };
    web::WebConfig {
        providers: cpindex::claims::Provider::ALL.map(provider).to_vec(),
        local: true,
    }
}
