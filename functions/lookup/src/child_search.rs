//! `POST /v1/child-searches`: a clinician's search by date of birth, sex and family name for a
//! child whose NHS number is not known (`cpindex::demographics`). The answer says whether there
//! is a possible match and which LA to call, never who the child is; an unscheduled-care match
//! alerts each LA matched; every search is audited under its exact key.

use std::collections::BTreeMap;
use std::sync::Arc;

use adapters::edge::{ApiError, Caller};
use axum::extract::State;
use axum::{Extension, Json};
use cpindex::answers::{
    ChildSearchAnswer, PossibleMatch, ResponsibleLa, SearchOutcome, MAX_MATCHES_SHOWN,
};
use cpindex::child_search::{DemographicMatch, MatchedPlan, SearchRecord, Searcher};
use cpindex::demographics::{ChildSearch, DemographicKey, MatchKind};
use cpindex::usage::{UsageCap, Use};
use cpindex::{ActiveKeys, OrgCode, PlanRef};

use crate::{unavailable, App, NotAnswered};

/// Entries read under one key: enough to tell "a few" from "too many" after the stale ones are
/// set aside.
pub const ENTRIES_READ: usize = 20;

/// What one plan reference was found by: the key and the kind of match (the best, when both).
type Found = BTreeMap<(OrgCode, PlanRef), (MatchKind, DemographicKey)>;

fn advice(outcome: SearchOutcome, widened: bool) -> String {
    match outcome {
        SearchOutcome::PossibleMatch => "A possible match. Call the local authority below (its \
            emergency duty team out of hours) and confirm who the child is with them before \
            acting: this search does not identify the child."
            .into(),
        SearchOutcome::TooManyMatches => "Too many possible matches to show. Check the date of \
            birth and the family name and search again (without widening, if you widened)."
            .into(),
        SearchOutcome::NoMatch if widened => "No plan was found for these details, spelt this \
            way or sounding alike. This is not proof that the child has no plan: the child may \
            be known by another name or date of birth, or recorded only by NHS number. Follow \
            your local safeguarding procedures."
            .into(),
        SearchOutcome::NoMatch => "No plan was found for these details as spelt. You can widen \
            the search to family names that sound alike. No match is not proof that the child \
            has no plan: follow your local safeguarding procedures."
            .into(),
    }
}

pub(crate) async fn child_search(
    State(app): State<Arc<App>>,
    Extension(keys): Extension<ActiveKeys>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<ChildSearchAnswer>, ApiError> {
    let claims = caller.0;
    let now = app.clock.now();
    let value = adapters::edge::json_body(&headers, &body)?;
    let search = ChildSearch::from_json(&value, now.date_naive())?;
    let searcher = Searcher::new(&claims, now);
    // Every key the data may be under (more than one only during a key rotation).
    let searched: Vec<(MatchKind, DemographicKey)> =
        keys.all().iter().flat_map(|k| search.keys(k)).collect();
    let exact = search.demographics.key_for(keys.write(), MatchKind::Exact);
    let used = if searcher.alerts() {
        Use::Lookup
    } else {
        Use::SilentLookup
    };
    let (counted, entries) = tokio::join!(
        app.usage.count(&claims, now, used),
        futures::future::join_all(
            searched
                .iter()
                .map(|(_, k)| app.demographics.entries(k, ENTRIES_READ))
        )
    );
    let mut record = SearchRecord {
        searcher: searcher.clone(),
        widened: search.widen,
        outcome: None,
        matches: 0,
    };
    if let Ok(n) = counted {
        if app.cap.refuses(n) {
            // Refused, and audited as refused.
            if let Err(e) = app.demographics.record_search(&exact, &record).await {
                tracing::warn!(error = %cpindex::log::chain(&e), "refused search not audited");
            }
            return Err(NotAnswered::OverCap {
                retry_after: UsageCap::retry_after(now),
            }
            .into());
        }
    }
    let mut found = Found::new();
    for ((kind, k), listed) in searched.iter().zip(entries) {
        for at in listed.map_err(|e| unavailable("demographic entries", &e))? {
            let best = found.entry(at).or_insert((*kind, k.clone()));
            if *kind == MatchKind::Exact {
                *best = (*kind, k.clone());
            }
        }
    }
    // Each pointer checked against the plan as it stands (at once; few by construction).
    let today = now.date_naive();
    let candidates = futures::future::join_all(
        found
            .keys()
            .map(|(org, plan_ref)| app.demographics.candidate(org, plan_ref)),
    )
    .await;
    let mut matched = Vec::new();
    for (((org, plan_ref), (kind, k)), candidate) in found.iter().zip(candidates) {
        let candidate = candidate.map_err(|e| unavailable("plan", &e))?;
        if let Some((plan_type, status)) = candidate.named_by(k, today, app.retention) {
            matched.push((
                MatchedPlan {
                    org: org.clone(),
                    plan_ref: plan_ref.clone(),
                    plan_type,
                    matched: *kind,
                },
                status,
            ));
        }
    }
    let outcome = match matched.len() {
        0 => SearchOutcome::NoMatch,
        n if n > MAX_MATCHES_SHOWN => SearchOutcome::TooManyMatches,
        _ => SearchOutcome::PossibleMatch,
    };
    record.outcome = Some(outcome);
    record.matches = u32::try_from(matched.len()).unwrap_or(u32::MAX);
    // An unaudited search is not answered, nor one whose alert could be lost (the clinician
    // searches again: a new search, a new alert).
    let alert =
        (searcher.alerts() && outcome == SearchOutcome::PossibleMatch).then(|| DemographicMatch {
            searcher: searcher.clone(),
            widened: search.widen,
            matches: matched.iter().map(|(m, _)| m.clone()).collect(),
        });
    let (audited, alerted) = tokio::join!(app.demographics.record_search(&exact, &record), async {
        match &alert {
            Some(a) => app.queue.send(a.body()).await.map(|_| ()),
            None => Ok(()),
        }
    });
    audited.map_err(|e| unavailable("search record", &e))?;
    alerted.map_err(|e| unavailable("search alert", &e))?;
    let shown: Vec<_> = if outcome == SearchOutcome::PossibleMatch {
        matched
    } else {
        Vec::new()
    };
    let profiles = app
        .profiles
        .holding(shown.iter().map(|(m, _)| &m.org))
        .await
        .map_err(|e| unavailable("profiles", &e))?;
    let matches = shown
        .into_iter()
        .map(|(m, status)| PossibleMatch {
            la: ResponsibleLa::of(&m.org, profiles.get(&m.org), None),
            plan_type: m.plan_type,
            status,
            matched: m.matched,
        })
        .collect();
    tracing::info!(
        search_id = %searcher.search_id, org = %claims.org, role = %claims.role,
        widened = search.widen, outcome = ?outcome, matches = record.matches,
        alerted = alert.is_some(), "child search answered"
    );
    Ok(Json(ChildSearchAnswer {
        search_id: searcher.search_id,
        outcome,
        widened: search.widen,
        matches,
        advice: advice(outcome, search.widen),
    }))
}
