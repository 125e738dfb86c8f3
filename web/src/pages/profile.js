// @ts-check
// An LA's own profile: the contacts clinicians are given, and every change made to it (who,
// when, before and after).

import { ACK_HOURS, hoursText } from "../alerts.js";
import { api, problemText } from "../api.js";
import { h, inset, show, summaryList, table, tel, warning } from "../dom.js";
import { when } from "../format.js";
import { claims } from "../session.js";

export async function profilePage() {
  const org = claims().org;
  const r = await api("GET", `/v1/la-profiles/${encodeURIComponent(org)}`);
  if (r.status === 404) return show("Profile", inset("No profile yet: ask the service operator to create it."));
  if (!r.ok) return show("Profile", warning("Could not load the profile", problemText(r)));
  const history = await api("GET", `/v1/la-profiles/${encodeURIComponent(org)}/history`);
  show("Profile", profileSummary(r.body),
    h("h2", { class: "nhsuk-heading-m" }, "Changes"),
    !history.ok ? warning("Could not load the changes", problemText(history))
      : history.body.items.length === 0 ? inset("No change has been recorded.")
        : h("div", { id: "profile-history" }, changesTable(history.body.items)));
}

/** The profile's fields as people name them. */
/** @type {Record<string, string>} */
export const FIELD_NAMES = {
  name: "Name", team: "Team", officeHoursPhone: "Office hours", emergencyDutyPhone: "Emergency duty team (out of hours)",
  "webhook.url": "Webhook address", "webhook.secretRef": "Webhook secret",
  acknowledgeWithinHours: "Acknowledgement window",
};

/**
 * A field's value in a profile (or "Not set").
 * @param {any} p
 * @param {string} field
 */
function valueOf(p, field) {
  const [outer, inner] = field.split(".");
  const v = inner ? p?.[outer]?.[inner] : p?.[outer];
  if (field === "acknowledgeWithinHours") return ackWindowText(v);
  return v ? String(v) : "Not set";
}

/** @param {any[]} changes newest first */
export function changesTable(changes) {
  return table("Every change to the profile, newest first", ["When", "By", "Field", "Before", "After"],
    changes.flatMap((c) => c.changed.map((/** @type {string} */ f) => [
      when(c.at), `${c.by} (${c.byRole.replace(/_/g, " ")}, ${c.byOrg})`, FIELD_NAMES[f] || f,
      c.before ? valueOf(c.before, f) : "Not set", valueOf(c.after, f),
    ])));
}

/**
 * An LA's acknowledgement window as its profile reads.
 * @param {number | null | undefined} hours
 */
export function ackWindowText(hours) {
  return typeof hours === "number" ? hoursText(hours) : `Not set: the default (${hoursText(ACK_HOURS.default)})`;
}

/** @param {any} p an LA profile */
export function profileSummary(p) {
  return summaryList([
    ["Organisation", p.org], ["Name", p.name], ["Team", p.team],
    ["Office hours", p.officeHoursPhone ? tel(p.officeHoursPhone) : "Not set"],
    ["Emergency duty team (out of hours)", p.emergencyDutyPhone ? tel(p.emergencyDutyPhone) : "Not set"],
    ["Webhook", p.webhook ? `${p.webhook.url} (signed with ${p.webhook.secretRef})` : "None: alerts arrive in the inbox only"],
    ["Alerts to be acknowledged within", ackWindowText(p.acknowledgeWithinHours)],
    ["Updated", `${when(p.updatedAt)} by ${p.updatedBy}`],
  ]);
}
