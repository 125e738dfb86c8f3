// A child whose NHS number is not known: a clinician searches by date of birth, sex and family
// name and is told only of a possible match, whom to call and to confirm the child's identity
// with them (never an NHS number); a misspelt name of the same sound is found only when the
// search is widened; the family name is never in a URL; the LA is told, without an NHS number.
import { audit, ensurePlan, ensureProfile, expect, fillDate, go, LA_A, signIn, test, testNumbers, titled } from "./support.mjs";

const TITLE = "Search by date of birth, sex and family name";
const [CHILD] = testNumbers(1, 999000700);
const PLAN = { ref: "LDS-DEMO-1", nhs: CHILD, type: "CPP", start: "2026-03-01", demographics: { birthDate: "2019-04-02", sex: "female", familyName: "Thompson" } };

test.beforeAll(async () => {
  await ensureProfile(LA_A);
  await ensurePlan(LA_A, PLAN);
});

/**
 * Every address the page asks for or goes to, to show that no name or date of birth is in one.
 * @param {import("@playwright/test").Page} page
 */
function addressesOf(page) {
  /** @type {string[]} */
  const seen = [];
  page.on("request", (r) => seen.push(r.url()));
  page.on("framenavigated", (f) => seen.push(f.url()));
  return seen;
}

/**
 * The search page, reached from the look-up page's link.
 * @param {import("@playwright/test").Page} page
 */
async function searchPage(page) {
  await go(page, "#/lookup");
  await titled(page, "Look up a child");
  await page.getByRole("link", { name: TITLE }).click();
  await titled(page, TITLE);
}

/**
 * Fills the search and sends it; waits for its answer or its errors.
 * @param {import("@playwright/test").Page} page
 * @param {{ birthDate: string, sex: string, familyName: string, widen?: boolean }} s
 */
async function searchFor(page, s) {
  await fillDate(page, "birthDate", s.birthDate);
  await page.check(`#sex-${s.sex}`);
  await page.fill("#familyName", s.familyName);
  await page.setChecked("#widen", Boolean(s.widen));
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await page.waitForFunction(() => document.querySelector("#result h2") || document.querySelector(".nhsuk-error-summary"));
}

/**
 * Nothing on the page names the child: no NHS number (the plan's, or any 10 digits), no name.
 * @param {import("@playwright/test").Page} page
 */
async function namesNobody(page) {
  const text = (await page.textContent("#result")) || "";
  expect.soft(text, "no NHS number").not.toContain(CHILD);
  expect.soft(text, "no NHS number, as shown").not.toContain(`${CHILD.slice(0, 3)} ${CHILD.slice(3, 6)} ${CHILD.slice(6)}`);
  expect.soft(text, "no 10-digit number").not.toMatch(/\b[0-9]{10}\b/);
  expect.soft(text.toLowerCase(), "the name is not repeated in the answer").not.toMatch(/thomp?son/);
}

/**
 * No address the page used holds the family name or date of birth; nor does the history.
 * @param {import("@playwright/test").Page} page
 * @param {string[]} addresses
 */
async function noNameInAnyAddress(page, addresses) {
  const all = [...addresses, page.url()];
  expect(all.filter((u) => /thomp?son|2019-04-0|reed|smith2/i.test(decodeURIComponent(u))), "no name or date of birth in any URL").toEqual([]);
  expect(await page.evaluate(() => history.state), "nothing kept in the history").toBeNull();
}

