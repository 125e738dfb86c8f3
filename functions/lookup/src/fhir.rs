//! The FHIR R4 view of a lookup: pure functions from the domain answer ([`ChildView`]) to the
//! resources the national API returns. No I/O here; the routes are in `fhir_routes.rs`.
//!
//! - `CareTeam` search: a `searchset` Bundle, one `CareTeam` per plan shown (active, or ended and
//!   still within retention), each managed by its LA, an `Organization` (ODS code, emergency duty
//!   and office-hours contacts) included once.
//! - `AuditEvent` search: the child's previous unscheduled-care accesses (up to 25, repeats by one
//!   clinician within a day collapsed, only while a plan was held), each with the accessing
//!   organisation included.

use chrono::{DateTime, Utc};
use cpindex::access::Visit;
use cpindex::answers::{ChildView, PlanSummary, ResponsibleLa, ShownStatus};
use cpindex::fhir::{
    flags, plan_concept, FlagCode, ADDRESS_USE_SYSTEM, DICOM_SYSTEM, FHIR_JSON, FHIR_VERSION,
    NHS_NUMBER_SYSTEM, ODS_SYSTEM, PATIENT_IDENTIFIER, RESTFUL_INTERACTION_SYSTEM, SNOMED_SYSTEM,
};
use cpindex::{NhsNumber, OrgCode};
use serde_json::{json, Value};

/// The id and `fullUrl` of a resource in a Bundle: a UUID derived from the lookup's access id and
/// the resource's place, so one answer is reproducible from its audit record.
fn resource_id(access_id: &str, kind: &str, n: usize) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{access_id}/{kind}/{n}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// The organisations a Bundle includes, each once (by ODS code), with their ids.
struct Included<'a> {
    access_id: &'a str,
    ids: Vec<(OrgCode, String)>,
    entries: Vec<Value>,
}

impl<'a> Included<'a> {
    fn new(access_id: &'a str) -> Self {
        Self {
            access_id,
            ids: Vec::new(),
            entries: Vec::new(),
        }
    }

    /// The id of `code`'s entry, made by `resource` (given the id) the first time.
    fn id_of(&mut self, code: &OrgCode, resource: impl FnOnce(&str) -> Value) -> String {
        if let Some((_, id)) = self.ids.iter().find(|(c, _)| c == code) {
            return id.clone();
        }
        let id = resource_id(self.access_id, "Organization", self.ids.len());
        self.entries.push(entry(&id, resource(&id), "include"));
        self.ids.push((code.clone(), id.clone()));
        id
    }
}

fn entry(id: &str, resource: Value, mode: &str) -> Value {
    json!({"fullUrl": format!("urn:uuid:{id}"), "resource": resource, "search": {"mode": mode}})
}

fn patient(nhs: &NhsNumber) -> Value {
    json!({"identifier": {"system": NHS_NUMBER_SYSTEM, "value": nhs.digits()}})
}

/// The search's own link (relative to the FHIR base).
pub fn search_url(resource: &str, nhs: &NhsNumber) -> String {
    format!(
        "{resource}?{PATIENT_IDENTIFIER}={NHS_NUMBER_SYSTEM}|{}",
        nhs.digits()
    )
}

fn bundle(
    view: &ChildView,
    resource: &str,
    now: DateTime<Utc>,
    matches: usize,
    entries: Vec<Value>,
) -> Value {
    let mut b = json!({
        "resourceType": "Bundle",
        "id": view.access_id,
        "meta": {"lastUpdated": now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)},
        "type": "searchset",
        "total": matches,
        "link": [{"relation": "self", "url": search_url(resource, &view.nhs_number)}],
    });
    if !entries.is_empty() {
        b["entry"] = Value::Array(entries);
    }
    b
}

