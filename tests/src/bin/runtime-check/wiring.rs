//! The created stack against the code's one definition of functions, queues and triggers. The
//! names, URLs, ARNs and timeouts are what a real CloudFormation engine resolved from the
//! translated template, so no intrinsic function or schedule expression is read by hand here.
//! Each check returns every disagreement it finds, naming what disagrees.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_sqs::types::QueueAttributeName;
use cpindex::config::env;
use cpindex::keys::{ALERT_DELIVERY_QUEUE, QUEUES};
use cpindex::overdue::AckWindow;
use cpindex::plan::Retention;
use cpindex::routes::{Trigger, FUNCTIONS};
use cpindex::transfer::TransferWindow;
use cpindex::usage::UsageCap;

use crate::stack::{queue_name, Stack};

/// Variables that carry a stack parameter to a function, and the parameter. The functions trust
/// the claims the API's JWT authorizer verified, and the web app signs in there, nowhere else.
const FROM_PARAMETERS: [(&str, &str); 12] = [
    (env::JWT_ISSUER, "JwtIssuer"),
    (env::NHS_JWT_ISSUER, "NhsJwtIssuer"),
    (env::NHS_TOKEN_CLAIMS, "NhsTokenClaims"),
    (env::WEBHOOK_SECRET_PREFIX, "WebhookSecretPrefix"),
    (env::OIDC_ISSUER, "JwtIssuer"),
    (env::OIDC_CLIENT_ID, "WebClientId"),
    (env::OIDC_AUTHORIZE_URL, "OidcAuthorizeUrl"),
    (env::OIDC_TOKEN_URL, "OidcTokenUrl"),
    (env::NHS_OIDC_ISSUER, "NhsJwtIssuer"),
    (env::NHS_OIDC_CLIENT_ID, "NhsWebClientId"),
    (env::NHS_OIDC_AUTHORIZE_URL, "NhsOidcAuthorizeUrl"),
    (env::NHS_OIDC_TOKEN_URL, "NhsOidcTokenUrl"),
];

/// Variables holding a list parameter's items, joined with commas.
const FROM_LIST_PARAMETERS: [(&str, &str); 2] = [
    (env::JWT_AUDIENCE, "JwtAudience"),
    (env::NHS_JWT_AUDIENCE, "NhsJwtAudience"),
];

/// A list parameter's items joined with commas, whether shown as given (`a,b`) or as the
/// emulator prints a list (`['a', 'b']`).
fn as_list(raw: &str) -> String {
    raw.trim_matches(|c| c == '[' || c == ']')
        .split(',')
        .map(|a| a.trim().trim_matches('\''))
        .filter(|a| !a.is_empty())
        .collect::<Vec<_>>()
        .join(",")
}

/// What a Rust function of the template runs on.
const RUNTIME: &str = "provided.al2023";
const HANDLER: &str = "bootstrap";
/// Lambda's longest timeout: AWS refuses more, the emulator and cfn-lint do not.
const LAMBDA_MAX_TIMEOUT_S: u64 = 900;

/// Why the created queues could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the attributes of queue {url}")]
pub struct QueueReadError {
    url: String,
    #[source]
    source: aws_sdk_sqs::error::SdkError<
        aws_sdk_sqs::operation::get_queue_attributes::GetQueueAttributesError,
    >,
}

/// A created queue's attributes, as SQS reports them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueueAttributes {
    pub visibility_timeout_s: Option<u64>,
    pub retention_s: Option<u64>,
    pub max_receive_count: Option<u64>,
    /// The name of the queue its redrive policy dead-letters to.
    pub dead_letter_queue: Option<String>,
}

