// The states a clinician must never misread, each role's own pages, a keyboard alone, a phone.
import { audit, BASE, ensurePlan, expect, go, LA_A, NOBODY, signIn, test, titled, YOUNG_WOMAN } from "./support.mjs";

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
  expect(await phone.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1), "no sideways scrolling").toBe(false);
  await audit(phone, "phone clinician answer");
});
