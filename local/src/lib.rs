//! The local stack: the same resources and handlers as in AWS, on a laptop. An HTTP server plays
//! API Gateway (verifies each route's provider's signed JWT and passes its claims in the same
//! request context) in front of the functions' own routers.

pub mod auth;
pub mod consumers;
pub mod demo;
pub mod oidc;
pub mod poller;
pub mod receiver;
pub mod snapshot;

use std::path::PathBuf;

use adapters::edge::ApiError;
use adapters::queue::SqsQueue;
use adapters::store::Table;
use aws_sdk_dynamodb::Client as DynamoClient;
use aws_sdk_sqs::Client as SqsClient;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use cpindex::config::CallTimeouts;
use cpindex::keys::{ALERT_DELIVERY_QUEUE, ALERT_FANOUT_QUEUE, TABLE};
use cpindex::problem::{ErrorCode, Problem};
use cpindex::profile::WebhookPolicy;
use cpindex::{Retention, SystemClock};
use serde_json::json;

use crate::auth::{gateway_context, Authorizers, LocalAuth};
use cpindex::claims::Provider;

/// Stack name used for local resource names.
pub const LOCAL_STACK: &str = "cpindex-local";
/// The OpenAPI contract, served at `/openapi.yaml`.
pub const OPENAPI: &str = include_str!("../../infra/openapi.yaml");

/// Where the local stack listens and finds the emulator.
#[derive(Debug, Clone)]
pub struct LocalSettings {
    pub port: u16,
    pub emulator_url: String,
    /// Where the local signing secret lives (`.local/` in the clone).
    pub state_dir: PathBuf,
}

