// How values read: NHS numbers 3 3 4, calendar dates in words whatever the time zone.
import assert from "node:assert/strict";
import { test } from "node:test";
import { day, nhsNumberText, planName } from "../../src/format.js";

/**
 * `n` pseudo-random 10-digit strings (a fixed seed: the same on every run).
 * @param {number} n
 */
function tenDigitStrings(n) {
  let x = 2463534242;
  const out = [];
  for (let i = 0; i < n; i += 1) {
    let s = "";
    for (let j = 0; j < 10; j += 1) {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      s += String((x >>> 0) % 10);
    }
    out.push(s);
  }
  return out;
}

test("any 10 digits, however spaced, read as 3 3 4", () => {
  for (const digits of tenDigitStrings(2000)) {
    const want = `${digits.slice(0, 3)} ${digits.slice(3, 6)} ${digits.slice(6)}`;
    assert.equal(nhsNumberText(digits), want);
    assert.equal(nhsNumberText(want), want);
    assert.equal(nhsNumberText(digits.split("").join(" ")), want);
  }
});

test("anything that is not 10 digits is shown as it came", () => {
  for (const v of ["", "123", "12345678901", "999000002a", "999-000-0026", "９９９０００００２６"]) {
    assert.equal(nhsNumberText(v), v);
  }
});

test("a calendar date reads as the same day in words in any time zone", () => {
  const zone = process.env.TZ;
  try {
    for (const tz of ["UTC", "Europe/London", "America/Los_Angeles", "Pacific/Kiritimati", "Pacific/Pago_Pago"]) {
      process.env.TZ = tz;
      for (const [iso, words] of [["2026-03-29", "29 March 2026"], ["2026-10-25", "25 October 2026"], ["2026-01-01", "1 January 2026"], ["2024-02-29", "29 February 2024"]]) {
        assert.equal(day(iso), words, `${iso} in ${tz}`);
      }
    }
  } finally {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
  }
  assert.equal(day(""), "");
});

test("plan types read as their names; an unknown one as itself", () => {
  assert.equal(planName("UCPP"), "Unborn child protection plan");
  assert.equal(planName("CPPI"), "CPPI");
});
