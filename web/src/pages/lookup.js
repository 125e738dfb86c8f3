// @ts-check
// Clinicians look a child up by NHS number. The answers cannot be misread: active plans each in
// their own card, ended ones apart, "No active plan held" only after a confirmed read, "Could not
// check" on any failure.

import { api } from "../api.js";
import { button, h, inset, show, summaryList, table, tel, warning } from "../dom.js";
import { clearErrors, showErrors, textField } from "../forms.js";
import { day, nhsNumberText, planName, when } from "../format.js";
import { claims } from "../session.js";
import { SEARCH_TITLE } from "./child-search.js";

export function lookupPage() {
  const errors = h("div", { id: "form-errors" });
  const result = h("div", { id: "result", "aria-live": "polite" });
  const field = textField("nhs-number", "NHS number", { hint: "10 digits, for example 943 476 5919. Spaces are fine.", width: 10, inputmode: "numeric", autocomplete: "off" });
  field.querySelector("label")?.classList.add("nhsuk-label--m");
  const form = h("form", { novalidate: true }, field, h("button", { class: "nhsuk-button", type: "submit" }, "Look up"));
  const input = /** @type {HTMLInputElement} */ (form.querySelector("input"));
  // An answer belongs to the number it was asked for: a changed number clears it.
  input.addEventListener("input", () => result.replaceChildren());
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    lookUp(input.value, form, errors, result);
  });
  show("Look up a child", errors, form,
    h("p", { class: "nhsuk-body", id: "no-nhs-number" }, "NHS number not known, or cannot be traced? ",
      h("a", { href: "#/child-search" }, SEARCH_TITLE)),
    result);
}

/**
 * @param {string} raw
 * @param {HTMLFormElement} form
 * @param {HTMLElement} errors
 * @param {HTMLElement} result
 */
async function lookUp(raw, form, errors, result) {
  clearErrors(form, errors);
  const digits = raw.replace(/\s+/g, "");
  result.replaceChildren(h("p", { class: "nhsuk-body" }, "Checking…"));
  // The API applies the one validity rule; its explanation is shown at the field.
  const r = await api("GET", `/v1/children/${encodeURIComponent(digits)}`);
  if (r.status === 400 && r.body && r.body.code === "invalid_nhs_number") {
    result.replaceChildren();
    showErrors(form, errors, [{ field: "nhs-number", message: r.body.detail || "This is not a valid NHS number." }]);
    return;
  }
  if (!r.ok) {
    result.replaceChildren(warning("Could not check",
      "The index could not be read, so this does not tell you whether the child has a plan.",
      "Try again. If you are worried about this child, phone the local authority's emergency duty team now."),
    button("Try again", () => lookUp(raw, form, errors, result), true));
    return;
  }
  result.replaceChildren(...childAnswer(r.body, nhsNumberText(digits)));
  /** @type {HTMLElement | null} */ (result.querySelector("h2"))?.focus();
}

/**
 * @param {any} p a plan as the lookup answers it
 * @param {boolean} ended
 */
function planCard(p, ended) {
  const la = p.responsibleLa;
  return h("div", { class: `nhsuk-card ${ended ? "app-plan-ended" : "app-plan-active"}` },
    h("div", { class: "nhsuk-card__content" },
      h("h3", { class: "nhsuk-card__heading" },
        ended ? h("strong", { class: "nhsuk-tag nhsuk-tag--grey" }, "Ended") : h("strong", { class: "nhsuk-tag nhsuk-tag--blue" }, "Active"),
        " ", planName(p.planType)),
      summaryList([
        ["Local authority", la.name],
        ["Team", la.team || null],
        ["Office hours", la.officeHoursPhone ? tel(la.officeHoursPhone) : null],
        ["Emergency duty team (out of hours)", la.emergencyDutyPhone ? tel(la.emergencyDutyPhone)
          : h("strong", {}, "No vetted number is held for this authority: reach its emergency duty team through your switchboard")],
        [`Case team (given by ${la.name})`, la.caseTeam
          ? h("span", {}, la.caseTeam.team, ...(la.caseTeam.phone ? [", ", tel(la.caseTeam.phone)] : [])) : null],
        ["Started", day(p.startDate)],
        [ended ? "Ended" : "Ends", p.endDate ? `${day(p.endDate)}${p.endReason === "transferred_out" ? " (transferred out)" : ""}` : null],
        ["Still told of attendances until", p.stillAlertedUntil ? day(p.stillAlertedUntil) : null],
        // Whether the LA knows of an earlier attendance: when told, and when it acknowledged.
        [`${la.name} last alerted`, p.laAlerted
          ? h("span", { "data-la-alerted": p.laAlerted.acknowledgedAt ? "acknowledged" : "unacknowledged" },
            `${when(p.laAlerted.lastAlertedAt)}: `,
            p.laAlerted.acknowledgedAt ? `acknowledged ${when(p.laAlerted.acknowledgedAt)}` : h("strong", {}, "not yet acknowledged"))
          : null],
        ["Expected due date", p.expectedDueDate ? day(p.expectedDueDate) : null],
      ])));
}

/**
 * @param {any} v the lookup's answer
 * @param {string} number the NHS number looked up, as shown
 */
function childAnswer(v, number) {
  const out = [];
  const silent = claims().role === "scheduled_care";
  if (v.plans.length > 0) {
    out.push(h("h2", { tabindex: "-1" }, v.plans.length === 1 ? "This child has an active plan" : `This child has ${v.plans.length} active plans`));
    out.push(h("p", { class: "nhsuk-body" }, `NHS number ${number}`));
    out.push(...v.plans.map((/** @type {any} */ p) => planCard(p, false)));
  } else {
    out.push(h("h2", { tabindex: "-1" }, "No active plan held"));
    out.push(h("p", { class: "nhsuk-body" }, `NHS number ${number}`));
    out.push(inset(`The index was read and holds no active child protection plan, looked-after status or unborn child plan for NHS number ${number}.`));
  }
  // A transfer out keeps the old authority responsible until the new one records a plan.
  const transferred = v.plans.length === 0 ? v.endedPlans.filter((/** @type {any} */ p) => p.stillAlertedUntil) : [];
  for (const p of transferred) {
    const la = p.responsibleLa;
    out.push(warning(`Recently transferred out of ${la.name}`,
      `${la.name} ended this child's ${planName(p.planType).toLowerCase()} on ${day(p.endDate)} because the child moved to another authority, which has not recorded a plan yet.`,
      `${la.name} is still told when the child attends, until ${day(p.stillAlertedUntil)}. Call its emergency duty team: ${la.emergencyDutyPhone || "no vetted number is held; use your switchboard"}.`));
  }
  if (v.endedPlans.length > 0) {
    out.push(h("h2", {}, "Recently ended"));
    out.push(...v.endedPlans.map((/** @type {any} */ p) => planCard(p, true)));
  }
  out.push(silent
    ? inset("This was a silent check from scheduled care: the local authority was not told.")
    : inset(v.plans.length > 0 ? "The responsible local authority has been told that this child was seen here."
      : transferred.length > 0 ? "The authority the child was transferred out of has been told that this child was seen here."
        : "This look-up has been recorded."));
  if (v.visits.length > 0) {
    out.push(table("Recent unscheduled care visits (last 25)", ["When", "Where"],
      v.visits.slice(0, 25).map((/** @type {any} */ x) => [when(x.at), x.settingName || x.settingCode])));
  }
  return out;
}
