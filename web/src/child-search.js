// @ts-check
// A clinician's search for a child whose NHS number is not known (`POST /v1/child-searches`):
// what the form asks, how it is read before it is sent, and how an answer reads. Pure
// functions (no page), tested in node (test/unit/child-search.test.mjs). The family name is
// only ever sent in the request's body: never in a URL, a history entry or storage.

import { readDate } from "./dates.js";

/** @typedef {import("./dates.js").DateParts} DateParts */
/** @typedef {import("./forms.js").FieldError} FieldError */

/** Sex as FHIR's administrative gender (the API's values), as a person reads it. */
/** @type {[string, string][]} */
export const SEXES = [["female", "Female"], ["male", "Male"], ["other", "Other"], ["unknown", "Not known"]];

/**
 * What a possible match matched on, as a person reads it.
 * @param {string} match the API's `match`: `exact` or `sounds_alike`
 */
export function matchedOnText(match) {
  return match === "sounds_alike"
    ? "Date of birth, sex and a family name that sounds alike (a widened search)"
    : "Date of birth, sex and family name as spelt";
}

/** The longest family name the API takes, in characters. */
export const MAX_FAMILY_NAME = 100;

/**
 * @typedef {object} Typed what the form holds
 * @property {DateParts} birthDate
 * @property {string | null | undefined} sex the value of the chosen radio, if any
 * @property {string} familyName
 * @property {boolean} widen
 */

/**
 * @typedef {object} SearchBody the request's JSON body
 * @property {string} birthDate YYYY-MM-DD
 * @property {string} sex
 * @property {string} familyName
 * @property {boolean} widen
 */

/**
 * Today's date in the UK (`YYYY-MM-DD`), whatever the viewer's time zone.
 * @param {Date} [now]
 */
export function ukToday(now = new Date()) {
  return now.toLocaleDateString("en-CA", { timeZone: "Europe/London" });
}

/**
 * Reads the search form: the body to send, or every problem with it in NHS.UK's words, each at
 * its field (the API's names: `birthDate`, `sex`, `familyName`). All three are required; a date
 * of birth after `today` is refused, as the API refuses it.
 * @param {Typed} typed
 * @param {string} today YYYY-MM-DD
 * @returns {{ kind: "body", body: SearchBody } | { kind: "errors", errors: FieldError[] }}
 */
export function readSearch(typed, today) {
  /** @type {FieldError[]} */
  const errors = [];
  const birth = readDate("Date of birth", typed.birthDate);
  if (birth.kind === "empty") errors.push({ field: "birthDate", message: "Enter the date of birth" });
  else if (birth.kind === "error") errors.push({ field: "birthDate", message: birth.message, parts: birth.parts });
  else if (birth.iso > today) errors.push({ field: "birthDate", message: "Date of birth must be today or in the past" });
  const sex = typed.sex || "";
  if (!SEXES.some(([v]) => v === sex)) errors.push({ field: "sex", message: "Select the sex" });
  const familyName = typed.familyName.trim();
  if (!familyName) errors.push({ field: "familyName", message: "Enter the family name" });
  else if ([...familyName].length > MAX_FAMILY_NAME) errors.push({ field: "familyName", message: `Family name must be ${MAX_FAMILY_NAME} characters or fewer` });
  if (errors.length > 0 || birth.kind !== "date") return { kind: "errors", errors };
  return { kind: "body", body: { birthDate: birth.iso, sex, familyName, widen: typed.widen } };
}

/** What the API's refusal of a field means, in NHS.UK's words (its own text is for developers). */
/** @type {Record<string, Record<string, string>>} */
const REFUSALS = {
  birthDate: { invalid_date: "Date of birth must be a real date, today or in the past", missing_field: "Enter the date of birth" },
  sex: { invalid_sex: "Select the sex", missing_field: "Select the sex" },
  familyName: {
    invalid_family_name: "Family name must only include letters, spaces, hyphens, apostrophes and full stops",
    missing_field: "Enter the family name",
  },
};

/**
 * The API's refusal of a search, for the form: the field it names (`/birthDate` is
 * `birthDate`) and the message shown there, or no field and the API's own explanation (too many
 * look-ups in an hour, say).
 * @param {number} status
 * @param {any} problem the problem details, or null
 * @returns {FieldError}
 */
export function refusal(status, problem) {
  const field = String(problem?.field || "").split("/").filter(Boolean)[0] || null;
  const known = field ? REFUSALS[field]?.[problem?.code] : undefined;
  if (field && known) return { field, message: known };
  const text = problem?.detail || problem?.title || `The service answered ${status}.`;
  return { field: field && field in REFUSALS ? field : null, message: text };
}

/**
 * The heading of an answer.
 * @param {{ outcome: string, matches: unknown[] }} answer
 */
export function outcomeHeading(answer) {
  switch (answer.outcome) {
    case "possible_match":
      return answer.matches.length === 1 ? "Possible match found" : `${answer.matches.length} possible matches found`;
    case "too_many_matches":
      return "Too many possible matches: narrow the search";
    default:
      return "No possible match found";
  }
}

/**
 * What was searched, in words, without the name or the date (the page shows those in the form).
 * @param {boolean} widened
 */
export function searchedText(widened) {
  return widened
    ? "Searched by date of birth, sex and family name, including family names that sound alike."
    : "Searched by date of birth, sex and family name as spelt.";
}
