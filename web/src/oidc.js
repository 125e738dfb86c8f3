// @ts-check
// Sign-in: OpenID Connect authorization code with PKCE (S256) at the person's identity provider
// (NHS staff's or LA and service staff's; each route of the API trusts one of them).
// A page load without a token first asks the providers silently (`prompt=none`), the one last
// used first: while a provider's own session lasts, a reload or a link opened in a new tab lands
// where it pointed, and no token is ever kept in storage. Only the PKCE verifier, the state,
// the provider and the place to return to wait in sessionStorage across the redirect; none of
// them is a credential.

import { config, session } from "./session.js";

const PENDING = "pkce";
// The provider signed in at last in this tab: asked first on a silent sign-in.
const LAST_PROVIDER = "provider";
// Set by "Sign out": no silent sign-in in this tab until the person signs in again.
const SIGNED_OUT = "signed-out";

/** The issuer's answers that mean "not signed in there, ask the person" (OIDC Core 3.1.2.6). */
const SILENT_REFUSALS = ["login_required", "interaction_required", "consent_required", "account_selection_required"];

/** Fired when the session ends (expiry, a 401, sign-out); `detail` is the message to show. */
export const sessionEnded = new EventTarget();

/** @type {ReturnType<typeof setTimeout> | undefined} */
let expiryTimer;

/**
 * Bytes as base64url without padding (RFC 7636).
 * @param {ArrayBuffer | Uint8Array} bytes
 */
export function b64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomString() {
  return b64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** NHS CIS2's activity codes for CP-IS (cpindex::cis2): view with and without notification. */
const VIEW_FLAG_NOTIFYING = "B0107";
const VIEW_FLAG_SILENT = "B0170";

/**
 * The claims of a JWT (not verified here: the API verifies every request). NHS CIS2's tokens
 * carry RBAC roles rather than a `role`: the selected role's activity codes and organisation
 * give it, as the API reads them (cpindex::cis2), for the menus only.
 * @param {string} token
 * @returns {import("./session.js").Claims}
 */
export function claimsOf(token) {
  const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  const raw = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0))));
  return raw.role || !Array.isArray(raw.nhsid_nrbac_roles) ? raw : fromCis2(raw);
}

/**
 * A CIS2 token's claims with the role, organisation and its name its selected role gives.
 * @param {Record<string, any>} raw
 * @returns {import("./session.js").Claims}
 */
export function fromCis2(raw) {
  /** @type {{ person_roleid: string, org_code: string, activity_codes?: string[] }[]} */
  const roles = raw.nhsid_nrbac_roles;
  const selected = roles.find((r) => r.person_roleid === raw.selected_roleid) ?? (roles.length === 1 ? roles[0] : undefined);
  const codes = selected?.activity_codes ?? [];
  const role = codes.includes(VIEW_FLAG_NOTIFYING) ? "unscheduled_care" : codes.includes(VIEW_FLAG_SILENT) ? "scheduled_care" : "nhs_staff";
  const org = selected?.org_code ?? "";
  /** @type {{ org_code: string, org_name?: string }[]} */
  const memberships = Array.isArray(raw.nhsid_org_memberships) ? raw.nhsid_org_memberships : [];
  const orgName = memberships.find((m) => m.org_code === org)?.org_name;
  return { ...raw, sub: raw.sub, role, org, org_name: orgName, exp: raw.exp };
}

/**
 * The authorization request: silent ones carry `prompt=none`, so the issuer answers at once.
 * @param {import("./session.js").SignIn} c
 * @param {{ redirectUri: string, state: string, challenge: string, silent: boolean }} req
 */
export function authorizeUrl(c, req) {
  const q = new URLSearchParams({
    response_type: "code", client_id: c.clientId, redirect_uri: req.redirectUri, scope: c.scope,
    state: req.state, code_challenge: req.challenge, code_challenge_method: "S256",
  });
  if (req.silent) q.set("prompt", "none");
  return `${c.authorizeUrl}?${q}`;
}

function redirectUri() {
  return `${location.origin}/app/`;
}

