// @ts-check
// The signed-in person, in this page's memory only (never localStorage): a reload signs in again,
// silently when the identity provider still holds a session.

/**
 * @typedef {object} Claims
 * @property {string} sub
 * @property {string} role
 * @property {string} org
 * @property {string} [org_name]
 * @property {number} exp
 */

/**
 * One identity provider: NHS staff's (`nhs`) or LA and service staff's (`staff`).
 * @typedef {object} SignIn
 * @property {string} id
 * @property {string} label
 * @property {string} issuer
 * @property {string} clientId
 * @property {string} authorizeUrl
 * @property {string} tokenUrl
 * @property {string} scope
 */

/**
 * @typedef {object} WebConfig
 * @property {SignIn[]} providers
 * @property {boolean} local
 */

/** @type {{ token: string | null, claims: Claims | null, config: WebConfig | null }} */
export const session = { token: null, claims: null, config: null };

/**
 * The signed-in person's claims; every page but sign-in runs only when there are some.
 * @returns {Claims}
 */
export function claims() {
  if (!session.claims) throw new Error("not signed in");
  return session.claims;
}

/**
 * The deployment's sign-in configuration, read at start.
 * @returns {WebConfig}
 */
export function config() {
  if (!session.config) throw new Error("configuration not loaded");
  return session.config;
}