test("a clinician without an NHS number finds a possible match by date of birth, sex and family name: whom to call, and no NHS number", async ({ open }) => {
  const ed = await open();
  const addresses = addressesOf(ed);
  await signIn(ed, "unscheduled_care", "RR801", "dr-ed-search");
  await expect(ed.locator("a.nhsuk-header__navigation-link", { hasText: "Search without an NHS number" }), "in the menu").toHaveCount(1);
  await searchPage(ed);
  const form = ed.locator("form");
  await expect(form.locator("[data-field=birthDate] legend")).toHaveText("Date of birth");
  await expect(form.getByLabel("Day")).toBeVisible();
  await expect(form.getByRole("radio")).toHaveCount(4);
  await expect(form.locator("#widen-item-hint"), "widening is explained").toContainText("Reid and Reed");
  await expect(form.locator("#familyName")).toHaveAttribute("autocomplete", "off");
  await audit(ed, "clinician search form");

  await searchFor(ed, PLAN.demographics);
  const result = ed.locator("#result");
  await expect(result.locator("h2").first()).toHaveText("Possible match found");
  await expect(result.locator("h2").first()).toBeFocused();
  await expect(result).toContainText("Confirm the child's identity with the local authority");
  const card = result.locator("[data-match]");
  await expect(card).toHaveCount(1);
  await expect(card).toHaveAttribute("data-match", "exact");
  await expect(card).toContainText("Possible match");
  await expect(card).toContainText(LA_A.name);
  await expect(card).toContainText("Child protection plan");
  // The emergency duty number first, as a number to call.
  await expect(card.locator(".nhsuk-summary-list__row").first()).toContainText(`Emergency duty team (out of hours)${LA_A.edt}`);
  await expect(card.locator(`a[href="tel:${LA_A.edt.replace(/\s/g, "")}"]`)).toBeVisible();
  await expect(result).toContainText("has been told that a child who may be theirs was seen here");
  await namesNobody(ed);
  await audit(ed, "clinician search possible match");
  await noNameInAnyAddress(ed, addresses);
});

test("a misspelt family name of the same sound is found only when the search is widened; another date of birth is not found", async ({ open }) => {
  const ed = await open();
  const addresses = addressesOf(ed);
  await signIn(ed, "unscheduled_care", "RR801", "dr-ed-search");
  await searchPage(ed);
  const heading = ed.locator("#result h2").first();

  await searchFor(ed, { ...PLAN.demographics, familyName: "Thomson" });
  await expect(heading, "not found as spelt").toHaveText("No possible match found");
  await expect(ed.locator("#result")).toContainText("This does not prove that the child has no plan");
  await audit(ed, "clinician search no match");

  await searchFor(ed, { ...PLAN.demographics, familyName: "Thomson", widen: true });
  await expect(heading, "found when widened").toHaveText("Possible match found");
  await expect(ed.locator("#result [data-match]")).toHaveAttribute("data-match", "sounds_alike");
  await expect(ed.locator("#result [data-match]")).toContainText("sounds alike");
  await expect(ed.locator("#result")).toContainText(LA_A.edt);
  await namesNobody(ed);
  await audit(ed, "clinician search widened match");

  // Another date of birth: no match, as spelt or widened (the button widens the same search).
  await searchFor(ed, { ...PLAN.demographics, birthDate: "2019-04-03" });
  await expect(heading).toHaveText("No possible match found");
  await ed.getByRole("button", { name: "Search again, including family names that sound alike" }).click();
  await expect(ed.locator("#searched")).toContainText("including family names that sound alike");
  await expect(heading).toHaveText("No possible match found");
  await expect(ed.locator("#widen")).toBeChecked();
  await expect(ed.getByRole("button", { name: "Search again, including family names that sound alike" }), "already widened").toHaveCount(0);
  // An answer belongs to its search: changing the form clears it.
  await ed.fill("#familyName", "Reed");
  await expect(ed.locator("#result")).toBeEmpty();
  await noNameInAnyAddress(ed, addresses);
});