/// Every queue of the stack by name, read through SQS (the SDK pointed at the emulator).
pub async fn queue_attributes(
    sqs: &aws_sdk_sqs::Client,
    stack: &Stack,
) -> Result<BTreeMap<String, QueueAttributes>, QueueReadError> {
    let mut out = BTreeMap::new();
    for url in stack.physical_ids("AWS::SQS::Queue") {
        let got = sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::All)
            .send()
            .await
            .map_err(|source| QueueReadError {
                url: url.to_owned(),
                source,
            })?;
        let attrs = got.attributes.unwrap_or_default();
        let number = |name: QueueAttributeName| attrs.get(&name).and_then(|v| v.parse().ok());
        let redrive: Option<serde_json::Value> = attrs
            .get(&QueueAttributeName::RedrivePolicy)
            .and_then(|v| serde_json::from_str(v).ok());
        let redrive = redrive.as_ref();
        out.insert(
            queue_name(url).to_owned(),
            QueueAttributes {
                visibility_timeout_s: number(QueueAttributeName::VisibilityTimeout),
                retention_s: number(QueueAttributeName::MessageRetentionPeriod),
                // SQS writes the count as a number; some clients as a string.
                max_receive_count: redrive.and_then(|r| {
                    let count = &r["maxReceiveCount"];
                    count.as_u64().or_else(|| count.as_str()?.parse().ok())
                }),
                dead_letter_queue: redrive
                    .and_then(|r| r["deadLetterTargetArn"].as_str())
                    .map(|arn| queue_name(arn).to_owned()),
            },
        );
    }
    Ok(out)
}

/// Every disagreement between the created stack and the code.
pub fn problems(stack: &Stack, queues: &BTreeMap<String, QueueAttributes>) -> Vec<String> {
    let mut p = function_problems(stack);
    p.extend(env_value_problems(stack));
    p.extend(trigger_problems(stack));
    p.extend(queue_problems(stack, queues));
    p
}

fn expect(problems: &mut Vec<String>, ok: bool, message: impl FnOnce() -> String) {
    if !ok {
        problems.push(message());
    }
}

/// Every function of the code is created, on the Rust runtime, within Lambda's longest timeout,
/// with exactly the variables it reads; the stack has no function the code does not know.
pub fn function_problems(stack: &Stack) -> Vec<String> {
    let mut p = Vec::new();
    for id in stack.functions.keys() {
        expect(&mut p, FUNCTIONS.iter().any(|f| f.logical_id == id), || {
            format!("the stack has function {id}, which is not in cpindex::routes::FUNCTIONS")
        });
    }
    for f in FUNCTIONS {
        let id = f.logical_id;
        let Some(created) = stack.functions.get(id) else {
            p.push(format!("function {id} ({}) was not created", f.binary));
            continue;
        };
        expect(&mut p, created.runtime.as_deref() == Some(RUNTIME), || {
            format!("{id}: runtime {:?}, expected {RUNTIME}", created.runtime)
        });
        expect(&mut p, created.handler.as_deref() == Some(HANDLER), || {
            format!("{id}: handler {:?}, expected {HANDLER}", created.handler)
        });
        expect(&mut p, created.timeout_s <= LAMBDA_MAX_TIMEOUT_S, || {
            format!(
                "{id}: timeout {} s, Lambda allows at most {LAMBDA_MAX_TIMEOUT_S} s",
                created.timeout_s
            )
        });
        let got: BTreeSet<&str> = created.env.keys().map(String::as_str).collect();
        let want: BTreeSet<&str> = f.env.iter().copied().collect();
        for missing in want.difference(&got) {
            p.push(format!(
                "{id}: variable {missing} is read by the code but the stack does not set it"
            ));
        }
        for extra in got.difference(&want) {
            p.push(format!(
                "{id}: the stack sets variable {extra}, which is not in the code's FunctionDef.env"
            ));
        }
    }
    p
}