/// The LA as an `Organization`: ODS code, name, its team's emergency duty (`EC`) and
/// office-hours (`WP`) numbers.
fn organization(id: &str, la: &ResponsibleLa) -> Value {
    let team = la.team.as_deref().unwrap_or(&la.name);
    let contact = |code: &str, display: &str, phone: &str| {
        json!({
            "purpose": {"coding": [{"system": ADDRESS_USE_SYSTEM, "code": code, "display": display}]},
            "name": {"text": team},
            "telecom": [{"system": "phone", "value": phone}],
        })
    };
    // Only the profile's numbers, which operators vet (never a record's).
    let mut contacts = Vec::new();
    if let Some(emergency) = &la.emergency_duty_phone {
        contacts.push(contact("EC", "emergency contact", emergency));
    }
    if let Some(office) = &la.office_hours_phone {
        contacts.push(contact("WP", "work place", office));
    }
    json!({
        "resourceType": "Organization",
        "id": id,
        "identifier": [{"system": ODS_SYSTEM, "value": la.code.as_str()}],
        "name": la.name,
        "contact": contacts,
    })
}

fn care_team(id: &str, nhs: &NhsNumber, plan: &PlanSummary, la_id: &str) -> Value {
    let (code, display) = plan_concept(plan.facts.plan_type);
    let la = &plan.responsible_la;
    let mut team = json!({
        "resourceType": "CareTeam",
        "id": id,
        "status": if plan.facts.status == ShownStatus::Active { "active" } else { "inactive" },
        "category": [{"coding": [{"system": SNOMED_SYSTEM, "code": code, "display": display}]}],
        "name": match &la.team {
            Some(t) => format!("{}: {t}", la.name),
            None => la.name.clone(),
        },
        "subject": patient(nhs),
        "period": period(plan),
        "participant": [{"member": {"reference": format!("urn:uuid:{la_id}"), "display": la.name}}],
        "managingOrganization": [{"reference": format!("urn:uuid:{la_id}"), "display": la.name}],
    });
    let mut notes = Vec::new();
    match &la.emergency_duty_phone {
        Some(phone) => team["telecom"] = json!([{"system": "phone", "value": phone}]),
        None => notes.push(json!({"text": "No vetted emergency-duty number is held for this local authority: reach its emergency duty team through your switchboard."})),
    }
    if let Some(case) = &la.case_team {
        let phone = case
            .phone
            .as_ref()
            .map(|p| format!(", {}", p.as_str()))
            .unwrap_or_default();
        notes.push(json!({"text": format!("Case-holding team (given by {}): {}{phone}", la.name, case.team)}));
    }
    if let Some(due) = plan.facts.expected_due_date {
        notes.push(json!({"text": format!("Expected date of delivery: {due}")}));
    }
    if !notes.is_empty() {
        team["note"] = json!(notes);
    }
    team
}

/// The `CareTeam` search's answer: every plan shown, active first; `total` 0 when none.
pub fn care_team_bundle(view: &ChildView, now: DateTime<Utc>) -> Value {
    let plans: Vec<&PlanSummary> = view.plans.iter().chain(&view.ended_plans).collect();
    let mut matches = Vec::new();
    let mut included = Included::new(&view.access_id);
    for (n, plan) in plans.iter().enumerate() {
        let la = &plan.responsible_la;
        let la_id = included.id_of(&la.code, |id| organization(id, la));
        let id = resource_id(&view.access_id, "CareTeam", n);
        matches.push(entry(
            &id,
            care_team(&id, &view.nhs_number, plan, &la_id),
            "match",
        ));
    }
    let total = matches.len();
    matches.extend(included.entries);
    bundle(view, "CareTeam", now, total, matches)
}

/// The Patient Flags search's link (relative to the FHIR base).
fn flag_search_url(nhs: &NhsNumber, code: FlagCode) -> String {
    match code {
        FlagCode::Any => format!("Flag?patient={}", nhs.digits()),
        _ => format!("Flag?patient={}&code={}", nhs.digits(), flags::CPIS_CODE),
    }
}

/// The flag's contained provenance: the LA that recorded it (by ODS code), and since when.
fn provenance(plan: &PlanSummary, now: DateTime<Utc>) -> Value {
    let la = &plan.responsible_la;
    let recorded = plan
        .recorded_at
        .unwrap_or(now)
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    json!({
        "resourceType": "Provenance",
        "id": "recorded-by",
        "meta": {"profile": [flags::PROVENANCE_PROFILE]},
        "target": [{"reference": "#"}],
        "recorded": recorded,
        "activity": {"coding": [{"system": flags::DATA_OPERATION_SYSTEM, "code": "CREATE", "display": "create"}]},
        "agent": [{
            "who": {"identifier": {"system": ODS_SYSTEM, "value": la.code.as_str()}, "display": la.name},
        }],
    })
}