/** Whether this page load may ask the issuer silently. */
export function maySignInSilently() {
  return sessionStorage.getItem(SIGNED_OUT) === null;
}

/**
 * The providers a silent sign-in asks, in turn: the one last used in this tab first.
 * @returns {string[]}
 */
function silentOrder() {
  const ids = config().providers.map((p) => p.id);
  const last = sessionStorage.getItem(LAST_PROVIDER);
  return last && ids.includes(last) ? [last, ...ids.filter((id) => id !== last)] : ids;
}

/**
 * Leaves for a provider (`provider`, or for a silent sign-in the next one to ask),
 * remembering where the person was.
 * @param {{ silent: boolean, provider?: string, left?: string[], place?: string }} how
 */
export async function signIn({ silent, provider, left, place = location.hash }) {
  const queue = left ?? (provider ? [provider] : silentOrder());
  const [id, ...rest] = queue;
  const c = config().providers.find((p) => p.id === id);
  if (!c) throw new Error(`no sign-in provider ${id}`);
  const verifier = randomString();
  const state = randomString();
  const challenge = b64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, silent, place, provider: id, left: silent ? rest : [] }));
  if (!silent) sessionStorage.removeItem(SIGNED_OUT);
  location.assign(authorizeUrl(c, { redirectUri: redirectUri(), state, challenge, silent }));
}

/**
 * Completes a sign-in the issuer answered (`?code=` or `?error=`). The message is for the
 * person (null when signed in, or when a silent attempt found no session: nothing went wrong).
 * @param {URLSearchParams} params
 * @returns {Promise<{ message: string | null, place: string, leaving?: boolean }>}
 */
export async function completeSignIn(params) {
  const saved = JSON.parse(sessionStorage.getItem(PENDING) || "null");
  sessionStorage.removeItem(PENDING);
  const place = typeof saved?.place === "string" && saved.place.startsWith("#/") ? saved.place : "#/";
  if (!saved || saved.state !== params.get("state")) {
    return { message: "The sign-in could not be completed (its state did not match). Try again.", place };
  }
  const error = params.get("error");
  if (error) {
    const quiet = saved.silent && SILENT_REFUSALS.includes(error);
    // Not signed in at that provider: ask the next one, silently too.
    if (quiet && Array.isArray(saved.left) && saved.left.length > 0) {
      await signIn({ silent: true, left: saved.left, place });
      return { message: null, place, leaving: true };
    }
    return { message: quiet ? null : "The sign-in was refused. Try again.", place };
  }
  const c = config().providers.find((p) => p.id === saved.provider);
  if (!c) return { message: "The sign-in could not be completed. Try again.", place };
  const form = new URLSearchParams({
    grant_type: "authorization_code", code: params.get("code") || "", redirect_uri: redirectUri(),
    client_id: c.clientId, code_verifier: saved.verifier,
  });
  try {
    const r = await fetch(c.tokenUrl, { method: "POST", body: form, headers: { "content-type": "application/x-www-form-urlencoded" } });
    const t = await r.json();
    if (!r.ok || !t.access_token) return { message: "The sign-in was refused. Try again.", place };
    startSession(t.access_token);
    sessionStorage.setItem(LAST_PROVIDER, c.id);
    return { message: null, place };
  } catch {
    return { message: "The sign-in service could not be reached. Try again.", place };
  }
}

/**
 * Holds the token in memory until it expires.
 * @param {string} token
 */
function startSession(token) {
  session.token = token;
  session.claims = claimsOf(token);
  clearTimeout(expiryTimer);
  const left = session.claims.exp * 1000 - Date.now();
  expiryTimer = setTimeout(() => endSession("Your session has ended. Sign in again."), Math.max(0, left));
}

/**
 * Forgets the token and tells the app.
 * @param {string} message
 */
export function endSession(message) {
  session.token = null;
  session.claims = null;
  clearTimeout(expiryTimer);
  sessionEnded.dispatchEvent(new CustomEvent("ended", { detail: message }));
}

/** "Sign out": forgets the token, and no silent sign-in brings it back in this tab. */
export function signOut() {
  sessionStorage.setItem(SIGNED_OUT, "1");
  endSession("You have signed out.");
}
