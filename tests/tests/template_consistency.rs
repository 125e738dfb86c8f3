//! The SAM template (`infra/template.yaml`) and the OpenAPI contract (`infra/openapi.yaml`) agree
//! with the code's one definition of functions, routes, table, queues and error codes.
//!
//! Needs no emulator: it only reads the two files. Each check collects every disagreement it finds
//! (naming what disagrees) instead of stopping at the first, and the `a_*` tests at the bottom
//! break a copy of the template or contract on purpose to prove each check can fail.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use cpindex::config::env;
use cpindex::keys::{QueueDef, ALERT_DELIVERY_QUEUE, QUEUES, TABLE};
use cpindex::plan::Retention;
use cpindex::problem::ErrorCode;
use cpindex::routes::{self, Trigger, FUNCTIONS, ROUTES};
use serde_norway::Value;

// ---------------------------------------------------------------------------------------------
// Reading YAML with CloudFormation's short-form tags (!Ref, !GetAtt, !Sub, !If ...).
// ---------------------------------------------------------------------------------------------

fn repo_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
}

fn load(relative: &str) -> Value {
    let path = repo_path(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{relative} is not valid YAML: {e}"))
}

fn template() -> Value {
    load("infra/template.yaml")
}

fn openapi() -> Value {
    load("infra/openapi.yaml")
}

/// The value under a path of mapping keys, if every step exists.
fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, key| v.as_mapping()?.get(*key))
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(v, path)?.as_str()
}

/// A whole number written as a YAML number or a numeric string.
fn as_u64(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| v.as_str()?.parse().ok())
}

/// The argument of an intrinsic function in short form (`!Sub x`) or long form (`{Fn::Sub: x}`).
/// `name` is the short name: `Ref`, `GetAtt`, `Sub`, `If`.
fn intrinsic<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    match v {
        Value::Tagged(tagged) if tagged.tag == name => Some(&tagged.value),
        Value::Mapping(m) if m.len() == 1 => {
            let long = if name == "Ref" {
                "Ref".to_owned()
            } else {
                format!("Fn::{name}")
            };
            m.get(long.as_str())
        }
        _ => None,
    }
}

/// `X` of `!Ref X`.
fn ref_target(v: &Value) -> Option<&str> {
    intrinsic(v, "Ref")?.as_str()
}

/// `(Resource, Attribute)` of `!GetAtt Resource.Attribute` or `!GetAtt [Resource, Attribute]`.
fn getatt_target(v: &Value) -> Option<(String, String)> {
    match intrinsic(v, "GetAtt")? {
        Value::String(s) => {
            let (resource, attribute) = s.split_once('.')?;
            Some((resource.to_owned(), attribute.to_owned()))
        }
        Value::Sequence(parts) if parts.len() == 2 => {
            Some((parts[0].as_str()?.to_owned(), parts[1].as_str()?.to_owned()))
        }
        _ => None,
    }
}

/// The string of `!Sub "..."` (the single-argument form).
fn sub_string(v: &Value) -> Option<&str> {
    intrinsic(v, "Sub")?.as_str()
}

/// Shows a value in problem messages.
fn show(v: Option<&Value>) -> String {
    match v {
        None => "<absent>".to_owned(),
        Some(v) => serde_norway::to_string(v)
            .map(|s| s.trim().replace('\n', " "))
            .unwrap_or_else(|_| format!("{v:?}")),
    }
}

/// Fails with every problem listed, one a line.
fn assert_none(what: &str, problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{what} disagrees with the code:\n  - {}",
        problems.join("\n  - ")
    );
}

/// Checks one expectation, recording a problem that names what disagrees.
fn expect(problems: &mut Vec<String>, ok: bool, message: impl FnOnce() -> String) {
    if !ok {
        problems.push(message());
    }
}

// ---------------------------------------------------------------------------------------------
// The template's parts.
// ---------------------------------------------------------------------------------------------

/// Logical ids of the resources of one type, in template order.
fn resources_of_type<'a>(t: &'a Value, kind: &str) -> Vec<(&'a str, &'a Value)> {
    at(t, &["Resources"])
        .and_then(Value::as_mapping)
        .map(|m| {
            m.iter()
                .filter(|(_, r)| str_at(r, &["Type"]) == Some(kind))
                .filter_map(|(id, r)| Some((id.as_str()?, r)))
                .collect()
        })
        .unwrap_or_default()
}

const SERVERLESS_FUNCTION: &str = "AWS::Serverless::Function";

/// A function property, falling back to `Globals.Function` as SAM does.
fn function_prop<'a>(t: &'a Value, function: &'a Value, key: &str) -> Option<&'a Value> {
    at(function, &["Properties", key]).or_else(|| at(t, &["Globals", "Function", key]))
}

/// A function's environment variables, `Globals` merged under its own (as SAM merges maps).
fn function_env<'a>(t: &'a Value, function: &'a Value) -> BTreeMap<String, &'a Value> {
    let mut vars = BTreeMap::new();
    for source in [
        at(t, &["Globals", "Function", "Environment", "Variables"]),
        at(function, &["Properties", "Environment", "Variables"]),
    ]
    .into_iter()
    .flatten()
    {
        if let Some(m) = source.as_mapping() {
            for (k, v) in m {
                if let Some(k) = k.as_str() {
                    vars.insert(k.to_owned(), v);
                }
            }
        }
    }
    vars
}

/// A function's timeout in seconds (SAM's default is 3).
fn function_timeout(t: &Value, function: &Value) -> u64 {
    function_prop(t, function, "Timeout")
        .and_then(as_u64)
        .unwrap_or(3)
}

/// Every event of every serverless function: (function id, event name, event).
fn function_events(t: &Value) -> Vec<(&str, &str, &Value)> {
    let mut events = Vec::new();
    for (id, f) in resources_of_type(t, SERVERLESS_FUNCTION) {
        if let Some(m) = at(f, &["Properties", "Events"]).and_then(Value::as_mapping) {
            for (name, event) in m {
                events.push((id, name.as_str().unwrap_or("?"), event));
            }
        }
    }
    events
}

/// `alert-fanout` -> `AlertFanout`: the queue's logical-id stem.
fn pascal(suffix: &str) -> String {
    suffix
        .split(['-', '_'])
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn queue_id(q: &QueueDef) -> String {
    format!("{}Queue", pascal(q.suffix))
}

fn dlq_id(q: &QueueDef) -> String {
    format!("{}Dlq", pascal(q.suffix))
}

const STACK: &str = "${AWS::StackName}";

// ---------------------------------------------------------------------------------------------
// Checks. Each returns every disagreement it finds.
// ---------------------------------------------------------------------------------------------

/// The manifest of the crate under `functions/` that builds `binary`: a package of that name
/// (its `src/main.rs`), an explicit `[[bin]]` of that name, or a `src/bin/<binary>.rs` (how the
/// `ops` binary shares the reconcile crate).
fn crate_building(binary: &str) -> Option<PathBuf> {
    let crates = std::fs::read_dir(repo_path("functions")).ok()?;
    crates.flatten().map(|c| c.path()).find_map(|dir| {
        let manifest = dir.join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest).ok()?;
        let named = text.contains(&format!("name = \"{binary}\""));
        let auto_bin = dir
            .join("src")
            .join("bin")
            .join(format!("{binary}.rs"))
            .is_file();
        (named || auto_bin).then_some(manifest)
    })
}

/// Every FUNCTIONS entry is a Rust function of the template with its binary and exactly its env
/// vars, and the template has no function the code does not know.
fn function_problems(t: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let in_template: BTreeSet<&str> = resources_of_type(t, SERVERLESS_FUNCTION)
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let in_code: BTreeSet<&str> = FUNCTIONS.iter().map(|f| f.logical_id).collect();
    for extra in in_template.difference(&in_code) {
        p.push(format!(
            "template function {extra} is not in cpindex::routes::FUNCTIONS"
        ));
    }

    for f in FUNCTIONS {
        let id = f.logical_id;
        let Some(r) = at(t, &["Resources", id]) else {
            p.push(format!(
                "function {id} ({}) is missing from the template",
                f.binary
            ));
            continue;
        };
        expect(
            &mut p,
            str_at(r, &["Type"]) == Some(SERVERLESS_FUNCTION),
            || format!("{id}: Type is {}", show(at(r, &["Type"]))),
        );
        expect(
            &mut p,
            str_at(r, &["Metadata", "BuildMethod"]) == Some("rust-cargolambda"),
            || {
                format!(
                    "{id}: Metadata.BuildMethod is {}, expected rust-cargolambda",
                    show(at(r, &["Metadata", "BuildMethod"]))
                )
            },
        );
        let binary = str_at(r, &["Metadata", "BuildProperties", "Binary"]);
        expect(&mut p, binary == Some(f.binary), || {
            format!(
                "{id}: BuildProperties.Binary is {}, the code says {}",
                show(at(r, &["Metadata", "BuildProperties", "Binary"])),
                f.binary
            )
        });
        expect(&mut p, crate_building(f.binary).is_some(), || {
            format!(
                "{id}: no crate under functions/ builds a binary {} (a package of that name, a \
                 [[bin]] of that name, or src/bin/{}.rs)",
                f.binary, f.binary
            )
        });
        for (key, want) in [
            ("CodeUri", "../"),
            ("Runtime", "provided.al2023"),
            ("Handler", "bootstrap"),
        ] {
            let got = function_prop(t, r, key);
            expect(&mut p, got.and_then(Value::as_str) == Some(want), || {
                format!("{id}: {key} is {}, expected {want}", show(got))
            });
        }

        let vars = function_env(t, r);
        let got: BTreeSet<&str> = vars.keys().map(String::as_str).collect();
        let want: BTreeSet<&str> = f.env.iter().copied().collect();
        for missing in want.difference(&got) {
            p.push(format!(
                "{id}: env var {missing} is read by the code but not set"
            ));
        }
        for extra in got.difference(&want) {
            p.push(format!(
                "{id}: env var {extra} is set but not in the code's FunctionDef.env"
            ));
        }
    }
    p
}

