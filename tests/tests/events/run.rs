//! Running one sample.

use super::*;

/// Runs one sample in a fresh world; returns every way it disagrees with its expectation.
/// Runs one sample; returns the problems and the IAM actions its handler's requests needed.
pub(crate) async fn run_sample(
    e: &Expectation,
    openapi: &Value,
) -> (Vec<String>, BTreeSet<String>) {
    let sample = e.sample;
    let f = match function_of(sample) {
        Ok(f) => f,
        Err(problem) => return (vec![problem], BTreeSet::new()),
    };
    let text = read_sample(sample);
    let world = World::new().await;
    world.prepare(e.prep).await;
    world.recorder.take();
    let (answer, mut p) = match (f.trigger, e.expect) {
        (Trigger::Http, Expect::Status(status)) => {
            http_sample(&world, f, sample, &text, status, openapi).await
        }
        (Trigger::Queue { .. }, Expect::Failed(ids)) => {
            queue_sample(&world, f, sample, &text, ids).await
        }
        (Trigger::Schedule, Expect::Run) => match world.reconciler().run(budget()).await {
            Ok(outcome) => (serde_json::to_value(outcome).unwrap(), Vec::new()),
            Err(err) => (
                Value::Null,
                vec![format!("{sample}: the run failed: {err:?}")],
            ),
        },
        (_, expect) => {
            return (
                vec![format!(
                    "{sample}: expects {expect:?}, which {} ({:?}) cannot answer",
                    f.binary, f.trigger
                )],
                BTreeSet::new(),
            )
        }
    };
    let issued = world
        .recorder
        .take()
        .iter()
        .map(|s| s.iam_action())
        .collect();
    for fact in &e.facts {
        match fact {
            Fact::Is(pointer, want) => {
                let got = answer.pointer(pointer);
                if got != Some(want) {
                    p.push(format!(
                        "{sample}: {pointer} is {got:?}, expected {want} (answer: {answer})"
                    ));
                }
            }
            Fact::Len(pointer, want) => {
                let got = answer
                    .pointer(pointer)
                    .and_then(Value::as_array)
                    .map(Vec::len);
                if got != Some(*want) {
                    p.push(format!(
                        "{sample}: {pointer} holds {got:?} entries, expected {want} (answer: \
                         {answer})"
                    ));
                }
            }
        }
    }
    p.extend(world.after_problems(sample, &e.after).await);
    (p, issued)
}

/// Turns the sample into a request exactly as `lambda_http::run` does and sends it through the
/// function's router. Returns the body and the problems.
pub(crate) async fn http_sample(
    world: &World,
    f: FunctionDef,
    sample: &str,
    text: &str,
    status: u16,
    openapi: &Value,
) -> (Value, Vec<String>) {
    let mut p = Vec::new();
    let req = match lambda_http::request::from_str(text) {
        Ok(req) => req,
        Err(e) => {
            return (
                Value::Null,
                vec![format!("{sample}: lambda_http refuses it: {e}")],
            )
        }
    };
    let route_key = match req.extensions().get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.route_key.clone().unwrap_or_default(),
        other => {
            let kind = other.map(|_| "another").unwrap_or("no");
            return (
                Value::Null,
                vec![format!(
                    "{sample}: lambda_http reads {kind} request context, not API Gateway v2"
                )],
            );
        }
    };
    let Some(router) = world.router(f) else {
        return (
            Value::Null,
            vec![format!(
                "{sample}: this test has no router for {}",
                f.binary
            )],
        );
    };
    let resp = router.oneshot(req).await.expect("routers are infallible");
    let got = resp.status().as_u16();
    if f == routes::WEB {
        if got != status {
            p.push(format!("{sample}: answered {got}, expected {status}"));
        }
        let csp = resp
            .headers()
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !csp.starts_with("default-src 'none'") {
            p.push(format!(
                "{sample}: no strict Content-Security-Policy ({csp:?})"
            ));
        }
        return (Value::Null, p);
    }
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let body: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(_) => {
            p.push(format!(
                "{sample}: the body is not JSON: {}",
                String::from_utf8_lossy(&bytes)
            ));
            Value::Null
        }
    };
    if got != status {
        p.push(format!(
            "{sample}: answered {got}, expected {status}: {body}"
        ));
    }
    let fhir = route_key.contains(cpindex::fhir::BASE);
    let want_type = if fhir {
        cpindex::fhir::FHIR_JSON
    } else if got < 400 {
        "application/json"
    } else {
        cpindex::problem::PROBLEM_JSON
    };
    if content_type != want_type {
        p.push(format!(
            "{sample}: content-type is {content_type:?}, expected {want_type}"
        ));
    }
    p.extend(
        contract_problems(openapi, &route_key, got, want_type, &body)
            .into_iter()
            .map(|problem| format!("{sample}: {problem}")),
    );
    (body, p)
}

/// Hands the SQS batch to the consumer's `handle`, as its `main.rs` does.
pub(crate) async fn queue_sample(
    world: &World,
    f: FunctionDef,
    sample: &str,
    text: &str,
    failed: &[&str],
) -> (Value, Vec<String>) {
    let event: Value = serde_json::from_str(text).unwrap();
    let response = if f == routes::ALERT_FANOUT {
        world.fanout().handle(&event).await
    } else if f == routes::ALERT_DELIVERY {
        world.delivery().handle(&event).await
    } else {
        return (
            Value::Null,
            vec![format!(
                "{sample}: this test has no consumer for {}",
                f.binary
            )],
        );
    };
    let mut p = Vec::new();
    let got: BTreeSet<&str> = adapters::sqs_batch::failed_ids(&response)
        .into_iter()
        .collect();
    let want: BTreeSet<&str> = failed.iter().copied().collect();
    if got != want {
        p.push(format!(
            "{sample}: batchItemFailures name {got:?}, expected {want:?}"
        ));
    }
    // The messages expected to fail are the poison ones: their bodies are not even JSON.
    for r in event["Records"].as_array().into_iter().flatten() {
        let id = r["messageId"].as_str().unwrap_or_default();
        let poison = serde_json::from_str::<Value>(r["body"].as_str().unwrap_or_default()).is_err();
        if poison != want.contains(id) {
            p.push(format!(
                "{sample}: message {id} is {}poison but is {}expected to fail",
                if poison { "" } else { "not " },
                if want.contains(id) { "" } else { "not " }
            ));
        }
    }
    (serde_json::to_value(&response).unwrap(), p)
}
