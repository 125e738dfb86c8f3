// @ts-check
// Clinicians search for a child whose NHS number is not known, by date of birth, sex and family
// name. The answer is a possible match at most: which local authority to call, never who the
// child is, so the page says "possible match" and asks the clinician to confirm the child's
// identity with that authority. The name travels only in the request's body (never a URL, a
// history entry or the browser's form memory).

import { api } from "../api.js";
import { matchedOnText, outcomeHeading, readSearch, refusal, searchedText, SEXES, ukToday } from "../child-search.js";
import { button, h, inset, show, summaryList, tel, warning } from "../dom.js";
import { checkbox, clearErrors, dateInput, radios, showErrors, textField } from "../forms.js";
import { planName } from "../format.js";
import { claims } from "../session.js";

/** The page's heading, and the menu's and the look-up page's link to it. */
export const SEARCH_TITLE = "Search by date of birth, sex and family name";

export function childSearchPage() {
  const errors = h("div", { id: "form-errors" });
  const result = h("div", { id: "result", "aria-live": "polite" });
  const name = textField("familyName", "Family name", {
    hint: "Spaces, hyphens and apostrophes are fine, for example O'Brien or Smith-Jones.", width: 20, autocomplete: "off",
  });
  const form = h("form", { novalidate: true, method: "post", autocomplete: "off" },
    dateInput("birthDate", "Date of birth", "For example, 2 4 2019"),
    radios("sex", "Sex", SEXES, {}, "As recorded for the child."),
    name,
    checkbox("widen", "Include family names that sound alike",
      "Widening also finds family names that sound the same but are spelt differently, for example Reid and Reed, or Thompson and Thomson. It may show more possible matches, some of them other children."),
    h("button", { class: "nhsuk-button", type: "submit" }, "Search"));
  // Names and dates of birth are not kept by the browser, and not sent to a spelling service.
  for (const input of form.querySelectorAll("input[type=text]")) input.setAttribute("autocomplete", "off");
  const nameInput = /** @type {HTMLInputElement} */ (name.querySelector("input"));
  nameInput.setAttribute("spellcheck", "false");
  nameInput.setAttribute("autocapitalize", "words");
  // An answer belongs to the search it was asked for: any change clears it.
  form.addEventListener("input", () => result.replaceChildren());
  form.addEventListener("change", () => result.replaceChildren());
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    search(form, errors, result);
  });
  show(SEARCH_TITLE,
    h("p", { class: "nhsuk-body" }, "For a child whose NHS number is not known or cannot be traced. The index may hold a plan recorded with the child's date of birth, sex and family name. For a pregnant woman, search by her own details: an unborn child's plan is recorded with the mother's."),
    h("p", { class: "nhsuk-body" }, "All three are needed. A match is only possible: the local authority confirms who the child is. Every search is recorded."),
    errors, form, result,
    h("p", { class: "nhsuk-body" }, h("a", { href: "#/lookup" }, "Look up a child by NHS number")));
}

/**
 * What the form holds.
 * @param {HTMLFormElement} form
 */
function typed(form) {
  const v = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ (form.querySelector(`#${id}`)).value;
  return {
    birthDate: { day: v("birthDate-day"), month: v("birthDate-month"), year: v("birthDate-year") },
    sex: /** @type {HTMLInputElement | null} */ (form.querySelector("input[name=sex]:checked"))?.value,
    familyName: v("familyName"),
    widen: /** @type {HTMLInputElement} */ (form.querySelector("#widen")).checked,
  };
}

/**
 * @param {HTMLFormElement} form
 * @param {HTMLElement} errors
 * @param {HTMLElement} result
 */
