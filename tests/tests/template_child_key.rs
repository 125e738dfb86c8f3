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
