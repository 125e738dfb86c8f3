"""Runs schemathesis against infra/openapi.yaml on a running local stack, once per role, on the
operations that role may call (their `x-roles`), within a time budget. Prints what it found and
exits non-zero on any finding.

  python scripts/fuzz-contract.py --url http://127.0.0.1:3090 --token-cmd "local-stack token ..."

What is checked: no 5xx; no schema-violating request accepted (negative data rejected); every
response's status, content type, headers and body conform to the contract; methods the contract
does not list are refused; a request without a token is refused. Schema-valid requests that
break a rule JSON Schema cannot state (an NHS number's check digit, an end date before the start
date) are refused with 400 and the rule's code, as the contract says, so that check is not run.
"""

import argparse
import os
import subprocess
import sys

import yaml

ROLES = {
    "local_authority": "E08000035",
    "unscheduled_care": "RR801",
    "scheduled_care": "RR802",
    "operator": "X26",
    "privacy_officer": "RR801",
    "nhs_staff": "RR803",
}
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "unsupported_method",
        "ignored_auth",
    ]
)


def operations_by_role(contract):
    spec = yaml.safe_load(open(contract))
    by_role = {}
    for item in spec["paths"].values():
        for method, op in item.items():
            if method in ("get", "put", "post", "delete", "patch"):
                for role in op.get("x-roles", []):
                    by_role.setdefault(role, []).append(op["operationId"])
    return by_role


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--contract", default="infra/openapi.yaml")
    ap.add_argument("--token-cmd", required=True, help="command printing a token; gets --role and --org")
    ap.add_argument("--seconds-per-role", type=int, default=40)
    ap.add_argument("--max-examples", type=int, default=25)
    ap.add_argument("--report-dir", default=".local/schemathesis")
    args = ap.parse_args()
    schemathesis = os.path.join(os.path.dirname(sys.executable), "schemathesis")
    failed = []
    for role, ops in sorted(operations_by_role(args.contract).items()):
        org = ROLES[role]
        token = subprocess.check_output(
            args.token_cmd.split() + ["--role", role, "--org", org, "--user", "fuzz-" + role], text=True
        ).strip()
        cmd = [
            schemathesis, "run", args.contract,
            "--url", args.url,
            "--header", f"Authorization: Bearer {token}",
            "--checks", CHECKS,
            "--max-time", str(args.seconds_per_role),
            "--max-examples", str(args.max_examples),
            "--seed", "20261201",
            "--workers", "1",
            "--request-timeout", "20",
            "--report", "junit",
            "--report-junit-path", os.path.join(args.report_dir, f"{role}.xml"),
        ]
        for op in ops:
            cmd += ["--include-operation-id", op]
        print(f"fuzz: {role} ({len(ops)} operations: {', '.join(ops)})", flush=True)
        code = subprocess.call(cmd, env={**os.environ, "NO_COLOR": "1"})
        if code != 0:
            failed.append(role)
    if failed:
        print("fuzz: schemathesis found problems for: " + ", ".join(failed), file=sys.stderr)
        sys.exit(1)
    print("fuzz: schemathesis found nothing for any role")


if __name__ == "__main__":
    main()
