//! The answer against the OpenAPI contract, validated by a maintained JSON Schema implementation.

use super::*;

pub(crate) fn openapi() -> Value {
    let text = std::fs::read_to_string(repo_path("infra/openapi.yaml")).unwrap();
    serde_norway::from_str(&text).expect("infra/openapi.yaml is YAML")
}

/// OpenAPI 3.0 writes "or null" as `nullable: true`; JSON Schema writes it as a type union.
/// Rewrites every schema of the document so that a JSON Schema validator reads it as meant.
pub(crate) fn as_json_schema(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for child in m.values_mut() {
                as_json_schema(child);
            }
            if m.remove("nullable") == Some(Value::Bool(true)) {
                match m.get("type").cloned() {
                    Some(Value::String(t)) => {
                        m.insert("type".into(), json!([t, "null"]));
                        if let Some(Value::Array(allowed)) = m.get_mut("enum") {
                            allowed.push(Value::Null);
                        }
                    }
                    _ => {
                        let inner = Value::Object(std::mem::take(m));
                        m.insert("anyOf".into(), json!([inner, {"type": "null"}]));
                    }
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(as_json_schema),
        _ => {}
    }
}

/// The answer is documented for the route and status, with this content type and a schema the
/// body conforms to.
pub(crate) fn contract_problems(
    o: &Value,
    route_key: &str,
    status: u16,
    content_type: &str,
    body: &Value,
) -> Vec<String> {
    let Some((method, path)) = route_key.split_once(' ') else {
        return vec![format!("route key {route_key} is not `METHOD /path`")];
    };
    let op = &o["paths"][path][method.to_ascii_lowercase()];
    let Some(mut response) = op["responses"].get(status.to_string()) else {
        return vec![format!(
            "infra/openapi.yaml does not document {status} for {route_key}"
        )];
    };
    if let Some(target) = response["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
        response = o.pointer(target).unwrap_or(response);
    }
    let pointer = format!("/content/{}/schema", content_type.replace('/', "~1"));
    let Some(schema) = response.pointer(&pointer) else {
        return vec![format!(
            "infra/openapi.yaml documents no {content_type} body for {status} of {route_key}"
        )];
    };
    // The whole contract is the root, so the schema's `$ref`s to components resolve.
    let mut root = o.clone();
    as_json_schema(&mut root);
    let mut schema = schema.clone();
    as_json_schema(&mut schema);
    root["$defs"] = json!({"answer": schema});
    root["$ref"] = json!("#/$defs/answer");
    let validator = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&root)
        .expect("the contract's schemas compile");
    validator
        .iter_errors(body)
        .map(|e| {
            let at = e.instance_path().to_string();
            let at = if at.is_empty() { "(body)".into() } else { at };
            format!("{status} of {route_key} disagrees with infra/openapi.yaml at {at}: {e}")
        })
        .collect()
}
