// Forms as NHS.UK builds them: dates as day, month and year fields; errors in NHS.UK's error
// summary and at the field, with aria-invalid; the expected due date asked only for an unborn
// child's plan; NHS.UK frontend's own scripts running (radios, error summary, header).
import { audit, call, ensurePlan, expect, fillDate, go, LA_A, LA_B, recordPlan, signIn, test, testNumbers, titled, tokenFor } from "./support.mjs";

/** @param {import("@playwright/test").Page} page */
async function freshRecordForm(page) {
  await go(page, "#/plans");
  await titled(page, "Plans");
  await go(page, "#/record");
  await page.waitForSelector("#planRef");
}

// Members of each class of wrong date, with the message NHS.UK's guidance gives and the fields
// at fault (only they are marked).
const WRONG_DATES = [
  { typed: { day: "", month: "3", year: "2026" }, message: "Start date must include a day", parts: ["day"] },
  { typed: { day: "1", month: "", year: "2026" }, message: "Start date must include a month", parts: ["month"] },
  { typed: { day: "1", month: "3", year: "" }, message: "Start date must include a year", parts: ["year"] },
  { typed: { day: "", month: "", year: "2026" }, message: "Start date must include a day and month", parts: ["day", "month"] },
  { typed: { day: "30", month: "2", year: "2024" }, message: "Start date must be a real date", parts: ["day"] },
  { typed: { day: "29", month: "2", year: "2025" }, message: "Start date must be a real date", parts: ["day"] },
  { typed: { day: "31", month: "4", year: "2026" }, message: "Start date must be a real date", parts: ["day"] },
  { typed: { day: "1", month: "13", year: "2026" }, message: "Start date must be a real date", parts: ["month"] },
  { typed: { day: "1", month: "March", year: "2026" }, message: "Start date must be a real date", parts: ["month"] },
  { typed: { day: "1", month: "3", year: "26" }, message: "Year must include 4 numbers", parts: ["year"] },
];

test("a start date is typed as day, month and year; a wrong one is explained in the summary and at its parts", async ({ open }) => {
  const a = await open();
  await signIn(a, "local_authority", LA_A.code, "sw-leeds");
  await freshRecordForm(a);
  const group = a.locator("[data-field=startDate]");
  await expect(group.locator("legend")).toHaveText("Start date");
  await expect(group.getByLabel("Day")).toBeVisible();
  await expect(group.getByLabel("Month")).toBeVisible();
  await expect(group.getByLabel("Year")).toBeVisible();
  await a.fill("#planRef", "LDS-DATES");
  await a.fill("#nhsNumber", testNumbers(1, 999000200)[0]);
  await a.check("#planType-CPP");
  for (const wrong of WRONG_DATES) {
    await fillDate(a, "startDate", wrong.typed);
    await a.getByRole("button", { name: "Record the plan" }).click();
    const summary = a.locator(".nhsuk-error-summary");
    await expect(summary, `${JSON.stringify(wrong.typed)}: the summary takes the focus`).toBeFocused();
    const what = JSON.stringify(wrong.typed);
    await expect.soft(summary.getByRole("link"), `${what}: the summary says why`).toHaveText(wrong.message);
    await expect.soft(a.locator("#startDate-error"), `${what}: the message is at the field`).toContainText(wrong.message);
    await expect.soft(a.locator("[data-field=startDate] fieldset"), `${what}: the group is described by it`).toHaveAttribute("aria-describedby", /startDate-error/);
    for (const part of ["day", "month", "year"]) {
      const marked = a.locator(`#startDate-${part}[aria-invalid=true]`);
      await expect.soft(marked, `${what}: ${part} is marked only when at fault`).toHaveCount(wrong.parts.includes(part) ? 1 : 0);
    }
    expect.soft(await a.textContent("#record-result"), `${what}: nothing was sent`).toBe("");
    if (wrong === WRONG_DATES[4]) await audit(a, "LA record a plan wrong date");
  }
  // The summary's link moves to the first part at fault (NHS.UK's error summary script).
  await a.locator(".nhsuk-error-summary a").click();
  await expect(a.locator("#startDate-year")).toBeFocused();
  // Once the date is right, its errors go.
  await fillDate(a, "startDate", "2026-03-01");
  await a.getByRole("button", { name: "Record the plan" }).click();
  await expect(a.locator("#record-result")).toContainText("Recorded LDS-DATES");
  await expect(a.locator("[aria-invalid]")).toHaveCount(0);
  await expect(a.locator(".nhsuk-error-message")).toHaveCount(0);
});

