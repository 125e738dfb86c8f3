# The project's commands. Each installs what it needs on first use.
#   make dev     run the system locally (emulator + resources + API on http://127.0.0.1:3000)
#   make test    every check and test (fmt, clippy, unit, emulator, integration)
#   make bench   every benchmark; `make bench BENCH=<name>` runs one
SHELL := /bin/bash
.DEFAULT_GOAL := help

# A build cache outside the clone keeps rebuilds warm; CI passes with it empty.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/cpindex/target
DEV_EMULATOR_PORT ?= 4566
TEST_EMULATOR_PORT ?= 4567
PORT ?= 3000
BENCH ?=

.PHONY: help dev test check unit emulator-test bench emulator-install clean

help:
	@grep -E '^#   make' Makefile | sed 's/^#   //'

emulator-install:
	@scripts/emulator.sh install

## Run locally: emulator up, table and queues created, API (health, functions) on $(PORT).
dev: emulator-install
	@EMULATOR_PORT=$(DEV_EMULATOR_PORT) scripts/dev.sh $(PORT)

## Every check and test; exits non-zero on the first failure.
test: check emulator-test

check:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

emulator-test: emulator-install
	@EMULATOR_PORT=$(TEST_EMULATOR_PORT) scripts/with-emulator.sh cargo test --workspace --all-targets

## Benchmarks (release build, against a fresh emulator).
bench: emulator-install
	@EMULATOR_PORT=$(TEST_EMULATOR_PORT) scripts/with-emulator.sh scripts/bench.sh $(BENCH)

clean:
	-scripts/emulator.sh stop
	rm -rf .local
