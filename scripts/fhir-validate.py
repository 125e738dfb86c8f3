"""Fails when any FHIR answer the tests received is not valid FHIR R4.

  python scripts/fhir-validate.py DIR

Every `*.json` under DIR (written by the tests, one answer each) is parsed with an independent
FHIR R4 implementation, PyPI fhir.resources 6.5.0 (FHIR 4.0.1): unknown elements, wrong types,
missing required elements and malformed primitives fail. The models do not check codes against
value sets, so the required bindings of every coded element we emit are checked here from the
R4 specification, with the England child protection plan value set and the Bundle rules
(total = matches, unique fullUrls, every `urn:uuid:` reference resolving inside the Bundle).
"""

import json
import os
import sys

from fhir.resources import construct_fhir_element

# Required bindings (FHIR R4 4.0.1), by element path from the resource.
REQUIRED = {
    ("Bundle", "type"): {"document", "message", "transaction", "transaction-response", "batch",
                         "batch-response", "history", "searchset", "collection"},
    ("Bundle", "entry.search.mode"): {"match", "include", "outcome"},
    ("CareTeam", "status"): {"proposed", "active", "suspended", "inactive", "entered-in-error"},
    ("AuditEvent", "action"): {"C", "R", "U", "D", "E"},
    ("AuditEvent", "outcome"): {"0", "4", "8", "12"},
    ("OperationOutcome", "issue.severity"): {"fatal", "error", "warning", "information"},
    ("OperationOutcome", "issue.code"): {
        "invalid", "structure", "required", "value", "invariant", "security", "login", "unknown",
        "expired", "forbidden", "suppressed", "processing", "not-supported", "duplicate",
        "multiple-matches", "not-found", "deleted", "too-long", "code-invalid", "extension",
        "too-costly", "business-rule", "conflict", "transient", "lock-error", "no-store",
        "exception", "timeout", "incomplete", "throttled", "informational"},
    ("CapabilityStatement", "status"): {"draft", "active", "retired", "unknown"},
    ("CapabilityStatement", "kind"): {"instance", "capability", "requirements"},
    ("CapabilityStatement", "fhirVersion"): {"4.0.1"},
    ("CapabilityStatement", "rest.mode"): {"client", "server"},
    ("CapabilityStatement", "rest.resource.interaction.code"): {
        "read", "vread", "update", "patch", "delete", "history-instance", "history-type",
        "create", "search-type"},
    ("CapabilityStatement", "rest.resource.searchParam.type"): {
        "number", "date", "string", "token", "reference", "composite", "quantity", "uri",
        "special"},
}
CONTACT_SYSTEM = {"phone", "fax", "email", "pager", "url", "sms", "other"}
CONTACT_USE = {"home", "work", "temp", "old", "mobile"}
# ValueSet England-ChildProtectionPlan (SNOMED CT UK).
PLAN_CODES = {"342191000000101", "764841000000100", "818901000000100"}
SNOMED = "http://snomed.info/sct"


def values(node, path):
    """Every value at a dotted path, through lists."""
    if not path:
        yield node
        return
    head, _, rest = path.partition(".")
    items = node if isinstance(node, list) else [node]
    for item in items:
        if isinstance(item, dict) and head in item:
            value = item[head]
            for v in value if isinstance(value, list) else [value]:
                yield from values(v, rest)