/// Each variable holds what it names: the stack's table, the queue (or dead-letter queue) its
/// name says, the stack's child key secret, the parameter it carries, the national retention.
pub fn env_value_problems(stack: &Stack) -> Vec<String> {
    let mut p = Vec::new();
    let is = |kind: &str, value: &str| stack.physical_ids(kind).any(|id| id == value);
    for (id, f) in &stack.functions {
        for (name, value) in &f.env {
            let name = name.as_str();
            let (ok, want) = if name == env::TABLE_NAME {
                (
                    is("AWS::DynamoDB::Table", value),
                    "the stack's table".to_owned(),
                )
            } else if let Some(q) = QUEUES.iter().find(|q| q.url_env == name) {
                let want = q.name(&stack.stack);
                (
                    queue_name(value) == want && is("AWS::SQS::Queue", value),
                    format!("the URL of the stack's queue {want}"),
                )
            } else if name == env::ALERT_DELIVERY_DLQ_URL {
                let want = ALERT_DELIVERY_QUEUE.dlq_name(&stack.stack);
                (
                    queue_name(value) == want && is("AWS::SQS::Queue", value),
                    format!("the URL of the stack's queue {want}"),
                )
            } else if name == env::CHILD_KEY_SECRET_ARN {
                (
                    is("AWS::SecretsManager::Secret", value),
                    "the ARN of the stack's child key secret".to_owned(),
                )
            } else if name == env::RETENTION_MONTHS {
                // The stack was given no RetentionMonths: the template's default must be the
                // national rule the code applies.
                let national = Retention::default().months.to_string();
                (*value == national, format!("the national {national}"))
            } else if name == env::TRANSFER_WINDOW_DAYS {
                // Likewise the template's default transfer window is the code's.
                let days = TransferWindow::default().days.to_string();
                (*value == days, format!("the default {days}"))
            } else if name == env::LOOKUP_CAP_PER_HOUR {
                // And the template's default cap is the code's.
                let cap = UsageCap::default().per_hour().to_string();
                (*value == cap, format!("the default {cap}"))
            } else if name == env::ALERT_ACK_HOURS {
                // And the template's default acknowledgement window is the code's.
                let hours = AckWindow::default().as_hours().to_string();
                (*value == hours, format!("the default {hours}"))
            } else if let Some((_, param)) = FROM_LIST_PARAMETERS.iter().find(|(v, _)| *v == name) {
                // A CommaDelimitedList, joined with commas into the variable (the emulator shows
                // the list as Python prints one, CloudFormation as given).
                let given = stack.parameters.get(*param).map(|raw| as_list(raw));
                (
                    given.as_deref() == Some(value.as_str()),
                    format!("parameter {param} joined with commas ({given:?})"),
                )
            } else if let Some((_, param)) = FROM_PARAMETERS.iter().find(|(v, _)| *v == name) {
                let given = stack.parameters.get(*param);
                (
                    given == Some(value),
                    format!("parameter {param} ({given:?})"),
                )
            } else {
                p.push(format!(
                    "{id}: variable {name} has no rule in the rehearsal: say what it names"
                ));
                continue;
            };
            expect(&mut p, ok, || {
                format!("{id}: variable {name} is {value:?}, expected {want}")
            });
        }
    }
    p
}

/// Each function is invoked as its `Trigger` says: an HTTP function by no queue or schedule; a
/// queue consumer by exactly one enabled mapping on its queue, with its batch size, partial
/// batch failures, fewer pollers than its reserved concurrency and its timeout; a scheduled
/// function by exactly one enabled schedule and nothing else.
pub fn trigger_problems(stack: &Stack) -> Vec<String> {
    let mut p = Vec::new();
    for f in FUNCTIONS {
        let id = f.logical_id;
        let Some(created) = stack.functions.get(id) else {
            continue; // reported by function_problems
        };
        let mappings: Vec<_> = stack
            .event_sources
            .iter()
            .filter(|m| m.function_arn == created.arn)
            .collect();
        let schedules: Vec<_> = stack
            .schedules
            .iter()
            .filter(|s| s.target_arns.contains(&created.arn))
            .collect();
        match f.trigger {
            Trigger::Http => {
                expect(&mut p, mappings.is_empty() && schedules.is_empty(), || {
                    format!(
                        "{id}: the code triggers it by HTTP only; the stack gives it {} queue \
                         mapping(s) and {} schedule(s)",
                        mappings.len(),
                        schedules.len()
                    )
                });
            }
            Trigger::Schedule => {
                expect(&mut p, mappings.is_empty(), || {
                    format!(
                        "{id}: a queue mapping on a function the code triggers by schedule only"
                    )
                });
                expect(&mut p, schedules.len() == 1 && schedules[0].enabled, || {
                    let found: Vec<_> = schedules
                        .iter()
                        .map(|s| format!("{} enabled: {}", s.expression, s.enabled))
                        .collect();
                    format!("{id}: expected exactly one enabled schedule; found {found:?}")
                });
            }
            Trigger::Queue {
                queue,
                batch_size,
                timeout_s,
            } => {
                let want = queue.name(&stack.stack);
                expect(&mut p, schedules.is_empty(), || {
                    format!("{id}: a schedule on a queue consumer (of {want})")
                });
                let on_queue: Vec<_> = mappings
                    .iter()
                    .filter(|m| queue_name(&m.source_arn) == want)
                    .collect();
                expect(&mut p, on_queue.len() == 1 && mappings.len() == 1, || {
                    format!(
                        "{id}: expected exactly one queue mapping, on {want}; found {} mapping(s), \
                         {} on {want}",
                        mappings.len(),
                        on_queue.len()
                    )
                });
                for m in on_queue {
                    expect(&mut p, m.enabled, || {
                        format!("{id}: its mapping on {want} is disabled")
                    });
                    expect(&mut p, m.batch_size == Some(u64::from(batch_size)), || {
                        format!(
                            "{id}: batch size {:?}, the code says {batch_size}",
                            m.batch_size
                        )
                    });
                    expect(
                        &mut p,
                        m.response_types
                            .iter()
                            .any(|t| t == "ReportBatchItemFailures"),
                        || format!("{id}: its mapping lacks ReportBatchItemFailures"),
                    );
                    // Pollers above the function's reserved concurrency meet throttles, and a
                    // throttled receive counts towards dead-lettering: keep them below it.
                    let reserved = created.reserved_concurrency;
                    expect(
                        &mut p,
                        matches!((m.maximum_concurrency, reserved), (Some(m), Some(c)) if m < c),
                        || {
                            format!(
                                "{id}: maximum concurrency {:?} must be set and below the \
                                 function's reserved concurrency {reserved:?}",
                                m.maximum_concurrency
                            )
                        },
                    );
                }
                expect(&mut p, created.timeout_s == u64::from(timeout_s), || {
                    format!(
                        "{id}: timeout {} s, the code says {timeout_s} s",
                        created.timeout_s
                    )
                });
            }
        }
    }
    p
}

