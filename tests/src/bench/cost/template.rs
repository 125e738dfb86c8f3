//! What the cost model reads from the SAM template: each function's memory, a resource's
//! setting, how many resources of a kind.

use std::collections::BTreeMap;

pub fn template_path() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../infra/template.yaml")
}

/// Each function's memory, as the template configures it.
pub fn memory_mb() -> BTreeMap<String, f64> {
    let text = std::fs::read_to_string(template_path()).expect("the SAM template");
    let t: serde_norway::Value = serde_norway::from_str(&text).expect("template YAML");
    cpindex::routes::FUNCTIONS
        .iter()
        .map(|f| {
            let mb = t["Resources"][f.logical_id]["Properties"]["MemorySize"]
                .as_f64()
                .unwrap_or_else(|| panic!("{} has a MemorySize", f.logical_id));
            (f.binary.to_owned(), mb)
        })
        .collect()
}

/// A number the template sets on one resource.
pub fn template_number(resource: &str, property: &str) -> f64 {
    let text = std::fs::read_to_string(template_path()).expect("the SAM template");
    let t: serde_norway::Value = serde_norway::from_str(&text).expect("template YAML");
    t["Resources"][resource]["Properties"][property]
        .as_f64()
        .unwrap_or_else(|| panic!("{resource} sets {property}"))
}

/// How many resources of `kind` the template declares.
pub fn template_count(kind: &str) -> f64 {
    let text = std::fs::read_to_string(template_path()).expect("the SAM template");
    let t: serde_norway::Value = serde_norway::from_str(&text).expect("template YAML");
    t["Resources"]
        .as_mapping()
        .map_or(0, |m| m.values().filter(|r| r["Type"] == kind).count()) as f64
}

/// The default of one of the template's parameters.
pub fn parameter_default(name: &str) -> String {
    let text = std::fs::read_to_string(template_path()).expect("the SAM template");
    let t: serde_norway::Value = serde_norway::from_str(&text).expect("template YAML");
    t["Parameters"][name]["Default"]
        .as_str()
        .unwrap_or_else(|| panic!("parameter {name} has a default"))
        .to_owned()
}

/// The functions' application log level. Panics unless the system log level keeps Lambda's
/// START/END/REPORT lines out, which the cost of logs assumes (only the handlers' lines).
pub fn application_log_level() -> String {
    let text = std::fs::read_to_string(template_path()).expect("the SAM template");
    let t: serde_norway::Value = serde_norway::from_str(&text).expect("template YAML");
    let logging = &t["Globals"]["Function"]["LoggingConfig"];
    let system = logging["SystemLogLevel"].as_str().unwrap_or("INFO");
    assert!(
        matches!(system, "WARN" | "ERROR"),
        "the cost of logs counts no platform lines, but SystemLogLevel is {system}"
    );
    logging["ApplicationLogLevel"]
        .as_str()
        .expect("Globals set ApplicationLogLevel")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::cost::LONDON;

    #[test]
    fn every_table_class_the_template_allows_is_priced_as_aws_relates_them() {
        let text = std::fs::read_to_string(template_path()).expect("the SAM template");
        let t: serde_norway::Value = serde_norway::from_str(&text).expect("template YAML");
        let allowed = t["Parameters"]["TableClass"]["AllowedValues"]
            .as_sequence()
            .expect("TableClass lists its values");
        assert!(allowed.len() >= 2, "{allowed:?}");
        let standard = LONDON.dynamo("STANDARD");
        for class in allowed {
            let p = LONDON.dynamo(class.as_str().expect("a class name"));
            if class.as_str() == Some("STANDARD_INFREQUENT_ACCESS") {
                // Requests 25 % dearer, storage at 40 % of the price.
                assert!((p.write_unit / standard.write_unit - 1.25).abs() < 0.001);
                assert!((p.read_unit / standard.read_unit - 1.25).abs() < 0.001);
                assert!((p.gb_month / standard.gb_month - 0.40).abs() < 0.001);
            }
        }
        assert!(allowed
            .iter()
            .any(|c| c.as_str() == Some(parameter_default("TableClass").as_str())));
    }

    #[test]
    fn the_log_model_holds_for_the_template_s_levels() {
        // Panics if the template lets Lambda's own lines into the logs the model does not count.
        let level = application_log_level();
        assert!(matches!(
            level.as_str(),
            "INFO" | "WARN" | "ERROR" | "DEBUG" | "TRACE"
        ));
    }
}