/// One CP-IS flag: one plan, recorded by one LA. `detail` is the care plan's entry id when the
/// Bundle carries it (a `code` search); otherwise the reference names the plan only.
fn flag(
    id: &str,
    nhs: &NhsNumber,
    plan: &PlanSummary,
    detail: Option<&str>,
    now: DateTime<Utc>,
) -> Value {
    let (_, display) = plan_concept(plan.facts.plan_type);
    let la = &plan.responsible_la;
    let mut care_plan = json!({"display": format!("{display} ({})", la.name)});
    if let Some(detail) = detail {
        care_plan["reference"] = json!(format!("urn:uuid:{detail}"));
    }
    json!({
        "resourceType": "Flag",
        "id": id,
        "meta": {"profile": [flags::FLAG_PROFILE]},
        "contained": [provenance(plan, now)],
        "extension": [{"url": flags::FLAG_DETAIL, "valueReference": care_plan}],
        "status": if plan.facts.status == ShownStatus::Active { "active" } else { "inactive" },
        "code": {"coding": [{"system": flags::FLAG_CATEGORY_SYSTEM, "code": flags::CPIS_CODE, "display": flags::CPIS_DISPLAY}]},
        "subject": patient(nhs),
        "period": period(plan),
    })
}

fn period(plan: &PlanSummary) -> Value {
    let mut period = json!({"start": plan.facts.start_date.to_string()});
    if let Some(end) = plan.facts.end_date {
        period["end"] = json!(end.to_string());
    }
    period
}

/// The plan behind a flag: its SNOMED CT type, period and care team.
fn flag_care_plan(id: &str, nhs: &NhsNumber, plan: &PlanSummary, team_id: &str) -> Value {
    let (code, display) = plan_concept(plan.facts.plan_type);
    let mut care_plan = json!({
        "resourceType": "CarePlan",
        "id": id,
        "meta": {"profile": [flags::CARE_PLAN_PROFILE]},
        "status": if plan.facts.status == ShownStatus::Active { "active" } else { "completed" },
        "intent": "plan",
        "category": [{"coding": [{"system": SNOMED_SYSTEM, "code": code, "display": display}]}],
        "subject": patient(nhs),
        "period": period(plan),
        "careTeam": [{"reference": format!("urn:uuid:{team_id}"), "display": plan.responsible_la.name}],
    });
    if let Some(due) = plan.facts.expected_due_date {
        care_plan["note"] = json!([{"text": format!("Expected date of delivery: {due}")}]);
    }
    care_plan
}

/// The LA's team to call: `work` is the office-hours number, `mobile` the emergency duty team
/// (out of hours), as NHS England's flag care team carries them; both from the LA's vetted
/// profile only.
fn flag_care_team(id: &str, plan: &PlanSummary) -> Value {
    let la = &plan.responsible_la;
    let mut telecom = Vec::new();
    if let Some(office) = &la.office_hours_phone {
        telecom.push(json!({"system": "phone", "value": office, "use": "work"}));
    }
    if let Some(emergency) = &la.emergency_duty_phone {
        telecom.push(json!({"system": "phone", "value": emergency, "use": "mobile"}));
    }
    let mut team = json!({
        "resourceType": "CareTeam",
        "id": id,
        "meta": {"profile": [flags::CARE_TEAM_PROFILE]},
        "status": if plan.facts.status == ShownStatus::Active { "active" } else { "inactive" },
        "name": la.name,
        "managingOrganization": [{"identifier": {"system": ODS_SYSTEM, "value": la.code.as_str()}, "display": la.name}],
    });
    if !telecom.is_empty() {
        team["telecom"] = json!(telecom);
    }
    let mut notes = Vec::new();
    if let Some(t) = &la.team {
        notes.push(json!({"text": format!("Team: {t}")}));
    }
    if la.emergency_duty_phone.is_none() {
        notes.push(json!({"text": "No vetted emergency-duty number is held for this local authority: reach its emergency duty team through your switchboard."}));
    }
    if let Some(case) = &la.case_team {
        let phone = case
            .phone
            .as_ref()
            .map(|p| format!(", {}", p.as_str()))
            .unwrap_or_default();
        notes.push(json!({"text": format!("Case-holding team (given by {}): {}{phone}", la.name, case.team)}));
    }
    if !notes.is_empty() {
        team["note"] = json!(notes);
    }
    team
}

