"""The deploy rehearsal's first half (`make deploy-rehearsal`, run by scripts/deploy-rehearsal.sh).

infra/template.yaml is translated by AWS's own SAM translator (aws-sam-translator, pinned by
aws-sam-cli in .venv-sam) and created as a stack in the emulator's CloudFormation, over the wire
with boto3. What the stack created is written as JSON: every function's configuration as Lambda
holds it (the environment with the stack's real table name, queue URLs and secret ARN), the
event source mappings, the schedule rules and each resource's physical id. The second half
(`runtime-check --stack`) checks those against the code's definitions and starts every built
bootstrap with exactly that environment.

Usage: python deploy-rehearsal.py --template infra/template.yaml --out stack.json
(EMULATOR_URL names the emulator.)
"""

import argparse
import io
import json
import os
import sys
import time
import zipfile

import boto3
from samcli.yamlhelper import yaml_parse
from samtranslator.translator.transform import transform

REGION = "eu-west-2"
STACK = "cpindex-rehearsal"
CODE_BUCKET = "rehearsal-code"
CODE_KEY = "bootstrap.zip"

# Parameters a deploy must give (both providers' issuers and audiences), and distinct values for the web app's
# sign-in settings, so each function's variable shows which parameter reached it. Everything
# else keeps the template's default, as a first deploy does.
PARAMETERS = {
    # The issuer and audience of the sample events' claims (tests/src/artefacts.rs): the
    # functions refuse claims from any other.
    "JwtIssuer": "https://idp.example.org/",
    "JwtAudience": "cpindex-api",
    # NHS staff's: the samples' clinicians come from a broker issuing role and org claims.
    "NhsJwtIssuer": "https://nhs-idp.example.org/",
    "NhsJwtAudience": "cpindex-api",
    "NhsTokenClaims": "roles",
    "NhsWebClientId": "rehearsal-web-client-nhs",
    "NhsOidcAuthorizeUrl": "https://nhs-idp.example.org/authorize-rehearsal",
    "NhsOidcTokenUrl": "https://nhs-idp.example.org/token-rehearsal",
    "WebClientId": "rehearsal-web-client",
    "OidcAuthorizeUrl": "https://idp.example.org/authorize-rehearsal",
    "OidcTokenUrl": "https://idp.example.org/token-rehearsal",
    "WebhookSecretPrefix": "rehearsal/webhook/",
}

# Resource types moto 5.2.5's CloudFormation does not model (it skips them, and drops every Ref
# to them). What stands in for each:
NOT_MODELLED = {
    # tests/tests/template_observability.rs checks the alarms and metric filters.
    "AWS::CloudWatch::Alarm",
    "AWS::Logs::MetricFilter",
    # tests/tests/template_routes.rs checks the routes, authorizer and throttles.
    "AWS::ApiGatewayV2::Api",
    "AWS::ApiGatewayV2::Stage",
    # The TLS-only queue policy: checkov (make template-scan).
    "AWS::SQS::QueuePolicy",
    # Created below through Secrets Manager's API, as the template generates it.
    "AWS::SecretsManager::Secret",
    # The child key secret's resource policy: tests/tests/template_child_key.rs checks who it
    # lets read the secret.
    "AWS::SecretsManager::ResourcePolicy",
}

# The keys of GenerateSecretString that GetRandomPassword takes as they are.
PASSWORD_KEYS = {
    "PasswordLength",
    "ExcludeCharacters",
    "ExcludeNumbers",
    "ExcludePunctuation",
    "ExcludeUppercase",
    "ExcludeLowercase",
    "IncludeSpace",
    "RequireEachIncludedType",
}


class RehearsalError(Exception):
    """The stack could not be created as the template says."""


class NoManagedPolicies:
    """The translator's managed-policy loader: the template names no managed policy (every
    function has its own role), so none is ever looked up."""

    def load(self):
        return {}


