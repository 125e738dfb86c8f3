// Dates typed as day, month and year: every real date of a span of years reads back as itself,
// and members of each class of wrong date are refused with NHS.UK's message and their parts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { daysInMonth, readDate } from "../../src/dates.js";

/**
 * Every day from `from` to `to` (UTC; months from 0), as a Date.
 * @param {[number, number, number]} from
 * @param {[number, number, number]} to
 */
function* days(from, to) {
  for (let t = Date.UTC(...from); t <= Date.UTC(...to); t += 86_400_000) yield new Date(t);
}

test("every real date from 1999 to 2031 reads as its ISO date, typed with or without leading zeros", () => {
  for (const d of days([1999, 0, 1], [2031, 11, 31])) {
    const iso = d.toISOString().slice(0, 10);
    const [year, month, day] = iso.split("-");
    assert.deepEqual(readDate("Start date", { day, month, year }), { kind: "date", iso });
    assert.deepEqual(readDate("Start date", { day: String(Number(day)), month: ` ${Number(month)} `, year }), { kind: "date", iso });
  }
});

test("the month lengths are the calendar's, leap years included", () => {
  for (let year = 1896; year <= 2104; year += 1) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    assert.equal(daysInMonth(year, 2), leap ? 29 : 28, String(year));
    for (const m of [4, 6, 9, 11]) assert.equal(daysInMonth(year, m), 30);
    for (const m of [1, 3, 5, 7, 8, 10, 12]) assert.equal(daysInMonth(year, m), 31);
  }
});

test("a day past its month's end, or day 0, is not a real date, and only the day is at fault", () => {
  for (let year = 2023; year <= 2028; year += 1) {
    for (let month = 1; month <= 12; month += 1) {
      for (const day of [0, daysInMonth(year, month) + 1, 32, 99]) {
        assert.deepEqual(readDate("End date", { day: String(day), month: String(month), year: String(year) }),
          { kind: "error", message: "End date must be a real date", parts: ["day"] }, `${day}/${month}/${year}`);
      }
    }
  }
});

test("a month outside 1 to 12 is not a real date, and only the month is at fault", () => {
  for (const month of ["0", "00", "13", "20", "99"]) {
    assert.deepEqual(readDate("Start date", { day: "1", month, year: "2026" }), { kind: "error", message: "Start date must be a real date", parts: ["month"] });
  }
});

test("each combination of missing parts is named, in order", () => {
  const parts = ["day", "month", "year"];
  for (let mask = 1; mask < 7; mask += 1) {
    const missing = parts.filter((_, i) => mask & (1 << i));
    const full = { day: "3", month: "4", year: "2026" };
    const typed = { day: missing.includes("day") ? "  " : full.day, month: missing.includes("month") ? "" : full.month, year: missing.includes("year") ? " " : full.year };
    assert.deepEqual(readDate("Expected due date", typed),
      { kind: "error", message: `Expected due date must include a ${missing.join(" and ")}`, parts: missing });
  }
  assert.deepEqual(readDate("Start date", { day: "", month: " ", year: "" }), { kind: "empty" });
});

test("words, signs and decimals are not numbers; a year must have 4 numbers", () => {
  for (const bad of ["March", "3.0", "-3", "+3", "3a", "٣"]) {
    const r = readDate("Start date", { day: "1", month: bad, year: "2026" });
    assert.equal(r.kind, "error", bad);
    assert.deepEqual(r.kind === "error" && r.parts, ["month"], bad);
  }
  for (const year of ["26", "026", "20261", "0"]) {
    assert.deepEqual(readDate("Start date", { day: "1", month: "3", year }), { kind: "error", message: "Year must include 4 numbers", parts: ["year"] });
  }
});
