// @ts-check
// Dates as NHS.UK's date input takes them (day, month and year apart) and as the API takes them
// (`YYYY-MM-DD`). Messages follow NHS.UK's error message guidance.

/** @typedef {"day" | "month" | "year"} DatePart */
/** @typedef {{ day: string, month: string, year: string }} DateParts */
/**
 * @typedef {{ kind: "empty" } | { kind: "date", iso: string }
 *   | { kind: "error", message: string, parts: DatePart[] }} DateReading
 */

/** @type {DatePart[]} */
const PARTS = ["day", "month", "year"];

/**
 * Days in a month of a year (Gregorian).
 * @param {number} year
 * @param {number} month 1 to 12
 */
export function daysInMonth(year, month) {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Reads a date typed as day, month and year. `label` starts the message ("Start date must
 * include a month"); `parts` names the fields at fault, so only they are marked.
 * @param {string} label
 * @param {DateParts} typed
 * @returns {DateReading}
 */
export function readDate(label, typed) {
  const v = { day: typed.day.trim(), month: typed.month.trim(), year: typed.year.trim() };
  const missing = PARTS.filter((p) => v[p] === "");
  if (missing.length === 3) return { kind: "empty" };
  if (missing.length > 0) {
    return { kind: "error", message: `${label} must include a ${missing.join(" and ")}`, parts: missing };
  }
  const notNumbers = PARTS.filter((p) => !/^[0-9]+$/.test(v[p]));
  if (notNumbers.length > 0) return { kind: "error", message: `${label} must be a real date`, parts: notNumbers };
  if (v.year.length !== 4) return { kind: "error", message: "Year must include 4 numbers", parts: ["year"] };
  const year = Number(v.year);
  const month = Number(v.month);
  const dayOfMonth = Number(v.day);
  if (month < 1 || month > 12) return { kind: "error", message: `${label} must be a real date`, parts: ["month"] };
  if (dayOfMonth < 1 || dayOfMonth > daysInMonth(year, month)) {
    return { kind: "error", message: `${label} must be a real date`, parts: ["day"] };
  }
  const pad = (/** @type {number} */ n) => String(n).padStart(2, "0");
  return { kind: "date", iso: `${v.year}-${pad(month)}-${pad(dayOfMonth)}` };
}
