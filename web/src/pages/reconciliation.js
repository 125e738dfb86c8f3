// @ts-check
// Operators: one reconciliation step now.

import { api, problemText } from "../api.js";
import { button, h, show, summaryList, warning } from "../dom.js";

export function reconciliationPage() {
  const out = h("div", { id: "run", "aria-live": "polite" });
  show("Run reconciliation", h("p", { class: "nhsuk-body" }, "Runs one step now (the schedule runs it too; only one step runs at a time)."),
    button("Run a step now", async (e) => {
      const b = /** @type {HTMLButtonElement} */ (e.target);
      b.disabled = true;
      const r = await api("POST", "/v1/reconciliation-runs", {});
      b.disabled = false;
      out.replaceChildren(r.ok
        ? summaryList([["Run", r.body.runId], ["Complete", r.body.complete ? "Yes" : "Not yet: run again"], ["Pages", r.body.pages], ["Reports written", r.body.reportsWritten], ["Busy", r.body.busy ? "Another step was running" : "No"]])
        : warning("The step failed", problemText(r)));
    }), out);
}
