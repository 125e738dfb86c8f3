// A clinician's search by date of birth, sex and family name: the form is read into the API's
// body only when all three are there and the date is real and not in the future; a refusal is
// shown at the field it names, in NHS.UK's words; an answer's heading says "possible match".
import assert from "node:assert/strict";
import { test } from "node:test";
import { matchedOnText, outcomeHeading, readSearch, refusal, searchedText, SEXES, ukToday } from "../../src/child-search.js";

const TODAY = "2026-12-06";
/** @param {Partial<import("../../src/child-search.js").Typed>} over */
const typed = (over = {}) => ({
  birthDate: { day: "2", month: "4", year: "2019" }, sex: "female", familyName: "  O'Brien ", widen: false, ...over,
});

test("a complete search is read into the API's body, the name trimmed and the date as ISO", () => {
  assert.deepEqual(readSearch(typed(), TODAY), {
    kind: "body", body: { birthDate: "2019-04-02", sex: "female", familyName: "O'Brien", widen: false },
  });
  assert.equal(readSearch(typed({ widen: true }), TODAY).kind, "body");
  for (const [sex] of SEXES) {
    const r = readSearch(typed({ sex }), TODAY);
    assert.equal(r.kind === "body" && r.body.sex, sex);
  }
  // Born today is a date of birth; tomorrow is not.
  assert.equal(readSearch(typed({ birthDate: { day: "6", month: "12", year: "2026" } }), TODAY).kind, "body");
});

test("an empty form asks for all three, each at its field", () => {
  const r = readSearch({ birthDate: { day: "", month: "", year: "" }, sex: null, familyName: "   ", widen: true }, TODAY);
  assert.deepEqual(r, {
    kind: "errors",
    errors: [
      { field: "birthDate", message: "Enter the date of birth" },
      { field: "sex", message: "Select the sex" },
      { field: "familyName", message: "Enter the family name" },
    ],
  });
});

test("a wrong or future date of birth is explained with the parts at fault", () => {
  assert.deepEqual(readSearch(typed({ birthDate: { day: "31", month: "4", year: "2019" } }), TODAY), {
    kind: "errors", errors: [{ field: "birthDate", message: "Date of birth must be a real date", parts: ["day"] }],
  });
  assert.deepEqual(readSearch(typed({ birthDate: { day: "2", month: "", year: "2019" } }), TODAY), {
    kind: "errors", errors: [{ field: "birthDate", message: "Date of birth must include a month", parts: ["month"] }],
  });
  assert.deepEqual(readSearch(typed({ birthDate: { day: "7", month: "12", year: "2026" } }), TODAY), {
    kind: "errors", errors: [{ field: "birthDate", message: "Date of birth must be today or in the past" }],
  });
});

test("a sex the API does not know, or an over-long name, is refused before it is sent", () => {
  assert.deepEqual(readSearch(typed({ sex: "f" }), TODAY), { kind: "errors", errors: [{ field: "sex", message: "Select the sex" }] });
  const r = readSearch(typed({ familyName: "a".repeat(101) }), TODAY);
  assert.equal(r.kind === "errors" && r.errors[0].field, "familyName");
  assert.equal(readSearch(typed({ familyName: "é".repeat(100) }), TODAY).kind, "body");
});

test("the API's refusals are shown at the field its pointer names, in NHS.UK's words", () => {
  assert.deepEqual(refusal(400, { code: "invalid_family_name", field: "/familyName", detail: "a family name is letters" }),
    { field: "familyName", message: "Family name must only include letters, spaces, hyphens, apostrophes and full stops" });
  assert.deepEqual(refusal(400, { code: "invalid_sex", field: "/sex" }), { field: "sex", message: "Select the sex" });
  assert.deepEqual(refusal(400, { code: "invalid_date", field: "/birthDate" }),
    { field: "birthDate", message: "Date of birth must be a real date, today or in the past" });
  assert.deepEqual(refusal(400, { code: "missing_field", field: "/familyName" }), { field: "familyName", message: "Enter the family name" });
  // Over the cap: no field, the API's own explanation.
  assert.deepEqual(refusal(429, { code: "too_many_lookups", title: "Too many look-ups", detail: "Try again in an hour." }),
    { field: null, message: "Try again in an hour." });
  // An unknown code at a known field is shown there; a field the form has not, in the summary.
  assert.deepEqual(refusal(400, { code: "new_code", field: "/sex", detail: "d" }), { field: "sex", message: "d" });
  assert.deepEqual(refusal(400, { code: "invalid_query", field: "/widen", detail: "w" }), { field: null, message: "w" });
  assert.deepEqual(refusal(400, null), { field: null, message: "The service answered 400." });
});

test("an answer says possible match, never more", () => {
  assert.equal(outcomeHeading({ outcome: "possible_match", matches: [{}] }), "Possible match found");
  assert.equal(outcomeHeading({ outcome: "possible_match", matches: [{}, {}] }), "2 possible matches found");
  assert.equal(outcomeHeading({ outcome: "too_many_matches", matches: [] }), "Too many possible matches: narrow the search");
  assert.equal(outcomeHeading({ outcome: "no_match", matches: [] }), "No possible match found");
  assert.match(matchedOnText("sounds_alike"), /sounds alike/);
  assert.match(matchedOnText("exact"), /as spelt/);
  assert.match(searchedText(true), /sound alike/);
  assert.match(searchedText(false), /as spelt/);
});

test("today is the UK's date, whatever the machine's zone", () => {
  // 23:30 UTC on 30 June is 00:30 on 1 July in London (summer time).
  assert.equal(ukToday(new Date("2026-06-30T23:30:00Z")), "2026-07-01");
  assert.equal(ukToday(new Date("2026-12-31T23:30:00Z")), "2026-12-31");
});
