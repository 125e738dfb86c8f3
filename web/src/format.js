// @ts-check
// How values read on a page: pure functions, tested in node (test/unit).

/** @type {Record<string, string>} */
export const PLAN_NAMES = {
  CPP: "Child protection plan",
  LAC: "Looked after child",
  UCPP: "Unborn child protection plan",
};

/**
 * A plan type as a person reads it.
 * @param {string} type
 */
export function planName(type) {
  return PLAN_NAMES[type] || type;
}

/**
 * An NHS number as NHS.UK shows one: 3 3 4 digits ("943 476 5919"). Anything that is not 10
 * digits (spaces aside) is shown as it came, so a bad value is never dressed up as a good one.
 * @param {string} value
 */
export function nhsNumberText(value) {
  const digits = value.replace(/\s+/g, "");
  return /^[0-9]{10}$/.test(digits) ? `${digits.slice(0, 3)} ${digits.slice(3, 6)} ${digits.slice(6)}` : value;
}

/**
 * A timestamp (or a date) in UK time.
 * @param {string | null | undefined} iso
 */
export function when(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString("en-GB", {
    dateStyle: "medium",
    timeStyle: iso.length > 10 ? "short" : undefined,
    timeZone: "Europe/London",
  });
}

/**
 * A calendar date (`YYYY-MM-DD`) in words ("1 March 2026"), whatever the viewer's time zone.
 * @param {string | null | undefined} iso
 */
export function day(iso) {
  return iso ? new Date(`${iso}T12:00:00Z`).toLocaleDateString("en-GB", { dateStyle: "long", timeZone: "UTC" }) : "";
}
