// A reload, or a link opened in a new tab, keeps the person's place: the app asks the issuer
// silently (`prompt=none`) and the issuer's own session answers. No token is kept in storage,
// and after "Sign out" nothing signs the person in again silently.
import { BASE, expect, go, LA_A, signIn, STAFF_SIGN_IN, test, titled } from "./support.mjs";

/** @param {import("@playwright/test").Page} page */
async function storedValues(page) {
  return page.evaluate(() => [
    ...Object.values(localStorage), ...Object.values(sessionStorage), document.cookie,
  ].join(" "));
}

test("a reload keeps the user's place through a silent sign-in, with no token in storage", async ({ open }) => {
  const a = await open();
  await signIn(a, "local_authority", LA_A.code, "sw-leeds");
  await go(a, "#/plans/LDS-LAC-1");
  await titled(a, "Plan LDS-LAC-1");
  /** @type {string[]} */
  const authorize = [];
  a.on("request", (/** @type {import("@playwright/test").Request} */ r) => { if (r.url().includes("/local/oidc/authorize")) authorize.push(`${r.method()} ${new URL(r.url()).searchParams.get("prompt")}`); });
  await a.reload();
  await titled(a, "Plan LDS-LAC-1");
  expect(authorize, "one silent request, no sign-in form").toEqual(["GET none"]);
  expect(new URL(a.url()).search, "no code left in the address").toBe("");
  await expect(a.locator("header")).toContainText("sw-leeds");
  const stored = await storedValues(a);
  expect(stored, "no token in storage or in a cookie the page can read").not.toMatch(/eyJ|access_token/);
});

test("a link opened in a new tab lands where it points", async ({ open }) => {
  const a = await open();
  await signIn(a, "local_authority", LA_A.code, "sw-leeds");
  const tab = await a.context().newPage();
  await tab.goto(`${BASE}/app/#/upload`);
  await titled(tab, "Upload an extract");
});

test("after signing out, a reload asks the person to sign in", async ({ open }) => {
  const a = await open();
  await signIn(a, "local_authority", LA_A.code, "sw-leeds");
  await a.getByRole("button", { name: "Sign out" }).click();
  await titled(a, "Sign in");
  await expect(a.locator("#view")).toContainText("You have signed out.");
  await a.reload();
  await titled(a, "Sign in");
  await expect(a.locator("header")).not.toContainText("sw-leeds");
  // Signing in again is the person's choice, and works.
  await a.getByRole("button", { name: STAFF_SIGN_IN }).click();
  await a.waitForURL(/local\/oidc\/authorize/);
});
