//! Reads a JSON object field by field, so every error names the field at fault and
//! unknown fields are refused rather than ignored.

use serde_json::{Map, Value};

use crate::problem::{ErrorCode, FieldError};

/// The largest integer any field or query parameter takes: 2^53 - 1, the largest every client
/// language holds exactly (JavaScript's numbers are IEEE doubles; above this, two versions can
/// read as the same number and an update could be lost or refused as stale).
pub const MAX_INTEGER: u64 = (1 << 53) - 1;

/// The JSON type of a value, for messages (never the value itself: it may be personal data).
fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A JSON object being parsed; `finish` refuses any field nobody asked for.
pub struct ObjectReader<'a> {
    path: String,
    map: &'a Map<String, Value>,
    seen: Vec<&'static str>,
}

impl<'a> ObjectReader<'a> {
    /// `path` is the JSON pointer of this object (`""` for the root).
    pub fn new(value: &'a Value, path: &str) -> Result<Self, FieldError> {
        match value {
            Value::Object(map) => Ok(Self {
                path: path.to_owned(),
                map,
                seen: Vec::new(),
            }),
            _ => Err(FieldError::new(
                ErrorCode::MalformedJson,
                path,
                "expected a JSON object",
            )),
        }
    }

    /// The pointer of a field of this object.
    pub fn pointer(&self, name: &str) -> String {
        format!("{}/{}", self.path, name)
    }

    fn get(&mut self, name: &'static str) -> Option<&'a Value> {
        self.seen.push(name);
        match self.map.get(name) {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    /// An optional string field (`null` is the same as absent). Any other JSON type is refused
    /// with the field's own code, `invalid`.
    pub fn opt_str(
        &mut self,
        name: &'static str,
        invalid: ErrorCode,
    ) -> Result<Option<&'a str>, FieldError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(other) => Err(FieldError::new(
                invalid,
                self.pointer(name),
                format!("expected a string, got {}", json_type(other)),
            )),
        }
    }

    /// A required string field: `missing` when it is absent or `null`, `invalid` when it is not a
    /// string.
    pub fn str(
        &mut self,
        name: &'static str,
        missing: ErrorCode,
        invalid: ErrorCode,
    ) -> Result<&'a str, FieldError> {
        self.opt_str(name, invalid)?.ok_or_else(|| {
            FieldError::new(missing, self.pointer(name), format!("`{name}` is required"))
        })
    }

    /// A required integer from 1 to [`MAX_INTEGER`].
    pub fn positive_u64(&mut self, name: &'static str) -> Result<u64, FieldError> {
        match self.get(name) {
            Some(Value::Number(n)) => n
                .as_u64()
                .filter(|v| (1..=MAX_INTEGER).contains(v))
                .ok_or_else(|| {
                    FieldError::new(
                        ErrorCode::InvalidVersion,
                        self.pointer(name),
                        format!("expected a whole number from 1 to {MAX_INTEGER}"),
                    )
                }),
            None => Err(FieldError::new(
                ErrorCode::MissingField,
                self.pointer(name),
                format!("`{name}` is required"),
            )),
            Some(other) => Err(FieldError::new(
                ErrorCode::InvalidVersion,
                self.pointer(name),
                format!(
                    "expected a whole number from 1 to {MAX_INTEGER}, got {}",
                    json_type(other)
                ),
            )),
        }
    }

    /// Marks a field as handled elsewhere (so `finish` does not call it unknown).
    pub fn handled(&mut self, name: &'static str) {
        self.seen.push(name);
    }

    /// A required nested object.
    pub fn object(
        &mut self,
        name: &'static str,
        missing: ErrorCode,
    ) -> Result<ObjectReader<'a>, FieldError> {
        let pointer = self.pointer(name);
        match self.get(name) {
            None => Err(FieldError::new(
                missing,
                pointer,
                format!("`{name}` is required"),
            )),
            Some(v) => ObjectReader::new(v, &pointer),
        }
    }

    /// Refuses fields that were never asked for (typos must not be silently dropped).
    pub fn finish(self) -> Result<(), FieldError> {
        let mut unknown: Vec<&String> = self
            .map
            .keys()
            .filter(|k| !self.seen.contains(&k.as_str()))
            .collect();
        unknown.sort();
        match unknown.first() {
            None => Ok(()),
            Some(k) => Err(FieldError::new(
                ErrorCode::UnknownField,
                format!("{}/{}", self.path, k),
                format!("unknown field `{k}`"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_the_unknown_field() {
        let v = json!({"a": "x", "b": 1});
        let mut r = ObjectReader::new(&v, "/records/2").unwrap();
        assert_eq!(r.opt_str("a", ErrorCode::InvalidText).unwrap(), Some("x"));
        let e = r.finish().unwrap_err();
        assert_eq!(e.code, ErrorCode::UnknownField);
        assert_eq!(e.field, "/records/2/b");
    }

    #[test]
    fn null_counts_as_absent_and_wrong_types_are_named() {
        let v = json!({"a": null, "n": "7", "m": 0});
        let mut r = ObjectReader::new(&v, "").unwrap();
        assert_eq!(r.opt_str("a", ErrorCode::InvalidText).unwrap(), None);
        assert_eq!(r.positive_u64("n").unwrap_err().field, "/n");
        assert_eq!(
            r.positive_u64("m").unwrap_err().code,
            ErrorCode::InvalidVersion
        );
        let missing = r.str("z", ErrorCode::MissingField, ErrorCode::InvalidText);
        assert_eq!(missing.unwrap_err().field, "/z");
    }
}