/// Every queue of the code is created with its visibility, dead-letter queue, receive count and
/// the dead-letter queue's retention; each consumer's timeout fits six times in the visibility;
/// the stack has no queue the code does not know.
pub fn queue_problems(stack: &Stack, queues: &BTreeMap<String, QueueAttributes>) -> Vec<String> {
    let mut p = Vec::new();
    let mut known = BTreeSet::new();
    for q in QUEUES {
        let (name, dlq) = (q.name(&stack.stack), q.dlq_name(&stack.stack));
        known.insert(name.clone());
        known.insert(dlq.clone());
        let Some(attrs) = queues.get(&name) else {
            p.push(format!("queue {name} was not created"));
            continue;
        };
        let visibility = u64::from(q.visibility_timeout_s);
        expect(
            &mut p,
            attrs.visibility_timeout_s == Some(visibility),
            || {
                format!(
                    "{name}: visibility timeout {:?}, keys.rs says {visibility}",
                    attrs.visibility_timeout_s
                )
            },
        );
        expect(
            &mut p,
            attrs.max_receive_count == Some(u64::from(q.max_receive_count)),
            || {
                format!(
                    "{name}: maxReceiveCount {:?}, keys.rs says {}",
                    attrs.max_receive_count, q.max_receive_count
                )
            },
        );
        expect(
            &mut p,
            attrs.dead_letter_queue.as_ref() == Some(&dlq),
            || {
                format!(
                    "{name}: dead-letters to {:?}, expected {dlq}",
                    attrs.dead_letter_queue
                )
            },
        );
        match queues.get(&dlq) {
            None => p.push(format!("dead-letter queue {dlq} was not created")),
            Some(d) => {
                let want = u64::from(q.dlq_retention_days) * 86_400;
                expect(&mut p, d.retention_s == Some(want), || {
                    format!(
                        "{dlq}: keeps messages {:?} s, keys.rs says {} days ({want} s)",
                        d.retention_s, q.dlq_retention_days
                    )
                });
            }
        }
        for m in stack
            .event_sources
            .iter()
            .filter(|m| queue_name(&m.source_arn) == name)
        {
            let Some((id, consumer)) = stack
                .functions
                .iter()
                .find(|(_, f)| f.arn == m.function_arn)
            else {
                p.push(format!(
                    "{name}: consumed by {}, not a stack function",
                    m.function_arn
                ));
                continue;
            };
            let visible = attrs.visibility_timeout_s.unwrap_or(0);
            expect(&mut p, visible >= 6 * consumer.timeout_s, || {
                format!(
                    "{name}: visibility timeout {visible} s is less than six times the timeout of \
                     its consumer {id} ({} s)",
                    consumer.timeout_s
                )
            });
        }
    }
    for name in queues.keys() {
        expect(&mut p, known.contains(name), || {
            format!("the stack has queue {name}, which is not in cpindex::keys::QUEUES")
        });
    }
    p
}

