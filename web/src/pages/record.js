// @ts-check
// An LA records (or changes) one plan by its own reference. Dates are typed as NHS.UK's day,
// month and year fields; the expected due date is asked only for an unborn child's plan. Whom a
// clinician calls comes from the LA's profile; the form may add the case team. Moving a plan to
// another NHS number is confirmed first, and the result says what the index did.

import { api, fieldOf, problemText } from "../api.js";
import { h, inset, show, warning } from "../dom.js";
import { clearErrors, dateInput, dateValue, radios, showErrors, textField } from "../forms.js";
import { day, nhsNumberText, PLAN_NAMES } from "../format.js";
import { nextVersion } from "../plan-version.js";
import { claims } from "../session.js";

/** @typedef {import("../forms.js").FieldError} FieldError */

export async function recordPage() {
  const org = claims().org;
  const profile = await api("GET", `/v1/la-profiles/${encodeURIComponent(org)}`);
  if (!profile.ok) return show("Record a plan", warning("Your authority has no profile yet", "Ask the service operator to create it: clinicians need your emergency duty number."));
  const p = profile.body;
  const errors = h("div", { id: "form-errors" });
  const result = h("div", { id: "record-result", "aria-live": "polite" });
  const form = h("form", { novalidate: true },
    textField("planRef", "Your plan reference", { hint: "Your case system's reference for this plan. To change a plan you recorded, use its reference again." }),
    textField("nhsNumber", "NHS number", { hint: "The child's, or for an unborn child the mother's. For example 943 476 5919", width: 10, inputmode: "numeric", autocomplete: "off" }),
    radios("planType", "Plan", [["CPP", PLAN_NAMES.CPP], ["LAC", PLAN_NAMES.LAC], ["UCPP", PLAN_NAMES.UCPP]],
      { UCPP: dateInput("expectedDueDate", "Expected due date", "For example, 1 2 2027") }),
    dateInput("startDate", "Start date", "For example, 14 3 2026"),
    dateInput("endDate", "End date (optional)", "Only when the plan has ended or its end is decided. For example, 14 9 2026"),
    radios("endReason", "Why the plan ended (optional, with an end date)", [
      ["none", "Not ended, or no reason given"],
      ["ended", "No longer needed"],
      ["transferred_out", "Transferred to another authority: you are still told of attendances for 30 days, until that authority records a plan"],
      ["recorded_in_error", "Recorded in error: no clinician will see it"],
    ]),
    textField("caseTeam", "Case team (optional)", { hint: `The team holding this case. Clinicians see it as given by ${p.name}, beside your profile's numbers.` }),
    textField("caseTeamPhone", "Case team's direct line (optional)", { hint: "For example 0113 378 1000", width: 20, inputmode: "tel", autocomplete: "off" }),
    inset(`Clinicians will be told to contact ${p.name}, ${p.team}, Emergency duty team (out of hours) ${p.emergencyDutyPhone || "(not set)"}: your profile's numbers, which the service's operators keep.`),
    h("button", { class: "nhsuk-button", type: "submit" }, "Record the plan"));
  /** The NHS number a move to was confirmed for (a changed number asks again). */
  let moveConfirmed = "";
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    result.replaceChildren();
    const text = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ (form.querySelector(`#${id}`)).value.trim();
    const planType = /** @type {HTMLInputElement | null} */ (form.querySelector("input[name=planType]:checked"))?.value;
    /** @type {FieldError[]} */
    const problems = [];
    const ref = text("planRef");
    if (!ref) problems.push({ field: "planRef", message: "Enter your plan reference" });
    if (!planType) problems.push({ field: "planType", message: "Select the plan" });
    const start = dateValue(form, "startDate", "Start date");
    const end = dateValue(form, "endDate", "End date");
    const chosenReason = /** @type {HTMLInputElement | null} */ (form.querySelector("input[name=endReason]:checked"))?.value;
    const endReason = chosenReason === "none" ? undefined : chosenReason;
    if (endReason && end.kind === "empty") problems.push({ field: "endDate", message: "Enter the end date, or choose \"Not ended, or no reason given\"" });
    // A due date typed before choosing another plan is not sent: only an unborn child has one.
    /** @type {import("../dates.js").DateReading} */
    const due = planType === "UCPP" ? dateValue(form, "expectedDueDate", "Expected due date") : { kind: "empty" };
    if (start.kind === "empty") problems.push({ field: "startDate", message: "Enter the start date" });
    if (due.kind === "empty" && planType === "UCPP") problems.push({ field: "expectedDueDate", message: "Enter the expected due date" });
    for (const [field, d] of /** @type {const} */ ([["startDate", start], ["endDate", end], ["expectedDueDate", due]])) {
      if (d.kind === "error") problems.push({ field, message: d.message, parts: d.parts });
    }
    if (problems.length > 0) return showErrors(form, errors, problems);

    // The next version after the one held: see plan-version.js.
    const held = await api("GET", `/v1/plans/${encodeURIComponent(ref)}`);
    if (!held.ok && held.status !== 404) return showErrors(form, errors, [{ field: null, message: problemText(held) }]);
    const version = nextVersion(held.ok ? held.body.sourceVersion : null);
    if (version === null) return showErrors(form, errors, [{ field: "planRef", message: "This plan's version cannot go higher: record the change in your case system's extract" }]);
    const iso = (/** @type {import("../dates.js").DateReading} */ d) => (d.kind === "date" ? d.iso : undefined);
    const nhsNumber = text("nhsNumber").replace(/\s+/g, "");
    // A plan held on another number moves to this one: a mistyped number would move it away
    // from the child, so the user confirms it first. (A plan held without a number, unmatched,
    // simply gains it.)
    if (held.ok && held.body.nhsNumber && held.body.nhsNumber !== nhsNumber && moveConfirmed !== nhsNumber) {
      const confirm = h("button", { class: "nhsuk-button nhsuk-button--warning", type: "button", id: "confirm-move" }, "Move the plan to this NHS number");
      confirm.addEventListener("click", () => {
        moveConfirmed = nhsNumber;
        form.requestSubmit();
      });
      result.replaceChildren(warning("This moves the plan to another NHS number",
        `${ref} is held for NHS number ${nhsNumberText(held.body.nhsNumber)}. Recording it for ${nhsNumberText(nhsNumber)} moves it: clinicians looking up ${nhsNumberText(held.body.nhsNumber)} will no longer see it.`,
        "Check the number against your case record before you confirm."), confirm);
      return;
    }
    const team = text("caseTeam");
    const teamPhone = text("caseTeamPhone");
    const body = {
      nhsNumber,
      planType,
      startDate: iso(start), endDate: iso(end), endReason: end.kind === "date" ? endReason : undefined, expectedDueDate: iso(due),
      sourceVersion: version,
      caseTeam: team || teamPhone ? { team, phone: teamPhone || undefined } : undefined,
    };
    const r = await api("PUT", `/v1/plans/${encodeURIComponent(ref)}`, body);
    if (r.status === 409) {
      return showErrors(form, errors, [{ field: "planRef", message: "This plan was changed while you were recording it (by an upload or another person). Check it and record your change again" }]);
    }
    if (!r.ok) return showErrors(form, errors, [{ field: fieldOf(r.body?.field), message: problemText(r) }]);
    clearErrors(form, errors);
    moveConfirmed = "";
    const others = Array.isArray(r.body?.otherLas) ? r.body.otherLas : [];
    result.replaceChildren(
      inset(outcomeText(r.body?.outcome, ref, version, held.ok ? held.body.nhsNumber : null, nhsNumber)),
      ...(others.length ? [warning("This child is known to another authority", ...others.map(otherLaText))] : []));
  });
  show("Record a plan", errors, form, result);
}

