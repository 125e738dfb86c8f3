# The project's commands. Each installs what it needs on first use.
#   make dev            run the system locally (emulator, resources, web app and API on http://127.0.0.1:3000);
#                       its data is kept in .local/data across restarts; make dev FRESH=1 starts empty
#   make test           every check and test: fmt, clippy, layering, the supply chain, unit, emulator,
#                       the NHS number oracle, the README walkthrough, schemathesis on the contract,
#                       SAM checks
#   make bench          every benchmark; `make bench BENCH=<name>` runs one
#   make soak           a mixed load on a fresh local stack for SOAK_SECONDS (600), then its counts
#   make arm64-check    every function built for arm64, each answering its sample event under qemu
#   make token ROLE=<role> ORG=<code> [USER=<id>] [NAME=<setting name>] [ACTIVITIES=B0170|none]   a bearer token the local stack accepts
#   make demo           load demo data into a running `make dev` (safe to run again)
#   make check          fmt, clippy and the crate layering only
#   make supply-chain   cargo deny (licences, bans, sources, advisories), npm audit of what the web
#                       app ships, the Python tools' hashed pins (docs/SUPPLY-CHAIN.md)
#   make emulator-test  unit and emulator tests only (cargo test on a fresh emulator)
#   make nhs-oracle     the NHS number rule against an independent implementation
#   make walkthrough    the README's walkthrough, run verbatim on a fresh local stack
#   make dev-check      a second make dev leaves the first alone; data kept across a restart; FRESH=1
#   make fuzz-contract  schemathesis against infra/openapi.yaml, every role
#   make web-check      the web app's ESLint, type check (tsc) and unit tests
#   make browser-test   the web app in headless Chromium: the seed story, axe-core, CSP
#   make web-assets     build the web app (pinned npm packages) into web/dist, which functions/web embeds
#   make sam-check      sam validate --lint and sam build of every function
#   make sam-prebuild   the functions' release binaries only (sam build's first step)
#   make deploy-rehearsal  the template created as a stack in the emulator's CloudFormation; each built
#                       bootstrap started with the environment the stack gives it, answer checked
#   make artefact-check the same as deploy-rehearsal (its former name)
#   make template-scan  checkov on the template (0 failed; every skip with its reason)
#   make clean          stop the dev emulator and remove local state (.local: the kept data too)
#   make help           this list
SHELL := /bin/bash
.DEFAULT_GOAL := help

# A build cache outside the clone keeps rebuilds warm; CI passes with it empty.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/cpindex/target
DEV_EMULATOR_PORT ?= 4566
TEST_EMULATOR_PORT ?= 4567
PORT ?= 3000
BENCH ?=

.PHONY: help dev token demo walkthrough test check supply-chain emulator-test fuzz-contract nhs-oracle bench soak arm64-check emulator-install clean template-scan web-assets web-check browser-test

help:
	@sed -n '2,/^SHELL/p' Makefile | grep -v '^SHELL' | sed 's/^#   //; s/^#//'

emulator-install:
	@scripts/emulator.sh install

## Run locally: emulator up, table and queues created, API (health, functions) on $(PORT); data
## kept in .local/data across restarts (FRESH=1 starts empty).
FRESH ?=
dev: emulator-install web-assets
	@EMULATOR_PORT=$(DEV_EMULATOR_PORT) FRESH=$(FRESH) scripts/dev.sh $(PORT)

## A token for the local stack: make token ROLE=unscheduled_care ORG=RR801 USER=dr-1 NAME="Leeds General ED"
ROLE ?=
ORG ?=
NAME ?=
USER_ID := $(if $(filter command line,$(origin USER)),$(USER),local-user)
token:
	@test -n "$(ROLE)" -a -n "$(ORG)" || { echo "usage: make token ROLE=<role> ORG=<code> [USER=<id>] [NAME=<setting name>] [ACTIVITIES=<CIS2 codes>|none]" >&2; exit 2; }
	@PORT=$(PORT) cargo run --quiet -p local-stack -- token --role "$(ROLE)" --org "$(ORG)" --user "$(USER_ID)" $(if $(NAME),--org-name "$(NAME)") $(if $(ACTIVITIES),--activities "$(ACTIVITIES)")

## The README's walkthrough, run verbatim against a fresh local stack (its own ports).
walkthrough: emulator-install web-assets
	@WALKTHROUGH_PORT=3077 scripts/walkthrough.sh

## make dev as a person uses it: a second one leaves the first alone; data survives a restart;
## FRESH=1 starts empty (scripts/dev-check.sh).
dev-check: emulator-install web-assets
	@scripts/dev-check.sh

## Demo data into a running `make dev` (two LAs with webhooks, children of every plan type).
demo:
	@cargo run --quiet -p local-stack -- demo --api http://127.0.0.1:$(PORT)

