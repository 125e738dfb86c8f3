//! The child key secret (`cpindex::child_key`) in `infra/template.yaml`: kept with the table it
//! keys, encrypted with the stack's key, and readable by exactly the functions whose code reads
//! `CHILD_KEY_SECRET_ARN`.

mod infra_yaml;

use cpindex::config::env;
use cpindex::routes::FUNCTIONS;
use infra_yaml::*;

/// The secret's logical id.
const CHILD_KEY_SECRET: &str = "ChildKeySecret";

fn child_key_problems(t: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let Some(secret) = at(t, &["Resources", CHILD_KEY_SECRET]) else {
        return vec![format!("no {CHILD_KEY_SECRET} resource")];
    };
    expect(
        &mut p,
        str_at(secret, &["Type"]) == Some("AWS::SecretsManager::Secret"),
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
        str_at(secret, &["DeletionPolicy"]) == Some("Retain"),
        || {
            format!(
                "{CHILD_KEY_SECRET} may be deleted with the stack: the table's keys would be lost"
            )
        },
    );
    p.extend(resource_policy_problems(t));
    for f in FUNCTIONS {
        let Some(r) = at(t, &["Resources", f.logical_id]) else {
            p.push(format!("function {} is not in the template", f.logical_id));
            continue;
        };
        let reads = grants_of(t, r, "secretsmanager:GetSecretValue")
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

/// The secret's resource policy: reading or changing it is denied to every principal but the
/// roles of the functions that read `CHILD_KEY_SECRET_ARN` and the break-glass role, whatever
/// IAM policies say elsewhere in the account.
fn resource_policy_problems(t: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let policies: Vec<_> = resource_policies(t)
        .into_iter()
        .filter(|(_, r)| {
            at(r, &["Properties", "SecretId"]).and_then(ref_target) == Some(CHILD_KEY_SECRET)
        })
        .collect();
    let [(id, policy)] = policies.as_slice() else {
        return vec![format!(
            "{CHILD_KEY_SECRET} has {} resource policies, not one",
            policies.len()
        )];
    };
    let statements = at(policy, &["Properties", "ResourcePolicy", "Statement"])
        .and_then(Value::as_sequence)
        .cloned()
        .unwrap_or_default();
    let deny = statements.iter().find(|st| {
        str_at(st, &["Effect"]) == Some("Deny")
            && str_at(st, &["Principal"]) == Some("*")
            && [
                "secretsmanager:GetSecretValue",
                "secretsmanager:PutSecretValue",
            ]
            .iter()
            .all(|a| statement_actions(st).contains(a))
    });
    let Some(deny) = deny else {
        return vec![format!(
            "{id}: no Deny of reading and writing the secret to every principal"
        )];
    };
    let allowed: Vec<&Value> = at(deny, &["Condition", "ArnNotEquals", "aws:PrincipalArn"])
        .and_then(Value::as_sequence)
        .map(|s| s.iter().collect())
        .unwrap_or_default();
    let mut roles: Vec<String> = allowed
        .iter()
        .filter_map(|v| getatt_target(v))
        .map(|(role, _)| role)
        .collect();
    roles.sort();
    let mut want: Vec<String> = FUNCTIONS
        .iter()
        .filter(|f| f.env.contains(&env::CHILD_KEY_SECRET_ARN))
        .filter_map(|f| at(t, &["Resources", f.logical_id]))
        .filter_map(|r| function_prop(t, r, "Role").and_then(getatt_target))
        .map(|(role, _)| role)
        .collect();
    want.sort();
    expect(&mut p, roles == want, || {
        format!("{id}: excepts the roles {roles:?}; the functions that key children have {want:?}")
    });
    let break_glass = allowed
        .iter()
        .filter(|v| getatt_target(v).is_none())
        .map(|v| format!("{v:?}"))
        .filter(|text| text.contains("BreakGlassRoleName"))
        .count();
    expect(
        &mut p,
        break_glass == 1 && allowed.len() == want.len() + 1,
        || {
            format!("{id}: excepts {} principals besides the functions, not exactly the break-glass role", allowed.len().saturating_sub(want.len()))
        },
    );
    p
}

fn resource_policies(t: &Value) -> Vec<(&str, &Value)> {
    resources_of_type(t, "AWS::SecretsManager::ResourcePolicy")
}

#[test]
fn the_secret_policy_excepts_only_the_keying_functions_and_break_glass() {
    assert_none(
        "infra/template.yaml (child key policy)",
        resource_policy_problems(&template()),
    );
    // The check can fail: let fan-out's role read it too.
    let mut t = template();
    t["Resources"]["ChildKeySecretPolicy"]["Properties"]["ResourcePolicy"]["Statement"][0]
        ["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]
        .as_sequence_mut()
        .expect("the excepted principals")
        .push(yaml("!GetAtt AlertFanoutRole.Arn"));
    assert_reports(resource_policy_problems(&t), &["AlertFanoutRole"]);
    // Or drop the policy.
    let mut t = template();
    t["Resources"]
        .as_mapping_mut()
        .unwrap()
        .remove("ChildKeySecretPolicy");
    assert_reports(resource_policy_problems(&t), &["0 resource policies"]);
}

#[test]
fn only_the_functions_that_key_children_may_read_the_child_key_secret() {
    assert_none(
        "infra/template.yaml (child key)",
        child_key_problems(&template()),
    );
    // The check can fail: grant it to a function that has no business with NHS numbers.
    let mut t = template();
    let grant = yaml(
        "PolicyName: x\nPolicyDocument:\n  Statement:\n    - Effect: Allow\n      Action: secretsmanager:GetSecretValue\n      Resource: !Ref ChildKeySecret\n",
    );
    t["Resources"]["AlertFanoutRole"]["Properties"]["Policies"]
        .as_sequence_mut()
        .expect("fan-out's role has policies")
        .push(grant);
    assert_reports(child_key_problems(&t), &["AlertFanoutFunction", "true"]);
}

#[test]
fn a_child_key_secret_that_may_be_lost_or_is_not_under_the_data_key_is_named() {
    let mut t = template();
    t["Resources"][CHILD_KEY_SECRET]
        .as_mapping_mut()
        .unwrap()
        .remove("DeletionPolicy");
    assert_reports(child_key_problems(&t), &["may be deleted with the stack"]);

    let mut t = template();
    t["Resources"][CHILD_KEY_SECRET]["Properties"]
        .as_mapping_mut()
        .unwrap()
        .remove("KmsKeyId");
    assert_reports(child_key_problems(&t), &["not encrypted with the data key"]);
}
