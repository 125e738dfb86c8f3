//! The stack the deploy rehearsal created in the emulator's CloudFormation, as
//! `scripts/deploy-rehearsal.py` wrote it down: each function as Lambda holds it, the event
//! source mappings, the schedules, and every resource's physical id.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use cpindex::routes::FunctionDef;
use integration_tests::artefacts::Launch;
use serde::Deserialize;

/// Why the stack cannot be read or launched from.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error("cannot read {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not the rehearsal's stack")]
    Parse {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("the stack has no function {0}")]
    NoFunction(&'static str),
}

/// One function as the created stack holds it.
#[derive(Debug, Clone, Deserialize)]
pub struct Function {
    pub name: String,
    pub arn: String,
    pub runtime: Option<String>,
    pub handler: Option<String>,
    pub timeout_s: u64,
    pub memory_mb: u32,
    pub reserved_concurrency: Option<u64>,
    pub env: BTreeMap<String, String>,
}

/// An SQS event source mapping.
#[derive(Debug, Clone, Deserialize)]
pub struct EventSource {
    pub function_arn: String,
    pub source_arn: String,
    pub batch_size: Option<u64>,
    pub response_types: Vec<String>,
    pub maximum_concurrency: Option<u64>,
    pub enabled: bool,
}

/// A scheduled EventBridge rule and the functions it invokes.
#[derive(Debug, Clone, Deserialize)]
pub struct Schedule {
    pub expression: String,
    pub enabled: bool,
    pub target_arns: Vec<String>,
}

/// A created resource.
#[derive(Debug, Clone, Deserialize)]
pub struct Resource {
    #[serde(rename = "type")]
    pub kind: String,
    pub physical_id: String,
}

/// The created stack.
#[derive(Debug, Clone, Deserialize)]
pub struct Stack {
    /// The stack's name (queue names start with it).
    pub stack: String,
    /// Every parameter as the stack holds it (given or defaulted).
    pub parameters: BTreeMap<String, String>,
    /// Logical id -> the created resource.
    pub resources: BTreeMap<String, Resource>,
    /// Logical id -> the created function.
    pub functions: BTreeMap<String, Function>,
    pub event_sources: Vec<EventSource>,
    pub schedules: Vec<Schedule>,
}

impl Stack {
    pub fn read(path: &Path) -> Result<Self, StackError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| StackError::Read {
            path: shown.clone(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| StackError::Parse {
            path: shown,
            source,
        })
    }

    /// Physical ids of the created resources of one type.
    pub fn physical_ids<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.resources
            .values()
            .filter(move |r| r.kind == kind)
            .map(|r| r.physical_id.as_str())
    }

    /// What Lambda gives `f`'s process in this stack.
    pub fn launch(&self, f: FunctionDef) -> Result<Launch, StackError> {
        let deployed = self
            .functions
            .get(f.logical_id)
            .ok_or(StackError::NoFunction(f.logical_id))?;
        Ok(Launch {
            name: deployed.name.clone(),
            arn: deployed.arn.clone(),
            timeout: Duration::from_secs(deployed.timeout_s),
            memory_mb: deployed.memory_mb,
            env: deployed.env.clone(),
        })
    }
}

/// The last segment of a queue URL or ARN: the queue's name.
pub fn queue_name(url_or_arn: &str) -> &str {
    url_or_arn.rsplit(['/', ':']).next().unwrap_or(url_or_arn)
}