/// The data-plane actions a function's role grants (every statement of its policies whose
/// action is DynamoDB, SQS or Secrets Manager).
fn granted_actions<'a>(t: &'a Value, function: &'a Value) -> BTreeSet<&'a str> {
    let role = function_prop(t, function, "Role")
        .and_then(getatt_target)
        .map(|(role, _)| role);
    let policies = role
        .and_then(|role| at(t, &["Resources", role.as_str(), "Properties", "Policies"]))
        .or_else(|| at(function, &["Properties", "Policies"]));
    let mut out = BTreeSet::new();
    for policy in policies.and_then(Value::as_sequence).into_iter().flatten() {
        let statements = at(policy, &["PolicyDocument", "Statement"]).and_then(Value::as_sequence);
        for st in statements.into_iter().flatten() {
            let actions: Vec<&str> = match at(st, &["Action"]) {
                Some(Value::String(a)) => vec![a.as_str()],
                Some(Value::Sequence(list)) => list.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            out.extend(actions.into_iter().filter(|a| {
                ["dynamodb:", "sqs:", "secretsmanager:"]
                    .iter()
                    .any(|svc| a.starts_with(svc))
            }));
        }
    }
    out
}

/// The logical id of the child key secret (`cpindex::child_key`).
const CHILD_KEY_SECRET: &str = "ChildKeySecret";

/// Resources of the statements granting secretsmanager:GetSecretValue in a function's role.
fn secret_grants<'a>(t: &'a Value, function: &'a Value) -> Vec<&'a Value> {
    grants_of(t, function, "secretsmanager:GetSecretValue")
}

/// Resources of the statements granting `action` in a function's role.
fn grants_of<'a>(t: &'a Value, function: &'a Value, action: &str) -> Vec<&'a Value> {
    let role = function_prop(t, function, "Role")
        .and_then(getatt_target)
        .map(|(role, _)| role);
    let policies =
        role.and_then(|role| at(t, &["Resources", role.as_str(), "Properties", "Policies"]));
    let mut out = Vec::new();
    for policy in policies.and_then(Value::as_sequence).into_iter().flatten() {
        let statements = at(policy, &["PolicyDocument", "Statement"]).and_then(Value::as_sequence);
        for st in statements.into_iter().flatten() {
            let grants = match at(st, &["Action"]) {
                Some(Value::String(a)) => a == action,
                Some(Value::Sequence(list)) => list.iter().any(|a| a.as_str() == Some(action)),
                _ => false,
            };
            if let (true, Some(resource)) = (grants, at(st, &["Resource"])) {
                out.push(resource);
            }
        }
    }
    out
}

/// The child key secret exists, is encrypted with the data key and kept with the table, and
/// exactly the functions that read CHILD_KEY_SECRET_ARN may read it.
fn child_key_problems(t: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let Some(secret) = at(t, &["Resources", CHILD_KEY_SECRET]) else {
        return vec![format!("no {CHILD_KEY_SECRET} resource")];
    };
    expect(
        &mut p,
        at(secret, &["Type"]).and_then(Value::as_str) == Some("AWS::SecretsManager::Secret"),
        || format!("{CHILD_KEY_SECRET} is not a Secrets Manager secret"),
    );
    expect(
        &mut p,
        at(secret, &["Properties", "KmsKeyId"]).and_then(getatt_target)
            == Some(("DataKey".to_owned(), "Arn".to_owned())),
        || format!("{CHILD_KEY_SECRET} is not encrypted with the data key"),
    );
    expect(
        &mut p,
        at(secret, &["DeletionPolicy"]).and_then(Value::as_str) == Some("Retain"),
        || {
            format!(
                "{CHILD_KEY_SECRET} may be deleted with the stack: the table's keys would be lost"
            )
        },
    );
    for f in FUNCTIONS {
        let Some(r) = at(t, &["Resources", f.logical_id]) else {
            continue;
        };
        let reads = secret_grants(t, r)
            .into_iter()
            .any(|res| ref_target(res) == Some(CHILD_KEY_SECRET));
        let needs = f.env.contains(&env::CHILD_KEY_SECRET_ARN);
        expect(&mut p, reads == needs, || {
            format!(
                "{}: may read the child key secret: {reads}; reads CHILD_KEY_SECRET_ARN: {needs}",
                f.logical_id
            )
        });
    }
    p
}

/// Each function's role grants exactly the data-plane actions its FunctionDef (its ports) issue.
fn iam_problems(t: &Value) -> Vec<String> {
    let mut p = Vec::new();
    for f in FUNCTIONS {
        let Some(r) = at(t, &["Resources", f.logical_id]) else {
            continue;
        };
        let got = granted_actions(t, r);
        let want: BTreeSet<&str> = f.iam.iter().copied().collect();
        for missing in want.difference(&got) {
            p.push(format!(
                "{}: the code issues {missing}, which its role does not grant",
                f.logical_id
            ));
        }
        for extra in got.difference(&want) {
            p.push(format!(
                "{}: its role grants {extra}, which no port of the function issues",
                f.logical_id
            ));
        }
    }
    p
}

/// Each env var points at the resource or parameter it names.
fn env_value_problems(t: &Value) -> Vec<String> {
    let mut p = Vec::new();
    for f in FUNCTIONS {
        let Some(r) = at(t, &["Resources", f.logical_id]) else {
            continue; // reported by function_problems
        };
        for (name, value) in function_env(t, r) {
            let want = if name == env::TABLE_NAME {
                "Table".to_owned()
            } else if name == env::RETENTION_MONTHS {
                "RetentionMonths".to_owned()
            } else if let Some(q) = QUEUES.iter().find(|q| q.url_env == name) {
                queue_id(q)
            } else if name == env::ALERT_DELIVERY_DLQ_URL {
                dlq_id(&ALERT_DELIVERY_QUEUE)
            } else if name == env::CHILD_KEY_SECRET_ARN {
                CHILD_KEY_SECRET.to_owned()
            } else if name == env::OIDC_ISSUER {
                // The web app signs in where the API's JWT authorizer trusts, and nowhere else.
                "JwtIssuer".to_owned()
            } else if name == env::OIDC_CLIENT_ID {
                "WebClientId".to_owned()
            } else if name == env::OIDC_AUTHORIZE_URL {
                "OidcAuthorizeUrl".to_owned()
            } else if name == env::OIDC_TOKEN_URL {
                "OidcTokenUrl".to_owned()
            } else {
                p.push(format!(
                    "{}: env var {name} has no rule in this test: say which resource it names",
                    f.logical_id
                ));
                continue;
            };
            expect(&mut p, ref_target(value) == Some(want.as_str()), || {
                format!(
                    "{}: env var {name} is {}, expected !Ref {want}",
                    f.logical_id,
                    show(Some(value))
                )
            });
        }
    }
    let default = at(t, &["Parameters", "RetentionMonths", "Default"]).and_then(as_u64);
    let national = u64::from(Retention::default().months);
    expect(&mut p, default == Some(national), || {
        format!(
            "parameter RetentionMonths defaults to {}, the code's default is {national}",
            show(at(t, &["Parameters", "RetentionMonths", "Default"]))
        )
    });
    p
}

/// SAM event types that put a function on a schedule (EventBridge rule, EventBridge Scheduler).
const SCHEDULE_EVENTS: [&str; 2] = ["Schedule", "ScheduleV2"];
/// Lambda's longest timeout.
const LAMBDA_MAX_TIMEOUT_S: u64 = 900;
/// A scheduled run stops starting pages 20 s before its deadline; below a minute it would spend
/// most of its time starting and checkpointing.
const SCHEDULED_MIN_TIMEOUT_S: u64 = 60;

/// A schedule expression as written, or the default of the parameter it names (`!Ref P`).
fn schedule_expression<'a>(t: &'a Value, v: &'a Value) -> Result<&'a str, String> {
    // Before as_str: serde_norway's as_str also reads through tags, so `!Ref P` would read as "P".
    let Some(param) = ref_target(v) else {
        return match v {
            Value::String(s) => Ok(s),
            _ => Err(format!(
                "is {}, neither an expression nor !Ref of a parameter",
                show(Some(v))
            )),
        };
    };
    let default = str_at(t, &["Parameters", param, "Default"])
        .ok_or_else(|| format!("names parameter {param}, which has no string Default"))?;
    Ok(default)
}

/// Seconds between runs of `rate(N unit)`; `None` for a `cron(...)` expression. Errors name what
/// EventBridge would refuse (a bad unit, `1 minutes`, `5 minute`, a cron without six fields).
fn schedule_interval_s(expression: &str) -> Result<Option<u64>, String> {
    if let Some(fields) = expression
        .strip_prefix("cron(")
        .and_then(|e| e.strip_suffix(')'))
    {
        let n = fields.split_whitespace().count();
        return if n == 6 {
            Ok(None)
        } else {
            Err(format!(
                "`{expression}` has {n} cron fields, EventBridge needs 6"
            ))
        };
    }
    let inner = expression
        .strip_prefix("rate(")
        .and_then(|e| e.strip_suffix(')'))
        .ok_or_else(|| format!("`{expression}` is neither rate(...) nor cron(...)"))?;
    let (value, unit) = inner
        .split_once(' ')
        .ok_or_else(|| format!("`{expression}` is not rate(<value> <unit>)"))?;
    let value: u64 = value
        .parse()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| format!("`{expression}`: the value must be a positive whole number"))?;
    let (singular, seconds) = match unit.trim_end_matches('s') {
        "minute" => ("minute", 60),
        "hour" => ("hour", 3_600),
        "day" => ("day", 86_400),
        _ => {
            return Err(format!(
                "`{expression}`: unit must be minutes, hours or days"
            ))
        }
    };
    let want_unit = if value == 1 {
        singular.to_owned()
    } else {
        format!("{singular}s")
    };
    if unit != want_unit {
        return Err(format!(
            "`{expression}`: EventBridge wants `{value} {want_unit}`"
        ));
    }
    Ok(Some(value * seconds))
}