test("a plan the API refuses is explained in the summary and at its field, and nothing is stored", async ({ open }) => {
  const a = await open();
  await signIn(a, "local_authority", LA_A.code, "sw-leeds");
  await recordPlan(a, { ref: "LDS-BAD", nhs: "9990000027", type: "CPP", start: "2026-03-01" });
  await expect(a.locator(".nhsuk-error-summary")).toBeFocused();
  await expect.soft(a.locator("#nhsNumber-error"), "the field at fault is named").not.toBeEmpty();
  await expect.soft(a.locator("#nhsNumber"), "the field at fault is marked invalid").toHaveAttribute("aria-invalid", "true");
  await expect.soft(a.locator("#nhsNumber"), "and described by its message").toHaveAttribute("aria-describedby", /nhsNumber-error/);
  await expect.soft(a.locator(".nhsuk-error-summary a[href='#nhsNumber']")).toHaveCount(1);
  await audit(a, "LA record a plan refused");
  const token = await tokenFor("local_authority", LA_A.code, "test-check");
  expect((await call(token, "GET", "/v1/plans/LDS-BAD")).status, "nothing is stored").toBe(404);
});

test("the expected due date is asked only for an unborn child's plan, and sent only for one", async ({ open }) => {
  const a = await open();
  await signIn(a, "local_authority", LA_A.code, "sw-leeds");
  await freshRecordForm(a);
  const due = a.locator("#expectedDueDate-day");
  await expect(a.locator("[data-field=planType] [data-module=nhsuk-radios]"), "NHS.UK's radios script runs").toHaveAttribute("data-nhsuk-radios-init", "");
  await expect(due, "not asked before a plan is chosen").toBeHidden();
  await a.check("#planType-CPP");
  await expect(due, "not asked for a child protection plan").toBeHidden();
  await a.check("#planType-UCPP");
  await expect(due, "asked for an unborn child's plan").toBeVisible();
  await audit(a, "LA record an unborn child plan");

  const [nhs] = testNumbers(1, 999000210);
  await a.fill("#planRef", "LDS-DUE-1");
  await a.fill("#nhsNumber", nhs);
  await fillDate(a, "startDate", "2026-03-02");
  await a.getByRole("button", { name: "Record the plan" }).click();
  await expect(a.locator(".nhsuk-error-summary a[href='#expectedDueDate-day']")).toHaveText("Enter the expected due date");
  // A due date typed, then another plan chosen: the date is hidden and not sent.
  await fillDate(a, "expectedDueDate", "2027-01-15");
  await a.check("#planType-CPP");
  await expect(due).toBeHidden();
  await a.getByRole("button", { name: "Record the plan" }).click();
  await expect(a.locator("#record-result")).toContainText("Recorded LDS-DUE-1");
  const token = await tokenFor("local_authority", LA_A.code, "test-check");
  const held = await call(token, "GET", "/v1/plans/LDS-DUE-1");
  expect(held.body.planType).toBe("CPP");
  expect(held.body.expectedDueDate, "no due date on a child protection plan").toBeUndefined();
});

test("NHS.UK frontend's scripts run: the header folds its menu into More on a phone", async ({ open }) => {
  const a = await open({ viewport: { width: 375, height: 740 } });
  await signIn(a, "local_authority", LA_A.code, "sw-leeds");
  await expect(a.locator("body")).toHaveClass(/nhsuk-frontend-supported/);
  await expect(a.locator("header.nhsuk-header")).toHaveAttribute("data-nhsuk-header-init", "");
  const more = a.getByRole("button", { name: "Browse More" });
  await expect(more, "seven pages do not fit a phone: the rest are under More").toBeVisible();
  await more.click();
  await expect(more).toHaveAttribute("aria-expanded", "true");
  await expect(a.getByRole("link", { name: "Profile", exact: true })).toBeVisible();
  await audit(a, "phone LA menu open");
  expect(await a.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1), "the header fits a phone").toBe(false);
});

