//! A batch upload's envelope facts, shared by the API (`POST /v1/plan-batches`) and the CLI
//! that builds batches from an LA's extract.

use serde::{Deserialize, Serialize};

/// Most records in one batch.
pub const MAX_RECORDS: usize = 1000;

/// Delta (changes only) or full (the LA's complete current set, recorded for reconciliation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Changes only: the records given are created or updated.
    Delta,
    /// The LA's complete current set: applied like delta and recorded for reconciliation.
    Full,
}

impl Mode {
    pub const ALL: [Mode; 2] = [Mode::Delta, Mode::Full];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Delta => "delta",
            Mode::Full => "full",
        }
    }

    pub fn parse(raw: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.as_str() == raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_round_trip_through_their_names_and_json() {
        for m in Mode::ALL {
            assert_eq!(Mode::parse(m.as_str()), Some(m));
            assert_eq!(serde_json::to_value(m).unwrap(), m.as_str());
        }
        assert_eq!(Mode::parse("FULL"), None);
    }
}
