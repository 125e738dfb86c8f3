//! The table in `infra/template.yaml` against `cpindex::keys::TABLE`: its keys, indexes and TTL
//! attribute (the rehearsal's stack does not apply TTL, so only this reads it).

mod infra_yaml;

use std::collections::{BTreeMap, BTreeSet};

use cpindex::keys::TABLE;
use infra_yaml::*;

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
        // The cost model (BENCHMARKS.md) is on-demand capacity. Point-in-time recovery and
        // encryption with the stack's key are checkov's (make template-scan).
        (&["BillingMode"][..], Value::from("PAY_PER_REQUEST")),
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

#[test]
fn the_table_has_the_keys_indexes_and_ttl_of_keys_rs() {
    assert_none("infra/template.yaml (table)", table_problems(&template()));
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
    t["Resources"]["Table"]["Properties"]["TimeToLiveSpecification"]["Enabled"] =
        Value::Bool(false);
    assert_reports(table_problems(&t), &["TimeToLiveSpecification.Enabled"]);
}
