// @ts-check
// An LA's own profile: the contacts clinicians are given.

import { api, problemText } from "../api.js";
import { inset, show, summaryList, tel, warning } from "../dom.js";
import { when } from "../format.js";
import { claims } from "../session.js";

export async function profilePage() {
  const org = claims().org;
  const r = await api("GET", `/v1/la-profiles/${encodeURIComponent(org)}`);
  if (r.status === 404) return show("Profile", inset("No profile yet: ask the service operator to create it."));
  if (!r.ok) return show("Profile", warning("Could not load the profile", problemText(r)));
  show("Profile", profileSummary(r.body));
}

/** @param {any} p an LA profile */
export function profileSummary(p) {
  return summaryList([
    ["Organisation", p.org], ["Name", p.name], ["Team", p.team],
    ["Office hours", p.officeHoursPhone ? tel(p.officeHoursPhone) : "Not set"],
    ["Emergency duty team", p.emergencyDutyPhone ? tel(p.emergencyDutyPhone) : "Not set"],
    ["Webhook", p.webhook ? `${p.webhook.url} (signed with ${p.webhook.secretRef})` : "None: alerts arrive in the inbox only"],
    ["Updated", `${when(p.updatedAt)} by ${p.updatedBy}`],
  ]);
}