/// One schedule event: a valid expression, enabled, and (for a rate) no more frequent than the
/// function's timeout, so one run does not start while the previous one may still be going.
fn schedule_problems(t: &Value, id: &str, name: &str, event: &Value, timeout: u64) -> Vec<String> {
    let mut p = Vec::new();
    let key = if str_at(event, &["Type"]) == Some("ScheduleV2") {
        "ScheduleExpression"
    } else {
        "Schedule"
    };
    let Some(raw) = at(event, &["Properties", key]) else {
        return vec![format!("{id}.{name}: has no Properties.{key}")];
    };
    match schedule_expression(t, raw).and_then(schedule_interval_s) {
        Err(e) => p.push(format!("{id}.{name}: the schedule {e}")),
        Ok(Some(interval)) => expect(&mut p, interval >= timeout, || {
            format!(
                "{id}.{name}: runs every {interval} s, more often than its {timeout} s timeout: \
                 runs would overlap"
            )
        }),
        Ok(None) => {}
    }
    let enabled = at(event, &["Properties", "Enabled"]).and_then(Value::as_bool) != Some(false)
        && str_at(event, &["Properties", "State"]).is_none_or(|s| s == "ENABLED");
    expect(&mut p, enabled, || {
        format!("{id}.{name}: the schedule is disabled")
    });
    p
}

/// Each function is invoked as its `Trigger` says: HTTP functions have no queue or schedule
/// event; a queue consumer has exactly one SQS event on its queue with its batch size, partial
/// batch failures and its timeout, and no HttpApi or schedule event; a scheduled function has
/// exactly one enabled schedule with a valid expression, no more frequent than its timeout, no
/// other event, and a timeout long enough to checkpoint.
fn trigger_problems(t: &Value) -> Vec<String> {
    let mut p = Vec::new();
    for f in FUNCTIONS {
        let id = f.logical_id;
        let Some(r) = at(t, &["Resources", id]) else {
            continue; // reported by function_problems
        };
        let events: Vec<(&str, &str, &Value)> = function_events(t)
            .into_iter()
            .filter(|(fid, _, _)| *fid == id)
            .collect();
        let of_kind = |kind: &str| -> Vec<(&str, &Value)> {
            events
                .iter()
                .filter(|(_, _, e)| str_at(e, &["Type"]) == Some(kind))
                .map(|(_, name, e)| (*name, *e))
                .collect()
        };
        match f.trigger {
            Trigger::Schedule => {
                let schedules: Vec<(&str, &Value)> = SCHEDULE_EVENTS
                    .iter()
                    .flat_map(|kind| of_kind(kind))
                    .collect();
                expect(&mut p, schedules.len() == 1, || {
                    format!(
                        "{id}: expected exactly one Schedule event; found {}",
                        schedules.len()
                    )
                });
                for (_, name, event) in &events {
                    let kind = str_at(event, &["Type"]).unwrap_or("?");
                    expect(&mut p, SCHEDULE_EVENTS.contains(&kind), || {
                        format!(
                            "{id}.{name}: an event of type {kind} on a function the code \
                             triggers by schedule only"
                        )
                    });
                }
                let timeout = function_timeout(t, r);
                expect(
                    &mut p,
                    (SCHEDULED_MIN_TIMEOUT_S..=LAMBDA_MAX_TIMEOUT_S).contains(&timeout),
                    || {
                        format!(
                            "{id}: Timeout is {timeout} s; a scheduled run needs {}..={} s (it \
                             stops starting pages 20 s before its deadline to checkpoint)",
                            SCHEDULED_MIN_TIMEOUT_S, LAMBDA_MAX_TIMEOUT_S
                        )
                    },
                );
                for (name, event) in schedules {
                    p.extend(schedule_problems(t, id, name, event, timeout));
                }
            }
            Trigger::Http => {
                for (name, _) in of_kind("SQS") {
                    p.push(format!(
                        "{id}.{name}: an SQS event on a function the code triggers by HTTP only"
                    ));
                }
                for (name, _) in SCHEDULE_EVENTS.iter().flat_map(|kind| of_kind(kind)) {
                    p.push(format!(
                        "{id}.{name}: a Schedule event on a function the code triggers by HTTP only"
                    ));
                }
            }
            Trigger::Queue {
                queue,
                batch_size,
                timeout_s,
            } => {
                let qid = queue_id(&queue);
                for (name, _) in of_kind("HttpApi") {
                    p.push(format!(
                        "{id}.{name}: an HttpApi event on a queue consumer (of {qid})"
                    ));
                }
                for (name, _) in SCHEDULE_EVENTS.iter().flat_map(|kind| of_kind(kind)) {
                    p.push(format!(
                        "{id}.{name}: a Schedule event on a queue consumer (of {qid})"
                    ));
                }
                let sqs = of_kind("SQS");
                let on_queue: Vec<&(&str, &Value)> = sqs
                    .iter()
                    .filter(|(_, e)| {
                        at(e, &["Properties", "Queue"]).and_then(getatt_target)
                            == Some((qid.clone(), "Arn".to_owned()))
                    })
                    .collect();
                expect(&mut p, on_queue.len() == 1 && sqs.len() == 1, || {
                    format!(
                        "{id}: expected exactly one SQS event, on !GetAtt {qid}.Arn; found {} \
                         SQS event(s), {} on {qid}",
                        sqs.len(),
                        on_queue.len()
                    )
                });
                for (name, event) in on_queue {
                    let size = at(event, &["Properties", "BatchSize"]).and_then(as_u64);
                    expect(&mut p, size == Some(u64::from(batch_size)), || {
                        format!(
                            "{id}.{name}: BatchSize is {}, the code says {batch_size}",
                            show(at(event, &["Properties", "BatchSize"]))
                        )
                    });
                    let partial = at(event, &["Properties", "FunctionResponseTypes"])
                        .and_then(Value::as_sequence)
                        .is_some_and(|s| {
                            s.iter()
                                .any(|v| v.as_str() == Some("ReportBatchItemFailures"))
                        });
                    expect(&mut p, partial, || {
                        format!(
                            "{id}.{name}: lacks FunctionResponseTypes: [ReportBatchItemFailures]"
                        )
                    });
                    // Pollers above the function's reserved concurrency meet throttles, and a
                    // throttled receive counts towards dead-lettering: keep them below it.
                    let pollers = at(
                        event,
                        &["Properties", "ScalingConfig", "MaximumConcurrency"],
                    )
                    .and_then(as_u64);
                    let reserved =
                        function_prop(t, r, "ReservedConcurrentExecutions").and_then(as_u64);
                    expect(
                        &mut p,
                        matches!((pollers, reserved), (Some(m), Some(c)) if m < c),
                        || {
                            format!(
                                "{id}.{name}: MaximumConcurrency {pollers:?} must be set and below \
                                 the function's ReservedConcurrentExecutions {reserved:?}"
                            )
                        },
                    );
                }
                let timeout = function_timeout(t, r);
                expect(&mut p, timeout == u64::from(timeout_s), || {
                    format!("{id}: Timeout is {timeout} s, the code says {timeout_s} s")
                });
            }
        }
    }
    p
}