#[cfg(test)]
mod tests {
    //! Each check can fail: a stack that agrees with the code by construction, broken on purpose.

    use super::*;
    use crate::stack::{EventSource, Function, Resource, Schedule};
    use cpindex::routes::{self, FunctionDef};

    const STACK: &str = "s";

    fn arn(f: FunctionDef) -> String {
        format!(
            "arn:aws:lambda:eu-west-2:1:function:{STACK}-{}",
            f.logical_id
        )
    }

    fn url(name: &str) -> String {
        format!("https://sqs.eu-west-2.amazonaws.com/1/{name}")
    }

    fn agreeing() -> (Stack, BTreeMap<String, QueueAttributes>) {
        let mut resources = BTreeMap::new();
        let mut resource = |id: &str, kind: &str, physical_id: String| {
            resources.insert(
                id.to_owned(),
                Resource {
                    kind: kind.to_owned(),
                    physical_id,
                },
            );
        };
        resource("Table", "AWS::DynamoDB::Table", "s-Table-1".into());
        resource(
            "ChildKeySecret",
            "AWS::SecretsManager::Secret",
            "arn:secret".into(),
        );
        let mut queues = BTreeMap::new();
        for q in QUEUES {
            let (name, dlq) = (q.name(STACK), q.dlq_name(STACK));
            resource(&name, "AWS::SQS::Queue", url(&name));
            resource(&dlq, "AWS::SQS::Queue", url(&dlq));
            queues.insert(
                name,
                QueueAttributes {
                    visibility_timeout_s: Some(q.visibility_timeout_s.into()),
                    retention_s: Some(1_209_600),
                    max_receive_count: Some(q.max_receive_count.into()),
                    dead_letter_queue: Some(dlq.clone()),
                },
            );
            queues.insert(
                dlq,
                QueueAttributes {
                    retention_s: Some(u64::from(q.dlq_retention_days) * 86_400),
                    ..QueueAttributes::default()
                },
            );
        }
        let mut parameters: BTreeMap<String, String> = FROM_PARAMETERS
            .iter()
            .map(|(_, p)| ((*p).to_owned(), format!("value of {p}")))
            .collect();
        // The list parameters, as the emulator shows one.
        for (_, p) in FROM_LIST_PARAMETERS {
            parameters.insert(p.into(), "['api-a', 'api-b']".into());
        }
        let value = |name: &str| -> String {
            if name == env::TABLE_NAME {
                "s-Table-1".into()
            } else if let Some(q) = QUEUES.iter().find(|q| q.url_env == name) {
                url(&q.name(STACK))
            } else if name == env::ALERT_DELIVERY_DLQ_URL {
                url(&ALERT_DELIVERY_QUEUE.dlq_name(STACK))
            } else if name == env::CHILD_KEY_SECRET_ARN {
                "arn:secret".into()
            } else if name == env::RETENTION_MONTHS {
                Retention::default().months.to_string()
            } else if name == env::TRANSFER_WINDOW_DAYS {
                TransferWindow::default().days.to_string()
            } else if name == env::LOOKUP_CAP_PER_HOUR {
                UsageCap::default().per_hour().to_string()
            } else if name == env::ALERT_ACK_HOURS {
                AckWindow::default().as_hours().to_string()
            } else if FROM_LIST_PARAMETERS.iter().any(|(v, _)| *v == name) {
                "api-a,api-b".into()
            } else {
                let (_, p) = FROM_PARAMETERS.iter().find(|(v, _)| *v == name).unwrap();
                format!("value of {p}")
            }
        };
        let mut functions = BTreeMap::new();
        let mut event_sources = Vec::new();
        let mut schedules = Vec::new();
        for f in FUNCTIONS {
            let timeout_s = match f.trigger {
                Trigger::Queue { timeout_s, .. } => timeout_s.into(),
                _ => 10,
            };
            functions.insert(
                f.logical_id.to_owned(),
                Function {
                    name: f.logical_id.to_owned(),
                    arn: arn(*f),
                    runtime: Some(RUNTIME.into()),
                    handler: Some(HANDLER.into()),
                    timeout_s,
                    memory_mb: 128,
                    reserved_concurrency: Some(20),
                    env: f.env.iter().map(|n| ((*n).to_owned(), value(n))).collect(),
                },
            );
            match f.trigger {
                Trigger::Queue {
                    queue, batch_size, ..
                } => event_sources.push(EventSource {
                    function_arn: arn(*f),
                    source_arn: format!("arn:aws:sqs:eu-west-2:1:{}", queue.name(STACK)),
                    batch_size: Some(batch_size.into()),
                    response_types: vec!["ReportBatchItemFailures".into()],
                    maximum_concurrency: Some(10),
                    enabled: true,
                }),
                Trigger::Schedule => schedules.push(Schedule {
                    expression: "rate(15 minutes)".into(),
                    enabled: true,
                    target_arns: vec![arn(*f)],
                }),
                Trigger::Http => {}
            }
        }
        let stack = Stack {
            stack: STACK.into(),
            parameters,
            resources,
            functions,
            event_sources,
            schedules,
        };
        (stack, queues)
    }

