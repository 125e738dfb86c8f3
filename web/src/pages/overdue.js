// @ts-check
// Operators: alerts no LA acknowledged within its window, per LA, the most overdue LA first;
// each alert by when and where the child was seen, never the child (no NHS number is in this
// data).

import { count } from "../alerts.js";
import { api, problemText } from "../api.js";
import { button, h, inset, show, summaryList, table, warning } from "../dom.js";
import { when } from "../format.js";

/**
 * An LA as the page names it: its name and code, or its code alone when it has no profile.
 * @param {{ la: string, name?: string }} l
 */
function laName(l) {
  return l.name ? `${l.name} (${l.la})` : l.la;
}

/** @param {any} o an overdue alert */
function where(o) {
  return o.settingName ? `${o.settingName} (${o.settingCode})` : o.settingCode;
}

export async function overduePage() {
  const out = h("div", { id: "overdue-alerts", "aria-live": "polite" });
  const load = async () => {
    const r = await api("GET", "/v1/alerts/overdue");
    if (!r.ok) return out.replaceChildren(warning("Could not load overdue alerts", problemText(r)));
    /** @type {any[]} */
    const las = r.body.las || [];
    out.replaceChildren(
      summaryList([
        ["Alerts not acknowledged in time", String(r.body.total ?? 0)],
        ["Authorities with overdue alerts", String(las.length)],
      ]),
      ...(las.length === 0
        ? [inset("No alert is overdue: every authority acknowledged its alerts within its window.")]
        : [
          table("Authorities with overdue alerts, most overdue first", ["Authority", "Overdue alerts", "Oldest deadline"],
            // An LA with a profile (a name) links to it; one without has none to open.
            las.map((l) => [l.name ? h("a", { href: `#/profiles/${encodeURIComponent(l.la)}` }, laName(l)) : laName(l), String(l.count), when(l.oldestDeadline)])),
          ...las.map((l) => h("section", { class: "app-overdue-la", "data-la": l.la, "aria-labelledby": `overdue-${l.la}` },
            h("h2", { class: "nhsuk-heading-m", id: `overdue-${l.la}` }, laName(l)),
            table(`${count(l.count, "alert")} not acknowledged in time, oldest deadline first`, ["Seen", "Where", "Deadline", "Overdue since"],
              (l.alerts || []).map((/** @type {any} */ o) => [when(o.seenAt), where(o), when(o.deadline), when(o.overdueAt)])))),
        ]),
      button("Refresh", () => load(), true));
  };
  show("Overdue alerts",
    h("p", { class: "nhsuk-body" },
      "Alerts an authority did not acknowledge within its acknowledgement window (its profile's, or the default of 4 hours). ",
      "Each was sent to the authority again; it stays here until the authority acknowledges it. ",
      "The authority with the most comes first. Its name opens its profile, where its contacts and its window are set."),
    out);
  await load();
}
