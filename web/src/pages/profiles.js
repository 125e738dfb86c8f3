// @ts-check
// Operators: every LA's profile, and adding or changing one.

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
    table(`${items.length} profiles`, ["Code", "Name", "Emergency duty", "Webhook"],
      items.map((p) => [h("a", { href: `#/profiles/${encodeURIComponent(p.org)}` }, p.org), p.name, p.emergencyDutyPhone || "Missing", p.webhook ? "Yes" : "Inbox only"])));
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
    textField("emergencyDutyPhone", "Emergency duty phone", { value: current.emergencyDutyPhone, type: "tel", width: 20 }),
    textField("webhookUrl", "Webhook URL (optional)", { value: current.webhook?.url, hint: "Leave empty for inbox only" }),
    textField("webhookSecretRef", "Webhook secret reference", { value: current.webhook?.secretRef, hint: "The Secrets Manager name of the signing secret" }),
    h("button", { class: "nhsuk-button", type: "submit" }, "Save"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const v = (/** @type {string} */ id) => /** @type {HTMLInputElement | null} */ (form.querySelector(`#${id}`))?.value.trim() || undefined;
    const code = org || v("org");
    if (!code) return showErrors(form, errors, [{ field: "org", message: "Enter the organisation code" }]);
    /** @type {Record<string, unknown>} */
    const body = { name: v("name"), team: v("team"), officeHoursPhone: v("officeHoursPhone"), emergencyDutyPhone: v("emergencyDutyPhone") };
    if (v("webhookUrl")) body.webhook = { url: v("webhookUrl"), secretRef: v("webhookSecretRef") };
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
