// @ts-check
// An LA uploads its case system's extract (CSV), acknowledged line by line.

import { api, problemText } from "../api.js";
import { h, show, summaryList, table } from "../dom.js";
import { clearErrors, radios, showErrors } from "../forms.js";

/** @type {Record<string, string>} */
const OUTCOMES = {
  created: "Created", updated: "Updated", unchanged: "Unchanged", moved: "Moved to another NHS number",
  stale: "Not applied: a newer version is held", rejected: "Rejected", failed: "Failed: send it again",
};

export function uploadPage() {
  const errors = h("div", { id: "form-errors" });
  const result = h("div", { id: "upload-result", "aria-live": "polite" });
  const file = h("input", { class: "nhsuk-file-upload", id: "extract-file", name: "file", type: "file", accept: ".csv,text/csv", "aria-describedby": "extract-file-hint" });
  const form = h("form", { novalidate: true },
    h("div", { class: "nhsuk-form-group", "data-field": "file" },
      h("label", { class: "nhsuk-label", for: "extract-file" }, "Extract file (CSV)"),
      h("div", { class: "nhsuk-hint", id: "extract-file-hint" },
        "Your case system's export with a header row: plan_ref, nhs_number, plan_type, start_date, end_date, expected_due_date, source_version, and optionally case_team, case_team_phone, and birth_date, sex, family_name together, so that a search finds a child whose NHS number a clinician does not know (docs/CLI.md; your own name and numbers come from your profile). At most 1,000 plans; the command-line tool uploads larger files."),
      file),
    radios("mode", "What the file holds", [["delta", "Changes only"], ["full", "Every plan we hold (a full extract)"]]),
    h("button", { class: "nhsuk-button", type: "submit" }, "Upload"));
  /** @type {HTMLInputElement} */ (form.querySelector("#mode-delta")).checked = true;
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    result.replaceChildren();
    const f = file.files?.[0];
    if (!f) return showErrors(form, errors, [{ field: "file", message: "Choose the extract file to upload" }]);
    const mode = /** @type {HTMLInputElement} */ (form.querySelector("input[name=mode]:checked")).value;
    const r = await api("POST", `/v1/plan-extracts?mode=${mode}`, await f.arrayBuffer(), "text/csv");
    if (!r.ok) return showErrors(form, errors, [{ field: "file", message: problemText(r) }]);
    clearErrors(form, errors);
    const a = r.body;
    const c = a.batch.counts;
    result.replaceChildren(
      h("h2", { tabindex: "-1" }, `${f.name}: ${a.batch.fileOutcome.replace(/_/g, " ")}`),
      summaryList([["Records read", c.received], ["Loaded", c.received - c.rejected - c.failed - c.stale], ["Rejected", c.rejected], ["Not applied (newer held)", c.stale], ["Failed (send again)", c.failed],
        ["Columns ignored", a.ignoredColumns.length ? a.ignoredColumns.join(", ") : null]]),
      table("Each line of the file", ["Line", "Reference", "Outcome", "Column at fault", "Why"],
        a.batch.records.map((/** @type {any} */ rec, /** @type {number} */ i) => [a.lines[i], rec.planRef || "", OUTCOMES[rec.outcome] || rec.outcome, a.columns[i] || "", rec.code === "ok" ? "" : (rec.reason || rec.code)])),
      ...(a.unreadRows.length ? [table("Lines that could not be read (not sent)", ["Line", "Why"], a.unreadRows.map((/** @type {any} */ u) => [u.line, u.reason]))] : []));
    /** @type {HTMLElement} */ (result.querySelector("h2")).focus();
  });
  show("Upload an extract", errors, form, result);
}
