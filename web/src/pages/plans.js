// @ts-check
// An LA's plans, searchable, and each plan's access history.

import { api, problemText } from "../api.js";
import { h, inset, show, table, warning } from "../dom.js";
import { day, nhsNumberText, planName, when } from "../format.js";

/** @param {string} [planRef] */
export async function plansPage(planRef) {
  if (planRef) return planHistoryPage(planRef);
  const search = h("input", { class: "nhsuk-input nhsuk-input--width-20", id: "plan-search", type: "search", autocomplete: "off" });
  const list = h("div", { id: "plans" });
  show("Plans",
    h("div", { class: "nhsuk-form-group" },
      h("label", { class: "nhsuk-label", for: "plan-search" }, "Search by plan reference or NHS number"), search),
    list);
  const r = await api("GET", "/v1/plans?limit=200");
  if (!r.ok) return list.replaceChildren(warning("Could not load plans", problemText(r)));
  /** @type {any[]} */
  const items = r.body.items;
  const render = () => {
    const q = search.value.replace(/\s+/g, "").toLowerCase();
    const rows = items.filter((p) => !q || p.planRef.toLowerCase().includes(q) || p.nhsNumber.includes(q));
    list.replaceChildren(table(`${rows.length} of ${items.length} plans`, ["Reference", "NHS number", "Plan", "Status", "Started"],
      rows.map((p) => [h("a", { href: `#/plans/${encodeURIComponent(p.planRef)}` }, p.planRef), nhsNumberText(p.nhsNumber), planName(p.planType), p.status, day(p.startDate)])));
  };
  search.addEventListener("input", render);
  render();
}

/** @param {string} planRef */
async function planHistoryPage(planRef) {
  const r = await api("GET", `/v1/plans/${encodeURIComponent(planRef)}/accesses`);
  if (!r.ok) return show(`Plan ${planRef}`, warning("Could not load the access history", problemText(r)));
  /** @type {any[]} */
  const items = Array.isArray(r.body) ? r.body : [];
  // Lookups of the number the plan was wrongly recorded on: the LA must report them.
  const misplaced = items.filter((a) => a.onEarlierNhsNumber).length;
  show(`Plan ${planRef}`, h("p", {}, h("a", { class: "nhsuk-back-link", href: "#/plans" }, "Back to plans")),
    misplaced > 0 ? warning("Looked up on the wrong NHS number",
      `${misplaced} ${misplaced === 1 ? "lookup was" : "lookups were"} made while this plan was recorded on an NHS number you later corrected. Report this to your information governance lead.`) : null,
    items.length === 0 ? inset("Nobody has looked this child up since your authority recorded the plan.")
      : table("Who looked this child up", ["When", "Where", "Who", "Role"], items.map((a) => [
        a.onEarlierNhsNumber ? `${when(a.at)} (on the NHS number you corrected)` : when(a.at),
        a.settingName || a.settingCode, a.userId, a.role])));
}
