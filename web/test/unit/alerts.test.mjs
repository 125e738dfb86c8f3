// How alerts read: ordinals, repeat attendances (a third in 30 days stands out), missed
// appointments, and the acknowledgement window a profile form takes.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ACK_HOURS, attendancesText, careSettingName, count, hoursText, isRepeat, missedText, ordinal, readAckHours, repeatText,
} from "../../src/alerts.js";
import { day } from "../../src/format.js";

test("ordinals: st, nd, rd after 1, 2, 3 except in the teens, th otherwise", () => {
  const cases = { 1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 10: "10th", 11: "11th", 12: "12th", 13: "13th", 21: "21st", 22: "22nd", 23: "23rd", 100: "100th", 101: "101st", 111: "111th", 112: "112th", 1003: "1003rd" };
  for (const [n, want] of Object.entries(cases)) assert.equal(ordinal(Number(n)), want);
  // Every number ends in exactly one of the four suffixes, after the number itself.
  for (let n = 0; n < 1000; n += 1) assert.match(ordinal(n), new RegExp(`^${n}(st|nd|rd|th)$`));
});

test("counts say one thing or many", () => {
  assert.equal(count(1, "setting"), "1 setting");
  assert.equal(count(0, "setting"), "0 settings");
  assert.equal(count(2, "alert"), "2 alerts");
  assert.equal(hoursText(1), "1 hour");
  assert.equal(hoursText(168), "168 hours");
});

test("a third attendance in 30 days or more is highlighted, fewer never", () => {
  for (let last30 = 0; last30 <= 10; last30 += 1) {
    const a = { last30Days: last30, last90Days: last30 + 1, settings90Days: 2 };
    assert.equal(isRepeat(a), last30 >= 3);
    const text = repeatText(a);
    if (last30 >= 3) assert.equal(text, `${ordinal(last30)} attendance in 30 days, 2 settings in 90 days`);
    else assert.equal(text, null);
  }
  assert.equal(repeatText({ last30Days: 3, last90Days: 3, settings90Days: 1 }), "3rd attendance in 30 days, 1 setting in 90 days");
  assert.equal(isRepeat(null), false);
  assert.equal(isRepeat(undefined), false);
  assert.equal(repeatText(undefined), null);
});

test("attendances read as counts, and an alert without them shows nothing", () => {
  assert.equal(attendancesText({ last30Days: 1, last90Days: 4, settings90Days: 2 }), "1 in the last 30 days, 4 in the last 90 days, at 2 settings");
  assert.equal(attendancesText({ last30Days: 1, last90Days: 1, settings90Days: 1 }), "1 in the last 30 days, 1 in the last 90 days, at 1 setting");
  assert.equal(attendancesText(null), null);
});

test("a missed appointment names the service, the setting as people say it and the date in words", () => {
  assert.equal(
    missedText({ setting: "health_visiting", service: "Leeds North clinic", appointmentDate: "2026-12-01", familyNotReached: true }, day),
    "Missed appointment: Health visiting, Leeds North clinic, 1 December 2026");
  for (const [code, name] of [["maternity", "Maternity"], ["paediatrics", "Paediatrics"], ["gp", "GP practice"]]) {
    assert.equal(careSettingName(code), name);
  }
  assert.match(careSettingName("camhs"), /CAMHS/);
  // A setting this page does not know yet is shown as it came, never dropped.
  assert.equal(careSettingName("school_nursing"), "school_nursing");
});

test("the acknowledgement window: empty is the default, whole hours from 1 to 168, nothing else", () => {
  assert.deepEqual(readAckHours(""), { kind: "default" });
  assert.deepEqual(readAckHours("   "), { kind: "default" });
  for (let n = -5; n <= 200; n += 1) {
    const r = readAckHours(String(n));
    if (n >= ACK_HOURS.min && n <= ACK_HOURS.max) assert.deepEqual(r, { kind: "hours", hours: n });
    else assert.equal(r.kind, "error");
  }
  assert.deepEqual(readAckHours(" 6 "), { kind: "hours", hours: 6 });
  assert.deepEqual(readAckHours("006"), { kind: "hours", hours: 6 });
  for (const bad of ["2.5", "4h", "four", "1e2", "+4", "0x10", "-1", "0", "169"]) {
    const r = readAckHours(bad);
    assert.equal(r.kind, "error", bad);
    if (r.kind === "error") assert.match(r.message, /whole number of hours from 1 to 168/);
  }
});