/// The Patient Flags search's answer. One flag per plan shown (active, or ended within
/// retention as `inactive`): a child with plans at two LAs has two flags, each with its own LA's
/// provenance, care plan and care team, so neither LA is hidden behind the other. With a CP-IS
/// `code`, each flag's care plan and care team are in the Bundle (`search.mode` `include`;
/// `total` counts flags); without one, the flags alone. Another flag's code: no flags.
pub fn flag_bundle(view: &ChildView, code: FlagCode, now: DateTime<Utc>) -> Value {
    let plans: Vec<&PlanSummary> = match code {
        FlagCode::Other => Vec::new(),
        FlagCode::Any | FlagCode::Cpis => view.plans.iter().chain(&view.ended_plans).collect(),
    };
    let detailed = code == FlagCode::Cpis;
    let mut matches = Vec::new();
    let mut supporting = Vec::new();
    for (n, plan) in plans.iter().enumerate() {
        let flag_id = resource_id(&view.access_id, "Flag", n);
        let plan_id = resource_id(&view.access_id, "CarePlan", n);
        let team_id = resource_id(&view.access_id, "CareTeam", n);
        let detail = detailed.then_some(plan_id.as_str());
        matches.push(entry(
            &flag_id,
            flag(&flag_id, &view.nhs_number, plan, detail, now),
            "match",
        ));
        if detailed {
            supporting.push(entry(
                &plan_id,
                flag_care_plan(&plan_id, &view.nhs_number, plan, &team_id),
                "include",
            ));
            supporting.push(entry(&team_id, flag_care_team(&team_id, plan), "include"));
        }
    }
    let total = matches.len();
    matches.extend(supporting);
    let mut b = bundle(view, "Flag", now, total, matches);
    b["link"] = json!([{"relation": "self", "url": flag_search_url(&view.nhs_number, code)}]);
    b
}

fn audit_event(id: &str, nhs: &NhsNumber, visit: &Visit, setting_id: &str) -> Value {
    let who = match &visit.setting_name {
        Some(name) => json!({"reference": format!("urn:uuid:{setting_id}"), "display": name}),
        None => json!({"reference": format!("urn:uuid:{setting_id}")}),
    };
    json!({
        "resourceType": "AuditEvent",
        "id": id,
        "type": {"system": DICOM_SYSTEM, "code": "110110", "display": "Patient Record"},
        "subtype": [{"system": RESTFUL_INTERACTION_SYSTEM, "code": "search-type", "display": "search-type"}],
        "action": "R",
        "recorded": visit.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "outcome": "0",
        "agent": [{"who": who, "requestor": true}],
        "source": {"observer": {"display": "Child protection index"}},
        "entity": [{"what": patient(nhs)}],
    })
}

fn setting(id: &str, code: &OrgCode, name: Option<&str>) -> Value {
    let mut org = json!({
        "resourceType": "Organization",
        "id": id,
        "identifier": [{"system": ODS_SYSTEM, "value": code.as_str()}],
    });
    if let Some(name) = name {
        org["name"] = json!(name);
    }
    org
}

/// The `AuditEvent` search's answer: the previous unscheduled-care accesses shown with the
/// record, newest first, each setting included once.
pub fn audit_event_bundle(view: &ChildView, now: DateTime<Utc>) -> Value {
    let mut matches = Vec::new();
    let mut included = Included::new(&view.access_id);
    for (n, visit) in view.visits.iter().enumerate() {
        let setting_id = included.id_of(&visit.setting_code, |id| {
            setting(id, &visit.setting_code, visit.setting_name.as_deref())
        });
        let id = resource_id(&view.access_id, "AuditEvent", n);
        matches.push(entry(
            &id,
            audit_event(&id, &view.nhs_number, visit, &setting_id),
            "match",
        ));
    }
    let total = matches.len();
    matches.extend(included.entries);
    bundle(view, "AuditEvent", now, total, matches)
}

