// @ts-check
// An LA's alerts: its children seen in unscheduled care, and other LAs' plans recorded on its
// children, newest first, refreshed every 5 s.

import { api, problemText } from "../api.js";
import { button, h, inset, onLeave, show, summaryList, warning } from "../dom.js";
import { day, nhsNumberText, planName, when } from "../format.js";
import { FIELD_NAMES } from "./profile.js";

export async function inboxPage() {
  const list = h("div", { id: "alerts", "aria-live": "polite" });
  show("Alerts", h("p", { class: "nhsuk-body" }, "Children with a plan held by your authority who were seen in unscheduled care, and children on whom another authority recorded a plan, newest first. This page updates by itself."), list);
  const refresh = async () => {
    const r = await api("GET", "/v1/notifications?limit=50");
    if (!r.ok) {
      list.replaceChildren(warning("Could not load alerts", problemText(r), "Alerts are not lost: try again in a moment."));
      return;
    }
    list.replaceChildren(...(r.body.items.length === 0
      ? [inset("No alerts.")]
      : r.body.items.map((/** @type {any} */ n) => alertCard(n, refresh))));
  };
  const timer = setInterval(refresh, 5000);
  onLeave(() => clearInterval(timer));
  await refresh();
}

/**
 * @param {any} n a notification
 * @param {() => Promise<void>} refresh
 */
function alertCard(n, refresh) {
  const acked = Boolean(n.acknowledgedAt);
  const other = n.kind === "other_la_plan" ? n.otherLa : null;
  const change = n.kind === "profile_changed" ? n.profileChange : null;
  // A plan corrected to another number, or withdrawn, leaves no number behind (it may be
  // another child's): the look-up itself stays, to report.
  /** @type {[string, any]} */
  const nhs = ["NHS number", n.nhsNumber ? nhsNumberText(n.nhsNumber)
    : `Removed: the plan was ${n.struck === "withdrawn" ? "withdrawn" : "corrected to another NHS number"}`];
  /** @type {[string, any]} */
  const ack = ["Acknowledged", acked ? `${when(n.acknowledgedAt)} by ${n.acknowledgedBy}` : null];
  // Another LA's plan on the child: who, which plan, how to reach them (their vetted profile);
  // nothing about visits.
  /** @type {[string, any][]} */
  const rows = change
    ? [
      ["Changed", change.changed.map((/** @type {string} */ f) => FIELD_NAMES[f] || f).join(", ")],
      ["When", when(n.seenAt)],
      ["By", `${n.seenBy} (${n.settingCode})`],
      ["What it was and is", h("a", { href: "#/profile" }, "Your profile and its history")],
      ack,
    ]
    : other
    ? [
      nhs,
      ["Their plan", `${planName(other.planType)} from ${day(other.startDate)}`],
      ["Your plans", n.planTypes.map(planName).join(", ")],
      ["Recorded", when(n.seenAt)],
      ["Team", other.la.team || null],
      ["Emergency duty", other.la.emergencyDutyPhone || "No vetted number held"],
      ["Office hours", other.la.officeHoursPhone || null],
      ack,
    ]
    : [
      nhs,
      ["Plans", n.planTypes.map(planName).join(", ")],
      ["Seen", when(n.seenAt)],
      ["Seen by", n.seenBy],
      ack,
    ];
  return h("div", { class: "nhsuk-card", "data-notification": n.notificationId, "data-kind": n.kind },
    h("div", { class: "nhsuk-card__content" },
      h("h2", { class: "nhsuk-card__heading nhsuk-heading-s" },
        acked ? h("strong", { class: "nhsuk-tag nhsuk-tag--grey" }, "Acknowledged") : h("strong", { class: "nhsuk-tag nhsuk-tag--red" }, "New"),
        change ? " Your profile was changed" : other ? ` ${other.la.name} recorded a plan on your child` : ` Seen at ${n.settingName || n.settingCode}`),
      summaryList(rows),
      acked ? null : button("Acknowledge", async (e) => {
        const b = /** @type {HTMLButtonElement} */ (e.target);
        b.disabled = true;
        const r = await api("POST", `/v1/notifications/${encodeURIComponent(n.notificationId)}/ack`, {});
        if (!r.ok) b.after(warning("Not acknowledged", problemText(r)));
        await refresh();
      })));
}
