// What every browser test shares: the people of the story, pages that watch themselves (no
// Content-Security-Policy violation, no request to another origin, no NHS.UK frontend error),
// sign-in through the local OpenID Connect issuer, and the audit run on every page and state
// (axe-core, WCAG 2.2 AA, zero violations; no stray null or undefined; a screenshot when
// SCREENSHOTS names a directory).
import { test as base, expect } from "@playwright/test";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

export { expect };
export const BASE = process.env.BASE_URL || "http://127.0.0.1:3077";
const SHOTS = process.env.SCREENSHOTS || "";
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

// Test-range NHS numbers (valid check digits, never issued to a person).
export const YOUNG_WOMAN = "9990000026";
export const NOBODY = "9990000034";
export const LA_A = { code: "E08000035", name: "Leeds City Council", team: "Children's Front Door", office: "0113 222 4403", edt: "0113 535 0600" };
export const LA_B = { code: "E09000007", name: "London Borough of Camden", team: "Children and Families Contact Service", office: "020 7974 3317", edt: "020 7974 4444" };

/**
 * `n` valid NHS numbers of the test range from `from` on (modulus 11 check digit).
 * @param {number} n
 * @param {number} [from] the first 9 digits
 */
export function testNumbers(n, from = 999000010) {
  const out = [];
  for (let stem = from; out.length < n; stem += 1) {
    const digits = String(stem).split("").map(Number);
    const check = (11 - (digits.reduce((s, d, i) => s + d * (10 - i), 0) % 11)) % 11;
    if (check !== 10) out.push(`${stem}${check}`);
  }
  return out;
}

/** @typedef {import("@playwright/test").Page} Page */
/** @typedef {(opts?: { viewport?: { width: number, height: number } }) => Promise<Page>} Open */
/**
 * @typedef {import("@playwright/test").TestType<
 *   import("@playwright/test").PlaywrightTestArgs & import("@playwright/test").PlaywrightTestOptions & { open: Open },
 *   import("@playwright/test").PlaywrightWorkerArgs & import("@playwright/test").PlaywrightWorkerOptions>} Test
 */

/** @type {Test} */
export const test = base.extend({
  /**
   * Opens a page in a browser context of its own (one person each). Every page of the test is
   * watched; the test fails if any saw a CSP violation, a request to another origin or an
   * NHS.UK frontend error.
   */
  open: async (/** @type {{ browser: import("@playwright/test").Browser }} */ { browser }, /** @type {(open: Open) => Promise<void>} */ use) => {
    /** @type {string[]} */
    const problems = [];
    /** @type {import("@playwright/test").BrowserContext[]} */
    const contexts = [];
    await use(async (/** @type {{ viewport?: { width: number, height: number } }} */ opts = {}) => {
      const context = await browser.newContext({ viewport: opts.viewport || { width: 1100, height: 900 }, acceptDownloads: true, baseURL: BASE });
      contexts.push(context);
      const page = await context.newPage();
      page.on("console", (m) => {
        if (/Content Security Policy|Refused to|nhsuk-frontend:/i.test(m.text())) problems.push(m.text());
      });
      page.on("pageerror", (e) => problems.push(`script error: ${e.message}`));
      page.on("request", (r) => {
        const url = r.url();
        if (!url.startsWith(BASE) && !url.startsWith("data:") && !url.startsWith(`blob:${BASE}`)) problems.push(`request to another origin: ${url}`);
      });
      await page.addInitScript(() => {
        document.addEventListener("securitypolicyviolation", (e) => console.log(`Refused to load: CSP ${e.violatedDirective} ${e.blockedURI}`));
      });
      return page;
    });
    for (const c of contexts) await c.close();
    expect(problems, "no CSP violation, request to another origin or NHS.UK frontend error").toEqual([]);
  },
});

/**
 * axe-core and the stray-value check on the page as it is now, and its screenshot.
 * @param {Page} page
 * @param {string} state names the screenshot
 */
export async function audit(page, state) {
  // Once per document: a fragment change keeps it.
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    // @ts-expect-error axe is the script evaluated above
    window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] } }));
  const found = result.violations.map((/** @type {any} */ v) => `${v.id} (${v.impact}) ${v.help}: ${v.nodes.map((/** @type {any} */ n) => n.target.join(" ")).join(", ")}`);
  expect.soft(found, `axe finds nothing on: ${state}`).toEqual([]);
  expect.soft(await page.textContent("body"), `no stray null or undefined shown on: ${state}`).not.toMatch(/\bnull\b|\bundefined\b|\[object /);
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `${state.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}.png`), fullPage: true });
}

/**
 * Moves within the app (a fragment change, as the menu does).
 * @param {Page} page
 * @param {string} hash
 */
export async function go(page, hash) {
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.waitForFunction((h) => location.hash === h, hash);
}

/**
 * The page's heading, once the page for `hash` has been drawn.
 * @param {Page} page
 * @param {string} title
 */
export async function titled(page, title) {
  await expect(page.locator("#page-title")).toHaveText(title);
}

// The local issuer's session of each person signed in so far in this worker: later sign-ins
// of the same person are the app's silent one (`prompt=none`), as after a reload.
/** @type {Map<string, import("@playwright/test").Cookie[]>} */
const issuerSessions = new Map();

/** The sign-in page's buttons: NHS staff's identity provider, and LA and service staff's. */
export const NHS_SIGN_IN = "Sign in with NHS Care Identity (NHS staff)";
export const STAFF_SIGN_IN = "Sign in as local authority or service staff";
/** The roles NHS staff's provider vouches for (cpindex::claims::Role::provider). */
const NHS_ROLES = ["unscheduled_care", "scheduled_care", "nhs_staff"];