def telecoms(node):
    """Every ContactPoint in a resource (any `telecom` element, at any depth)."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "telecom":
                yield from v
            else:
                yield from telecoms(v)
    elif isinstance(node, list):
        for v in node:
            yield from telecoms(v)


def references(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "reference" and isinstance(v, str):
                yield v
            else:
                yield from references(v)
    elif isinstance(node, list):
        for v in node:
            yield from references(v)


def check_codes(resource):
    problems = []
    kind = resource.get("resourceType")
    for (rtype, path), allowed in REQUIRED.items():
        if rtype != kind:
            continue
        for v in values(resource, path):
            if v not in allowed:
                problems.append(f"{kind}.{path} = {v!r} is not in its required value set")
    for cp in telecoms(resource):
        if cp.get("system") not in CONTACT_SYSTEM or cp.get("use", "work") not in CONTACT_USE:
            problems.append(f"{kind}: ContactPoint {cp} has a code outside its value set")
    # The plan type: on the CP-IS CareTeam, and on the Patient Flags CarePlan.
    if kind in ("CareTeam", "CarePlan"):
        for coding in values(resource, "category.coding"):
            if coding.get("system") != SNOMED or coding.get("code") not in PLAN_CODES:
                problems.append(f"{kind}.category {coding} is not an England child protection plan code")
    return problems


def check(doc):
    problems = []
    construct_fhir_element(doc["resourceType"], doc)
    problems += check_codes(doc)
    if doc["resourceType"] == "Bundle":
        entries = doc.get("entry", [])
        urls = [e.get("fullUrl") for e in entries]
        if len(set(urls)) != len(urls):
            problems.append("Bundle fullUrls are not unique")
        matches = sum(1 for e in entries if e.get("search", {}).get("mode") == "match")
        if doc.get("total") != matches:
            problems.append(f"Bundle.total {doc.get('total')} but {matches} matches")
        for e in entries:
            problems += check_codes(e["resource"])
            for ref in references(e["resource"]):
                if ref.startswith("urn:uuid:") and ref not in urls:
                    problems.append(f"reference {ref} does not resolve inside the Bundle")
    return problems


def must_fail(doc):
    """The validator can fail: broken copies of a real answer are each refused."""
    import copy
    team = next((i for i, e in enumerate(doc.get("entry", []))
                 if e["resource"]["resourceType"] == "CareTeam"), None)
    # The resource carrying the plan type (the CP-IS CareTeam, the Patient Flags CarePlan).
    coded = next((i for i, e in enumerate(doc.get("entry", []))
                  if "category" in e["resource"]), None)
    if team is None or coded is None:
        return ["a sample with a care team and a plan type"]
    breaks = {
        "an unknown element": lambda d: d["entry"][team]["resource"].update(bogus=1),
        "a wrong type": lambda d: d.update(total="two"),
        "a code outside a required value set": lambda d: d["entry"][team]["resource"].update(status="nonsense"),
        "a plan code outside the England value set": lambda d: d["entry"][coded]["resource"]["category"][0]["coding"][0].update(code="123"),
        "a missing required element": lambda d: d.pop("type"),
    }
    missed = []
    for what, brk in breaks.items():
        broken = copy.deepcopy(doc)
        brk(broken)
        try:
            problems = check(broken)
        except Exception:
            problems = ["refused"]
        if not problems:
            missed.append(what)
    return missed


def main():
    root = sys.argv[1]
    files = sorted(
        os.path.join(d, n) for d, _, names in os.walk(root) for n in names if n.endswith(".json")
    ) if os.path.isdir(root) else []
    if not files:
        sys.exit(f"fhir-validate: no FHIR answers under {root}: the capture did not run")
    failed = 0
    kinds = {}
    for path in files:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        kinds[doc.get("resourceType")] = kinds.get(doc.get("resourceType"), 0) + 1
        try:
            problems = check(doc)
        except Exception as e:  # the model's validation error, whole
            problems = [str(e)]
        if problems:
            failed += 1
            print(f"{path}:\n  " + "\n  ".join(problems), file=sys.stderr)
    # One answer of each interface, broken in each way, must be refused.
    for search, marker in (("CP-IS CareTeam", '"category"'), ("Patient Flags", '"CarePlan"')):
        sample = next((d for d in (json.load(open(p, encoding="utf-8")) for p in files)
                       if d.get("resourceType") == "Bundle" and marker in json.dumps(d)
                       and '"CareTeam"' in json.dumps(d)
                       and (search != "CP-IS CareTeam" or '"CarePlan"' not in json.dumps(d))), None)
        if sample is None:
            sys.exit(f"fhir-validate: no {search} answer among them: the FHIR tests did not run")
        missed = must_fail(sample)
        if missed:
            sys.exit(f"fhir-validate: on a {search} answer the validator accepted {', '.join(missed)}")
    summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items(), key=lambda x: str(x[0])))
    if failed:
        sys.exit(f"fhir-validate: {failed} of {len(files)} FHIR answers are not valid R4 ({summary})")
    print(f"fhir-validate: {len(files)} FHIR answers valid R4 (fhir.resources 6.5.0): {summary}")


if __name__ == "__main__":
    main()
