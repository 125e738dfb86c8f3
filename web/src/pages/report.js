// @ts-check
// An LA's latest reconciliation report: its extract against the index, data quality.

import { api, problemText } from "../api.js";
import { inset, show, summaryList, table, warning } from "../dom.js";
import { when } from "../format.js";

export async function reportPage() {
  const r = await api("GET", "/v1/reconciliation-reports/latest");
  if (r.status === 404) return show("Reconciliation", inset("No reconciliation report yet: one is written after every nightly run."));
  if (!r.ok) return show("Reconciliation", warning("Could not load the report", problemText(r)));
  const rep = r.body;
  const f = rep.findings;
  show("Reconciliation",
    // A report from before the LA's latest upload must not pass for the answer to it.
    rep.latestExtractAfterReport ? warning("This report is from before your latest extract",
      `Your latest full extract arrived ${when(rep.latestExtractAfterReport)}, after this report was written (${when(rep.generatedAt)}): it does not reflect that upload yet.`,
      "The nightly reconciliation writes the next report; the service's operators can run one now.") : null,
    summaryList([
      ["Generated", when(rep.generatedAt)],
      ["Latest full extract", rep.extract ? `${when(rep.extract.receivedAt)} (${rep.extract.count} records)` : "None sent yet"],
      ["Active plans held", f.indexCount],
      ["Held but not in your extract", f.notInExtract.total],
      ["In your extract but not held", rep.notInIndex.total],
      ["Version differences", f.versionMismatches.total],
      ["Unborn child plans past due", f.unbornPastDue.total],
      ["Plans open five years or more", f.openTooLong.total],
      ["Alerts that could not be delivered", f.failedNotifications],
      ["Children another authority also holds a plan for", f.sharedChildren ?? 0],
      ["Emergency duty team (out of hours) number on profile", rep.profileMissingEmergencyPhone ? "Missing: clinicians cannot reach you out of hours" : "Present"],
    ]),
    rep.notInIndex.items.length > 0 ? table("Records of your extract the index does not hold", ["Line", "Reference", "Why", "Column or field"],
      rep.notInIndex.items.map((/** @type {any} */ n) => [n.line ? String(n.line) : "", n.planRef || "(none)", n.code, n.column || n.field || ""])) : null);
}
