//! What an operator is told, in `infra/template.yaml`: every function logs JSON to its own log
//! group (kept for a retention), can be traced (one switch for all), is alarmed on errors and
//! throttles, and has its configuration-fault lines counted into the one alarm that watches them; every dead-letter
//! queue is alarmed; every alarm notifies someone. The emulator's CloudFormation creates no
//! alarm or metric filter, so the rehearsal cannot stand for these.

mod infra_yaml;

use cpindex::routes::FUNCTIONS;
use infra_yaml::*;

/// The parameter that turns X-Ray tracing on for every function.
const TRACING_PARAMETER: &str = "TracingMode";

/// The namespace configuration faults are counted in (the alarm's and every filter's).
fn fault_namespace() -> Value {
    serde_norway::from_str("!Sub \"cpindex/${AWS::StackName}\"").expect("a namespace")
}

/// Whether a metric filter on log group `group` counts the lines whose `event` is `event` into
/// `metric` (in the namespace the alarms watch).
fn counts_event(t: &Value, group: &str, event: &str, metric: &str) -> bool {
    let pattern = format!("{{ $.fields.event = \"{event}\" }}");
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
                        str_at(m, &["MetricName"]) == Some(metric)
                            && at(m, &["MetricNamespace"]) == Some(&fault_namespace())
                    })
        })
}

/// Whether a metric filter on log group `group` counts the adapters' configuration-fault lines
/// into the metric the alarm watches.
fn counts_configuration_faults(t: &Value, group: &str) -> bool {
    counts_event(
        t,
        group,
        cpindex::log::MISCONFIGURED,
        cpindex::log::MISCONFIGURED_METRIC,
    )
}

/// Every queue some queue dead-letters to has an alarm on its visible messages: a dead letter is
/// an alert that did not reach an LA.
fn dead_letter_alarm_problems(t: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let alarms = resources_of_type(t, "AWS::CloudWatch::Alarm");
    let dead_letter_queues: Vec<String> = resources_of_type(t, "AWS::SQS::Queue")
        .into_iter()
        .filter_map(|(_, q)| {
            at(q, &["Properties", "RedrivePolicy", "deadLetterTargetArn"]).and_then(getatt_target)
        })
        .map(|(dlq, _)| dlq)
        .collect();
    expect(&mut p, !dead_letter_queues.is_empty(), || {
        "no queue has a dead-letter queue".to_owned()
    });
    for dlq in dead_letter_queues {
        let alarmed = alarms.iter().any(|(_, a)| {
            str_at(a, &["Properties", "MetricName"]) == Some("ApproximateNumberOfMessagesVisible")
                && at(a, &["Properties", "Dimensions"])
                    .and_then(Value::as_sequence)
                    .into_iter()
                    .flatten()
                    .any(|d| {
                        at(d, &["Value"]).and_then(getatt_target)
                            == Some((dlq.clone(), "QueueName".to_owned()))
                    })
        });
        expect(&mut p, alarmed, || {
            format!(
                "{dlq}: no alarm on ApproximateNumberOfMessagesVisible of the dead-letter queue"
            )
        });
    }
    p
}