## Every check and test, stage by stage (scripts/stages.sh); stops at the first failure and ends
## with each stage's time.
TEST_STAGES := check supply-chain web-check emulator-test nhs-oracle walkthrough dev-check fuzz-contract browser-test sam-check deploy-rehearsal template-scan
test:
	@scripts/stages.sh $(TEST_STAGES)

# The domain crate links no AWS or HTTP crate, and the CLI links no function or SDK.
LAYERING_FORBIDDEN := ^(aws-config|aws-sdk-[a-z]+|aws-smithy-[a-z-]+|axum|lambda_[a-z]+|reqwest|hyper|tokio) v
CLI_FORBIDDEN := ^(aws-config|aws-sdk-[a-z]+|lambda_[a-z]+|cpindex-adapters|local-stack|plan-upsert|lookup|inbox|reports|alert-fanout|alert-delivery|reconcile) v

## The web app's assets (npm packages pinned in web/package-lock.json), embedded by functions/web:
## every target that compiles the workspace needs them first.
web-assets:
	@scripts/web-build.sh

## The web app checked like code: ESLint, tsc --noEmit on its JSDoc types, unit tests (node --test).
web-check: web-assets
	@scripts/web-check.sh

## The web app in headless Chromium against a fresh local stack (@playwright/test: axe-core, CSP,
## the seed story; a trace of each failed test in web/test-results).
browser-test: emulator-install web-assets
	@scripts/browser-test.sh

check: web-assets
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	@! cargo tree -q -p cpindex -e normal --prefix none | grep -E '$(LAYERING_FORBIDDEN)' || { echo "check: the domain crate cpindex links an AWS or HTTP crate (above)" >&2; exit 1; }
	@! cargo tree -q -p cpindex-cli -e normal --prefix none | grep -E '$(CLI_FORBIDDEN)' || { echo "check: the CLI links a function, the adapters or an SDK (above)" >&2; exit 1; }

## What the project takes from registries, checked (scripts/supply-chain.sh, docs/SUPPLY-CHAIN.md):
## cargo deny on the Rust tree (deny.toml), npm audit of the web app's production dependencies,
## the Python tools' hashed pins against what each asks for. A check that needs a service this
## machine cannot reach says so and is skipped (SUPPLY_CHAIN_STRICT=1 makes that fail).
supply-chain:
	@scripts/supply-chain.sh

# Every log event of the emulator tests is captured and scanned: no NHS number in clear, ever.
TEST_LOG_DIR := $(CURDIR)/.local/test-logs
# Every FHIR answer the tests receive, for the independent R4 validator (scripts/fhir-validate.py).
FHIR_OUT_DIR := $(CURDIR)/.local/fhir-answers
emulator-test: emulator-install web-assets
	@rm -rf "$(TEST_LOG_DIR)" "$(FHIR_OUT_DIR)"
	@CPINDEX_TEST_LOG_DIR="$(TEST_LOG_DIR)" CPINDEX_FHIR_OUT="$(FHIR_OUT_DIR)" EMULATOR_PORT=$(TEST_EMULATOR_PORT) scripts/with-emulator.sh cargo test --workspace --all-targets
	@"$$(scripts/python-env.sh tools)/python" scripts/scan-logs.py "$(TEST_LOG_DIR)"
	@"$$(scripts/python-env.sh fhir)/python" scripts/fhir-validate.py "$(FHIR_OUT_DIR)"

## The NHS number rule against an independent implementation, on over a million candidates.
# Its binary from the workspace's test build (emulator-test's, so nothing to do after it), not
# from this package's own feature set, which would build its dependencies again.
nhs-oracle: web-assets
	cargo build --quiet --workspace --all-targets
	@"$$(scripts/python-env.sh tools)/python" scripts/nhs-oracle.py "$(CARGO_TARGET_DIR)/debug/nhs-verdicts"

## schemathesis against the contract on a fresh local stack, for every role (time-bounded).
fuzz-contract: emulator-install web-assets
	@scripts/fuzz-contract.sh

## Benchmarks (release build, against a fresh emulator).
bench: emulator-install web-assets
	@EMULATOR_PORT=$(TEST_EMULATOR_PORT) scripts/with-emulator.sh scripts/bench.sh $(BENCH)

## arm64 (not part of make test: CI carries only the x86_64 target): every function built for
## arm64 and answering its sample event under qemu. See scripts/arm64-check.sh.
ARM64_EMULATOR_PORT ?= 4584
arm64-check: emulator-install web-assets sam-install
	@EMULATOR_PORT=$(ARM64_EMULATOR_PORT) scripts/with-emulator.sh scripts/arm64-check.sh

## A soak (not part of make test): see scripts/soak.sh and BENCHMARKS.md.
soak: emulator-install web-assets
	@scripts/soak.sh

clean:
	-scripts/emulator.sh stop
	rm -rf .local

