// @ts-check
// The JSON API: every call carries the token; a failure is a value, never an exception.

import { endSession } from "./oidc.js";
import { session } from "./session.js";

/**
 * @typedef {object} Answer
 * @property {number} status 0 when the service could not be reached
 * @property {boolean} ok
 * @property {any} body the JSON answer, or null
 */

/**
 * A request with the token; a 401 ends the session.
 * @param {string} path
 * @param {RequestInit} [init]
 */
export async function request(path, init = {}) {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${session.token}`);
  const r = await fetch(path, { ...init, headers });
  if (r.status === 401) endSession("Your session has ended. Sign in again.");
  return r;
}

/**
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body] sent as JSON unless `contentType` says otherwise
 * @param {string} [contentType]
 * @returns {Promise<Answer>}
 */
export async function api(method, path, body, contentType = "application/json") {
  /** @type {Record<string, string>} */
  const headers = {};
  if (body !== undefined) headers["content-type"] = contentType;
  const payload = body === undefined ? undefined : contentType === "application/json" ? JSON.stringify(body) : /** @type {BodyInit} */ (body);
  try {
    const r = await request(path, { method, headers, body: payload });
    const data = await r.json().catch(() => null);
    return { status: r.status, ok: r.ok, body: data };
  } catch {
    return { status: 0, ok: false, body: null };
  }
}

/**
 * The API's explanation of a failure, for a person.
 * @param {Answer} r
 */
export function problemText(r) {
  if (r.status === 0) return "The service could not be reached.";
  return (r.body && (r.body.detail || r.body.title)) || `The service answered ${r.status}.`;
}

/**
 * The form field a problem names: the first step of its JSON pointer (`/responsibleLa/name`
 * is the `responsibleLa` field), or null.
 * @param {string | null | undefined} pointer
 */
export function fieldOf(pointer) {
  return (pointer || "").split("/").filter(Boolean)[0] || null;
}
