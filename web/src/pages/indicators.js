// @ts-check
// Indicators: an LA's own beside the national median; operators choose England or any LA.

import { api, problemText, request } from "../api.js";
import { h, show, summaryList, warning } from "../dom.js";
import { indicatorCharts } from "../indicators.js";
import { claims } from "../session.js";

const WEEKS = 12;

/**
 * @param {string} org "" for the caller's own (or England, for an operator)
 * @param {string} [key] one indicator
 */
function indicatorsQuery(org, key) {
  const q = new URLSearchParams({ weeks: String(WEEKS) });
  if (org) q.set("org", org);
  if (key) q.set("indicator", key);
  return `/v1/indicators?${q}`;
}

/**
 * The API's own CSV for one indicator, saved as a file.
 * @param {string} org
 * @param {string} key
 */
async function downloadCsv(org, key) {
  try {
    const r = await request(indicatorsQuery(org, key), { headers: { accept: "text/csv" } });
    if (!r.ok) return;
    const url = URL.createObjectURL(new Blob([await r.text()], { type: "text/csv" }));
    const a = h("a", { href: url, download: `indicators-${org || claims().org}-${key}.csv`, class: "app-hidden" });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch {
    // The page stays as it is; nothing was saved.
  }
}

/** @param {string} [arg] an operator's chosen LA */
export async function indicatorsPage(arg) {
  const operator = claims().role === "operator";
  const org = operator ? arg || "" : "";
  const controls = [];
  if (operator) {
    const profiles = await api("GET", "/v1/la-profiles");
    /** @type {[string, string][]} */
    const orgs = profiles.ok ? profiles.body.items.map((/** @type {any} */ p) => [p.org, `${p.name} (${p.org})`]) : [];
    const select = h("select", { class: "nhsuk-select", id: "indicator-org", name: "org" },
      h("option", { value: "", selected: org === "" }, "England (every LA)"),
      orgs.map(([code, name]) => h("option", { value: code, selected: code === org }, name)));
    select.addEventListener("change", () => { location.hash = select.value ? `#/indicators/${encodeURIComponent(select.value)}` : "#/indicators"; });
    controls.push(h("div", { class: "nhsuk-form-group" }, h("label", { class: "nhsuk-label", for: "indicator-org" }, "Whose indicators"), select));
  }
  const r = await api("GET", indicatorsQuery(org));
  const intro = h("p", { class: "nhsuk-body" },
    `The last ${WEEKS} weeks, counted as alerts, reads and uploads happen and by the nightly reconciliation. `,
    "Counts from 1 to 4 read “fewer than 5”, a figure that would give one away is not shown, and plans and data-quality counts are to the nearest 5, so no child can be identified from a chart or a download. ",
    "In each chart the bars are these figures and the red line is the national median.");
  if (!r.ok) return show("Indicators", ...controls, warning("Could not load the indicators", problemText(r)));
  const scope = r.body.scope === "national" ? "England" : r.body.scope;
  show("Indicators", ...controls, intro,
    summaryList([["Showing", scope], ["Compared with", r.body.lasCompared >= 5
      ? `the median of ${r.body.lasCompared} LAs`
      : `no median: it is shown over 5 LAs or more, and ${r.body.lasCompared} use the service`]]),
    h("div", { id: "indicators" }, indicatorCharts(r.body, (key) => downloadCsv(org, key))));
}
