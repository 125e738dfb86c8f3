// @ts-check
// Operators: alerts that could not be delivered, and re-driving them.

import { api, problemText } from "../api.js";
import { button, h, inset, show, summaryList, table, warning } from "../dom.js";
import { when } from "../format.js";

export async function deadLettersPage() {
  const out = h("div", { id: "dead-letters", "aria-live": "polite" });
  const load = async () => {
    const r = await api("GET", "/v1/dead-letters");
    if (!r.ok) return out.replaceChildren(warning("Could not load dead letters", problemText(r)));
    /** @type {Record<string, any>} */
    const by = r.body.latestReport?.deadLettersByLa || {};
    /** @type {Record<string, number>} */
    const shared = r.body.latestReport?.sharedChildrenByLa || {};
    out.replaceChildren(
      summaryList([
        ["Messages in the dead-letter queue now", r.body.queueDepth ?? "Could not be read"],
        ["At the latest reconciliation", r.body.latestReport
          ? `${r.body.latestReport.deadLetterQueueDepth ?? "Unknown"} (${when(r.body.latestReport.generatedAt)})` : "No report yet"],
      ]),
      Object.keys(by).length ? table("Failed alerts per LA (latest reconciliation)", ["LA", "Failed", "Oldest", "Last error"],
        Object.entries(by).map(([la, d]) => [la, d.failed, when(d.oldestSeenAt), d.lastError || ""])) : inset("No LA has failed alerts."),
      // Each LA was told when the other recorded its plan; a count that keeps growing says plans
      // are not being ended on transfer.
      summaryList([["Children held by two or more LAs (latest reconciliation)", r.body.latestReport?.childrenHeldByTwoOrMoreLas ?? "No report yet"]]),
      Object.keys(shared).length ? table("Children shared with another LA, per LA", ["LA", "Children"],
        Object.entries(shared).map(([la, n]) => [la, String(n)])) : inset("No child is held by two LAs."),
      button("Re-drive dead letters", async () => {
        const x = await api("POST", "/v1/dead-letters/redrive", {});
        await load();
        out.prepend(x.ok ? inset(`Re-drove ${x.body.redriven}; kept ${x.body.keptUnreadable} unreadable.`) : warning("Re-drive failed", problemText(x)));
      }));
  };
  show("Dead letters", out);
  await load();
}