async function search(form, errors, result) {
  const read = readSearch(typed(form), ukToday());
  if (read.kind === "errors") {
    result.replaceChildren();
    showErrors(form, errors, read.errors);
    return;
  }
  clearErrors(form, errors);
  result.replaceChildren(h("p", { class: "nhsuk-body" }, "Searching…"));
  const r = await api("POST", "/v1/child-searches", read.body);
  if (r.status === 400 || r.status === 429) {
    result.replaceChildren();
    showErrors(form, errors, [refusal(r.status, r.body)]);
    return;
  }
  if (!r.ok) {
    result.replaceChildren(warning("Could not search",
      "The index could not be searched, so this does not tell you whether the child has a plan.",
      "Try again. If you are worried about this child, phone the local authority's emergency duty team now."),
    button("Try again", () => search(form, errors, result), true));
    return;
  }
  result.replaceChildren(...answer(r.body, () => {
    /** @type {HTMLInputElement} */ (form.querySelector("#widen")).checked = true;
    search(form, errors, result);
  }));
  /** @type {HTMLElement | null} */ (result.querySelector("h2"))?.focus();
}

/**
 * One possible match: the authority to call (its emergency duty number first) and the kind of
 * plan; nothing about the child.
 * @param {any} m a match as the search answers it
 */
function matchCard(m) {
  const la = m.la;
  const ended = m.status === "ended";
  return h("div", { class: `nhsuk-card ${ended ? "app-plan-ended" : "app-plan-active"}`, "data-match": m.match },
    h("div", { class: "nhsuk-card__content" },
      h("h3", { class: "nhsuk-card__heading" },
        h("strong", { class: "nhsuk-tag nhsuk-tag--orange" }, "Possible match"), " ",
        ended ? h("strong", { class: "nhsuk-tag nhsuk-tag--grey" }, "Ended") : h("strong", { class: "nhsuk-tag nhsuk-tag--blue" }, "Active"),
        " ", `${planName(m.planType)}, ${la.name}`),
      summaryList([
        ["Emergency duty team (out of hours)", la.emergencyDutyPhone ? h("strong", {}, tel(la.emergencyDutyPhone))
          : h("strong", {}, "No vetted number is held for this authority: reach its emergency duty team through your switchboard")],
        ["Local authority", la.name],
        ["Team", la.team || null],
        ["Office hours", la.officeHoursPhone ? tel(la.officeHoursPhone) : null],
        ["Plan", `${planName(m.planType)}${ended ? " (ended, still held)" : ""}`],
        ["Matched on", matchedOnText(m.match)],
      ])));
}

/**
 * @param {any} v the search's answer
 * @param {() => void} widen searches again, widened
 */
function answer(v, widen) {
  const silent = claims().role === "scheduled_care";
  /** @type {Node[]} */
  const out = [h("h2", { tabindex: "-1", "data-outcome": v.outcome }, outcomeHeading(v))];
  const matches = Array.isArray(v.matches) ? v.matches : [];
  if (v.outcome === "possible_match" && matches.length > 0) {
    out.push(warning("Confirm the child's identity with the local authority",
      "The index holds a plan that may be this child's. It does not say who the child is, and it may be another child with the same details.",
      matches.length === 1
        ? "Call the local authority below, out of hours its emergency duty team, and confirm the child's identity with them before you act on this."
        : "Call each local authority below, out of hours its emergency duty team, and confirm the child's identity with them before you act on this."));
    out.push(...matches.map(matchCard));
  } else if (v.outcome === "too_many_matches") {
    out.push(warning("Too many possible matches to show",
      "More plans match these details than can be shown, so none is listed.",
      v.widened ? "Check the date of birth and the family name's spelling, and search again without family names that sound alike."
        : "Check the date of birth and the family name's spelling, and search again."));
  } else {
    out.push(inset("No plan held matches these details. This does not prove that the child has no plan: the child may be recorded under another family name, date of birth or sex, or only by NHS number."));
  }
  out.push(h("p", { class: "nhsuk-body", id: "searched" }, searchedText(Boolean(v.widened))));
  if (v.advice) out.push(h("p", { class: "nhsuk-body", id: "advice" }, v.advice));
  if (v.outcome === "no_match" && !v.widened) {
    out.push(button("Search again, including family names that sound alike", widen, true));
  }
  out.push(silent
    ? inset("This was a silent search from scheduled care: no local authority was told.")
    : inset(v.outcome === "possible_match" ? "Each local authority listed has been told that a child who may be theirs was seen here."
      : "This search has been recorded."));
  return out;
}