test("an incomplete search is explained in the summary and at each field, and nothing is sent", async ({ open }) => {
  const ed = await open();
  const addresses = addressesOf(ed);
  /** @type {string[]} */
  const searches = [];
  ed.on("request", (r) => { if (r.url().includes("/v1/child-searches")) searches.push(r.method()); });
  await signIn(ed, "unscheduled_care", "RR801", "dr-ed-search");
  await searchPage(ed);
  await ed.getByRole("button", { name: "Search", exact: true }).click();
  const summary = ed.locator(".nhsuk-error-summary");
  await expect(summary, "the summary takes the focus").toBeFocused();
  await expect(summary.getByRole("link")).toHaveText(["Enter the date of birth", "Select the sex", "Enter the family name"]);
  await expect.soft(ed.locator("#birthDate-error")).toContainText("Enter the date of birth");
  await expect.soft(ed.locator("#sex-error")).toContainText("Select the sex");
  await expect.soft(ed.locator("#familyName-error")).toContainText("Enter the family name");
  await expect.soft(ed.locator("#familyName")).toHaveAttribute("aria-invalid", "true");
  await expect.soft(ed.locator("#birthDate-day")).toHaveAttribute("aria-invalid", "true");
  await expect.soft(ed.locator("[data-field=sex] fieldset")).toHaveAttribute("aria-describedby", /sex-error/);
  await audit(ed, "clinician search errors");
  // The summary's link moves to the field.
  await summary.getByRole("link", { name: "Enter the family name" }).click();
  await expect(ed.locator("#familyName")).toBeFocused();
  // A date of birth in the future is refused here too.
  await searchFor(ed, { ...PLAN.demographics, birthDate: "2099-01-01" });
  await expect(summary.getByRole("link")).toHaveText(["Date of birth must be today or in the past"]);
  expect(searches, "nothing was sent").toEqual([]);

  // What the API refuses is shown at the field its pointer names.
  await searchFor(ed, { ...PLAN.demographics, familyName: "Smith2" });
  await expect(summary).toBeFocused();
  await expect(ed.locator("#familyName-error")).toContainText("Family name must only include letters");
  await expect(ed.locator("#familyName")).toHaveAttribute("aria-invalid", "true");
  await expect(ed.locator("#result")).toBeEmpty();
  await audit(ed, "clinician search refused");
  // Corrected, the errors go and the answer comes.
  await searchFor(ed, PLAN.demographics);
  await expect(ed.locator("#result h2").first()).toHaveText("Possible match found");
  await expect(ed.locator("[aria-invalid]")).toHaveCount(0);
  await expect(ed.locator(".nhsuk-error-summary")).toHaveCount(0);
  await noNameInAnyAddress(ed, addresses);
});

test("a scheduled-care search is silent", async ({ open }) => {
  const gp = await open();
  await signIn(gp, "scheduled_care", "Y00001", "gp-search");
  await expect(gp.locator("a.nhsuk-header__navigation-link", { hasText: "Search without an NHS number" })).toHaveCount(1);
  await go(gp, "#/child-search");
  await titled(gp, TITLE);
  await searchFor(gp, PLAN.demographics);
  await expect(gp.locator("#result h2").first()).toHaveText("Possible match found");
  await expect(gp.locator("#result")).toContainText("silent search");
  await audit(gp, "scheduled care search");
});

test("the LA is told of the possible match without an NHS number, and acknowledges it", async ({ open }) => {
  test.setTimeout(120_000);
  const la = await open();
  await signIn(la, "local_authority", LA_A.code, "sw-leeds");
  await go(la, "#/inbox");
  const card = la.locator("[data-kind=demographic_match]").first();
  await card.waitFor({ timeout: 60_000 });
  await expect(card).toContainText(`a possible match for your plan ${PLAN.ref}`);
  await expect(card).toContainText("confirm the child's identity");
  await expect(card).toContainText("RR801");
  await expect(card.locator("[data-possible-match]")).toHaveText("Possible match");
  const text = (await card.textContent()) || "";
  expect.soft(text, "no NHS number").not.toContain(CHILD);
  expect.soft(text, "no NHS number, as shown").not.toContain(`${CHILD.slice(0, 3)} ${CHILD.slice(3, 6)} ${CHILD.slice(6)}`);
  expect.soft(text.toLowerCase(), "no name").not.toMatch(/thomp?son/);
  await audit(la, "LA inbox possible match");
  const id = await card.getAttribute("data-notification");
  await card.getByRole("button", { name: "Acknowledge" }).click();
  await expect(la.locator(`[data-notification="${id}"] .nhsuk-tag`, { hasText: "Acknowledged" })).toBeVisible();
});
