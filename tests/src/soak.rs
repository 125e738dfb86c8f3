//! `make soak`: a mixed, bounded load on a running local stack for a set time, then the counts
//! that say whether anything was lost, doubled or refused on the way.
//!
//! Clinicians look children up (with and without plans; some silently, from scheduled care);
//! LAs upload deltas and, now and then, full extracts; alerts go to a signed receiver run here
//! (half the LAs) and to every LA's inbox; reconciliation runs on the stack's own schedule. Each
//! lookup is made by a user id of its own, so every alert names the lookup it came from.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use cpindex::{signing, NhsNumber, OrgCode, Role};
use local_stack::auth::LocalAuth;
use serde_json::{json, Value};

/// What to run.
#[derive(Debug, Clone)]
pub struct Settings {
    pub api: String,
    pub state_dir: PathBuf,
    pub duration: Duration,
    pub las: usize,
    /// Children who may get plans; as many again never do.
    pub children: usize,
    /// Lookups per second, all clinicians together.
    pub lookups_per_s: f64,
    /// Process ids whose memory is reported (the local stack, the emulator).
    pub stack_pid: Option<u32>,
    pub emulator_pid: Option<u32>,
}

/// One lookup's expectation: the LAs whose plans were acknowledged before it was sent (each
/// owes one alert), those its answer showed, and those that had sent a plan for the child by the
/// time it was answered (a plan written while the lookup ran may or may not alert, by the order
/// of the two writes: the plan's recheck alerts a lookup its read missed, `cpindex::recheck`).
#[derive(Debug, Default, Clone)]
struct Expected {
    owed: BTreeSet<String>,
    shown: BTreeSet<String>,
    in_flight: BTreeSet<String>,
    silent: bool,
}

impl Expected {
    /// Whether an alert to `la` is owed or allowed.
    fn allows(&self, la: &str) -> bool {
        !self.silent
            && (self.owed.contains(la) || self.shown.contains(la) || self.in_flight.contains(la))
    }
}

#[derive(Default)]
struct Shared {
    /// child index -> LAs holding an acknowledged plan for the child.
    held: HashMap<usize, BTreeSet<String>>,
    /// child index -> LAs that have sent a plan for the child (acknowledged or not yet).
    sent: HashMap<usize, BTreeSet<String>>,
    /// LA -> plan reference -> version acknowledged.
    plans: BTreeMap<String, BTreeMap<String, u64>>,
    /// lookup user id -> expectation.
    lookups: HashMap<String, Expected>,
    /// (LA, lookup user id) -> the idempotency key of each webhook delivery received: a
    /// redelivery of one alert repeats its key (delivery is at least once), a second alert
    /// for the same lookup would not.
    received: HashMap<(String, String), Vec<String>>,
    bad_signatures: u64,
    /// Webhook notices that are not an alert of a child seen (another LA's plan, overdue).
    other_notices: u64,
    answered: u64,
    documented_503: u64,
    other_errors: BTreeMap<u16, u64>,
    uploads: u64,
    full_extracts: u64,
    upload_errors: u64,
    reconciliation_runs: BTreeSet<String>,
}

type Counts = Arc<Mutex<Shared>>;

fn org(i: usize) -> String {
    format!("E{:08}", 7_000_000 + i)
}

/// Under the prefix delivery may read (the stack refuses a profile naming any other).
fn secret_ref(org: &str) -> String {
    format!("{}soak-{org}", local_stack::receiver::WEBHOOK_SECRET_PREFIX)
}

/// The `i`th valid test-range NHS number from 999 300 000.
fn child(i: usize) -> NhsNumber {
    (0..)
        .filter_map(|k: u32| {
            let digits = format!("{:09}", 999_300_000 + i as u32 * 10 + k);
            let first: Vec<u8> = digits.bytes().map(|b| b - b'0').collect();
            NhsNumber::from_first_nine(first.try_into().ok()?)
        })
        .next()
        .expect("a valid number near every start")
}

/// The LAs that plan for child `i` (one, and a second for every seventh child: a child looked
/// after by one LA and placed in another).
fn las_of(i: usize, las: usize) -> Vec<String> {
    let mut out = vec![org(i % las)];
    if i.is_multiple_of(7) && las > 1 {
        out.push(org((i + 1) % las));
    }
    out
}

