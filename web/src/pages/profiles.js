// @ts-check
// Operators: every LA's profile, and adding or changing one.

import { ACK_HOURS, hoursText, readAckHours } from "../alerts.js";
import { api, fieldOf, problemText } from "../api.js";
import { actionLink, h, show, table, warning } from "../dom.js";
import { showErrors, textField } from "../forms.js";

/** @param {string} [org] an LA's code, or "new" */
export async function profilesPage(org) {
  if (org) return profileEditPage(org === "new" ? null : org);
  const r = await api("GET", "/v1/la-profiles");
  if (!r.ok) return show("LA profiles", warning("Could not load profiles", problemText(r)));
  /** @type {any[]} */
  const items = r.body.items;
  show("LA profiles", actionLink("#/profiles/new", "Add an LA"),
    table(`${items.length} profiles`, ["Code", "Name", "Emergency duty team (out of hours)", "Webhook", "Acknowledge within"],
      items.map((p) => [h("a", { href: `#/profiles/${encodeURIComponent(p.org)}` }, p.org), p.name, p.emergencyDutyPhone || "Missing", p.webhook ? "Yes" : "Inbox only",
        typeof p.acknowledgeWithinHours === "number" ? hoursText(p.acknowledgeWithinHours) : "Default"])));
}

// The API names a webhook's fault inside it (`/webhook/url`); the form has a field for each part.
/** @type {Record<string, string>} */
const WEBHOOK_FIELDS = { url: "webhookUrl", secretRef: "webhookSecretRef" };

/** @param {string | null} org */
async function profileEditPage(org) {
  let current = /** @type {any} */ ({});
  if (org) {
    const r = await api("GET", `/v1/la-profiles/${encodeURIComponent(org)}`);
    if (!r.ok) return show(`Profile ${org}`, warning("Could not load the profile", problemText(r)));
    current = r.body;
  }
  const errors = h("div", { id: "form-errors" });
  const form = h("form", { novalidate: true },
    org ? null : textField("org", "Organisation code", { hint: "For example E08000035", width: 10 }),
    textField("name", "Name", { value: current.name }),
    textField("team", "Team", { value: current.team }),
    textField("officeHoursPhone", "Office hours phone", { value: current.officeHoursPhone, type: "tel", width: 20 }),
    textField("emergencyDutyPhone", "Emergency duty team (out of hours)", { value: current.emergencyDutyPhone, hint: "The phone number clinicians are given to call. For example 0113 535 0600", type: "tel", width: 20 }),
    textField("webhookUrl", "Webhook URL (optional)", { value: current.webhook?.url, hint: "Leave empty for inbox only" }),
    textField("webhookSecretRef", "Webhook secret reference", { value: current.webhook?.secretRef, hint: "The Secrets Manager name of the signing secret" }),
    // Whole hours typed as text (NHS.UK's guidance for numbers), checked here and by the API.
    textField("acknowledgeWithinHours", "Acknowledgement window in hours (optional)", {
      value: current.acknowledgeWithinHours === undefined ? "" : String(current.acknowledgeWithinHours),
      hint: `Alerts not acknowledged within this many hours are sent again and shown to operators; leave empty for the default (${ACK_HOURS.default} hours). Whole hours from ${ACK_HOURS.min} to ${ACK_HOURS.max}.`,
      width: 3, inputmode: "numeric", autocomplete: "off",
    }),
    h("button", { class: "nhsuk-button", type: "submit" }, "Save"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const v = (/** @type {string} */ id) => /** @type {HTMLInputElement | null} */ (form.querySelector(`#${id}`))?.value.trim() || undefined;
    const code = org || v("org");
    if (!code) return showErrors(form, errors, [{ field: "org", message: "Enter the organisation code" }]);
    const ackWindow = readAckHours(v("acknowledgeWithinHours") || "");
    if (ackWindow.kind === "error") return showErrors(form, errors, [{ field: "acknowledgeWithinHours", message: ackWindow.message }]);
    /** @type {Record<string, unknown>} */
    const body = { name: v("name"), team: v("team"), officeHoursPhone: v("officeHoursPhone"), emergencyDutyPhone: v("emergencyDutyPhone") };
    if (v("webhookUrl")) body.webhook = { url: v("webhookUrl"), secretRef: v("webhookSecretRef") };
    // Left empty, the profile holds none and the deployment's default applies.
    if (ackWindow.kind === "hours") body.acknowledgeWithinHours = ackWindow.hours;
    const r = await api("PUT", `/v1/la-profiles/${encodeURIComponent(code)}`, body);
    if (r.ok) {
      location.hash = "#/profiles";
      return;
    }
    const pointer = r.body?.field || "";
    const field = fieldOf(pointer) === "webhook" ? WEBHOOK_FIELDS[pointer.split("/")[2]] || "webhookUrl" : fieldOf(pointer);
    showErrors(form, errors, [{ field, message: problemText(r) }]);
  });
  show(org ? `Profile ${org}` : "Add an LA", errors, form);
}
