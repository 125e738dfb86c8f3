// @ts-check
// Access oversight: the privacy officer's week (who in the organisation looked children up, how
// much, silently or not, when; who stands out and why). Operators choose any organisation.

import { api, problemText, request } from "../api.js";
import { button, h, inset, show, summaryList, table, warning } from "../dom.js";
import { figureText } from "../indicators.js";
import { claims } from "../session.js";

/** Why a user stands out, in words (the API's reasons). */
/** @type {Record<string, string>} */
const REASONS = {
  passed_cap: "passed the hourly cap",
  busy_hour: "120 or more lookups in an hour",
  refused_role: "tried to look children up without a role that may",
  far_above_median: "at least 5 times the organisation's median user",
  mostly_silent: "emergency care user, mostly silent reads",
  outside_usual_hours: "a quarter or more outside usual hours",
  many_audit_reads: "20 or more audit reads in an hour",
};

/** @param {any} f */
const figure = (f) => figureText(f, "count");

/**
 * @param {string} org
 * @param {string} week
 */
function usageQuery(org, week) {
  const q = new URLSearchParams();
  if (org) q.set("org", org);
  if (week) q.set("week", week);
  const s = q.toString();
  return `/v1/usage${s ? `?${s}` : ""}`;
}

/**
 * The API's own CSV of the week, saved as a file.
 * @param {string} org
 * @param {string} week
 */
async function downloadCsv(org, week) {
  try {
    const r = await request(usageQuery(org, week), { headers: { accept: "text/csv" } });
    if (!r.ok) return;
    const url = URL.createObjectURL(new Blob([await r.text()], { type: "text/csv" }));
    const a = h("a", { href: url, download: `usage-${org || claims().org}-${week || "this-week"}.csv`, class: "app-hidden" });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch {
    // The page stays as it is; nothing was saved.
  }
}

/** @param {string} [arg] `<org>` or `<org>|<week>` */
export async function usagePage(arg) {
  const operator = claims().role === "operator";
  const [chosenOrg = "", chosenWeek = ""] = (arg || "").split("|");
  const org = operator ? chosenOrg : "";
  const orgInput = h("input", { class: "nhsuk-input nhsuk-input--width-10", id: "usage-org", name: "org", value: org || claims().org, autocomplete: "off", spellcheck: "false" });
  const weekInput = h("input", { class: "nhsuk-input nhsuk-input--width-10", id: "usage-week", name: "week", type: "week", value: chosenWeek });
  const form = h("form", { class: "app-usage-form", novalidate: true },
    operator ? h("div", { class: "nhsuk-form-group" }, h("label", { class: "nhsuk-label", for: "usage-org" }, "Organisation code"), orgInput) : "",
    h("div", { class: "nhsuk-form-group" }, h("label", { class: "nhsuk-label", for: "usage-week" }, "Week (this week if left empty)"), weekInput),
    h("button", { class: "nhsuk-button nhsuk-button--secondary", type: "submit" }, "Show"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const o = operator ? /** @type {HTMLInputElement} */ (orgInput).value.trim().toUpperCase() : "";
    const w = /** @type {HTMLInputElement} */ (weekInput).value;
    location.hash = `#/usage/${encodeURIComponent(`${o}|${w}`)}`;
  });
  const intro = h("p", { class: "nhsuk-body" },
    "Everyone in the organisation who looked a child up this week, tried to, or read an audit trail. ",
    "Counts are of requests, not of children; counts from 1 to 4 read “fewer than 5”. ",
    "Usual hours are the hours of the day (UTC) in which the person looked children up on two days or more of the four weeks before. ",
    "People who stand out come first, with why.");
  const r = await api("GET", usageQuery(org, chosenWeek));
  if (!r.ok) return show("Access oversight", form, warning("Could not load the week", problemText(r)));
  const v = r.body;
  /** @type {any[]} */
  const users = v.users;
  const rows = users.map((u) => [
    u.user,
    u.role.replace(/_/g, " "),
    figure(u.lookups),
    u.silentShare === undefined ? figure(u.silent) : `${figure(u.silent)} (${Math.round(u.silentShare * 100)}%)`,
    figure(u.overCap),
    figure(u.refused),
    u.outsideUsualHours ? figure(u.outsideUsualHours) : "no baseline",
    figure(u.auditReads),
    figure(u.busiestHour),
    u.standsOut ? h("strong", { class: "nhsuk-tag nhsuk-tag--red", "data-stands-out": "true" }, u.reasons.map((/** @type {string} */ k) => REASONS[k] || k).join("; ")) : "",
  ]);
  const flagged = users.filter((u) => u.standsOut).length;
  show("Access oversight", form, intro,
    summaryList([
      ["Organisation", v.org],
      ["Week", v.week],
      ["Lookups", figure(v.lookups)],
      ["Silent reads", figure(v.silent)],
      ["Refused attempts (role)", figure(v.refused)],
      ["Audit reads", figure(v.auditReads)],
      ["Median user's lookups", figure(v.medianUserLookups)],
      ["Busiest hour (everyone together)", figure(v.busiestHour)],
      ["Cap on one user's lookups", `${v.capPerHour} an hour`],
      ["People who stand out", String(flagged)],
    ]),
    users.length
      ? h("div", { id: "usage" }, table(`Who looked children up in ${v.week}`, ["User", "Role", "Lookups", "Silent", "Over the cap", "Refused (role)", "Outside usual hours", "Audit reads", "Busiest hour", "Stands out"], rows))
      : inset("Nobody in the organisation looked a child up that week."),
    button("Download as CSV", () => downloadCsv(org, chosenWeek), true));
}