/// `POST /hook/{org}`: verifies the signature as an LA must, and counts the alert by the lookup
/// it names.
async fn receive(
    State((counts, secrets)): State<(Counts, Arc<HashMap<String, String>>)>,
    Path(org): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let verified = secrets.get(&org).is_some_and(|secret| {
        signing::verify_any(
            secret,
            &header(signing::SIGNATURE_HEADER),
            &header(signing::TIMESTAMP_HEADER),
            chrono::Utc::now().timestamp(),
            &body,
        )
    });
    let mut c = counts.lock().expect("counts");
    if !verified {
        c.bad_signatures += 1;
        return StatusCode::UNAUTHORIZED;
    }
    let alert: Value = serde_json::from_slice(&body).unwrap_or_default();
    // Only the alerts of a child seen name a lookup; the notices that another LA recorded a
    // plan on a shared child (and any overdue notice) are not counted as alerts.
    if alert["type"] != "child_seen_in_unscheduled_care" {
        c.other_notices += 1;
        return StatusCode::NO_CONTENT;
    }
    let user = alert["seenBy"]["userId"].as_str().unwrap_or("?").to_owned();
    let key = header(signing::IDEMPOTENCY_HEADER);
    c.received.entry((org, user)).or_default().push(key);
    StatusCode::NO_CONTENT
}

struct Client {
    http: reqwest::Client,
    api: String,
    auth: LocalAuth,
}

impl Client {
    fn token(&self, role: Role, org: &str, user: &str) -> String {
        let org = OrgCode::parse(org).expect("soak codes are valid");
        self.auth.mint(role, &org, user, None, 2)
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.api))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(b);
        }
        match req.send().await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                (status, resp.json().await.unwrap_or(Value::Null))
            }
            // The stack did not answer at all: counted as a 5xx of its own kind.
            Err(_) => (599, Value::Null),
        }
    }
}

fn plan(i: usize, la: &str, version: u64) -> Value {
    json!({"planRef": format!("S-{i:05}"), "nhsNumber": child(i).digits(), "planType": "CPP",
        "startDate": "2026-01-10", "sourceVersion": version,
        "caseTeam": {"team": format!("LA {la} case team")}})
}

