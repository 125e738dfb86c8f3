//! The samples on disk.

use super::*;

/// Every file under `events/` (its path relative to it, `/`-separated), but the folder's README.
pub(crate) fn samples() -> Vec<String> {
    pub(crate) fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) {
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let relative = format!("{prefix}{name}");
            if entry.path().is_dir() {
                walk(&entry.path(), &format!("{relative}/"), out);
            } else if relative != "README.md" {
                out.push(relative);
            }
        }
    }
    let mut out = Vec::new();
    walk(&repo_path("events"), "", &mut out);
    out.sort();
    out
}

pub(crate) fn read_sample(sample: &str) -> String {
    std::fs::read_to_string(repo_path(&format!("events/{sample}")))
        .unwrap_or_else(|e| panic!("cannot read events/{sample}: {e}"))
}

/// The function a sample is for: its folder is the function's binary name.
pub(crate) fn function_of(sample: &str) -> Result<FunctionDef, String> {
    let Some((folder, file)) = sample.split_once('/') else {
        return Err(format!(
            "{sample}: not in a function's folder (events/<binary>/<name>.json)"
        ));
    };
    if file.contains('/') || !file.ends_with(".json") {
        return Err(format!(
            "{sample}: samples are events/<binary>/<name>.json, one level deep"
        ));
    }
    FUNCTIONS
        .iter()
        .find(|f| f.binary == folder)
        .copied()
        .ok_or_else(|| {
            format!("{sample}: folder {folder} is not the binary of a function in FUNCTIONS")
        })
}

/// Whether the expectation's kind of answer fits how the function is invoked.
pub(crate) fn fits(f: FunctionDef, expect: Expect) -> bool {
    matches!(
        (f.trigger, expect),
        (Trigger::Http, Expect::Status(_))
            | (Trigger::Queue { .. }, Expect::Failed(_))
            | (Trigger::Schedule, Expect::Run)
    )
}

/// Checks a sample that needs no emulator: it is JSON, names its function's route or queue the
/// way AWS would, and its NHS numbers are test-range or published examples.
pub(crate) fn shape_problems(sample: &str, f: FunctionDef) -> Vec<String> {
    let text = read_sample(sample);
    let mut p = nhs_number_problems(sample, &text);
    let event: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            p.push(format!("{sample}: not JSON: {e}"));
            return p;
        }
    };
    match f.trigger {
        Trigger::Http => p.extend(http_event_problems(sample, f, &event)),
        Trigger::Queue { queue, .. } => {
            let records = event["Records"].as_array().cloned().unwrap_or_default();
            if records.is_empty() {
                p.push(format!("{sample}: an SQS event needs Records"));
            }
            let mut ids = BTreeSet::new();
            for (i, r) in records.iter().enumerate() {
                let id = r["messageId"].as_str().unwrap_or_default();
                if !ids.insert(id.to_owned()) || id.is_empty() {
                    p.push(format!(
                        "{sample}: record {i} has a missing or repeated messageId"
                    ));
                }
                if r["eventSource"] != "aws:sqs" || !r["body"].is_string() {
                    p.push(format!(
                        "{sample}: record {i} is not an SQS record with a body"
                    ));
                }
                let arn = r["eventSourceARN"].as_str().unwrap_or_default();
                if !arn.starts_with("arn:aws:sqs:") || !arn.ends_with(&format!("-{}", queue.suffix))
                {
                    p.push(format!(
                        "{sample}: record {i} comes from {arn}, not the {} queue",
                        queue.suffix
                    ));
                }
                let count = r["attributes"]["ApproximateReceiveCount"].as_str();
                if count.and_then(|c| c.parse::<u32>().ok()).is_none() {
                    p.push(format!(
                        "{sample}: record {i} lacks attributes.ApproximateReceiveCount"
                    ));
                }
            }
        }
        Trigger::Schedule => {
            if event["source"] != "aws.events" || event["detail-type"] != "Scheduled Event" {
                p.push(format!(
                    "{sample}: not an EventBridge scheduled event (source aws.events, \
                     detail-type Scheduled Event)"
                ));
            }
        }
    }
    p
}

