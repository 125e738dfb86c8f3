//! `make demo`: loads demo data into a running local stack through its public API, the way an
//! operator and two local authorities would. Every NHS number is from the reserved test range.
//! It leaves an LA's own trial data alone: plans go as a delta (never a full extract, which
//! would make the LA's other plans read as missing from its extract), and a profile is written
//! only where none is held or the held one is the demo's.

use std::path::Path;

use cpindex::{NhsNumber, OrgCode, Role};
use serde_json::{json, Value};

use crate::auth::LocalAuth;
use crate::receiver::secret_ref;

/// The demo's organisations.
pub const LEEDS: &str = "E08000035";
pub const CAMDEN: &str = "E09000007";
pub const ED: &str = "RR801";

/// A demo child: what it shows.
pub struct DemoChild {
    pub nhs: NhsNumber,
    pub story: &'static str,
}

/// The first valid test-range number at or after `999 000 000 + start`.
fn test_number(start: u32) -> NhsNumber {
    (start..)
        .find_map(|n| {
            let digits = format!("{:09}", 999_000_000 + n);
            let first: Vec<u8> = digits.bytes().map(|b| b - b'0').collect();
            NhsNumber::from_first_nine(first.try_into().ok()?)
        })
        .expect("a valid number exists")
}

/// The children the demo loads, with what each shows.
pub fn children() -> Vec<DemoChild> {
    vec![
        DemoChild {
            nhs: test_number(101),
            story: "child protection plan (Leeds)",
        },
        DemoChild {
            nhs: test_number(202),
            story: "looked after by Camden, placed in Leeds: two responsible LAs",
        },
        DemoChild {
            nhs: test_number(303),
            story: "unborn child protection plan on the mother's number (Leeds)",
        },
        DemoChild {
            nhs: test_number(404),
            story: "plan ended in June 2026 (Camden): shown as ended",
        },
        DemoChild {
            nhs: test_number(505),
            story: "no plan",
        },
    ]
}

fn la(name: &str, team: &str, office: &str, edt: &str) -> Value {
    json!({"name": name, "team": team, "officeHoursPhone": office, "emergencyDutyPhone": edt})
}

fn plan(plan_ref: &str, nhs: &NhsNumber, plan_type: &str, start: &str) -> Value {
    json!({"planRef": plan_ref, "nhsNumber": nhs.digits(), "planType": plan_type, "startDate": start,
        "sourceVersion": 1})
}

/// The JSON at `url`, or `None` for a 404.
async fn get(client: &reqwest::Client, url: String, token: &str) -> Result<Option<Value>, String> {
    let resp = client
        .get(&url)
        .bearer_auth(token)
        .send()
        .await
        .map_err(|_| format!("cannot reach {url}: is `make dev` running?"))?;
    match resp.status() {
        reqwest::StatusCode::NOT_FOUND => Ok(None),
        s if s.is_success() => Ok(Some(resp.json().await.unwrap_or_default())),
        s => Err(format!("{url} answered {s}")),
    }
}

async fn send(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: &str,
    body: &Value,
) -> Result<Value, String> {
    let resp = client
        .request(method, &url)
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .map_err(|_| format!("cannot reach {url}: is `make dev` running?"))?;
    let status = resp.status();
    let value: Value = resp.json().await.unwrap_or_default();
    if status.is_success() {
        Ok(value)
    } else {
        Err(format!(
            "{url} answered {status}: {}",
            value["detail"]
                .as_str()
                .or(value["code"].as_str())
                .unwrap_or("")
        ))
    }
}

/// Loads the demo into the stack at `api` (secrets for the local webhooks go to `state_dir`).
pub async fn load(api: &str, auth: &LocalAuth, state_dir: &Path) -> Result<(), String> {
    let client = reqwest::Client::new();
    let org = |c: &str| OrgCode::parse(c).expect("demo codes are valid");
    let operator = auth.mint(Role::Operator, &org("X26"), "demo-operator", None, 1);
    let secrets = state_dir.join("secrets");
    std::fs::create_dir_all(&secrets)
        .map_err(|e| format!("cannot write {}: {e}", secrets.display()))?;
    let leeds = la(
        "Leeds City Council",
        "Children's Front Door",
        "0113 222 4403",
        "0113 535 0600",
    );
    let camden = la(
        "London Borough of Camden",
        "Children and Families Contact Service",
        "020 7974 3317",
        "020 7974 4444",
    );
    for (code, contact) in [(LEEDS, &leeds), (CAMDEN, &camden)] {
        // An LA trialling the stack under its own code keeps its profile: the demo writes one
        // only where none is held, or where the held one is the demo's own.
        let demo_hook = format!("{api}/local/webhooks/{code}");
        let held = get(&client, format!("{api}/v1/la-profiles/{code}"), &operator).await?;
        if let Some(held) = held.filter(|p| p["webhook"]["url"] != demo_hook.as_str()) {
            println!(
                "demo: {code} already has a profile the demo did not write ({}): kept; the demo's \
                 alerts to {code} go where it says",
                held["name"].as_str().unwrap_or("?")
            );
            continue;
        }
        let reference = secret_ref(code);
        // Run again, the demo keeps each LA's secret: alerts already on their way stay
        // verifiable, and the plans (same versions) answer `unchanged`.
        let path = secrets.join(reference.replace('/', "_"));
        if !path.exists() {
            let secret = format!("demo-{}", uuid::Uuid::new_v4().simple());
            std::fs::write(&path, secret).map_err(|e| e.to_string())?;
        }
        let mut profile = contact.clone();
        profile["webhook"] = json!({"url": demo_hook, "secretRef": reference});
        send(
            &client,
            reqwest::Method::PUT,
            format!("{api}/v1/la-profiles/{code}"),
            &operator,
            &profile,
        )
        .await?;
    }
    let kids = children();
    let mut ended = plan("CAM-88", &kids[3].nhs, "CPP", "2025-02-01");
    ended["endDate"] = json!("2026-06-30");
    let mut unborn = plan("LDS-1003", &kids[2].nhs, "UCPP", "2026-09-01");
    unborn["expectedDueDate"] = json!("2027-01-20");
    let uploads = [
        (
            LEEDS,
            vec![
                plan("LDS-1001", &kids[0].nhs, "CPP", "2026-03-14"),
                plan("LDS-1002", &kids[1].nhs, "CPP", "2026-05-02"),
                unborn,
            ],
        ),
        (
            CAMDEN,
            vec![plan("CAM-77", &kids[1].nhs, "LAC", "2025-11-20"), ended],
        ),
    ];
    for (code, records) in uploads {
        let token = auth.mint(Role::LocalAuthority, &org(code), "demo-upload", None, 1);
        let ack = send(
            &client,
            reqwest::Method::POST,
            format!("{api}/v1/plan-batches"),
            &token,
            // Delta, never full: a full extract would make every plan of an LA's own trial
            // read as missing from its extract.
            &json!({"mode": "delta", "records": records}),
        )
        .await?;
        println!(
            "demo: {code} upload: {} ({})",
            ack["fileOutcome"].as_str().unwrap_or("?"),
            ack["fileCode"].as_str().unwrap_or("?")
        );
    }
    println!("demo: loaded. Children to look up (test range NHS numbers):");
    for k in &kids {
        println!("  {}  {}", k.nhs, k.story);
    }
    println!("demo: as the emergency department:");
    println!("  ED=$(make -s token ROLE=unscheduled_care ORG={ED} USER=dr-demo)");
    println!(
        "  curl -s {api}/v1/children/{} -H \"authorization: Bearer $ED\"",
        kids[1].nhs.digits()
    );
    Ok(())
}
