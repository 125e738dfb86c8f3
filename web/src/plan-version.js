// @ts-check
// The version a plan recorded in the web app carries. The index orders every write of a plan
// by `sourceVersion` (newer wins, older is stale), and an LA's case system sends its own
// versions in extracts. A web edit takes the smallest version that is newer than the one held
// (1 for a new plan): any later change from the case system, whose versions only grow, is then
// still newer and replaces it. (The clock in milliseconds, sent before, put the plan beyond
// every version a case system counts, and made all its later extracts of that plan stale.)

/** The largest version the API takes (2^53 - 1, exact in JSON). */
export const MAX_VERSION = Number.MAX_SAFE_INTEGER;

/**
 * The version to send after `held` (null or undefined: no plan held); null when none is left.
 * @param {number | null | undefined} held
 * @returns {number | null}
 */
export function nextVersion(held) {
  if (held === null || held === undefined) return 1;
  if (!Number.isSafeInteger(held) || held < 1 || held >= MAX_VERSION) return null;
  return held + 1;
}
