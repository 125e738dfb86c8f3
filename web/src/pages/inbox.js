// @ts-check
// An LA's alerts: its children seen in unscheduled care, newest first, refreshed every 5 s.

import { api, problemText } from "../api.js";
import { button, h, inset, onLeave, show, summaryList, warning } from "../dom.js";
import { nhsNumberText, planName, when } from "../format.js";

export async function inboxPage() {
  const list = h("div", { id: "alerts", "aria-live": "polite" });
  show("Alerts", h("p", { class: "nhsuk-body" }, "Children with a plan held by your authority who were seen in unscheduled care, newest first. This page updates by itself."), list);
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
  return h("div", { class: "nhsuk-card", "data-notification": n.notificationId },
    h("div", { class: "nhsuk-card__content" },
      h("h2", { class: "nhsuk-card__heading nhsuk-heading-s" },
        acked ? h("strong", { class: "nhsuk-tag nhsuk-tag--grey" }, "Acknowledged") : h("strong", { class: "nhsuk-tag nhsuk-tag--red" }, "New"),
        ` Seen at ${n.settingName || n.settingCode}`),
      summaryList([
        // A plan corrected to another number, or withdrawn, leaves no number behind (it may be
        // another child's): the look-up itself stays, to report.
        ["NHS number", n.nhsNumber ? nhsNumberText(n.nhsNumber)
          : `Removed: the plan was ${n.struck === "withdrawn" ? "withdrawn" : "corrected to another NHS number"}`],
        ["Plans", n.planTypes.map(planName).join(", ")],
        ["Seen", when(n.seenAt)],
        ["Seen by", n.seenBy],
        ["Acknowledged", acked ? `${when(n.acknowledgedAt)} by ${n.acknowledgedBy}` : null],
      ]),
      acked ? null : button("Acknowledge", async (e) => {
        const b = /** @type {HTMLButtonElement} */ (e.target);
        b.disabled = true;
        const r = await api("POST", `/v1/notifications/${encodeURIComponent(n.notificationId)}/ack`, {});
        if (!r.ok) b.after(warning("Not acknowledged", problemText(r)));
        await refresh();
      })));
}