/**
 * Another LA's plan on the child (it has been told of this one), and how to reach it.
 * @param {any} o an entry of the API's `otherLas`
 */
export function otherLaText(o) {
  const phone = o.la.emergencyDutyPhone ? `Emergency duty team (out of hours) ${o.la.emergencyDutyPhone}` : "no vetted emergency-duty number held";
  const office = o.la.officeHoursPhone ? `, office hours ${o.la.officeHoursPhone}` : "";
  return `${o.la.name} (${PLAN_NAMES[o.planType] || o.planType}, from ${day(o.startDate)}) has been told of your plan. To reach them: ${phone}${office}.`;
}

/**
 * What the index did with the record, in the user's words.
 * @param {string | undefined} outcome the API's `outcome`
 * @param {string} ref
 * @param {number} version
 * @param {string | null} from the NHS number the plan was held on before, if any
 * @param {string} to
 */
export function outcomeText(outcome, ref, version, from, to) {
  switch (outcome) {
    case "created": return `Recorded ${ref} (version ${version}): clinicians who look up NHS number ${nhsNumberText(to)} now see the plan.`;
    case "unchanged": return `Recorded ${ref} (version ${version}): the index already held exactly this, so nothing changed.`;
    case "moved": return `Recorded ${ref} (version ${version}): the plan moved from NHS number ${nhsNumberText(from || "")} to ${nhsNumberText(to)}. Clinicians looking up ${nhsNumberText(from || "")} no longer see it.`;
    default: return `Recorded ${ref} (version ${version}): the plan is updated; clinicians who look up NHS number ${nhsNumberText(to)} see the change.`;
  }
}