/// Every ROUTES entry is an HttpApi event of its function on the JWT-authorised API, and no other
/// route event exists.
fn route_problems(t: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let mut got = BTreeSet::new();
    let mut got_public = BTreeSet::new();
    for (id, name, event) in function_events(t) {
        let kind = str_at(event, &["Type"]).unwrap_or("?");
        if kind == "Api" {
            p.push(format!(
                "{id}.{name}: a REST Api event; routes belong on the HttpApi"
            ));
        }
        if kind != "HttpApi" {
            continue;
        }
        let method = str_at(event, &["Properties", "Method"]).unwrap_or("?");
        let path = str_at(event, &["Properties", "Path"]).unwrap_or("?");
        let api = at(event, &["Properties", "ApiId"]).and_then(ref_target);
        expect(&mut p, api == Some("HttpApi"), || {
            format!("{id}.{name} ({method} {path}): ApiId is not !Ref HttpApi")
        });
        let authorizer = str_at(event, &["Properties", "Auth", "Authorizer"]);
        // The web app's pages: public GETs on the web function, and nothing else is public.
        if id == routes::WEB.logical_id && routes::WEB_ROUTES.contains(&path) {
            expect(
                &mut p,
                method == "GET" && authorizer == Some("NONE"),
                || {
                    format!(
                    "{id}.{name} ({method} {path}): a web page is a GET with Auth.Authorizer NONE"
                )
                },
            );
            got_public.insert(path.to_owned());
            continue;
        }
        got.insert((id.to_owned(), method.to_ascii_uppercase(), path.to_owned()));
        expect(&mut p, authorizer.is_none(), || {
            format!(
                "{id}.{name} ({method} {path}): overrides the authorizer with {}; every route \
                 must use the JWT default",
                authorizer.unwrap_or("?")
            )
        });
    }
    let want: BTreeSet<(String, String, String)> = ROUTES
        .iter()
        .map(|r| {
            (
                r.function.logical_id.to_owned(),
                r.method.to_owned(),
                r.path.to_owned(),
            )
        })
        .collect();
    for (id, method, path) in want.difference(&got) {
        p.push(format!(
            "route {method} {path} has no HttpApi event on {id}"
        ));
    }
    for (id, method, path) in got.difference(&want) {
        p.push(format!(
            "HttpApi event {method} {path} on {id} is not in cpindex::routes::ROUTES"
        ));
    }
    for path in routes::WEB_ROUTES {
        expect(&mut p, got_public.contains(*path), || {
            format!("web page GET {path} has no public HttpApi event on WebFunction")
        });
    }

    let api = at(t, &["Resources", "HttpApi"]);
    expect(
        &mut p,
        api.and_then(|a| str_at(a, &["Type"])) == Some("AWS::Serverless::HttpApi"),
        || "resource HttpApi is missing or not an AWS::Serverless::HttpApi".to_owned(),
    );
    let auth = api.and_then(|a| at(a, &["Properties", "Auth"]));
    let default = auth.and_then(|a| str_at(a, &["DefaultAuthorizer"]));
    match default {
        None => p.push("HttpApi has no DefaultAuthorizer".to_owned()),
        Some(name) => {
            let authorizer = auth.and_then(|a| at(a, &["Authorizers", name]));
            expect(
                &mut p,
                authorizer
                    .and_then(|a| at(a, &["JwtConfiguration"]))
                    .is_some(),
                || format!("HttpApi's default authorizer {name} is not a JWT authorizer"),
            );
            let source = authorizer.and_then(|a| str_at(a, &["IdentitySource"]));
            expect(
                &mut p,
                source == Some("$request.header.Authorization"),
                || {
                    format!(
                        "authorizer {name} reads its token from {}, expected the Authorization \
                         header",
                        source.unwrap_or("<absent>")
                    )
                },
            );
        }
    }
    p
}

