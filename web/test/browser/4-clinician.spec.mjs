// The states a clinician must never misread, each role's own pages, a keyboard alone, a phone.
import { audit, BASE, call, ensurePlan, expect, fillDate, go, LA_A, NOBODY, recordPlan, signIn, test, testNumbers, titled, tokenFor, YOUNG_WOMAN } from "./support.mjs";

test.beforeAll(async () => {
  // The young woman's plan from the story, whether or not the story got that far.
  await ensurePlan(LA_A, { ref: "LDS-LAC-1", nhs: YOUNG_WOMAN, type: "LAC", start: "2026-03-01" });
});

test("an invalid NHS number is explained in the summary and at the field, and no answer is shown", async ({ open }) => {
  const ed = await open();
  await signIn(ed, "unscheduled_care", "RR801", "dr-ed-2");
  await ed.fill("#nhs-number", "9990000027");
  await ed.getByRole("button", { name: "Look up" }).click();
  await expect(ed.locator("#nhs-number-error")).not.toBeEmpty();
  await expect(ed.locator(".nhsuk-error-summary")).toBeFocused();
  await expect.soft(ed.locator("#nhs-number")).toHaveAttribute("aria-invalid", "true");
  expect.soft((await ed.textContent("#result"))?.trim(), "an invalid number shows no answer").toBe("");
  await audit(ed, "clinician invalid NHS number");
  // Corrected, the error goes and the answer comes.
  await ed.fill("#nhs-number", NOBODY);
  await ed.getByRole("button", { name: "Look up" }).click();
  await expect(ed.locator("#result h2")).toHaveText("No active plan held");
  await expect(ed.locator("#nhs-number")).not.toHaveAttribute("aria-invalid", "true");
  await expect(ed.locator(".nhsuk-error-summary")).toHaveCount(0);
  await audit(ed, "clinician no plan");
  // Another role's page is not offered and not shown.
  await go(ed, "#/inbox");
  await titled(ed, "You cannot use this page");
});

test("a scheduled-care user is told the read is silent", async ({ open }) => {
  const gp = await open();
  await signIn(gp, "scheduled_care", "Y00001", "gp-1");
  await gp.fill("#nhs-number", YOUNG_WOMAN);
  await gp.getByRole("button", { name: "Look up" }).click();
  await expect(gp.locator("#result")).toContainText("silent check");
  await audit(gp, "scheduled care silent");
});

test("NHS staff whose CIS2 role grants neither CP-IS activity are told so, and offered no page", async ({ open }) => {
  const porter = await open();
  await signIn(porter, "nhs_staff", "RR801", "porter-1");
  await titled(porter, "No access to child protection information");
  await expect(porter.locator("main")).toContainText("B0107 or B0170");
  await expect(porter.locator("a.nhsuk-header__navigation-link")).toHaveCount(0);
  await audit(porter, "nhs staff without activity");
  await go(porter, "#/lookup");
  await titled(porter, "No access to child protection information");
});

test("a look-up works by keyboard alone", async ({ open }) => {
  const kb = await open();
  await kb.goto(`${BASE}/`);
  await titled(kb, "Sign in");
  await kb.focus("button.nhsuk-button");
  await kb.keyboard.press("Enter");
  await kb.waitForURL(/local\/oidc\/authorize/);
  await kb.focus("#role-unscheduled_care");
  await kb.keyboard.press("Space");
  await kb.focus("#user");
  await kb.keyboard.type("dr-keys");
  await kb.keyboard.press("Enter");
  await kb.waitForSelector("#nhs-number");
  await kb.focus("#nhs-number");
  await kb.keyboard.type(NOBODY);
  await kb.keyboard.press("Enter");
  await expect(kb.locator("#result h2")).toHaveText("No active plan held");
});

test("the answer fits a phone-sized screen", async ({ open }) => {
  const phone = await open({ viewport: { width: 375, height: 740 } });
  await signIn(phone, "unscheduled_care", "RR801", "dr-phone");
  await phone.fill("#nhs-number", YOUNG_WOMAN);
  await phone.getByRole("button", { name: "Look up" }).click();
  await phone.waitForSelector("#result h2");
  // The story's ED looked her up and each LA was alerted: the clinician sees each LA's last alert,
  // acknowledged or not, never by whom.
  await expect.soft(phone.locator("[data-la-alerted]").first(), "whether the LA knows of the earlier attendance").toBeVisible();
  expect(await phone.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1), "no sideways scrolling").toBe(false);
  await audit(phone, "phone clinician answer");
});

test("an LA ends a plan as transferred out, and a clinician is told the old authority is still told and how to reach it", async ({ open }) => {
  const [moved] = testNumbers(1, 999000600);
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const a = await open();
  await signIn(a, "local_authority", LA_A.code, "sw-leeds");
  await recordPlan(a, { ref: "LDS-MOVED-1", nhs: moved, type: "CPP", start: "2026-02-02" });
  // Recorded again, ended yesterday as transferred out, through the form.
  await go(a, "#/plans");
  await titled(a, "Plans");
  await go(a, "#/record");
  await a.waitForSelector("#planRef");
  await a.fill("#planRef", "LDS-MOVED-1");
  await a.fill("#nhsNumber", moved);
  await a.check("#planType-CPP");
  await fillDate(a, "startDate", "2026-02-02");
  await fillDate(a, "endDate", yesterday);
  await a.check("#endReason-transferred_out");
  await audit(a, "LA record form with an end reason");
  await a.getByRole("button", { name: "Record the plan" }).click();
  await expect(a.locator("#record-result")).toContainText("the plan is updated");
  const token = await tokenFor("local_authority", LA_A.code, "test-check");
  expect((await call(token, "GET", "/v1/plans/LDS-MOVED-1")).body.endReason).toBe("transferred_out");

  const ed = await open();
  await signIn(ed, "unscheduled_care", "RR801", "dr-ed-transfer");
  await ed.fill("#nhs-number", moved);
  await ed.getByRole("button", { name: "Look up" }).click();
  await expect(ed.locator("#result h2").first()).toHaveText("No active plan held");
  const told = ed.locator("#result .nhsuk-warning-callout");
  await expect(told).toContainText(`Recently transferred out of ${LA_A.name}`);
  await expect(told).toContainText(`Call its emergency duty team: ${LA_A.edt}`);
  await expect(ed.locator("#result")).toContainText("(transferred out)");
  await expect(ed.locator("#result")).toContainText("The authority the child was transferred out of has been told");
  await audit(ed, "clinician transferred out");
});