/**
 * Signs in through the local OpenID Connect sign-in (the same code flow as a real issuer): the
 * form the first time a person signs in, silently after that.
 * @param {Page} page
 * @param {string} role
 * @param {string} org
 * @param {string} user
 */
export async function signIn(page, role, org, user) {
  const who = `${role}|${org}|${user}`;
  const known = issuerSessions.get(who);
  if (known) {
    await page.context().addCookies(known);
    await page.goto(`${BASE}/`);
    await expect(page.locator("#page-title")).not.toHaveText(/^(Sign in)?$/);
    await expect(page.locator("header")).toContainText(user);
    return;
  }
  await signInWithForm(page, role, org, user);
  issuerSessions.set(who, await page.context().cookies(`${BASE}/local/oidc/authorize`));
}

/**
 * Signs in with the local issuer's form, whether or not it holds a session.
 * @param {Page} page
 * @param {string} role
 * @param {string} org
 * @param {string} user
 */
export async function signInWithForm(page, role, org, user) {
  await page.goto(`${BASE}/`);
  await page.getByRole("button", { name: NHS_ROLES.includes(role) ? NHS_SIGN_IN : STAFF_SIGN_IN }).click();
  await page.waitForURL(/local\/oidc\/authorize/);
  await page.check(`#role-${role}`);
  await page.fill("#org", org);
  await page.fill("#user", user);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator("#page-title")).not.toHaveText(/^(Sign in)?$/);
}

/**
 * A token from the local issuer without a browser (the same flow), for a test to arrange what
 * it needs through the API.
 * @param {string} role
 * @param {string} org
 * @param {string} user
 */
export async function tokenFor(role, org, user) {
  const verifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  const redirect = `${BASE}/app/`;
  const chosen = await fetch(`${BASE}/local/oidc/authorize`, {
    method: "POST", redirect: "manual",
    body: new URLSearchParams({ redirect_uri: redirect, state: "test", code_challenge: challenge, role, org, user, org_name: "" }),
  });
  const code = new URL(chosen.headers.get("location") || "", BASE).searchParams.get("code") || "";
  const t = await fetch(`${BASE}/local/oidc/token`, {
    method: "POST",
    body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: redirect, client_id: "cpindex-web-local", code_verifier: verifier }),
  });
  return /** @type {string} */ ((await t.json()).access_token);
}

/**
 * A call to the API with `token`: status and JSON body.
 * @param {string} token
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 */
export async function call(token, method, path, body) {
  const r = await fetch(`${BASE}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: await r.json().catch(() => null) };
}

/**
 * Records `plan` for `la` through the API unless the LA already holds that reference: what a
 * test needs, whether or not the story before it got that far. `demographics` are the child's
 * date of birth, sex and family name, as the API takes them.
 * @param {typeof LA_A} la
 * @param {{ ref: string, nhs: string, type: string, start: string, due?: string, demographics?: { birthDate: string, sex: string, familyName: string } }} plan
 */
export async function ensurePlan(la, plan) {
  const token = await tokenFor("local_authority", la.code, "test-arrange");
  if ((await call(token, "GET", `/v1/plans/${plan.ref}`)).status === 200) return;
  const r = await call(token, "PUT", `/v1/plans/${plan.ref}`, {
    nhsNumber: plan.nhs, planType: plan.type, startDate: plan.start, expectedDueDate: plan.due, sourceVersion: 1, ...plan.demographics,
  });
  expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
}

/**
 * Sets up `la`'s profile (whom clinicians call) through the API unless it has one: what a test
 * needs, whether or not the story's operator got that far.
 * @param {typeof LA_A} la
 */
export async function ensureProfile(la) {
  const token = await tokenFor("operator", "X26", "test-arrange");
  if ((await call(token, "GET", `/v1/la-profiles/${la.code}`)).status === 200) return;
  const r = await call(token, "PUT", `/v1/la-profiles/${la.code}`, {
    name: la.name, team: la.team, officeHoursPhone: la.office, emergencyDutyPhone: la.edt,
  });
  expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
}

/**
 * Types a date into NHS.UK's date input `id` (`YYYY-MM-DD`, or the three parts as typed).
 * @param {Page} page
 * @param {string} id
 * @param {string | { day: string, month: string, year: string }} date
 */
export async function fillDate(page, id, date) {
  const parts = typeof date === "string"
    ? (([year, month, day]) => ({ day: String(Number(day)), month: String(Number(month)), year }))(date.split("-"))
    : date;
  await page.fill(`#${id}-day`, parts.day);
  await page.fill(`#${id}-month`, parts.month);
  await page.fill(`#${id}-year`, parts.year);
}

/**
 * Fills and sends "Record a plan" on a fresh form, and waits for its answer.
 * @param {Page} page
 * @param {{ ref: string, nhs: string, type: string, start: string, due?: string }} plan
 */
export async function recordPlan(page, plan) {
  // A fresh form each time (the page is drawn again when its fragment changes).
  await go(page, "#/plans");
  await titled(page, "Plans");
  await go(page, "#/record");
  await page.waitForSelector("#planRef");
  await page.fill("#planRef", plan.ref);
  await page.fill("#nhsNumber", plan.nhs);
  await page.check(`#planType-${plan.type}`);
  await fillDate(page, "startDate", plan.start);
  if (plan.due) await fillDate(page, "expectedDueDate", plan.due);
  await page.getByRole("button", { name: "Record the plan" }).click();
  await page.waitForFunction(() => document.querySelector("#record-result")?.textContent || document.querySelector(".nhsuk-error-summary"));
}