/// When this interface's capability statement was last changed.
pub const CAPABILITY_DATE: &str = "2026-12-01";

/// The Patient Flags search, as NHS England's Patient Flags Service serves it.
fn flag_search() -> Value {
    json!({
        "type": "Flag",
        "profile": flags::FLAG_PROFILE,
        "interaction": [{"code": "search-type", "documentation": "Flag?patient=<NHS number>[&code=<flag code>]: one CP-IS flag per plan; with the CP-IS code, each flag's CarePlan and CareTeam too. Headers: X-Request-ID (UUID, required, echoed), X-Correlation-ID (echoed), IsUnscheduledAccessEvent"}],
        "searchParam": [
            {"name": "patient", "type": "token", "documentation": format!("The NHS number, bare or as {NHS_NUMBER_SYSTEM}|<NHS number>")},
            {"name": "code", "type": "token", "documentation": format!("{} (or child-protection-information-sharing-flag, or CP-IS), bare or as {}|<code>; another flag's code finds nothing here", flags::CPIS_CODE, flags::FLAG_CATEGORY_SYSTEM)},
        ],
    })
}

/// `GET /FHIR/R4/metadata`: exactly what is supported, and nothing else.
pub fn capability_statement() -> Value {
    let search = |resource: &str, doc: &str| {
        json!({
            "type": resource,
            "interaction": [{"code": "search-type", "documentation": doc}],
            "searchParam": [{
                "name": "patient",
                "type": "reference",
                "documentation": format!(
                    "Only as {PATIENT_IDENTIFIER}={NHS_NUMBER_SYSTEM}|<NHS number>, the one parameter"
                ),
            }],
        })
    };
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": CAPABILITY_DATE,
        "publisher": "Child protection index",
        "kind": "instance",
        "implementation": {"description": "Child protection index: the national CP-IS searches over this index"},
        "fhirVersion": FHIR_VERSION,
        "format": [FHIR_JSON],
        "rest": [{
            "mode": "server",
            "documentation": "Headers: Authorization: Bearer <token>; TraceID: <UUID> (required, \
                echoed); IsUnscheduledAccessEvent: true|false (absent means true; false is a \
                silent, audited read that alerts nobody).",
            "security": {
                "service": [{"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                    "code": "OAuth",
                }]}],
                "description": "A bearer token carrying the caller's organisation and role.",
            },
            "resource": [
                search("CareTeam", "One CareTeam per child protection plan, looked-after status or unborn-child plan, with the responsible LA's contacts"),
                search("AuditEvent", "Up to 25 previous unscheduled-care accesses, with the accessing organisation"),
                flag_search(),
            ],
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};
    use cpindex::answers::PlanFacts;
    use cpindex::PlanType;

    fn la(code: &str, office: Option<&str>) -> ResponsibleLa {
        ResponsibleLa {
            code: OrgCode::parse(code).unwrap(),
            name: "Leeds City Council".into(),
            team: Some("Children's Front Door".into()),
            office_hours_phone: office.map(str::to_owned),
            emergency_duty_phone: Some("0113 535 0600".into()),
            case_team: None,
        }
    }

    fn plan(t: PlanType, status: ShownStatus, code: &str) -> PlanSummary {
        PlanSummary {
            la_alerted: None,
            facts: PlanFacts {
                plan_type: t,
                national_code: t.national_code().into(),
                start_date: NaiveDate::from_ymd_opt(2026, 1, 10).unwrap(),
                end_date: (status == ShownStatus::Ended)
                    .then(|| NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()),
                expected_due_date: (t == PlanType::Ucpp)
                    .then(|| NaiveDate::from_ymd_opt(2027, 1, 15).unwrap()),
                status,
                end_reason: None,
                still_alerted_until: None,
            },
            responsible_la: la(code, Some("0113 222 4403")),
            recorded_at: None,
        }
    }

    fn view(plans: Vec<PlanSummary>, visits: Vec<Visit>) -> ChildView {
        ChildView::new(
            "0a6f5b2e-5d1c-4f7a-9e3b-2c8d7f6a1b01".into(),
            NhsNumber::parse("9434765919").unwrap(),
            plans,
            visits,
        )
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 3, 0, 0).unwrap()
    }

    #[test]
    fn no_plan_is_an_empty_searchset_not_an_error() {
        let b = care_team_bundle(&view(vec![], vec![]), now());
        assert_eq!(b["resourceType"], "Bundle");
        assert_eq!(b["type"], "searchset");
        assert_eq!(b["total"], 0);
        assert!(b.get("entry").is_none());
    }

    #[test]
    fn each_plan_is_a_care_team_with_its_snomed_code_and_its_la_included_once() {
        let v = view(
            vec![
                plan(PlanType::Lac, ShownStatus::Active, "E08000035"),
                plan(PlanType::Cpp, ShownStatus::Ended, "E08000035"),
                plan(PlanType::Ucpp, ShownStatus::Active, "E09000007"),
            ],
            vec![],
        );
        let b = care_team_bundle(&v, now());
        assert_eq!(b["total"], 3);
        let entries = b["entry"].as_array().unwrap();
        let teams: Vec<&Value> = entries
            .iter()
            .filter(|e| e["search"]["mode"] == "match")
            .collect();
        let orgs: Vec<&Value> = entries
            .iter()
            .filter(|e| e["search"]["mode"] == "include")
            .collect();
        assert_eq!((teams.len(), orgs.len()), (3, 2));
        let codes: Vec<&str> = teams
            .iter()
            .map(|t| {
                t["resource"]["category"][0]["coding"][0]["code"]
                    .as_str()
                    .unwrap()
            })
            .collect();
        assert_eq!(
            codes,
            ["764841000000100", "818901000000100", "342191000000101"]
        );
        let statuses: Vec<&str> = teams
            .iter()
            .map(|t| t["resource"]["status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses, ["active", "active", "inactive"]);
        // Every reference resolves to an included Organization, by fullUrl.
        for t in &teams {
            let r = t["resource"]["managingOrganization"][0]["reference"]
                .as_str()
                .unwrap();
            assert!(orgs.iter().any(|o| o["fullUrl"] == r), "{r}");
            assert_eq!(
                t["resource"]["subject"]["identifier"]["value"],
                "9434765919"
            );
        }
        let org = &orgs[0]["resource"];
        assert_eq!(org["identifier"][0]["system"], ODS_SYSTEM);
        assert_eq!(org["contact"][0]["purpose"]["coding"][0]["code"], "EC");
        assert_eq!(org["contact"][0]["telecom"][0]["value"], "0113 535 0600");
        assert_eq!(org["contact"][1]["purpose"]["coding"][0]["code"], "WP");
        // The ended plan carries its end, the unborn-child plan its due date.
        assert_eq!(teams[2]["resource"]["period"]["end"], "2026-06-01");
        assert!(teams[1]["resource"]["note"][0]["text"]
            .as_str()
            .unwrap()
            .contains("2027-01-15"));
        // Reproducible: the same answer maps to the same ids.
        assert_eq!(care_team_bundle(&v, now()), b);
    }

    #[test]
    fn a_case_team_is_a_note_given_by_its_la_and_a_missing_profile_is_said_so() {
        let mut given = plan(PlanType::Cpp, ShownStatus::Active, "E09000007");
        given.responsible_la.case_team = Some(cpindex::contact::CaseTeam {
            team: "Leeds City Council, Children's Front Door".into(),
            phone: Some(cpindex::contact::Phone::parse("07700 900123", "/p").unwrap()),
        });
        let mut unvetted = plan(PlanType::Lac, ShownStatus::Active, "E06000047");
        unvetted.responsible_la =
            cpindex::answers::ResponsibleLa::of(&OrgCode::parse("E06000047").unwrap(), None, None);
        let b = care_team_bundle(&view(vec![given, unvetted], vec![]), now());
        let teams: Vec<&Value> = b["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["resource"])
            .filter(|r| r["resourceType"] == "CareTeam")
            .collect();
        // The planted number is a note attributed to the LA that gave it, never a telecom.
        assert_eq!(teams[0]["telecom"][0]["value"], "0113 535 0600");
        assert!(teams[0]["note"][0]["text"]
            .as_str()
            .unwrap()
            .contains("(given by Leeds City Council): Leeds City Council, Children's Front Door, 07700 900123"));
        assert!(!b.to_string().contains("\"value\":\"07700 900123\""));
        // No profile: no telecom, and the note says why.
        assert!(teams[1].get("telecom").is_none());
        assert!(teams[1]["note"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("No vetted emergency-duty number"));
    }

    #[test]
    fn previous_accesses_are_audit_events_with_the_setting_included() {
        let at = |h| Utc.with_ymd_and_hms(2026, 11, 20, h, 0, 0).unwrap();
        let visit = |h, code: &str, name: Option<&str>| Visit {
            at: at(h),
            setting_code: OrgCode::parse(code).unwrap(),
            setting_name: name.map(str::to_owned),
        };
        let v = view(
            vec![plan(PlanType::Cpp, ShownStatus::Active, "E08000035")],
            vec![
                visit(9, "RR801", Some("Leeds General Infirmary ED")),
                visit(8, "RR801", None),
                visit(7, "RCB", None),
            ],
        );
        let b = audit_event_bundle(&v, now());
        assert_eq!(b["total"], 3);
        let entries = b["entry"].as_array().unwrap();
        assert_eq!(entries.len(), 5, "3 events, 2 settings");
        let first = &entries[0]["resource"];
        assert_eq!(first["resourceType"], "AuditEvent");
        assert_eq!(first["recorded"], "2026-11-20T09:00:00.000Z");
        assert_eq!(first["agent"][0]["requestor"], true);
        assert_eq!(
            first["entity"][0]["what"]["identifier"]["value"],
            "9434765919"
        );
        assert_eq!(
            entries[0]["resource"]["agent"][0]["who"]["reference"],
            entries[1]["resource"]["agent"][0]["who"]["reference"]
        );
    }

    fn resources<'a>(b: &'a Value, kind: &str, mode: &str) -> Vec<&'a Value> {
        b["entry"]
            .as_array()
            .map(|e| {
                e.iter()
                    .filter(|e| {
                        e["search"]["mode"] == mode && e["resource"]["resourceType"] == kind
                    })
                    .map(|e| &e["resource"])
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn two_las_plans_are_two_flags_each_with_its_plan_team_and_provenance() {
        let mut camden = plan(PlanType::Lac, ShownStatus::Active, "E09000007");
        camden.responsible_la.name = "London Borough of Camden".into();
        camden.responsible_la.office_hours_phone = None;
        camden.recorded_at = Some(Utc.with_ymd_and_hms(2026, 1, 10, 9, 30, 0).unwrap());
        let v = view(
            vec![
                plan(PlanType::Cpp, ShownStatus::Active, "E08000035"),
                camden,
            ],
            vec![],
        );
        let b = flag_bundle(&v, FlagCode::Cpis, now());
        assert_eq!(b["type"], "searchset");
        assert_eq!(b["total"], 2, "total counts flags, not their details");
        let flags_ = resources(&b, "Flag", "match");
        let plans = resources(&b, "CarePlan", "include");
        let teams = resources(&b, "CareTeam", "include");
        assert_eq!((flags_.len(), plans.len(), teams.len()), (2, 2, 2));
        let mut las = Vec::new();
        for (f, want_type) in flags_.iter().zip(["342191000000101", "764841000000100"]) {
            assert_eq!(f["meta"]["profile"][0], flags::FLAG_PROFILE);
            assert_eq!(f["code"]["coding"][0]["code"], flags::CPIS_CODE);
            assert_eq!(
                f["code"]["coding"][0]["system"],
                flags::FLAG_CATEGORY_SYSTEM
            );
            assert_eq!(f["subject"]["identifier"]["value"], "9434765919");
            let provenance = &f["contained"][0];
            assert_eq!(provenance["target"][0]["reference"], "#");
            assert_eq!(
                provenance["agent"][0]["who"]["identifier"]["system"],
                ODS_SYSTEM
            );
            las.push(provenance["agent"][0]["who"]["identifier"]["value"].clone());
            // flag-detail leads to the care plan, and the plan to its team, inside the Bundle.
            assert_eq!(f["extension"][0]["url"], flags::FLAG_DETAIL);
            let plan_ref = f["extension"][0]["valueReference"]["reference"]
                .as_str()
                .unwrap();
            let plan = included(&b, plan_ref);
            assert_eq!(plan["category"][0]["coding"][0]["code"], want_type);
            assert_eq!(plan["intent"], "plan");
            let team = included(&b, plan["careTeam"][0]["reference"].as_str().unwrap());
            assert_eq!(
                team["managingOrganization"][0]["identifier"]["value"],
                las.last().unwrap().clone()
            );
        }
        assert_eq!(las, ["E08000035", "E09000007"]);
        // Leeds: office hours is `work`, the emergency duty team `mobile`; Camden has no
        // office-hours number.
        let uses = |t: &Value| -> Vec<(String, String)> {
            t["telecom"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    (
                        c["use"].as_str().unwrap().to_owned(),
                        c["value"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        };
        assert_eq!(
            uses(teams[0]),
            [
                ("work".to_owned(), "0113 222 4403".to_owned()),
                ("mobile".to_owned(), "0113 535 0600".to_owned())
            ]
        );
        assert_eq!(
            uses(teams[1]),
            [("mobile".to_owned(), "0113 535 0600".to_owned())]
        );
        assert_eq!(teams[1]["name"], "London Borough of Camden");
        assert_eq!(
            flags_[1]["contained"][0]["recorded"],
            "2026-01-10T09:30:00.000Z"
        );
        assert_eq!(flag_bundle(&v, FlagCode::Cpis, now()), b, "reproducible");
    }

    fn included<'a>(b: &'a Value, reference: &str) -> &'a Value {
        &b["entry"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["fullUrl"] == reference)
            .unwrap_or_else(|| panic!("{reference} is not in the Bundle"))["resource"]
    }

    #[test]
    fn without_a_code_the_flags_come_alone_and_another_flags_code_finds_none() {
        let v = view(
            vec![
                plan(PlanType::Cpp, ShownStatus::Active, "E08000035"),
                plan(PlanType::Ucpp, ShownStatus::Ended, "E08000035"),
            ],
            vec![],
        );
        let b = flag_bundle(&v, FlagCode::Any, now());
        assert_eq!(b["total"], 2);
        assert_eq!(b["entry"].as_array().unwrap().len(), 2);
        let flags_ = resources(&b, "Flag", "match");
        assert_eq!(flags_[1]["status"], "inactive");
        assert_eq!(flags_[1]["period"]["end"], "2026-06-01");
        for f in &flags_ {
            let detail = &f["extension"][0]["valueReference"];
            assert!(
                detail.get("reference").is_none(),
                "nothing to resolve in this Bundle"
            );
            assert!(detail["display"]
                .as_str()
                .unwrap()
                .ends_with("(Leeds City Council)"));
        }
        let none = flag_bundle(&v, FlagCode::Other, now());
        assert_eq!(none["total"], 0);
        assert!(none.get("entry").is_none());
        let empty = flag_bundle(&view(vec![], vec![]), FlagCode::Cpis, now());
        assert_eq!(
            (empty["type"].as_str(), empty["total"].as_u64()),
            (Some("searchset"), Some(0))
        );
    }

    #[test]
    fn the_capability_statement_lists_exactly_the_three_searches() {
        let c = capability_statement();
        let types: Vec<&str> = c["rest"][0]["resource"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["type"].as_str().unwrap())
            .collect();
        assert_eq!(types, ["CareTeam", "AuditEvent", "Flag"]);
        assert_eq!(c["fhirVersion"], "4.0.1");
    }
}