/// One LA's uploads until `until`: a delta every ten seconds (new plans, then new versions),
/// a full extract of everything it holds every two minutes.
async fn uploader(c: Arc<Client>, counts: Counts, s: Settings, la_index: usize, until: Instant) {
    let la = org(la_index);
    let token = c.token(Role::LocalAuthority, &la, "soak-upload");
    let mine: Vec<usize> = (0..s.children)
        .filter(|i| las_of(*i, s.las).contains(&la))
        .collect();
    let mut next = 0usize;
    let mut last_full = Instant::now();
    let mut round = 0u64;
    while Instant::now() < until {
        round += 1;
        let full = last_full.elapsed() > Duration::from_secs(120);
        let records: Vec<(usize, u64)> = if full {
            last_full = Instant::now();
            let held = counts.lock().expect("counts").plans.get(&la).cloned();
            held.unwrap_or_default()
                .iter()
                .map(|(r, v)| (r[2..].parse().expect("our refs"), *v))
                .collect()
        } else {
            (0..4)
                .map(|_| {
                    let i = mine[next % mine.len().max(1)];
                    next += 1;
                    // A child seen again gets a new version of its plan.
                    (i, 1 + (next / mine.len().max(1)) as u64)
                })
                .collect()
        };
        if !records.is_empty() {
            {
                let mut k = counts.lock().expect("counts");
                for (i, _) in &records {
                    k.sent.entry(*i).or_default().insert(la.clone());
                }
            }
            let body = json!({"mode": if full { "full" } else { "delta" },
                "extractId": if full { Some(format!("x-{la}-{round}")) } else { None },
                "records": records.iter().map(|(i, v)| plan(*i, &la, *v)).collect::<Vec<_>>()});
            let (status, ack) = c
                .call(
                    reqwest::Method::POST,
                    "/v1/plan-batches",
                    &token,
                    Some(&body),
                )
                .await;
            let mut k = counts.lock().expect("counts");
            k.uploads += 1;
            k.full_extracts += u64::from(full);
            if status == 200 {
                for (r, (i, v)) in ack["records"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .iter()
                    .zip(&records)
                {
                    let loaded = matches!(
                        r["outcome"].as_str(),
                        Some("created" | "updated" | "unchanged")
                    );
                    if loaded {
                        let entry = k.plans.entry(la.clone()).or_default();
                        let held = entry.entry(format!("S-{i:05}")).or_default();
                        *held = (*held).max(*v);
                        k.held.entry(*i).or_default().insert(la.clone());
                    } else {
                        k.upload_errors += 1;
                    }
                }
            } else {
                k.upload_errors += 1;
                if status != 503 {
                    *k.other_errors.entry(status).or_default() += 1;
                }
            }
        }
        tokio::time::sleep(Duration::from_secs(10)).await;
    }
}

/// Clinicians' lookups at the set rate until `until`: children with plans and without, one in
/// ten from scheduled care (silent: no alert).
async fn clinicians(c: Arc<Client>, counts: Counts, s: Settings, until: Instant) {
    let mut seq = 0u64;
    let gap = Duration::from_secs_f64(1.0 / s.lookups_per_s.max(0.1));
    let mut tasks = tokio::task::JoinSet::new();
    while Instant::now() < until {
        seq += 1;
        // Deterministic spread: even lookups from the children who may have plans.
        let i =
            (seq as usize * 7919) % s.children + if seq.is_multiple_of(2) { 0 } else { s.children };
        let silent = seq.is_multiple_of(10);
        let user = format!("soak-dr-{seq}");
        let owed = counts
            .lock()
            .expect("counts")
            .held
            .get(&i)
            .cloned()
            .unwrap_or_default();
        let (c, counts) = (c.clone(), counts.clone());
        tasks.spawn(async move {
            let role = if silent {
                Role::ScheduledCare
            } else {
                Role::UnscheduledCare
            };
            let token = c.token(role, "RR801", &user);
            let (status, answer) = c
                .call(
                    reqwest::Method::GET,
                    &format!("/v1/children/{}", child(i).digits()),
                    &token,
                    None,
                )
                .await;
            let mut k = counts.lock().expect("counts");
            let in_flight = k.sent.get(&i).cloned().unwrap_or_default();
            match status {
                200 => {
                    k.answered += 1;
                    let shown = answer["plans"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|p| p["responsibleLa"]["code"].as_str().map(str::to_owned))
                        .collect();
                    k.lookups.insert(
                        user,
                        Expected {
                            owed: if silent { BTreeSet::new() } else { owed },
                            shown,
                            in_flight,
                            silent,
                        },
                    );
                }
                503 => {
                    // Not answered, but the attempt is audited and handed to fan-out (a plan
                    // read that failed counts as a plan): an alert to an LA that held a plan
                    // then is allowed, never owed.
                    k.documented_503 += 1;
                    k.lookups.insert(
                        user,
                        Expected {
                            owed: BTreeSet::new(),
                            shown: if silent { BTreeSet::new() } else { owed },
                            in_flight,
                            silent,
                        },
                    );
                }
                other => *k.other_errors.entry(other).or_default() += 1,
            }
        });
        tokio::time::sleep(gap).await;
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
}

/// Polls the operator's dead-letter report for the reconciliation runs that completed.
async fn watch_reconciliation(c: Arc<Client>, counts: Counts, until: Instant) {
    let token = c.token(Role::Operator, "X26", "soak-operator");
    while Instant::now() < until {
        let (status, body) = c
            .call(reqwest::Method::GET, "/v1/dead-letters", &token, None)
            .await;
        if status == 200 {
            if let Some(run) = body["latestReport"]["runId"].as_str() {
                counts
                    .lock()
                    .expect("counts")
                    .reconciliation_runs
                    .insert(run.to_owned());
            }
        }
        tokio::time::sleep(Duration::from_secs(10)).await;
    }
}

/// Resident memory of a process in MB, from `/proc`.
fn rss_mb(pid: Option<u32>) -> Option<f64> {
    crate::proc_status_mb(pid?, "VmRSS")
}

/// Every page of a listing, by `nextCursor`.
async fn all_pages(c: &Client, path: &str, token: &str) -> Result<Vec<Value>, u16> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(k) => format!(
                "{path}?limit=200&cursor={}",
                url::form_urlencoded::byte_serialize(k.as_bytes()).collect::<String>()
            ),
            None => format!("{path}?limit=200"),
        };
        // A documented 503 (the emulator falling behind) is answered by asking again, as a
        // client is told to; anything else ends the read.
        let mut attempt = 0;
        let (status, body) = loop {
            let (status, body) = c.call(reqwest::Method::GET, &url, token, None).await;
            attempt += 1;
            if status != 503 || attempt == 10 {
                break (status, body);
            }
            tokio::time::sleep(Duration::from_secs(3)).await;
        };
        if status != 200 {
            return Err(status);
        }
        out.extend(body["items"].as_array().cloned().unwrap_or_default());
        match body["nextCursor"].as_str() {
            Some(k) => cursor = Some(k.to_owned()),
            None => return Ok(out),
        }
    }
}