test("a change of NHS number is confirmed before the plan moves, and the result says what the index did", async ({ open }) => {
  const a = await open();
  await signIn(a, "local_authority", LA_A.code, "sw-leeds");
  const [first, second] = testNumbers(2, 999000300);
  const token = await tokenFor("local_authority", LA_A.code, "test-check");
  await recordPlan(a, { ref: "LDS-MOVE-1", nhs: first, type: "CPP", start: "2026-03-02" });
  await expect(a.locator("#record-result")).toContainText("clinicians who look up NHS number");
  // The same reference with another number: a warning and a confirm button; nothing sent yet.
  await recordPlan(a, { ref: "LDS-MOVE-1", nhs: second, type: "CPP", start: "2026-03-02" });
  await expect(a.locator("#record-result .nhsuk-warning-callout")).toContainText("This moves the plan to another NHS number");
  expect((await call(token, "GET", "/v1/plans/LDS-MOVE-1")).body.nhsNumber, "not moved before the confirmation").toBe(first);
  await audit(a, "LA move confirmation");
  await a.click("#confirm-move");
  await expect(a.locator("#record-result")).toContainText("the plan moved from NHS number");
  expect((await call(token, "GET", "/v1/plans/LDS-MOVE-1")).body.nhsNumber).toBe(second);
  // Recorded again as it is: the index says nothing changed.
  const again = await call(token, "GET", "/v1/plans/LDS-MOVE-1");
  expect(again.body.sourceVersion).toBe(2);
});

test("a clinician's answer names the NHS number it is for, and a changed number clears it", async ({ open }) => {
  const a = await open();
  await signIn(a, "unscheduled_care", "RR801", "dr-forms");
  await go(a, "#/lookup");
  await a.waitForSelector("#nhs-number");
  const [nobody] = testNumbers(1, 999000400);
  await a.fill("#nhs-number", nobody);
  await a.getByRole("button", { name: "Look up" }).click();
  const spaced = `${nobody.slice(0, 3)} ${nobody.slice(3, 6)} ${nobody.slice(6)}`;
  await expect(a.locator("#result")).toContainText(`NHS number ${spaced}`);
  await a.fill("#nhs-number", `${nobody.slice(0, 9)}`);
  await expect(a.locator("#result")).toHaveText("");
});

test("an LA recording a plan on another LA's child is told whom to reach, and that LA's alerts show it", async ({ open }) => {
  const [shared] = testNumbers(1, 999000500);
  await ensurePlan(LA_A, { ref: "LDS-SHARED-1", nhs: shared, type: "CPP", start: "2026-02-02" });
  const b = await open();
  await signIn(b, "local_authority", LA_B.code, "sw-camden");
  await recordPlan(b, { ref: "CMD-SHARED-1", nhs: shared, type: "LAC", start: "2026-03-02" });
  const told = b.locator("#record-result .nhsuk-warning-callout");
  await expect(told).toContainText("This child is known to another authority");
  await expect(told).toContainText(`${LA_A.name} (Child protection plan, from 2 February 2026) has been told of your plan`);
  await expect(told).toContainText(`Emergency duty team (out of hours) ${LA_A.edt}`);
  await audit(b, "LA told of another LA's plan");
  const a = await open();
  await signIn(a, "local_authority", LA_A.code, "sw-leeds");
  await go(a, "#/inbox");
  const card = a.locator(`[data-kind=other_la_plan]`, { hasText: LA_B.name }).first();
  await expect(card).toContainText(`${LA_B.name} recorded a plan on your child`);
  await expect(card).toContainText("Looked after child from 2 March 2026");
  await expect(card).toContainText(LA_B.edt);
  await expect(card).not.toContainText("Seen by");
  await audit(a, "LA inbox with another LA's plan");
});
