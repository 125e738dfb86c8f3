// @ts-check
// How alerts read: repeat attendances, missed appointments, acknowledgement windows. Pure
// functions (no page), tested in node (test/unit/alerts.test.mjs).

/** Attendances within 30 days (this one included) from which an alert is highlighted. */
export const REPEAT_IN_30_DAYS = 3;

/** The acknowledgement window an LA may set, in whole hours, and the deployment's default. */
export const ACK_HOURS = { min: 1, max: 168, default: 4 };

/** The scheduled-care services that record a missed appointment, as people name them. */
/** @type {Record<string, string>} */
export const CARE_SETTINGS = {
  maternity: "Maternity",
  paediatrics: "Paediatrics",
  health_visiting: "Health visiting",
  camhs: "Child and adolescent mental health services (CAMHS)",
  gp: "GP practice",
};

/**
 * @typedef {object} Attendances
 * @property {number} last30Days
 * @property {number} last90Days
 * @property {number} settings90Days
 */

/**
 * @typedef {object} Missed
 * @property {string} setting
 * @property {string} service
 * @property {string} appointmentDate YYYY-MM-DD
 * @property {boolean} [familyNotReached]
 */

/**
 * A care setting as a person reads it (an unknown one as it came).
 * @param {string} setting
 */
export function careSettingName(setting) {
  return CARE_SETTINGS[setting] || setting;
}

/**
 * A whole number as an English ordinal: 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, 102nd.
 * @param {number} n
 */
export function ordinal(n) {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${SUFFIXES[n % 10] || "th"}`;
}

/** @type {Record<number, string>} */
const SUFFIXES = { 1: "st", 2: "nd", 3: "rd" };

/**
 * `n` and its noun, singular or plural ("1 setting", "2 settings").
 * @param {number} n
 * @param {string} one
 * @param {string} [many]
 */
export function count(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * Whether an alert is a third attendance (or more) in 30 days: highlighted to the LA.
 * @param {Attendances | null | undefined} a
 */
export function isRepeat(a) {
  return Boolean(a && a.last30Days >= REPEAT_IN_30_DAYS);
}

/**
 * The highlight of a repeat attendance ("3rd attendance in 30 days, 2 settings in 90 days"), or
 * null when it is not one.
 * @param {Attendances | null | undefined} a
 */
export function repeatText(a) {
  if (!a || !isRepeat(a)) return null;
  return `${ordinal(a.last30Days)} attendance in 30 days, ${count(a.settings90Days, "setting")} in 90 days`;
}

/**
 * The child's attendances while the LA's plan was held, this one included, in words.
 * @param {Attendances | null | undefined} a
 */
export function attendancesText(a) {
  if (!a) return null;
  return `${a.last30Days} in the last 30 days, ${a.last90Days} in the last 90 days, at ${count(a.settings90Days, "setting")}`;
}

/**
 * What a missed-appointment alert is about: "Missed appointment: Health visiting, Leeds North
 * clinic, 1 December 2026". `day` writes the date (the page's own, so the date reads the same
 * everywhere).
 * @param {Missed} m
 * @param {(iso: string) => string} day
 */
export function missedText(m, day) {
  return `Missed appointment: ${careSettingName(m.setting)}, ${m.service}, ${day(m.appointmentDate)}`;
}

/**
 * A window in hours, as a person reads it ("1 hour", "6 hours").
 * @param {number} hours
 */
export function hoursText(hours) {
  return count(hours, "hour");
}

/**
 * Reads the acknowledgement window typed into a profile form: empty is the default (no value
 * sent), whole hours from 1 to 168 are a value, anything else an error in NHS.UK's words.
 * @param {string} raw
 * @returns {{ kind: "default" } | { kind: "hours", hours: number } | { kind: "error", message: string }}
 */
export function readAckHours(raw) {
  const v = raw.trim();
  if (v === "") return { kind: "default" };
  const message = `Acknowledgement window must be a whole number of hours from ${ACK_HOURS.min} to ${ACK_HOURS.max}`;
  if (!/^[0-9]+$/.test(v)) return { kind: "error", message };
  const hours = Number(v);
  if (hours < ACK_HOURS.min || hours > ACK_HOURS.max) return { kind: "error", message };
  return { kind: "hours", hours };
}