/// The soak's verdict: `metric: value` lines, and whether every target held.
#[derive(Debug, Default)]
pub struct Verdict {
    pub lines: Vec<(String, String)>,
    pub failures: Vec<String>,
}

impl Verdict {
    fn put(&mut self, name: &str, value: impl ToString) {
        self.lines.push((name.to_owned(), value.to_string()));
    }

    fn require(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.failures.push(what());
        }
    }
}

/// Runs the soak against the stack at `s.api`.
pub async fn run(s: Settings) -> Result<Verdict, String> {
    // Tokens from the issuers the stack at `s.api` serves (each issuer is named by its origin).
    let auth = LocalAuth::load_or_create(&s.state_dir)
        .map_err(|e| e.to_string())?
        .at_origin(s.api.trim_end_matches('/'));
    let c = Arc::new(Client {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| e.to_string())?,
        api: s.api.trim_end_matches('/').to_owned(),
        auth,
    });
    let counts: Counts = Arc::default();

    // The signed receiver, and the LAs' profiles (webhooks for even LAs, inbox only for odd).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let hook = listener.local_addr().map_err(|e| e.to_string())?;
    let secrets_dir = s.state_dir.join("secrets");
    std::fs::create_dir_all(&secrets_dir).map_err(|e| e.to_string())?;
    let mut secrets = HashMap::new();
    let operator = c.token(Role::Operator, "X26", "soak-operator");
    for i in 0..s.las {
        let la = org(i);
        let mut profile = json!({"name": format!("LA {la}"), "team": "Front door",
            "officeHoursPhone": "0113 222 4403", "emergencyDutyPhone": "0113 535 0600"});
        if i % 2 == 0 {
            let secret = format!("soak-{}", uuid::Uuid::new_v4().simple());
            let file = secrets_dir.join(secret_ref(&la).replace('/', "_"));
            std::fs::write(&file, &secret).map_err(|e| e.to_string())?;
            secrets.insert(la.clone(), secret);
            profile["webhook"] =
                json!({"url": format!("http://{hook}/hook/{la}"), "secretRef": secret_ref(&la)});
        }
        let (status, body) = c
            .call(
                reqwest::Method::PUT,
                &format!("/v1/la-profiles/{la}"),
                &operator,
                Some(&profile),
            )
            .await;
        if status != 200 {
            return Err(format!("profile {la}: {status} {body}"));
        }
    }
    let receiver = axum::Router::new()
        .route("/hook/{org}", axum::routing::post(receive))
        .with_state((counts.clone(), Arc::new(secrets)));
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, receiver).await;
    });

    let started = Instant::now();
    let stack_start = rss_mb(s.stack_pid);
    let emulator_start = rss_mb(s.emulator_pid);
    let until = started + s.duration;
    let mut load = tokio::task::JoinSet::new();
    for la in 0..s.las {
        load.spawn(uploader(c.clone(), counts.clone(), s.clone(), la, until));
    }
    load.spawn(clinicians(c.clone(), counts.clone(), s.clone(), until));
    load.spawn(watch_reconciliation(c.clone(), counts.clone(), until));
    let mut last_report = Instant::now();
    while !load.is_empty() {
        tokio::select! {
            _ = load.join_next() => {}
            _ = tokio::time::sleep(Duration::from_secs(30)) => {}
        }
        if last_report.elapsed() >= Duration::from_secs(60) {
            last_report = Instant::now();
            let k = counts.lock().expect("counts");
            eprintln!(
                "soak: {:>4.0}s  lookups {}  503 {}  other errors {}  uploads {}  alerts received {}  stack {:.0} MB",
                started.elapsed().as_secs_f64(),
                k.answered,
                k.documented_503,
                k.other_errors.values().sum::<u64>(),
                k.uploads,
                k.received.values().map(Vec::len).sum::<usize>(),
                rss_mb(s.stack_pid).unwrap_or(0.0)
            );
        }
    }
    let load_s = started.elapsed().as_secs_f64();
    let stack_end = rss_mb(s.stack_pid);
    let emulator_end = rss_mb(s.emulator_pid);

    // Let the last alerts arrive: until every owed webhook alert is in, or nothing has moved for
    // longer than a failed fan-out waits to be retried (its queue's visibility timeout; a failed
    // delivery's back-off is shorter), at most twice that.
    let quiet =
        Duration::from_secs(u64::from(cpindex::keys::ALERT_FANOUT_QUEUE.visibility_timeout_s) + 10);
    let missing_webhook = |k: &Shared| -> usize {
        k.lookups
            .iter()
            .flat_map(|(user, e)| e.owed.iter().map(move |la| (la.clone(), user.clone())))
            .filter(|(la, user)| {
                la_has_webhook(la, s.las) && !k.received.contains_key(&(la.clone(), user.clone()))
            })
            .count()
    };
    let settle = Instant::now();
    let mut last = usize::MAX;
    let mut still = Instant::now();
    loop {
        let missing = missing_webhook(&counts.lock().expect("counts"));
        if missing == 0 || settle.elapsed() > 2 * quiet {
            break;
        }
        if missing != last {
            last = missing;
            still = Instant::now();
        } else if still.elapsed() > quiet {
            break;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let settle_s = settle.elapsed().as_secs_f64();

    // Every LA's inbox and plans, read back through the API.
    let mut inbox: HashMap<(String, String), u32> = HashMap::new();
    let mut stored_plans = 0usize;
    for i in 0..s.las {
        let la = org(i);
        let token = c.token(Role::LocalAuthority, &la, "soak-reader");
        for n in all_pages(&c, "/v1/notifications", &token)
            .await
            .map_err(|st| format!("inbox of {la}: {st}"))?
        {
            if n["kind"] != "child_seen" {
                continue;
            }
            let user = n["seenBy"].as_str().unwrap_or("?").to_owned();
            *inbox.entry((la.clone(), user)).or_default() += 1;
        }
        stored_plans += all_pages(&c, "/v1/plans", &token)
            .await
            .map_err(|st| format!("plans of {la}: {st}"))?
            .len();
    }
    server.abort();

    let k = counts.lock().expect("counts");
    let mut v = Verdict::default();
    let (mut owed, mut owed_webhook, mut lost_webhook, mut lost_inbox) = (0u64, 0u64, 0u64, 0u64);
    let (mut raced, mut raced_recheck) = (0u64, 0u64);
    for (user, e) in &k.lookups {
        for la in &e.owed {
            owed += 1;
            owed_webhook += u64::from(la_has_webhook(la, s.las));
            if la_has_webhook(la, s.las) && !k.received.contains_key(&(la.clone(), user.clone())) {
                lost_webhook += 1;
            }
            if !inbox.contains_key(&(la.clone(), user.clone())) {
                lost_inbox += 1;
            }
        }
        if !e.silent {
            raced += e.shown.difference(&e.owed).count() as u64;
        }
    }
    let lookup_of = |user: &str| k.lookups.get(user);
    // An alert no lookup owed or allowed: to an LA that had sent no plan for the child, or for
    // a silent read.
    let unexpected = |la: &str, user: &str| lookup_of(user).is_none_or(|e| !e.allows(la));
    // Alerts allowed only because the LA's plan was being written while the lookup ran (the
    // plan's recheck alerting a lookup whose read missed it), each (LA, lookup) counted once.
    let alerted: BTreeSet<&(String, String)> = k.received.keys().chain(inbox.keys()).collect();
    for (la, user) in alerted {
        if lookup_of(user)
            .is_some_and(|e| e.allows(la) && !e.owed.contains(la) && !e.shown.contains(la))
        {
            raced_recheck += 1;
        }
    }
    let delivered = k.received.len() as u64;
    // Two alerts for one lookup (different keys) are a duplicate; one alert posted again under
    // its key is a redelivery, which the LA drops by that key (docs/ALERTS.md).
    let (mut duplicates, mut redeliveries) = (0u64, 0u64);
    for keys in k.received.values() {
        let distinct: BTreeSet<&String> = keys.iter().collect();
        duplicates += distinct.len().saturating_sub(1) as u64;
        redeliveries += (keys.len() - distinct.len()) as u64;
    }
    let inbox_duplicates: u64 = inbox.values().map(|n| u64::from(n.saturating_sub(1))).sum();
    let unexpected_alerts = k
        .received
        .keys()
        .chain(inbox.keys())
        .filter(|(la, user)| user.starts_with("soak-dr-") && unexpected(la, user))
        .count();
    let expected_plans: usize = k.plans.values().map(BTreeMap::len).sum();
    let other_5xx: u64 = k
        .other_errors
        .iter()
        .filter(|(s, _)| **s >= 500)
        .map(|(_, n)| n)
        .sum();
    let other_4xx: u64 = k
        .other_errors
        .iter()
        .filter(|(s, _)| **s < 500)
        .map(|(_, n)| n)
        .sum();

    v.put("soak_seconds", format!("{load_s:.0}"));
    v.put("soak_settle_seconds", format!("{settle_s:.0}"));
    v.put("soak_lookups_answered", k.answered);
    v.put("soak_lookups_503", k.documented_503);
    v.put("soak_5xx_other", other_5xx);
    v.put("soak_4xx", other_4xx);
    v.put("soak_uploads", k.uploads);
    v.put("soak_full_extracts", k.full_extracts);
    v.put("soak_records_not_loaded", k.upload_errors);
    v.put("soak_alerts_owed", owed);
    v.put("soak_webhook_alerts_owed", owed_webhook);
    v.put("soak_webhook_alerts_delivered", delivered);
    v.put("soak_webhook_alerts_lost", lost_webhook);
    v.put("soak_webhook_duplicates", duplicates);
    v.put("soak_webhook_redeliveries", redeliveries);
    v.put("soak_inbox_alerts_lost", lost_inbox);
    v.put("soak_inbox_duplicates", inbox_duplicates);
    v.put("soak_alerts_raced_upload", raced);
    v.put("soak_alerts_raced_recheck", raced_recheck);
    v.put("soak_alerts_unexpected", unexpected_alerts);
    v.put("soak_bad_signatures", k.bad_signatures);
    v.put("soak_webhook_other_notices", k.other_notices);
    v.put("soak_plans_expected", expected_plans);
    v.put("soak_plans_stored", stored_plans);
    v.put("soak_reconciliation_runs", k.reconciliation_runs.len());
    let mb = |m: Option<f64>| m.map_or("n/a".into(), |m| format!("{m:.1}"));
    v.put("soak_stack_rss_start_mb", mb(stack_start));
    v.put("soak_stack_rss_end_mb", mb(stack_end));
    v.put("soak_emulator_rss_start_mb", mb(emulator_start));
    v.put("soak_emulator_rss_end_mb", mb(emulator_end));

    v.require(other_5xx == 0, || {
        format!("{other_5xx} 5xx answers other than 503")
    });
    v.require(other_4xx == 0, || format!("{other_4xx} 4xx answers"));
    v.require(lost_webhook == 0, || {
        format!("{lost_webhook} webhook alerts lost")
    });
    v.require(lost_inbox == 0, || {
        format!("{lost_inbox} inbox alerts lost")
    });
    v.require(duplicates == 0, || {
        format!("{duplicates} webhook duplicates")
    });
    v.require(inbox_duplicates == 0, || {
        format!("{inbox_duplicates} inbox duplicates")
    });
    v.require(unexpected_alerts == 0, || {
        format!("{unexpected_alerts} alerts no lookup owed")
    });
    v.require(k.bad_signatures == 0, || {
        format!("{} alerts failed the signature check", k.bad_signatures)
    });
    v.require(expected_plans == stored_plans, || {
        format!("{expected_plans} plans acknowledged, {stored_plans} stored")
    });
    v.require(!k.reconciliation_runs.is_empty(), || {
        "no reconciliation run completed".into()
    });
    if let (Some(a), Some(b)) = (stack_start, stack_end) {
        // Flat: caches fill early, then stay; a leak grows with the load.
        v.require(b <= a * 1.5 + 20.0, || {
            format!("local stack memory grew from {a:.0} MB to {b:.0} MB")
        });
    }
    Ok(v)
}

fn la_has_webhook(la: &str, las: usize) -> bool {
    (0..las).any(|i| i % 2 == 0 && org(i) == la)
}
