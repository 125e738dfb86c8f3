// The version a web edit sends: one above the version held, so a case system's next version
// (which only grows) stays newer.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_VERSION, nextVersion } from "../../src/plan-version.js";

test("a new plan is version 1", () => {
  assert.equal(nextVersion(null), 1);
  assert.equal(nextVersion(undefined), 1);
});

test("a held version is followed by the next whole number, across the API's range", () => {
  for (const held of [1, 2, 7, 99, 1_000, 20_260_301_120_000, 1_780_000_000_000, MAX_VERSION - 1]) {
    assert.equal(nextVersion(held), held + 1);
  }
  for (let held = 1; held < 5_000; held += 37) assert.equal(nextVersion(held), held + 1);
});

test("no version is offered past the API's largest, or after a held value that is not a version", () => {
  for (const held of [MAX_VERSION, 0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.equal(nextVersion(held), null, String(held));
  }
});