    #[track_caller]
    fn assert_reports(problems: Vec<String>, needles: &[&str]) {
        assert!(
            problems
                .iter()
                .any(|p| needles.iter().all(|needle| p.contains(needle))),
            "expected a problem naming {needles:?}, got {problems:#?}"
        );
    }

    fn function(stack: &mut Stack, f: FunctionDef) -> &mut Function {
        stack.functions.get_mut(f.logical_id).unwrap()
    }

    #[test]
    fn a_stack_that_agrees_with_the_code_has_no_problem() {
        let (stack, queues) = agreeing();
        assert_eq!(problems(&stack, &queues), Vec::<String>::new());
    }

    #[test]
    fn a_missing_extra_or_dropped_variable_or_function_is_named() {
        let lookup = routes::LOOKUP.logical_id;
        let (mut stack, _) = agreeing();
        function(&mut stack, routes::LOOKUP)
            .env
            .remove(env::CHILD_KEY_SECRET_ARN);
        assert_reports(
            function_problems(&stack),
            &[lookup, env::CHILD_KEY_SECRET_ARN, "does not set"],
        );

        let (mut stack, _) = agreeing();
        function(&mut stack, routes::LOOKUP)
            .env
            .insert("DEBUG".into(), "1".into());
        assert_reports(
            function_problems(&stack),
            &[lookup, "DEBUG", "not in the code"],
        );
        assert_reports(env_value_problems(&stack), &[lookup, "DEBUG", "no rule"]);

        let (mut stack, _) = agreeing();
        stack.functions.remove(routes::PLAN_UPSERT.logical_id);
        assert_reports(
            function_problems(&stack),
            &["PlanUpsertFunction", "not created"],
        );

        let (mut stack, _) = agreeing();
        function(&mut stack, routes::WEB).runtime = Some("python3.12".into());
        assert_reports(function_problems(&stack), &["WebFunction", "python3.12"]);

        let (mut stack, _) = agreeing();
        function(&mut stack, routes::RECONCILE).timeout_s = 901;
        assert_reports(
            function_problems(&stack),
            &["ReconcileFunction", "901 s", "at most 900"],
        );
    }