/// Every function writes JSON logs to its own log group with a retention, is traced when the
/// operator turns tracing on, and has Errors and Throttles alarms; its configuration faults are
/// counted into the one alarm on them.
fn observability_problems(t: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let alarms = resources_of_type(t, "AWS::CloudWatch::Alarm");
    let modes = at(t, &["Parameters", TRACING_PARAMETER, "AllowedValues"]);
    expect(
        &mut p,
        modes.and_then(Value::as_sequence).is_some_and(|m| {
            m.iter().any(|v| v.as_str() == Some("Active"))
                && m.iter().any(|v| v.as_str() == Some("PassThrough"))
        }),
        || {
            format!(
                "{TRACING_PARAMETER} allows {}, expected Active and PassThrough",
                show(modes)
            )
        },
    );
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
        // One switch for every function, off by default (BENCHMARKS.md prices it), which an
        // operator can turn to Active to investigate.
        let tracing = function_prop(t, r, "Tracing");
        expect(
            &mut p,
            tracing.and_then(ref_target) == Some(TRACING_PARAMETER),
            || {
                format!(
                    "{id}: Tracing is {}, expected !Ref {TRACING_PARAMETER}",
                    show(tracing)
                )
            },
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

#[test]
fn every_function_logs_json_traces_and_is_alarmed() {
    assert_none(
        "infra/template.yaml (logs, traces, alarms)",
        observability_problems(&template()),
    );
}

#[test]
fn every_dead_letter_queue_is_alarmed() {
    assert_none(
        "infra/template.yaml (dead-letter alarms)",
        dead_letter_alarm_problems(&template()),
    );
    let mut t = template();
    t["Resources"]
        .as_mapping_mut()
        .unwrap()
        .remove("AlertDeliveryDlqNotEmptyAlarm");
    assert_reports(
        dead_letter_alarm_problems(&t),
        &["AlertDeliveryDlq", "no alarm"],
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
    t["Resources"]["InboxFunction"]["Properties"]["Tracing"] = Value::from("PassThrough");
    assert_reports(observability_problems(&t), &["InboxFunction", "Tracing"]);

    let mut t = template();
    t["Parameters"][TRACING_PARAMETER]["AllowedValues"] =
        serde_norway::from_str("[PassThrough]").expect("a list");
    assert_reports(observability_problems(&t), &[TRACING_PARAMETER, "Active"]);

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

/// plan-upsert's follow-up failures (another LA not told, a number not struck) are counted from
/// its log group into the metric an alarm watches, which notifies someone.
#[test]
fn plan_follow_up_failures_are_counted_and_alarmed() {
    let t = template();
    assert!(
        counts_event(
            &t,
            "PlanUpsertLogGroup",
            cpindex::log::FOLLOW_UP_FAILED,
            cpindex::log::FOLLOW_UP_METRIC
        ),
        "no metric filter counts {} from PlanUpsertLogGroup",
        cpindex::log::FOLLOW_UP_FAILED
    );
    assert_alarmed(&t, cpindex::log::FOLLOW_UP_METRIC);
}

/// Some alarm with actions watches `metric` in the stack's own namespace.
fn assert_alarmed(t: &Value, metric: &str) {
    let alarmed = resources_of_type(t, "AWS::CloudWatch::Alarm")
        .iter()
        .any(|(_, a)| {
            str_at(a, &["Properties", "MetricName"]) == Some(metric)
                && at(a, &["Properties", "Namespace"]) == Some(&fault_namespace())
                && at(a, &["Properties", "AlarmActions"])
                    .and_then(Value::as_sequence)
                    .is_some_and(|s| !s.is_empty())
        });
    assert!(alarmed, "no alarm with actions watches {metric}");
}

/// The usage warnings (a user's busy hour, the cap passed, an operator's many audit reads) are
/// each counted from the lookup's log group into the metric an alarm watches.
#[test]
fn unusual_access_volumes_are_counted_and_alarmed() {
    let t = template();
    for event in cpindex::log::USAGE_EVENTS {
        assert!(
            counts_event(&t, "LookupLogGroup", event, cpindex::log::USAGE_METRIC),
            "no metric filter counts {event} from LookupLogGroup"
        );
    }
    assert_alarmed(&t, cpindex::log::USAGE_METRIC);
}

/// Each reconciliation step's count of an LA's open overdue alerts becomes the metric an alarm
/// watches (its largest, against the stack's threshold): an LA nobody is answering is seen.
#[test]
fn overdue_alerts_are_measured_per_la_and_alarmed() {
    let t = template();
    assert!(
        counts_event(
            &t,
            "ReconcileLogGroup",
            cpindex::log::LA_ALERTS_OVERDUE,
            cpindex::log::OVERDUE_METRIC
        ),
        "no metric filter counts {} from ReconcileLogGroup",
        cpindex::log::LA_ALERTS_OVERDUE
    );
    let filter = resources_of_type(&t, "AWS::Logs::MetricFilter")
        .into_iter()
        .find(|(_, f)| {
            str_at(f, &["Properties", "FilterPattern"])
                .is_some_and(|p| p.contains(cpindex::log::LA_ALERTS_OVERDUE))
        })
        .map(|(_, f)| f)
        .unwrap();
    let value = at(filter, &["Properties", "MetricTransformations"])
        .and_then(Value::as_sequence)
        .and_then(|s| s.first())
        .and_then(|m| str_at(m, &["MetricValue"]));
    assert_eq!(
        value,
        Some("$.fields.overdue"),
        "the count, not one per line"
    );
    assert_alarmed(&t, cpindex::log::OVERDUE_METRIC);
}