def clients(endpoint):
    kw = dict(
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    names = ["s3", "cloudformation", "lambda", "events", "secretsmanager"]
    return {name: boto3.client(name, **kw) for name in names}


def translated(template_path):
    """The template as CloudFormation receives it from `sam deploy`: every function's code
    an S3 object (a stand-in zip: the bootstraps run under the harness, not in the emulator)."""
    with open(template_path) as f:
        template = yaml_parse(f.read())
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = f"s3://{CODE_BUCKET}/{CODE_KEY}"
    return transform(template, {}, NoManagedPolicies())


def upload_code(s3):
    s3.create_bucket(
        Bucket=CODE_BUCKET,
        CreateBucketConfiguration={"LocationConstraint": REGION},
    )
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("bootstrap", "stand-in: the built bootstrap runs under the harness")
    s3.put_object(Bucket=CODE_BUCKET, Key=CODE_KEY, Body=zipped.getvalue())


def create_stack(cf, template):
    cf.create_stack(
        StackName=STACK,
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in PARAMETERS.items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    deadline = time.monotonic() + 120
    while True:
        stack = cf.describe_stacks(StackName=STACK)["Stacks"][0]
        if not stack["StackStatus"].endswith("_IN_PROGRESS"):
            break
        if time.monotonic() > deadline:
            raise RehearsalError(f"stack still {stack['StackStatus']} after 120 s")
        time.sleep(0.2)
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise RehearsalError(
            f"stack {stack['StackStatus']}: {stack.get('StackStatusReason', '(no reason)')}"
        )
    return stack


def stand_in_secrets(sm, template, physical):
    """Creates each secret the emulator's CloudFormation skipped, as the template generates it
    (its GenerateSecretString), named as CloudFormation names an unnamed resource."""
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::SecretsManager::Secret":
            continue
        generate = resource["Properties"].get("GenerateSecretString")
        if generate is None or set(generate) - PASSWORD_KEYS:
            raise RehearsalError(
                f"{logical_id}: the rehearsal generates a plain password secret only "
                f"(GenerateSecretString with {sorted(PASSWORD_KEYS)})"
            )
        value = sm.get_random_password(**generate)["RandomPassword"]
        arn = sm.create_secret(Name=f"{STACK}-{logical_id}", SecretString=value)["ARN"]
        physical[logical_id] = {"type": resource["Type"], "physical_id": arn}


def restore_dropped_refs(lam, template, physical, functions):
    """The emulator drops an environment variable whose value is a Ref to a resource it did not
    create; put back those the rehearsal stood in for, through Lambda's API."""
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        declared = resource["Properties"].get("Environment", {}).get("Variables", {})
        function = functions[logical_id]
        restored = {}
        for name, value in declared.items():
            target = value.get("Ref") if isinstance(value, dict) else None
            if name not in function["env"] and target in physical:
                restored[name] = physical[target]["physical_id"]
        if restored:
            function["env"].update(restored)
            lam.update_function_configuration(
                FunctionName=function["name"], Environment={"Variables": function["env"]}
            )


def created(c, template):
    """What the stack holds: resources, functions, event source mappings, schedules."""
    cf, lam, events = c["cloudformation"], c["lambda"], c["events"]
    summaries = cf.list_stack_resources(StackName=STACK)["StackResourceSummaries"]
    physical = {
        r["LogicalResourceId"]: {"type": r["ResourceType"], "physical_id": r["PhysicalResourceId"]}
        for r in summaries
        if r["ResourceType"]  # the emulator lists what it skipped with an empty type
    }
    missing = {
        logical_id: r["Type"]
        for logical_id, r in template["Resources"].items()
        if logical_id not in physical and "Condition" not in r
    }
    unexpected = {k: t for k, t in missing.items() if t not in NOT_MODELLED}
    if unexpected:
        raise RehearsalError(f"the emulator did not create {unexpected}")
    stale = {t for t in NOT_MODELLED} - set(missing.values())
    if stale:
        raise RehearsalError(
            f"the emulator now creates {sorted(stale)} (or the template has none): "
            "take them out of NOT_MODELLED"
        )

    functions = {}
    for logical_id, r in physical.items():
        if r["type"] != "AWS::Lambda::Function":
            continue
        config = lam.get_function(FunctionName=r["physical_id"])
        f = config["Configuration"]
        functions[logical_id] = {
            "name": f["FunctionName"],
            "arn": f["FunctionArn"],
            "runtime": f.get("Runtime"),
            "handler": f.get("Handler"),
            "timeout_s": f["Timeout"],
            "memory_mb": f["MemorySize"],
            "architectures": f.get("Architectures", []),
            "reserved_concurrency": config.get("Concurrency", {}).get(
                "ReservedConcurrentExecutions"
            ),
            # Lambda holds every variable as a string; the emulator keeps a resolved Number
            # parameter as a number.
            "env": {k: str(v) for k, v in f.get("Environment", {}).get("Variables", {}).items()},
        }
    return physical, functions, missing


def event_sources(lam):
    return [
        {
            "function_arn": m["FunctionArn"],
            "source_arn": m["EventSourceArn"],
            "batch_size": m.get("BatchSize"),
            "response_types": m.get("FunctionResponseTypes", []),
            "maximum_concurrency": m.get("ScalingConfig", {}).get("MaximumConcurrency"),
            "enabled": m.get("State") == "Enabled",
        }
        for m in lam.list_event_source_mappings()["EventSourceMappings"]
    ]


def schedules(events):
    out = []
    for rule in events.list_rules()["Rules"]:
        if "ScheduleExpression" not in rule:
            continue
        targets = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
        out.append(
            {
                "expression": rule["ScheduleExpression"],
                "enabled": rule.get("State") == "ENABLED",
                "target_arns": [t["Arn"] for t in targets],
            }
        )
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--template", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    endpoint = os.environ["EMULATOR_URL"]
    # The translator reads the region for the ARNs and endpoints it writes.
    os.environ["AWS_DEFAULT_REGION"] = REGION

    started = time.monotonic()
    template = translated(args.template)
    c = clients(endpoint)
    upload_code(c["s3"])
    stack = create_stack(c["cloudformation"], template)
    physical, functions, skipped = created(c, template)
    stand_in_secrets(c["secretsmanager"], template, physical)
    restore_dropped_refs(c["lambda"], template, physical, functions)
    out = {
        "stack": STACK,
        "region": REGION,
        "parameters": {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]},
        "resources": physical,
        "functions": functions,
        "event_sources": event_sources(c["lambda"]),
        "schedules": schedules(c["events"]),
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
    modelled = len(template["Resources"]) - len(skipped)
    print(
        f"deploy-rehearsal: stack {STACK} created from the translated template in "
        f"{time.monotonic() - started:.1f} s: {modelled} of {len(template['Resources'])} "
        f"resources ({len(skipped)} of types the emulator does not model: "
        f"{', '.join(sorted(set(skipped.values())))})"
    )


if __name__ == "__main__":
    try:
        main()
    except RehearsalError as e:
        sys.exit(f"deploy-rehearsal: {e}")