    #[test]
    fn a_variable_naming_the_wrong_resource_is_named() {
        let ops = routes::OPS.logical_id;
        let (mut stack, _) = agreeing();
        let delivery = url(&ALERT_DELIVERY_QUEUE.name(STACK));
        function(&mut stack, routes::OPS)
            .env
            .insert(env::ALERT_DELIVERY_DLQ_URL.into(), delivery);
        assert_reports(
            env_value_problems(&stack),
            &[ops, env::ALERT_DELIVERY_DLQ_URL, "alert-delivery-dlq"],
        );

        let (mut stack, _) = agreeing();
        function(&mut stack, routes::WEB)
            .env
            .insert(env::OIDC_ISSUER.into(), "value of OidcTokenUrl".into());
        assert_reports(env_value_problems(&stack), &[env::OIDC_ISSUER, "JwtIssuer"]);

        let (mut stack, _) = agreeing();
        function(&mut stack, routes::INBOX)
            .env
            .insert(env::RETENTION_MONTHS.into(), "6".into());
        assert_reports(
            env_value_problems(&stack),
            &[env::RETENTION_MONTHS, "\"6\""],
        );

        let (mut stack, _) = agreeing();
        function(&mut stack, routes::INBOX)
            .env
            .insert(env::TABLE_NAME.into(), "another-table".into());
        assert_reports(
            env_value_problems(&stack),
            &[env::TABLE_NAME, "another-table"],
        );
    }

    #[test]
    fn a_consumer_or_schedule_that_drifts_from_its_trigger_is_named() {
        let fanout = routes::ALERT_FANOUT.logical_id;
        let (mut stack, _) = agreeing();
        let mapping = stack
            .event_sources
            .iter_mut()
            .find(|m| m.function_arn == arn(routes::ALERT_FANOUT))
            .unwrap();
        mapping.batch_size = Some(7);
        mapping.response_types.clear();
        let problems = trigger_problems(&stack);
        assert_reports(problems.clone(), &[fanout, "batch size", "7"]);
        assert_reports(problems, &[fanout, "ReportBatchItemFailures"]);

        let (mut stack, _) = agreeing();
        function(&mut stack, routes::ALERT_FANOUT).reserved_concurrency = Some(10);
        assert_reports(trigger_problems(&stack), &[fanout, "maximum concurrency"]);

        let (mut stack, _) = agreeing();
        function(&mut stack, routes::ALERT_FANOUT).timeout_s = 45;
        assert_reports(trigger_problems(&stack), &[fanout, "timeout 45"]);

        let (mut stack, _) = agreeing();
        stack
            .event_sources
            .retain(|m| m.function_arn != arn(routes::ALERT_FANOUT));
        assert_reports(
            trigger_problems(&stack),
            &[fanout, "exactly one queue mapping"],
        );

        let (mut stack, _) = agreeing();
        let schedule = stack.schedules[0].clone();
        stack.schedules.push(schedule);
        assert_reports(
            trigger_problems(&stack),
            &["ReconcileFunction", "exactly one"],
        );

        let (mut stack, _) = agreeing();
        stack.schedules[0].enabled = false;
        assert_reports(
            trigger_problems(&stack),
            &["ReconcileFunction", "enabled: false"],
        );

        let (mut stack, _) = agreeing();
        stack.schedules[0].target_arns.push(arn(routes::OPS));
        assert_reports(trigger_problems(&stack), &["OpsFunction", "HTTP only"]);
    }

    #[test]
    fn a_queue_that_drifts_from_keys_rs_or_outruns_its_consumer_is_named() {
        let q = &QUEUES[0];
        let (name, dlq) = (q.name(STACK), q.dlq_name(STACK));
        let (stack, mut queues) = agreeing();
        let attrs = queues.get_mut(&name).unwrap();
        attrs.max_receive_count = Some(9);
        attrs.dead_letter_queue = Some("elsewhere".into());
        let problems = queue_problems(&stack, &queues);
        assert_reports(problems.clone(), &[&name, "maxReceiveCount", "9"]);
        assert_reports(problems, &[&name, "elsewhere"]);

        let (stack, mut queues) = agreeing();
        queues.remove(&dlq);
        queues.insert("stray".into(), QueueAttributes::default());
        let problems = queue_problems(&stack, &queues);
        assert_reports(problems.clone(), &[&dlq, "not created"]);
        assert_reports(problems, &["stray", "not in cpindex::keys::QUEUES"]);

        // A consumer whose timeout is more than a sixth of the visibility timeout.
        let (mut stack, queues) = agreeing();
        function(&mut stack, routes::ALERT_FANOUT).timeout_s =
            u64::from(q.visibility_timeout_s) / 6 + 1;
        assert_reports(queue_problems(&stack, &queues), &[&name, "six times"]);
    }
}