/// The one table matches `cpindex::keys::TABLE`.
fn table_problems(t: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let tables = resources_of_type(t, "AWS::DynamoDB::Table");
    let [(id, table)] = tables.as_slice() else {
        return vec![format!(
            "expected exactly one AWS::DynamoDB::Table, found {}",
            tables.len()
        )];
    };
    let props = at(table, &["Properties"]).unwrap_or(&Value::Null);

    let key_schema = |v: Option<&Value>| -> Vec<(String, String)> {
        v.and_then(Value::as_sequence)
            .map(|s| {
                s.iter()
                    .map(|k| {
                        (
                            str_at(k, &["AttributeName"]).unwrap_or("?").to_owned(),
                            str_at(k, &["KeyType"]).unwrap_or("?").to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let schema =
        |pk: &str, sk: &str| vec![(pk.to_owned(), "HASH".into()), (sk.into(), "RANGE".into())];

    let got = key_schema(at(props, &["KeySchema"]));
    let want = schema(TABLE.partition_key, TABLE.sort_key);
    expect(&mut p, got == want, || {
        format!("{id}: KeySchema is {got:?}, keys.rs says {want:?}")
    });

    let mut want_attrs = BTreeSet::from([TABLE.partition_key, TABLE.sort_key]);
    for g in TABLE.gsis {
        want_attrs.insert(g.partition_key);
        want_attrs.insert(g.sort_key);
    }
    let mut got_attrs = BTreeSet::new();
    for a in at(props, &["AttributeDefinitions"])
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
    {
        let name = str_at(a, &["AttributeName"]).unwrap_or("?");
        got_attrs.insert(name);
        expect(&mut p, str_at(a, &["AttributeType"]) == Some("S"), || {
            format!("{id}: key attribute {name} is not a string (S)")
        });
    }
    expect(&mut p, got_attrs == want_attrs, || {
        format!("{id}: AttributeDefinitions are {got_attrs:?}, keys.rs says {want_attrs:?}")
    });

    let mut got_gsis = BTreeMap::new();
    for g in at(props, &["GlobalSecondaryIndexes"])
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
    {
        let name = str_at(g, &["IndexName"]).unwrap_or("?");
        got_gsis.insert(name, g);
    }
    for def in TABLE.gsis {
        let Some(g) = got_gsis.remove(def.name) else {
            p.push(format!("{id}: GSI {} is missing", def.name));
            continue;
        };
        let got = key_schema(at(g, &["KeySchema"]));
        let want = schema(def.partition_key, def.sort_key);
        expect(&mut p, got == want, || {
            format!(
                "{id}: GSI {} KeySchema is {got:?}, keys.rs says {want:?}",
                def.name
            )
        });
        let projection = str_at(g, &["Projection", "ProjectionType"]);
        expect(&mut p, projection == Some("ALL"), || {
            format!(
                "{id}: GSI {} projects {}, keys.rs expects ALL",
                def.name,
                projection.unwrap_or("<absent>")
            )
        });
    }
    for extra in got_gsis.keys() {
        p.push(format!("{id}: GSI {extra} is not in keys.rs"));
    }

    let ttl = str_at(props, &["TimeToLiveSpecification", "AttributeName"]);
    expect(&mut p, ttl == Some(TABLE.ttl_attribute), || {
        format!(
            "{id}: TTL attribute is {}, keys.rs says {}",
            ttl.unwrap_or("<absent>"),
            TABLE.ttl_attribute
        )
    });
    for (path, want) in [
        (
            &["TimeToLiveSpecification", "Enabled"][..],
            Value::Bool(true),
        ),
        (&["BillingMode"][..], Value::from("PAY_PER_REQUEST")),
        (
            &[
                "PointInTimeRecoverySpecification",
                "PointInTimeRecoveryEnabled",
            ][..],
            Value::Bool(true),
        ),
        (&["SSESpecification", "SSEEnabled"][..], Value::Bool(true)),
        (&["SSESpecification", "SSEType"][..], Value::from("KMS")),
    ] {
        let got = at(props, path);
        expect(&mut p, got == Some(&want), || {
            format!(
                "{id}: {} is {}, expected {}",
                path.join("."),
                show(got),
                show(Some(&want))
            )
        });
    }
    p
}

/// Every QUEUES entry exists with its name, DLQ, receive count and visibility; consumers (once
/// they exist) time out well inside the visibility timeout and report partial batch failures.
fn queue_problems(t: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let mut expected_ids = BTreeSet::new();
    for q in QUEUES {
        let (qid, did) = (queue_id(q), dlq_id(q));
        expected_ids.insert(qid.clone());
        expected_ids.insert(did.clone());
        let Some(queue) = at(t, &["Resources", qid.as_str()]) else {
            p.push(format!("queue {} (logical id {qid}) is missing", q.suffix));
            continue;
        };
        let props = at(queue, &["Properties"]).unwrap_or(&Value::Null);

        let name = at(props, &["QueueName"]).and_then(sub_string);
        let want = q.name(STACK);
        expect(&mut p, name == Some(want.as_str()), || {
            format!(
                "{qid}: QueueName is {}, expected !Sub {want}",
                show(at(props, &["QueueName"]))
            )
        });
        let visibility = at(props, &["VisibilityTimeout"]).and_then(as_u64);
        expect(
            &mut p,
            visibility == Some(u64::from(q.visibility_timeout_s)),
            || {
                format!(
                    "{qid}: VisibilityTimeout is {}, keys.rs says {}",
                    show(at(props, &["VisibilityTimeout"])),
                    q.visibility_timeout_s
                )
            },
        );
        let receives = at(props, &["RedrivePolicy", "maxReceiveCount"]).and_then(as_u64);
        expect(
            &mut p,
            receives == Some(u64::from(q.max_receive_count)),
            || {
                format!(
                    "{qid}: RedrivePolicy.maxReceiveCount is {}, keys.rs says {}",
                    show(at(props, &["RedrivePolicy", "maxReceiveCount"])),
                    q.max_receive_count
                )
            },
        );
        let target = at(props, &["RedrivePolicy", "deadLetterTargetArn"]).and_then(getatt_target);
        expect(
            &mut p,
            target == Some((did.clone(), "Arn".to_owned())),
            || {
                format!(
                    "{qid}: RedrivePolicy.deadLetterTargetArn is {}, expected !GetAtt {did}.Arn",
                    show(at(props, &["RedrivePolicy", "deadLetterTargetArn"]))
                )
            },
        );

        match at(t, &["Resources", did.as_str()]) {
            None => p.push(format!("DLQ of {} (logical id {did}) is missing", q.suffix)),
            Some(dlq) => {
                let dprops = at(dlq, &["Properties"]).unwrap_or(&Value::Null);
                let name = at(dprops, &["QueueName"]).and_then(sub_string);
                let want = q.dlq_name(STACK);
                expect(&mut p, name == Some(want.as_str()), || {
                    format!(
                        "{did}: QueueName is {}, expected !Sub {want}",
                        show(at(dprops, &["QueueName"]))
                    )
                });
                let retention = at(dprops, &["MessageRetentionPeriod"]).and_then(as_u64);
                let want = u64::from(q.dlq_retention_days) * 86_400;
                expect(&mut p, retention == Some(want), || {
                    format!(
                        "{did}: MessageRetentionPeriod is {}, keys.rs says {} days ({want} s)",
                        show(at(dprops, &["MessageRetentionPeriod"])),
                        q.dlq_retention_days
                    )
                });
            }
        }

        let dlq_alarmed = resources_of_type(t, "AWS::CloudWatch::Alarm")
            .into_iter()
            .any(|(_, a)| {
                str_at(a, &["Properties", "MetricName"])
                    == Some("ApproximateNumberOfMessagesVisible")
                    && at(a, &["Properties", "Dimensions"])
                        .and_then(Value::as_sequence)
                        .into_iter()
                        .flatten()
                        .any(|d| {
                            at(d, &["Value"]).and_then(getatt_target)
                                == Some((did.clone(), "QueueName".to_owned()))
                        })
            });
        expect(&mut p, dlq_alarmed, || {
            format!("{did}: no alarm on ApproximateNumberOfMessagesVisible of the DLQ")
        });

        // Consumers: SQS events whose Queue is this queue.
        for (fid, name, event) in function_events(t) {
            if str_at(event, &["Type"]) != Some("SQS") {
                continue;
            }
            let source = at(event, &["Properties", "Queue"]).and_then(getatt_target);
            if source != Some((qid.clone(), "Arn".to_owned())) {
                continue;
            }
            let function = at(t, &["Resources", fid]).unwrap_or(&Value::Null);
            let timeout = function_timeout(t, function);
            expect(
                &mut p,
                u64::from(q.visibility_timeout_s) >= 6 * timeout,
                || {
                    format!(
                        "{qid}: VisibilityTimeout {} is less than six times the timeout of its \
                         consumer {fid} ({timeout} s)",
                        q.visibility_timeout_s
                    )
                },
            );
            let partial = at(event, &["Properties", "FunctionResponseTypes"])
                .and_then(Value::as_sequence)
                .is_some_and(|s| {
                    s.iter()
                        .any(|v| v.as_str() == Some("ReportBatchItemFailures"))
                });
            expect(&mut p, partial, || {
                format!("{fid}.{name}: consumer of {qid} lacks FunctionResponseTypes: [ReportBatchItemFailures]")
            });
        }
    }
    for (id, _) in resources_of_type(t, "AWS::SQS::Queue") {
        expect(&mut p, expected_ids.contains(id), || {
            format!("queue {id} is not in cpindex::keys::QUEUES")
        });
    }
    p
}

/// Every function writes JSON logs to its own log group with a retention, traces, and has Errors
/// and Throttles alarms.
/// The namespace configuration faults are counted in (the alarm's and every filter's).
fn fault_namespace() -> Value {
    serde_norway::from_str("!Sub \"cpindex/${AWS::StackName}\"").expect("a namespace")
}

/// Whether a metric filter on log group `group` counts the adapters' configuration-fault lines
/// into the metric the alarm watches.
fn counts_configuration_faults(t: &Value, group: &str) -> bool {
    let pattern = format!("{{ $.fields.event = \"{}\" }}", cpindex::log::MISCONFIGURED);
    resources_of_type(t, "AWS::Logs::MetricFilter")
        .iter()
        .any(|(_, f)| {
            at(f, &["Properties", "LogGroupName"]).and_then(ref_target) == Some(group)
                && str_at(f, &["Properties", "FilterPattern"]) == Some(pattern.as_str())
                && at(f, &["Properties", "MetricTransformations"])
                    .and_then(Value::as_sequence)
                    .into_iter()
                    .flatten()
                    .any(|m| {
                        str_at(m, &["MetricName"]) == Some(cpindex::log::MISCONFIGURED_METRIC)
                            && at(m, &["MetricNamespace"]) == Some(&fault_namespace())
                    })
        })
}

fn observability_problems(t: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let alarms = resources_of_type(t, "AWS::CloudWatch::Alarm");
    for f in FUNCTIONS {
        let id = f.logical_id;
        let Some(r) = at(t, &["Resources", id]) else {
            continue; // reported by function_problems
        };
        let format = at(r, &["Properties", "LoggingConfig", "LogFormat"])
            .or_else(|| at(t, &["Globals", "Function", "LoggingConfig", "LogFormat"]));
        expect(
            &mut p,
            format.and_then(Value::as_str) == Some("JSON"),
            || {
                format!(
                    "{id}: LoggingConfig.LogFormat is {}, expected JSON",
                    show(format)
                )
            },
        );
        let tracing = function_prop(t, r, "Tracing");
        expect(
            &mut p,
            tracing.and_then(Value::as_str) == Some("Active"),
            || format!("{id}: Tracing is {}, expected Active", show(tracing)),
        );
        let group = at(r, &["Properties", "LoggingConfig", "LogGroup"]).and_then(ref_target);
        match group.and_then(|g| Some((g, at(t, &["Resources", g])?))) {
            None => p.push(format!(
                "{id}: LoggingConfig.LogGroup does not !Ref a log group of the template"
            )),
            Some((name, g)) => {
                expect(
                    &mut p,
                    at(g, &["Properties", "RetentionInDays"]).is_some(),
                    || format!("{id}: its log group has no RetentionInDays"),
                );
                expect(&mut p, counts_configuration_faults(t, name), || {
                    format!(
                        "{id}: no metric filter on {name} counts `{}` lines into {}",
                        cpindex::log::MISCONFIGURED,
                        cpindex::log::MISCONFIGURED_METRIC
                    )
                });
            }
        }
        for metric in ["Errors", "Throttles"] {
            let alarmed = alarms.iter().any(|(_, a)| {
                str_at(a, &["Properties", "Namespace"]) == Some("AWS/Lambda")
                    && str_at(a, &["Properties", "MetricName"]) == Some(metric)
                    && at(a, &["Properties", "Dimensions"])
                        .and_then(Value::as_sequence)
                        .into_iter()
                        .flatten()
                        .any(|d| at(d, &["Value"]).and_then(ref_target) == Some(id))
            });
            expect(&mut p, alarmed, || format!("{id}: no {metric} alarm"));
        }
    }
    let fault_alarms = alarms
        .iter()
        .filter(|(_, a)| {
            str_at(a, &["Properties", "MetricName"]) == Some(cpindex::log::MISCONFIGURED_METRIC)
                && at(a, &["Properties", "Namespace"]) == Some(&fault_namespace())
        })
        .count();
    expect(&mut p, fault_alarms == 1, || {
        format!(
            "{fault_alarms} alarms watch {}, expected one",
            cpindex::log::MISCONFIGURED_METRIC
        )
    });
    for (id, a) in &alarms {
        expect(
            &mut p,
            at(a, &["Properties", "AlarmActions"])
                .and_then(Value::as_sequence)
                .is_some_and(|s| !s.is_empty()),
            || format!("alarm {id} notifies nobody (no AlarmActions)"),
        );
    }
    p
}

// ---------------------------------------------------------------------------------------------
// The OpenAPI contract.
// ---------------------------------------------------------------------------------------------

const HTTP_METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

/// Every operation of the contract: (METHOD, path, operation).
fn operations(o: &Value) -> Vec<(String, String, &Value)> {
    let mut ops = Vec::new();
    for (path, item) in at(o, &["paths"])
        .and_then(Value::as_mapping)
        .into_iter()
        .flatten()
    {
        for (method, op) in item.as_mapping().into_iter().flatten() {
            let method = method.as_str().unwrap_or("?");
            if HTTP_METHODS.contains(&method) {
                ops.push((
                    method.to_ascii_uppercase(),
                    path.as_str().unwrap_or("?").to_owned(),
                    op,
                ));
            }
        }
    }
    ops
}

/// The contract has exactly the code's routes, and each documents 401 and 403.
fn openapi_route_problems(o: &Value) -> Vec<String> {
    let mut p = Vec::new();
    expect(&mut p, str_at(o, &["openapi"]) == Some("3.0.3"), || {
        format!(
            "openapi version is {}, expected 3.0.3",
            show(at(o, &["openapi"]))
        )
    });
    let ops = operations(o);
    let got: BTreeSet<(String, String)> = ops
        .iter()
        .map(|(m, path, _)| (m.clone(), path.clone()))
        .collect();
    let want: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    for (method, path) in want.difference(&got) {
        p.push(format!("route {method} {path} is not in openapi.yaml"));
    }
    for (method, path) in got.difference(&want) {
        p.push(format!(
            "openapi.yaml documents {method} {path}, which is not in cpindex::routes::ROUTES"
        ));
    }
    for (method, path, op) in &ops {
        // The roles the contract documents are the roles the route table declares (and the
        // route guard enforces).
        if let Some(route) = ROUTES.iter().find(|r| r.method == method && r.path == path) {
            let documented: BTreeSet<&str> = at(op, &["x-roles"])
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let declared: BTreeSet<&str> = route.roles.iter().map(|r| r.as_str()).collect();
            expect(&mut p, documented == declared, || {
                format!("{method} {path}: x-roles {documented:?} but the route table declares {declared:?}")
            });
            let required_body =
                at(op, &["requestBody", "required"]).and_then(Value::as_bool) == Some(true);
            let csv = at(op, &["requestBody", "content", "text/csv"]).is_some();
            expect(&mut p, csv == route.takes_csv, || {
                format!(
                    "{method} {path}: the contract {} a CSV body but the route table says takes_csv: {}",
                    if csv { "takes" } else { "does not take" },
                    route.takes_csv
                )
            });
            expect(
                &mut p,
                required_body == (route.takes_json || route.takes_csv),
                || {
                    format!(
                    "{method} {path}: the contract {} a JSON body but the route table says takes_json: {}",
                    if required_body { "requires" } else { "does not require" },
                    route.takes_json
                )
                },
            );
        }
        for status in ["401", "403"] {
            expect(&mut p, at(op, &["responses", status]).is_some(), || {
                format!("{method} {path} does not document {status}")
            });
        }
        // Every {param} of the path is declared as a path parameter.
        let declared: BTreeSet<&str> = at(op, &["parameters"])
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .chain(
                at(o, &["paths", path.as_str(), "parameters"])
                    .and_then(Value::as_sequence)
                    .into_iter()
                    .flatten(),
            )
            .map(|param| resolve(o, param))
            .filter(|param| str_at(param, &["in"]) == Some("path"))
            .filter_map(|param| str_at(param, &["name"]))
            .collect();
        for name in path_params(path) {
            expect(&mut p, declared.contains(name), || {
                format!("{method} {path}: path parameter {name} is not declared")
            });
        }
    }
    let has_bearer = at(o, &["components", "securitySchemes"])
        .and_then(Value::as_mapping)
        .into_iter()
        .flatten()
        .any(|(_, s)| {
            str_at(s, &["type"]) == Some("http") && str_at(s, &["scheme"]) == Some("bearer")
        });
    expect(&mut p, has_bearer, || {
        "openapi.yaml has no http bearer security scheme".to_owned()
    });
    expect(
        &mut p,
        at(o, &["security"])
            .and_then(Value::as_sequence)
            .is_some_and(|s| !s.is_empty()),
        || "openapi.yaml does not require security globally".to_owned(),
    );
    p
}

/// Follows a local `$ref` (`#/components/...`) once.
fn resolve<'a>(o: &'a Value, v: &'a Value) -> &'a Value {
    match str_at(v, &["$ref"]).and_then(|r| r.strip_prefix("#/")) {
        Some(pointer) => {
            let path: Vec<&str> = pointer.split('/').collect();
            at(o, &path).unwrap_or(v)
        }
        None => v,
    }
}

fn path_params(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .collect()
}

/// The contract's error-code enum is exactly `ErrorCode::ALL`, and problems use it.
fn openapi_code_problems(o: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let listed: Vec<&str> = at(o, &["components", "schemas", "ErrorCode", "enum"])
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .map(|v| v.as_str().unwrap_or("?"))
        .collect();
    let got: BTreeSet<&str> = listed.iter().copied().collect();
    expect(&mut p, got.len() == listed.len(), || {
        "components.schemas.ErrorCode.enum lists a code twice".to_owned()
    });
    let want: BTreeSet<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    for missing in want.difference(&got) {
        p.push(format!(
            "error code {missing} is missing from components.schemas.ErrorCode.enum"
        ));
    }
    for extra in got.difference(&want) {
        p.push(format!(
            "components.schemas.ErrorCode.enum lists {extra}, which is not in ErrorCode::ALL"
        ));
    }
    let code_ref = str_at(
        o,
        &[
            "components",
            "schemas",
            "Problem",
            "properties",
            "code",
            "$ref",
        ],
    );
    expect(
        &mut p,
        code_ref == Some("#/components/schemas/ErrorCode"),
        || "components.schemas.Problem.code does not $ref the ErrorCode enum".to_owned(),
    );
    p
}

// ---------------------------------------------------------------------------------------------
// The checks against the real files.
// ---------------------------------------------------------------------------------------------

#[test]
fn every_function_is_in_the_template_with_its_binary_and_exactly_its_env_vars() {
    assert_none(
        "infra/template.yaml (functions)",
        function_problems(&template()),
    );
}

#[test]
fn the_reconciliation_scan_is_granted_on_the_index_it_reads_not_the_table() {
    let t = template();
    let index: Value = serde_norway::from_str(&format!(
        "!Sub \"${{Table.Arn}}/index/{}\"",
        cpindex::keys::GSI1.name
    ))
    .expect("a resource");
    let scanners: Vec<_> = cpindex::routes::FUNCTIONS
        .iter()
        .filter(|f| f.iam.contains(&"dynamodb:Scan"))
        .collect();
    assert!(!scanners.is_empty());
    for f in scanners {
        let function = at(&t, &["Resources", f.logical_id]).expect("the function");
        let grants = grants_of(&t, function, "dynamodb:Scan");
        assert!(!grants.is_empty(), "{}: no Scan grant", f.logical_id);
        for g in grants {
            assert_eq!(g, &index, "{}: Scan granted on {g:?}", f.logical_id);
        }
    }
}

#[test]
fn every_role_grants_exactly_the_actions_its_function_issues() {
    assert_none("infra/template.yaml (IAM)", iam_problems(&template()));
}

#[test]
fn a_role_granting_more_or_less_than_its_ports_is_named() {
    let mut t = template();
    let statements = &mut t["Resources"]["LookupRole"]["Properties"]["Policies"][0]
        ["PolicyDocument"]["Statement"][0]["Action"];
    *statements = serde_norway::from_str("[dynamodb:Query, dynamodb:DeleteItem]").unwrap();
    let problems = iam_problems(&t);
    assert_reports(
        problems.clone(),
        &["LookupFunction", "grants dynamodb:DeleteItem"],
    );
    assert_reports(problems, &["LookupFunction", "issues dynamodb:PutItem"]);
}

/// The clinicians' lookup routes (JSON and FHIR): each with a throttle of its own.
const LOOKUP_ROUTES: [routes::RouteDef; 3] = [
    routes::GET_CHILD,
    routes::FHIR_CARE_TEAM,
    routes::FHIR_AUDIT_EVENT,
];

/// Every lookup route has its own throttle, above the default and above every other route's,
/// so no other route's traffic can push a clinician's lookup into 429.
fn throttle_problems(t: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let api = &t["Resources"]["HttpApi"]["Properties"];
    let rate = |v: &Value| v["ThrottlingRateLimit"].as_u64();
    let default = rate(&api["DefaultRouteSettings"]).unwrap_or(0);
    let keys: Vec<String> = LOOKUP_ROUTES
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    for key in &keys {
        let lookup = api["RouteSettings"].get(key.as_str()).and_then(rate);
        match lookup {
            None => p.push(format!("{key} has no throttle of its own (RouteSettings)")),
            Some(l) => {
                expect(&mut p, l > default, || {
                    format!("{key}'s rate limit {l} is not above the default {default}")
                });
                for (route, settings) in api["RouteSettings"].as_mapping().into_iter().flatten() {
                    let other = rate(settings).unwrap_or(0);
                    let name = route.as_str().unwrap_or("?");
                    expect(&mut p, keys.iter().any(|k| k == name) || other < l, || {
                        format!("{name}'s rate limit {other} is not below the lookup's {l}")
                    });
                }
            }
        }
    }
    p
}

#[test]
fn the_lookup_has_a_throttle_of_its_own() {
    assert_none(
        "infra/template.yaml (throttles)",
        throttle_problems(&template()),
    );
    let mut t = template();
    t["Resources"]["HttpApi"]["Properties"]
        .as_mapping_mut()
        .unwrap()
        .remove("RouteSettings");
    assert_reports(
        throttle_problems(&t),
        &["GET /v1/children/{nhsNumber}", "no throttle"],
    );
}

#[test]
fn env_vars_name_the_table_queues_and_parameters_they_stand_for() {
    assert_none(
        "infra/template.yaml (env values)",
        env_value_problems(&template()),
    );
}

#[test]
fn only_the_functions_that_key_children_may_read_the_child_key_secret() {
    assert_none(
        "infra/template.yaml (child key)",
        child_key_problems(&template()),
    );
    // The check can fail: grant it to a function that has no business with NHS numbers.
    let mut t = template();
    let grant: Value = serde_norway::from_str(
        "PolicyName: x\nPolicyDocument:\n  Statement:\n    - Effect: Allow\n      Action: secretsmanager:GetSecretValue\n      Resource: !Ref ChildKeySecret\n",
    )
    .unwrap();
    let role = "AlertFanoutRole";
    t["Resources"][role]["Properties"]["Policies"]
        .as_sequence_mut()
        .expect("fan-out's role has policies")
        .push(grant);
    assert!(child_key_problems(&t)
        .iter()
        .any(|p| p.starts_with("AlertFanoutFunction")));
}

#[test]
fn every_function_is_invoked_as_its_trigger_says() {
    assert_none(
        "infra/template.yaml (triggers)",
        trigger_problems(&template()),
    );
}

#[test]
fn every_route_is_a_jwt_authorised_http_api_event_on_its_function_and_no_other() {
    assert_none("infra/template.yaml (routes)", route_problems(&template()));
}

#[test]
fn the_table_has_the_keys_indexes_and_ttl_of_keys_rs() {
    assert_none("infra/template.yaml (table)", table_problems(&template()));
}

#[test]
fn every_queue_has_its_name_dlq_receive_count_and_visibility() {
    assert_none("infra/template.yaml (queues)", queue_problems(&template()));
}

#[test]
fn every_function_logs_json_traces_and_is_alarmed() {
    assert_none(
        "infra/template.yaml (logs, traces, alarms)",
        observability_problems(&template()),
    );
}

#[test]
fn the_openapi_contract_has_exactly_the_routes() {
    assert_none(
        "infra/openapi.yaml (routes)",
        openapi_route_problems(&openapi()),
    );
}

/// The contract's indicator keys (the query's and each series') are exactly those the API
/// publishes, in order.
#[test]
fn the_openapi_indicator_keys_are_exactly_the_published_indicators() {
    let o = openapi();
    let published: Vec<&str> = cpindex::indicators::INDICATORS
        .iter()
        .map(|d| d.key)
        .collect();
    let param = at(&o, &["paths", "/v1/indicators", "get", "parameters"])
        .and_then(|p| p.as_sequence())
        .and_then(|ps| {
            ps.iter()
                .find(|p| str_at(p, &["name"]) == Some("indicator"))
        })
        .and_then(|p| at(p, &["schema", "enum"]))
        .expect("the indicator parameter has an enum");
    let series = at(
        &o,
        &[
            "components",
            "schemas",
            "IndicatorSeries",
            "properties",
            "key",
            "enum",
        ],
    )
    .expect("IndicatorSeries.key has an enum");
    for listed in [param, series] {
        let listed: Vec<&str> = listed
            .as_sequence()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        assert_eq!(listed, published);
    }
}

#[test]
fn the_openapi_error_codes_are_exactly_error_code_all() {
    assert_none(
        "infra/openapi.yaml (error codes)",
        openapi_code_problems(&openapi()),
    );
}

// ---------------------------------------------------------------------------------------------
// Each check can fail: break a copy on purpose and see the disagreement named.
// ---------------------------------------------------------------------------------------------

fn resource_mut<'a>(t: &'a mut Value, id: &str) -> &'a mut Value {
    &mut t["Resources"][id]
}

fn reports(problems: &[String], needles: &[&str]) -> bool {
    problems
        .iter()
        .any(|p| needles.iter().all(|needle| p.contains(needle)))
}

#[track_caller]
fn assert_reports(problems: Vec<String>, needles: &[&str]) {
    assert!(
        reports(&problems, needles),
        "expected a problem naming {needles:?}, got {problems:#?}"
    );
}

#[test]
fn a_missing_or_extra_env_var_or_wrong_binary_is_named() {
    let lookup = cpindex::routes::LOOKUP.logical_id;
    let mut t = template();
    resource_mut(&mut t, lookup)["Properties"]["Environment"]["Variables"]
        .as_mapping_mut()
        .unwrap()
        .remove(env::ALERT_FANOUT_QUEUE_URL);
    assert_reports(
        function_problems(&t),
        &[lookup, env::ALERT_FANOUT_QUEUE_URL, "not set"],
    );

    let mut t = template();
    resource_mut(&mut t, lookup)["Properties"]["Environment"]["Variables"]["DEBUG"] =
        Value::from("1");
    assert_reports(function_problems(&t), &[lookup, "DEBUG", "not in the code"]);

    let mut t = template();
    resource_mut(&mut t, lookup)["Metadata"]["BuildProperties"]["Binary"] = Value::from("lookups");
    assert_reports(function_problems(&t), &[lookup, "Binary", "lookups"]);

    let mut t = template();
    t["Resources"]
        .as_mapping_mut()
        .unwrap()
        .remove(cpindex::routes::PLAN_UPSERT.logical_id);
    assert_reports(function_problems(&t), &["PlanUpsertFunction", "missing"]);

    let mut t = template();
    let copy = t["Resources"][lookup].clone();
    t["Resources"]["StrayFunction"] = copy;
    assert_reports(function_problems(&t), &["StrayFunction", "not in"]);
}

#[test]
fn an_env_var_pointing_elsewhere_is_named() {
    let lookup = cpindex::routes::LOOKUP.logical_id;
    let mut t = template();
    resource_mut(&mut t, lookup)["Properties"]["Environment"]["Variables"]
        [env::ALERT_FANOUT_QUEUE_URL] = serde_norway::from_str("!Ref AlertFanoutDlq").unwrap();
    assert_reports(
        env_value_problems(&t),
        &[env::ALERT_FANOUT_QUEUE_URL, "AlertFanoutQueue"],
    );

    let mut t = template();
    t["Parameters"]["RetentionMonths"]["Default"] = Value::from(6);
    assert_reports(env_value_problems(&t), &["RetentionMonths", "12"]);
}

#[test]
fn a_missing_moved_extra_or_unauthorised_route_is_named() {
    let mut t = template();
    t["Resources"]["LookupFunction"]["Properties"]["Events"]["GetChild"]["Properties"]["Path"] =
        Value::from("/v1/child/{nhsNumber}");
    let problems = route_problems(&t);
    assert_reports(
        problems.clone(),
        &["/v1/children/{nhsNumber}", "no HttpApi event"],
    );
    assert_reports(problems, &["/v1/child/{nhsNumber}", "not in"]);

    let mut t = template();
    t["Resources"]["PlanUpsertFunction"]["Properties"]["Events"]["PutPlan"]["Properties"]["Auth"]
        ["Authorizer"] = Value::from("NONE");
    assert_reports(route_problems(&t), &["PutPlan", "NONE"]);

    let mut t = template();
    t["Resources"]["HttpApi"]["Properties"]["Auth"]
        .as_mapping_mut()
        .unwrap()
        .remove("DefaultAuthorizer");
    assert_reports(route_problems(&t), &["DefaultAuthorizer"]);
}

#[test]
fn a_table_that_drifts_from_keys_rs_is_named() {
    let gsi = TABLE.gsis[0].name;
    let mut t = template();
    t["Resources"]["Table"]["Properties"]["GlobalSecondaryIndexes"][0]["IndexName"] =
        Value::from("byOrg");
    let problems = table_problems(&t);
    assert_reports(problems.clone(), &[gsi, "missing"]);
    assert_reports(problems, &["byOrg", "not in keys.rs"]);

    let mut t = template();
    t["Resources"]["Table"]["Properties"]["TimeToLiveSpecification"]["AttributeName"] =
        Value::from("ttl");
    assert_reports(table_problems(&t), &["TTL", "ttl", TABLE.ttl_attribute]);

    let mut t = template();
    t["Resources"]["Table"]["Properties"]["KeySchema"][1]["AttributeName"] = Value::from("id");
    assert_reports(table_problems(&t), &["KeySchema", "id"]);

    let mut t = template();
    t["Resources"]["Table"]["Properties"]["PointInTimeRecoverySpecification"]
        ["PointInTimeRecoveryEnabled"] = Value::Bool(false);
    assert_reports(table_problems(&t), &["PointInTimeRecoveryEnabled"]);
}

#[test]
fn a_queue_that_drifts_from_keys_rs_or_outruns_its_consumer_is_named() {
    let q = &QUEUES[0];
    let (qid, did) = (queue_id(q), dlq_id(q));
    let mut t = template();
    t["Resources"][qid.as_str()]["Properties"]["RedrivePolicy"]["maxReceiveCount"] = Value::from(9);
    assert_reports(queue_problems(&t), &[&qid, "maxReceiveCount", "9"]);

    let mut t = template();
    t["Resources"][qid.as_str()]["Properties"]["VisibilityTimeout"] = Value::from(30);
    assert_reports(queue_problems(&t), &[&qid, "VisibilityTimeout", "30"]);

    let mut t = template();
    t["Resources"][did.as_str()]["Properties"]["QueueName"] =
        serde_norway::from_str("!Sub '${AWS::StackName}-dead'").unwrap();
    assert_reports(queue_problems(&t), &[&did, "QueueName"]);

    let mut t = template();
    t["Resources"]
        .as_mapping_mut()
        .unwrap()
        .remove(did.as_str());
    assert_reports(queue_problems(&t), &[&did, "missing"]);

    // A consumer whose timeout is more than a sixth of the visibility timeout, without partial
    // batch failures.
    let mut t = template();
    let consumer = format!(
        "Type: AWS::Serverless::Function\nProperties:\n  Timeout: {}\n  Events:\n    Fanout:\n      \
         Type: SQS\n      Properties:\n        Queue: !GetAtt {qid}.Arn\n",
        q.visibility_timeout_s / 6 + 1
    );
    t["Resources"]["ConsumerFunction"] = serde_norway::from_str(&consumer).unwrap();
    let problems = queue_problems(&t);
    assert_reports(problems.clone(), &[&qid, "six times", "ConsumerFunction"]);
    assert_reports(
        problems,
        &["ConsumerFunction.Fanout", "ReportBatchItemFailures"],
    );
}

#[test]
fn a_consumer_that_drifts_from_its_trigger_is_named() {
    let fanout = cpindex::routes::ALERT_FANOUT.logical_id;
    let mut t = template();
    let events = t["Resources"][fanout]["Properties"]["Events"]
        .as_mapping_mut()
        .unwrap();
    let (_, event) = events.iter_mut().next().unwrap();
    event["Properties"]["BatchSize"] = Value::from(7);
    assert_reports(trigger_problems(&t), &[fanout, "BatchSize", "7"]);

    // As many pollers as the function may run: throttled receives would dead-letter alerts.
    let mut t = template();
    t["Resources"][fanout]["Properties"]["ReservedConcurrentExecutions"] = Value::from(10);
    assert_reports(trigger_problems(&t), &[fanout, "MaximumConcurrency"]);

    let mut t = template();
    t["Resources"][fanout]["Properties"]["Timeout"] = Value::from(45);
    assert_reports(trigger_problems(&t), &[fanout, "Timeout is 45"]);
    // Six times 45 s is more than the queue's visibility timeout.
    assert_reports(queue_problems(&t), &["six times", fanout]);

    let mut t = template();
    t["Resources"][fanout]["Properties"]
        .as_mapping_mut()
        .unwrap()
        .remove("Events");
    assert_reports(trigger_problems(&t), &[fanout, "exactly one SQS event"]);

    let lookup = cpindex::routes::LOOKUP.logical_id;
    let mut t = template();
    t["Resources"][lookup]["Properties"]["Events"]["Stray"] =
        serde_norway::from_str("Type: SQS\nProperties:\n  Queue: !GetAtt AlertFanoutQueue.Arn\n")
            .unwrap();
    assert_reports(trigger_problems(&t), &["LookupFunction.Stray", "HTTP only"]);
}

#[test]
fn a_web_page_behind_the_authorizer_or_an_api_route_made_public_is_named() {
    let web = routes::WEB.logical_id;
    let mut t = template();
    t["Resources"][web]["Properties"]["Events"]["AppPage"]["Properties"]
        .as_mapping_mut()
        .unwrap()
        .remove("Auth");
    assert_reports(route_problems(&t), &["WebFunction.AppPage", "NONE"]);

    let mut t = template();
    t["Resources"][routes::LOOKUP.logical_id]["Properties"]["Events"]["GetChild"]["Properties"]
        ["Auth"] = serde_norway::from_str("Authorizer: NONE").unwrap();
    assert_reports(
        route_problems(&t),
        &["GET /v1/children/{nhsNumber}", "NONE"],
    );
}

#[test]
fn a_function_without_alarms_or_json_logs_is_named() {
    let mut t = template();
    t["Resources"]
        .as_mapping_mut()
        .unwrap()
        .remove("LookupThrottlesAlarm");
    assert_reports(observability_problems(&t), &["LookupFunction", "Throttles"]);

    let mut t = template();
    t["Globals"]["Function"]["LoggingConfig"]["LogFormat"] = Value::from("Text");
    assert_reports(observability_problems(&t), &["LogFormat", "Text"]);

    let mut t = template();
    t["Resources"]
        .as_mapping_mut()
        .unwrap()
        .remove("InboxConfigurationFaults");
    assert_reports(
        observability_problems(&t),
        &["InboxFunction", "InboxLogGroup", "misconfigured"],
    );

    let mut t = template();
    t["Resources"]["ReconcileConfigurationFaults"]["Properties"]["FilterPattern"] =
        Value::from("{ $.fields.event = \"misconfigure\" }");
    assert_reports(
        observability_problems(&t),
        &["ReconcileFunction", "ReconcileLogGroup"],
    );

    let mut t = template();
    t["Resources"]
        .as_mapping_mut()
        .unwrap()
        .remove("ConfigurationFaultAlarm");
    assert_reports(
        observability_problems(&t),
        &["0 alarms watch ConfigurationFaults"],
    );
}

#[test]
fn an_openapi_contract_that_drifts_is_named() {
    let mut o = openapi();
    o["paths"]["/v1/plans/{planRef}"]
        .as_mapping_mut()
        .unwrap()
        .remove("delete");
    assert_reports(
        openapi_route_problems(&o),
        &["DELETE /v1/plans/{planRef}", "not in openapi"],
    );

    let mut o = openapi();
    o["paths"]["/v1/secret"] =
        serde_norway::from_str("get: {responses: {'200': {description: x}}}").unwrap();
    let problems = openapi_route_problems(&o);
    assert_reports(
        problems.clone(),
        &["GET /v1/secret", "not in cpindex::routes::ROUTES"],
    );
    assert_reports(problems, &["GET /v1/secret", "401"]);

    let mut o = openapi();
    o["paths"]["/v1/dead-letters"]["get"]["x-roles"] =
        serde_norway::from_str("[operator, local_authority]").unwrap();
    assert_reports(
        openapi_route_problems(&o),
        &["GET /v1/dead-letters", "x-roles", "route table declares"],
    );

    let mut o = openapi();
    let codes = o["components"]["schemas"]["ErrorCode"]["enum"]
        .as_sequence_mut()
        .unwrap();
    codes.retain(|c| c.as_str() != Some(ErrorCode::StaleVersion.as_str()));
    codes.push(Value::from("teapot"));
    let problems = openapi_code_problems(&o);
    assert_reports(problems.clone(), &["stale_version", "missing"]);
    assert_reports(problems, &["teapot", "not in ErrorCode::ALL"]);
}

fn reconcile_events(t: &mut Value) -> &mut serde_norway::Mapping {
    t["Resources"][cpindex::routes::RECONCILE.logical_id]["Properties"]["Events"]
        .as_mapping_mut()
        .unwrap()
}

#[test]
fn a_schedule_that_drifts_from_its_trigger_is_named() {
    let reconcile = cpindex::routes::RECONCILE.logical_id;
    let schedule_name = || -> String {
        let mut t = template();
        reconcile_events(&mut t)
            .keys()
            .next()
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(trigger_problems(&template()).is_empty());

    let mut t = template();
    reconcile_events(&mut t).clear();
    assert_reports(
        trigger_problems(&t),
        &[reconcile, "exactly one Schedule event", "found 0"],
    );

    let mut t = template();
    let copy = t["Resources"][reconcile]["Properties"]["Events"][schedule_name().as_str()].clone();
    reconcile_events(&mut t).insert(Value::from("Again"), copy);
    assert_reports(trigger_problems(&t), &[reconcile, "found 2"]);

    let mut t = template();
    reconcile_events(&mut t).insert(
        Value::from("Stray"),
        serde_norway::from_str(
            "Type: HttpApi\nProperties:\n  ApiId: !Ref HttpApi\n  Method: POST\n  Path: /v1/run\n",
        )
        .unwrap(),
    );
    assert_reports(
        trigger_problems(&t),
        &["ReconcileFunction.Stray", "HttpApi", "schedule only"],
    );

    let mut t = template();
    reconcile_events(&mut t).insert(
        Value::from("Stray"),
        serde_norway::from_str("Type: SQS\nProperties:\n  Queue: !GetAtt AlertFanoutQueue.Arn\n")
            .unwrap(),
    );
    assert_reports(
        trigger_problems(&t),
        &["ReconcileFunction.Stray", "SQS", "schedule only"],
    );

    let name = schedule_name();
    for (expression, needle) in [
        ("every 15 minutes", "neither rate"),
        ("rate(15 minute)", "15 minutes"),
        ("rate(1 minutes)", "1 minute"),
        ("rate(15 weeks)", "unit"),
        ("cron(0 * * *)", "6"),
        ("rate(5 minutes)", "overlap"),
    ] {
        let mut t = template();
        t["Parameters"]["ReconcileSchedule"]["Default"] = Value::from(expression);
        assert_reports(trigger_problems(&t), &[reconcile, &name, needle]);
    }
    let mut t = template();
    t["Parameters"]["ReconcileSchedule"]["Default"] = Value::from("cron(0/15 * * * ? *)");
    assert!(trigger_problems(&t).is_empty());

    let mut t = template();
    reconcile_events(&mut t)[name.as_str()]["Properties"]["Enabled"] = Value::Bool(false);
    assert_reports(trigger_problems(&t), &[reconcile, "disabled"]);

    let mut t = template();
    t["Resources"][reconcile]["Properties"]["Timeout"] = Value::from(30);
    assert_reports(trigger_problems(&t), &[reconcile, "Timeout is 30"]);

    // A schedule event on an HTTP function or a queue consumer.
    let schedule =
        serde_norway::from_str::<Value>("Type: Schedule\nProperties:\n  Schedule: rate(1 hour)\n")
            .unwrap();
    for f in [cpindex::routes::OPS, cpindex::routes::ALERT_FANOUT] {
        let mut t = template();
        t["Resources"][f.logical_id]["Properties"]["Events"]["Tick"] = schedule.clone();
        assert_reports(
            trigger_problems(&t),
            &[&format!("{}.Tick", f.logical_id), "Schedule event"],
        );
    }
}

#[test]
fn a_binary_no_crate_builds_or_a_dlq_url_pointing_elsewhere_is_named() {
    let ops = cpindex::routes::OPS.logical_id;
    // `ops` is src/bin/ops.rs of the reconcile crate; `reconcile` is that crate's own package.
    let reconcile_crate = repo_path("functions/reconcile/Cargo.toml");
    for binary in [
        cpindex::routes::OPS.binary,
        cpindex::routes::RECONCILE.binary,
    ] {
        assert_eq!(crate_building(binary), Some(reconcile_crate.clone()));
    }
    assert_eq!(crate_building("opz"), None);
    let mut t = template();
    resource_mut(&mut t, ops)["Metadata"]["BuildProperties"]["Binary"] = Value::from("opz");
    assert_reports(function_problems(&t), &[ops, "Binary", "opz"]);

    let mut t = template();
    resource_mut(&mut t, ops)["Properties"]["Environment"]["Variables"]
        [env::ALERT_DELIVERY_DLQ_URL] = serde_norway::from_str("!Ref AlertDeliveryQueue").unwrap();
    assert_reports(
        env_value_problems(&t),
        &[ops, env::ALERT_DELIVERY_DLQ_URL, "AlertDeliveryDlq"],
    );
}
