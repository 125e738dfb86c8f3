//! Every function and HTTP route, declared once: the routers, the local stack, the OpenAPI
//! contract check and the SAM template check all read this list.

use crate::claims::Role;
use crate::config::env;

/// A Lambda function of the system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FunctionDef {
    /// The crate and binary name (`BuildProperties: Binary` in the template).
    pub binary: &'static str,
    /// The template's logical id.
    pub logical_id: &'static str,
    /// Environment variables the function reads.
    pub env: &'static [&'static str],
}

pub const PLAN_UPSERT: FunctionDef = FunctionDef {
    binary: "plan-upsert",
    logical_id: "PlanUpsertFunction",
    env: &[env::TABLE_NAME, env::RETENTION_MONTHS],
};

pub const LOOKUP: FunctionDef = FunctionDef {
    binary: "lookup",
    logical_id: "LookupFunction",
    env: &[
        env::TABLE_NAME,
        env::ALERT_FANOUT_QUEUE_URL,
        env::RETENTION_MONTHS,
    ],
};

/// Every function.
pub const FUNCTIONS: &[FunctionDef] = &[PLAN_UPSERT, LOOKUP];

/// One HTTP route. Paths use `{param}` placeholders, the syntax both axum and API Gateway use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteDef {
    pub method: &'static str,
    pub path: &'static str,
    pub function: FunctionDef,
    /// Roles allowed; every other verified role gets 403.
    pub roles: &'static [Role],
}

/// Path of one plan, by the LA's own reference.
pub const PLAN_PATH: &str = "/v1/plans/{planRef}";
/// The LA's own plans, paginated.
pub const PLANS_PATH: &str = "/v1/plans";
/// Batch upload (delta or full extract) with a per-record acknowledgement.
pub const PLAN_BATCHES_PATH: &str = "/v1/plan-batches";
/// What a clinician sees for one NHS number.
pub const CHILD_PATH: &str = "/v1/children/{nhsNumber}";

const LA: &[Role] = &[Role::LocalAuthority];
const CARE: &[Role] = &[Role::UnscheduledCare, Role::ScheduledCare];

/// Every HTTP route the system serves.
pub const ROUTES: &[RouteDef] = &[
    RouteDef {
        method: "PUT",
        path: PLAN_PATH,
        function: PLAN_UPSERT,
        roles: LA,
    },
    RouteDef {
        method: "GET",
        path: PLAN_PATH,
        function: PLAN_UPSERT,
        roles: LA,
    },
    RouteDef {
        method: "DELETE",
        path: PLAN_PATH,
        function: PLAN_UPSERT,
        roles: LA,
    },
    RouteDef {
        method: "GET",
        path: PLANS_PATH,
        function: PLAN_UPSERT,
        roles: LA,
    },
    RouteDef {
        method: "POST",
        path: PLAN_BATCHES_PATH,
        function: PLAN_UPSERT,
        roles: LA,
    },
    RouteDef {
        method: "GET",
        path: CHILD_PATH,
        function: LOOKUP,
        roles: CARE,
    },
];

/// The routes one function serves.
pub fn routes_of(function: FunctionDef) -> impl Iterator<Item = &'static RouteDef> {
    ROUTES.iter().filter(move |r| r.function == function)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn routes_are_unique_and_every_function_serves_one() {
        let mut seen = HashSet::new();
        for r in ROUTES {
            assert!(
                seen.insert((r.method, r.path)),
                "duplicate {} {}",
                r.method,
                r.path
            );
            assert!(r.path.starts_with("/v1/"));
            assert!(!r.roles.is_empty());
        }
        for f in FUNCTIONS {
            assert!(
                routes_of(*f).next().is_some(),
                "{} serves no route",
                f.binary
            );
        }
    }
}