impl LocalSettings {
    pub fn from_env() -> Result<Self, String> {
        let port = match std::env::var("PORT") {
            Ok(p) => p
                .parse()
                .map_err(|_| format!("PORT `{p}` is not a port number"))?,
            Err(_) => 3000,
        };
        let emulator_url =
            std::env::var("EMULATOR_URL").unwrap_or_else(|_| "http://127.0.0.1:4566".into());
        let state_dir = std::env::var("CPINDEX_STATE_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|_| PathBuf::from(".local"));
        Ok(Self {
            port,
            emulator_url,
            state_dir,
        })
    }
}

/// The resources the local stack created, and clients to reach them.
#[derive(Clone)]
pub struct Stack {
    pub dynamo: DynamoClient,
    pub sqs: SqsClient,
    pub table: String,
    pub fanout_queue: String,
    pub delivery_queue: String,
    pub delivery_dlq: String,
    /// Webhook signing secrets (`<state dir>/secrets`), read by delivery and the local receiver.
    pub secrets_dir: PathBuf,
    /// The child key secret (`<state dir>/child-key`, 0600), as Secrets Manager holds it in AWS.
    pub keys: cpindex::Keyring,
    /// The hourly lookup cap: `LOOKUP_CAP_PER_HOUR`, read as the deployed lookup reads it.
    pub usage_cap: cpindex::usage::UsageCap,
}

/// Creates the table and queues (idempotent: a second start reuses them).
pub async fn bootstrap_resources(
    settings: &LocalSettings,
) -> Result<Stack, Box<dyn std::error::Error>> {
    let sdk = adapters::aws::for_emulator(&settings.emulator_url, CallTimeouts::default());
    let dynamo = DynamoClient::new(&sdk);
    let sqs = SqsClient::new(&sdk);
    let table = format!("{LOCAL_STACK}-index");
    adapters::bootstrap::create_table(&dynamo, &table, &TABLE).await?;
    let fanout = adapters::bootstrap::create_queue(&sqs, LOCAL_STACK, &ALERT_FANOUT_QUEUE).await?;
    let delivery =
        adapters::bootstrap::create_queue(&sqs, LOCAL_STACK, &ALERT_DELIVERY_QUEUE).await?;
    let secrets_dir = settings.state_dir.join("secrets");
    std::fs::create_dir_all(&secrets_dir)?;
    let keys = cpindex::Keyring::from_secret(&local_token::load_or_create_secret(
        &settings.state_dir,
        local_token::CHILD_KEY_FILE,
    )?)?;
    Ok(Stack {
        dynamo,
        sqs,
        table,
        fanout_queue: fanout.queue,
        delivery_queue: delivery.queue,
        delivery_dlq: delivery.dlq,
        secrets_dir,
        keys,
        usage_cap: cpindex::config::usage_cap()?,
    })
}

/// `POST /local/overdue/escalate` `{"minutesAhead": n}` (the local stack only, like its webhook
/// receiver): the escalation step as it would run `n` minutes from now (0 to a week), so the
/// browser suite sees an alert fall overdue without waiting an hour.
async fn escalate_ahead(
    axum::extract::State((stack, retention)): axum::extract::State<(Stack, Retention)>,
    axum::Json(body): axum::Json<serde_json::Value>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let minutes = body["minutesAhead"]
        .as_i64()
        .filter(|m| (0..=7 * 24 * 60).contains(m))
        .unwrap_or(0);
    let at = chrono::Utc::now() + chrono::Duration::minutes(minutes);
    match reconciler(&stack, retention)
        .escalate_overdue_alerts(at)
        .await
    {
        Ok(n) => axum::Json(serde_json::json!({"escalated": n})).into_response(),
        Err(e) => {
            tracing::warn!(error = %cpindex::log::chain(&e), "local escalation failed");
            axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// The reconciler over the local resources (used by the scheduler and the operator routes).
pub fn reconciler(stack: &Stack, retention: Retention) -> reconcile::Reconciler<SystemClock> {
    // Bulk timeouts, as in AWS: a scan page may take seconds, the clinical path never should.
    let bulk = stack
        .dynamo
        .config()
        .to_builder()
        .timeout_config(
            aws_sdk_dynamodb::config::timeout::TimeoutConfig::builder()
                .operation_attempt_timeout(CallTimeouts::bulk().attempt)
                .operation_timeout(CallTimeouts::bulk().operation)
                .build(),
        )
        .build();
    reconcile::Reconciler::new(
        Table::new(DynamoClient::from_conf(bulk), &stack.table),
        SqsQueue::new(stack.sqs.clone(), &stack.fanout_queue),
        SqsQueue::new(stack.sqs.clone(), &stack.delivery_queue),
        SqsQueue::new(stack.sqs.clone(), &stack.delivery_dlq),
        retention,
        SystemClock,
    )
}

/// Plays the EventBridge schedule: a reconciliation step every `every`.
pub async fn schedule_reconciliation(
    stack: Stack,
    retention: Retention,
    every: std::time::Duration,
) {
    let r = reconciler(&stack, retention);
    loop {
        tokio::time::sleep(every).await;
        let budget = reconcile::Budget {
            deadline: std::time::Instant::now() + every,
            max_pages: None,
        };
        match r.run(budget).await {
            Ok(o) => {
                tracing::info!(run_id = %o.run_id, complete = o.complete, redriven = o.alerts_redriven, "scheduled reconciliation")
            }
            Err(e) => {
                tracing::warn!(error = %cpindex::log::chain(&e), "scheduled reconciliation failed; it resumes next time")
            }
        }
    }
}

/// `GET /health`: 200 when the table and queue answer, 503 (with Retry-After) when not.
async fn health(State(stack): State<Stack>) -> Response {
    let store = stack
        .dynamo
        .describe_table()
        .table_name(&stack.table)
        .send()
        .await
        .is_ok();
    let queue = stack
        .sqs
        .get_queue_attributes()
        .queue_url(&stack.fanout_queue)
        .send()
        .await
        .is_ok();
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    let body =
        Json(json!({"status": word(store && queue), "store": word(store), "queue": word(queue)}));
    if store && queue {
        (StatusCode::OK, body).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "2")],
            body,
        )
            .into_response()
    }
}

/// Plays the JWT authorizers: no bearer token valid for the route's provider (its roles'
/// issuer), no request reaches a function.
async fn authorize(
    State(authorizers): State<Authorizers>,
    mut req: Request,
    next: Next,
) -> Response {
    let provider = route_provider(&req);
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let claims = match token.map(|t| authorizers.verify(provider, t)) {
        Some(Ok(claims)) => claims,
        // Local mode only: say why, so a developer can fix it (API Gateway says less).
        Some(Err(e)) => {
            return ApiError::from(Problem::new(ErrorCode::Unauthenticated).detail(e.to_string()))
                .into_response()
        }
        None => {
            return ApiError::from(
                Problem::new(ErrorCode::Unauthenticated)
                    .detail("no bearer token: send `Authorization: Bearer <token>` (make token)"),
            )
            .into_response()
        }
    };
    let context = gateway_context(req.method().as_str(), req.uri().path(), Some(claims));
    req.extensions_mut().insert(context);
    next.run(req).await
}

/// The provider whose authorizer guards the route `req` is for (the route of the same path for
/// a method it does not serve, whose answer is then 405), as API Gateway picks a route.
fn route_provider(req: &Request) -> Provider {
    let path = req.uri().path();
    let same_path = || {
        cpindex::routes::ROUTES
            .iter()
            .filter(|r| template_matches(r.path, path))
    };
    same_path()
        .find(|r| r.method == req.method().as_str())
        .or_else(|| same_path().next())
        .map_or(Provider::Staff, |r| r.provider())
}

/// Whether `path` fits the route template (`{param}` matches one non-empty segment).
fn template_matches(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter().zip(&p).all(|(t, p)| {
            if t.starts_with('{') && t.ends_with('}') {
                !p.is_empty()
            } else {
                t == p
            }
        })
}

/// The issuers the functions trust locally: the stack's own two, as the template configures
/// the real ones (NHS staff's tokens in CIS2's shape).
pub fn local_issuers(auth: &LocalAuth) -> adapters::edge::TrustedIssuers {
    use adapters::edge::{TokenClaims, TrustedIssuer};
    adapters::edge::TrustedIssuers(
        Provider::ALL
            .into_iter()
            .map(|provider| TrustedIssuer {
                provider,
                issuer: auth.issuer(provider),
                audience: crate::auth::LOCAL_AUDIENCE.into(),
                claims: match provider {
                    Provider::Nhs => TokenClaims::Cis2,
                    Provider::Staff => TokenClaims::Roles,
                },
            })
            .collect(),
    )
}

/// Every route the local stack serves: the functions behind the authorizer, plus health, the
/// OpenAPI contract, the web app (as the `web` function serves it) and the local sign-in, for a
/// stack reachable at `origin` (`http://127.0.0.1:<port>`).
pub fn router(stack: Stack, auth: LocalAuth, retention: Retention, origin: &str) -> Router {
    let authorizers = Authorizers::trusting(&auth).expect("the stack's own issuers' documents");
    let table = Table::new(stack.dynamo.clone(), &stack.table);
    let inbox = inbox::routes(
        inbox::App::new(
            table.clone(),
            retention,
            SystemClock,
            WebhookPolicy::LocalHttpAllowed,
        )
        .checking_webhook_secrets(
            adapters::secrets::FileSecrets(stack.secrets_dir.clone()),
            receiver::WEBHOOK_SECRET_PREFIX,
        ),
    );
    let queue = SqsQueue::new(stack.sqs.clone(), &stack.fanout_queue);
    let functions = Router::new()
        .merge(plan_upsert::routes(
            plan_upsert::App::new(table.clone(), stack.keys.clone(), retention, SystemClock)
                .with_delivery(SqsQueue::new(stack.sqs.clone(), &stack.delivery_queue))
                .with_fanout(queue.clone()),
        ))
        .merge(lookup::routes(
            lookup::App::new(
                table.clone(),
                queue,
                stack.keys.clone(),
                retention,
                SystemClock,
            )
            .with_usage_cap(stack.usage_cap),
        ))
        .merge(inbox)
        .merge(reports::routes(
            reports::App::new(table.clone(), SystemClock).with_usage_cap(stack.usage_cap),
        ))
        .merge(reconcile::ops::routes(reconciler(&stack, retention)));
    // The same check the deployed functions make, against the local issuers, behind (so after)
    // the authorizers.
    let functions = adapters::edge::trusting(functions, local_issuers(&auth))
        .layer(middleware::from_fn_with_state(authorizers, authorize));
    Router::new()
        .merge(web::router(oidc::web_config(origin)))
        .merge(oidc::routes(auth, origin))
        .route("/health", get(health).with_state(stack.clone()))
        .route(
            "/openapi.yaml",
            get(|| async { ([(header::CONTENT_TYPE, "application/yaml")], OPENAPI) }),
        )
        .route(
            "/local/webhooks/{org}",
            axum::routing::post(receiver::receive).with_state(stack.secrets_dir.clone()),
        )
        .route(
            "/local/overdue/escalate",
            axum::routing::post(escalate_ahead).with_state((stack.clone(), retention)),
        )
        .merge(functions)
        .fallback(adapters::edge::not_found)
        .layer(middleware::from_fn(adapters::edge::problems_only))
        .layer(middleware::from_fn(lookup::fhir_routes::outcomes_only))
        .layer(axum::middleware::from_fn(adapters::edge::api_headers))
}