## SAM: the template lints clean (any finding fails) and every function builds to a bootstrap.
# sam runs with .venv-sam/bin first on PATH: cargo-lambda finds zig through the first python3.
SAM_REGION ?= eu-west-2
SAM_BUILD_DIR := .aws-sam/build
SAM_TEMPLATE := infra/template.yaml
SAM := PATH="$(CURDIR)/.venv-sam/bin:$$PATH" SAM_CLI_TELEMETRY=0 sam

.PHONY: sam-install sam-validate sam-prebuild sam-build sam-check deploy-rehearsal artefact-check

sam-install:
	@scripts/install-sam.sh

sam-validate: sam-install
	@out="$$($(SAM) validate --lint --template-file $(SAM_TEMPLATE) --region $(SAM_REGION) 2>&1)"; rc=$$?; \
	echo "$$out"; \
	if [ $$rc -ne 0 ] || ! grep -q "is a valid SAM Template" <<<"$$out" || grep -qE '\b[EW][0-9]{4}\b' <<<"$$out"; then \
	  echo "sam-validate: the template has lint findings (see above)" >&2; exit 1; \
	fi

# Every AWS::Serverless::Function of the template has an executable ELF bootstrap in the build.
define SAM_BOOTSTRAP_CHECK
import os, sys
from samcli.yamlhelper import yaml_parse
template, build_dir = sys.argv[1], sys.argv[2]
resources = yaml_parse(open(template).read())["Resources"]
functions = [n for n, r in resources.items() if r["Type"] == "AWS::Serverless::Function"]
bad = []
for name in functions:
    path = os.path.join(build_dir, name, "bootstrap")
    try:
        with open(path, "rb") as f:
            elf = f.read(4) == b"\x7fELF"
    except OSError:
        elf = False
    if not (elf and os.access(path, os.X_OK)):
        bad.append(path)
    else:
        binary = open(path, "rb").read()
        # The local sign-in (local-stack only) must never reach an artefact.
        if b"/local/oidc/" in binary:
            bad.append(path + " (links the local sign-in)")
        # The local stack's relaxations are a constructor argument its own crate passes: no
        # Lambda entry point reads a switch for them, so none may hold one.
        if b"LOCAL_MODE" in binary:
            bad.append(path + " (holds a local-mode switch)")
        # A web bootstrap built where the app was not (cfg web_app_missing) must never ship.
        if name == "WebFunction" and open("web/dist/index.html", "rb").read() not in binary:
            bad.append(path + " (the web app is not embedded: make web-assets)")
if not functions or bad:
    sys.exit("sam-build: no executable bootstrap at: " + (", ".join(bad) or "(no functions)"))
print("sam-build: bootstrap built for " + ", ".join(functions))
endef
export SAM_BOOTSTRAP_CHECK

# Every function's binary in one cargo-lambda invocation first, with the flags sam's builder
# uses: cargo links them side by side (fat LTO links one binary per core), and `sam build` then
# finds each one fresh and only copies it.
SAM_BINARIES := $(shell sed -n 's/^ *Binary: *//p' $(SAM_TEMPLATE))
# `make test` starts this step in the background, at the lowest priority, as soon as the tools
# are installed (scripts/stages.sh): the release build then takes the CPU that the stages bound
# to the emulator or a browser leave idle, and sam-build finds the binaries fresh.
sam-prebuild: sam-install web-assets
	PATH="$(CURDIR)/.venv-sam/bin:$$PATH" cargo lambda build --release $(addprefix --bin ,$(SAM_BINARIES))

sam-build: sam-prebuild
	$(SAM) build --template-file $(SAM_TEMPLATE) --build-dir $(SAM_BUILD_DIR) --region $(SAM_REGION)
	@"$(CURDIR)/.venv-sam/bin/python3" -c "$$SAM_BOOTSTRAP_CHECK" $(SAM_TEMPLATE) $(SAM_BUILD_DIR)

sam-check: sam-validate sam-build

## A deploy rehearsed on a real CloudFormation engine: the template translated by AWS's SAM
## translator and created as a stack in a fresh emulator, the stack's wiring (functions, their
## variables, queues, triggers) checked against the code, and every built bootstrap started as
## Lambda starts it (a Runtime API on loopback) with the environment, timeout and memory the
## stack gives its function, answering its sample event. See scripts/deploy-rehearsal.sh.
REHEARSAL_EMULATOR_PORT ?= 4579
deploy-rehearsal: sam-build emulator-install
	@cargo build --quiet -p integration-tests --bin runtime-check
	@EMULATOR_PORT=$(REHEARSAL_EMULATOR_PORT) scripts/with-emulator.sh scripts/deploy-rehearsal.sh \
	  $(SAM_BUILD_DIR) "$(CARGO_TARGET_DIR)/debug/runtime-check"

# The rehearsal's former name, still used in the docs.
artefact-check: deploy-rehearsal

## checkov (a third-party scanner) on the template: 0 failed, every skip explained.
template-scan:
	@scripts/checkov.sh