/// Every ten-digit number that passes the NHS check digit must be a test-range number (999...) or
/// one of the published examples: no real person's number in a sample.
pub(crate) fn nhs_number_problems(sample: &str, text: &str) -> Vec<String> {
    let mut p = Vec::new();
    // Words of letters and digits: a digit run inside a hex digest or an id is not a number.
    for word in text.split(|c: char| !c.is_ascii_alphanumeric()) {
        let digits_only = word.len() == 10 && word.bytes().all(|b| b.is_ascii_digit());
        let allowed = word.starts_with("999") || PUBLISHED_EXAMPLES.contains(&word);
        if digits_only && NhsNumber::parse(word).is_ok() && !allowed {
            p.push(format!(
                "{sample}: {word} is a valid NHS number outside the test range (999...) and the \
                 published examples {PUBLISHED_EXAMPLES:?}"
            ));
        }
    }
    p
}

/// The path parameters of a route template.
pub(crate) fn path_params(template: &str) -> Vec<&str> {
    template
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .collect()
}

/// An HTTP sample is what API Gateway sends for one of its function's routes: payload 2.0, the
/// route key of a ROUTES entry of this function, a path that fills the route's template with the
/// path parameters, and the authorizer's claims.
pub(crate) fn http_event_problems(sample: &str, f: FunctionDef, e: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let mut expect = |ok: bool, what: String| {
        if !ok {
            p.push(format!("{sample}: {what}"));
        }
    };
    expect(e["version"] == "2.0", "version is not 2.0".into());
    let route_key = e["routeKey"].as_str().unwrap_or_default();
    expect(
        e["requestContext"]["routeKey"] == route_key,
        "routeKey and requestContext.routeKey differ".into(),
    );
    if f == routes::WEB {
        // The web app's pages: public GETs, without an authorizer's claims.
        let public = routes::WEB_ROUTES
            .iter()
            .any(|path| format!("GET {path}") == route_key);
        expect(
            public,
            format!("routeKey `{route_key}` is not a web page route"),
        );
        expect(
            e["requestContext"]["authorizer"].is_null(),
            "a web page request carries no authorizer context".into(),
        );
        return p;
    }
    let route = ROUTES
        .iter()
        .find(|r| format!("{} {}", r.method, r.path) == route_key);
    let Some(route) = route else {
        expect(
            false,
            format!("routeKey `{route_key}` is not a route in ROUTES"),
        );
        return p;
    };
    expect(
        route.function == f,
        format!(
            "route {route_key} is served by {}, not {}",
            route.function.binary, f.binary
        ),
    );
    expect(
        e["requestContext"]["http"]["method"] == route.method,
        "requestContext.http.method is not the route's method".into(),
    );
    let raw_path = e["rawPath"].as_str().unwrap_or_default();
    expect(
        e["requestContext"]["http"]["path"] == raw_path,
        "rawPath and requestContext.http.path differ".into(),
    );
    let mut filled = route.path.to_owned();
    for name in path_params(route.path) {
        match e["pathParameters"][name].as_str() {
            Some(v) => filled = filled.replace(&format!("{{{name}}}"), v),
            None => expect(false, format!("pathParameters.{name} is missing")),
        }
    }
    let declared = e["pathParameters"].as_object().map_or(0, |m| m.len());
    expect(
        declared == path_params(route.path).len(),
        "pathParameters has parameters the route does not".into(),
    );
    expect(
        filled == raw_path,
        format!("rawPath {raw_path} does not fill {} ({filled})", route.path),
    );
    let claims = &e["requestContext"]["authorizer"]["jwt"]["claims"];
    for claim in ["org", "role", "sub"] {
        expect(
            claims[claim].is_string(),
            format!("requestContext.authorizer.jwt.claims.{claim} is missing"),
        );
    }
    let has_body = e["body"].is_string();
    let body_type = if route.takes_csv() {
        "text/csv"
    } else {
        "application/json"
    };
    expect(
        has_body == (e["headers"]["content-type"] == body_type),
        format!("a body goes with content-type {body_type}, and only a body"),
    );
    p
}
