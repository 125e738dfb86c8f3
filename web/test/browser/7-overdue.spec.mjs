// Alerts that need acting on, on an LA of its own (so no other spec's alerts are touched): an
// operator sets how long its alerts may wait; a child seen a third time in a month stands out;
// a missed appointment says whether the family was reached; an alert not acknowledged in time
// comes first in the LA's inbox until it is acknowledged, and operators see it per LA.
//
// An alert falls overdue an hour at the soonest (the shortest window), and the local stack runs
// on the real clock. So the overdue tests ask the local stack to run reconciliation's
// escalation step as if ESCALATE_AHEAD_MINUTES had passed: `POST /local/overdue/escalate` with
// `{"minutesAhead": 61}` runs `Reconciler::escalate_overdue_alerts(now + 61 min)` and answers
// `{"escalated": <n>}` (local stack only, like /local/webhooks). Only this LA's alerts are due
// then: its window is 1 hour, every other LA's the default 4.
import { audit, BASE, call, ensurePlan, expect, go, signIn, test, testNumbers, titled, tokenFor } from "./support.mjs";

const LA_C = { code: "E06000047", name: "Durham Test Council", team: "First Contact", office: "0113 222 4409", edt: "0113 535 0609" };
const [CHILD] = testNumbers(1, 999300010);
const CHILD_SHOWN = `${CHILD.slice(0, 3)} ${CHILD.slice(3, 6)} ${CHILD.slice(6)}`;
const ESCALATE = "/local/overdue/escalate";
const ESCALATE_AHEAD_MINUTES = 61;

/**
 * Asks `check` every quarter second until it answers something truthy (or the time is up).
 * @template T
 * @param {() => Promise<T>} check
 * @param {string} what
 * @param {number} [timeout]
 * @returns {Promise<T>}
 */
async function until(check, what, timeout = 60_000) {
  const end = Date.now() + timeout;
  for (;;) {
    const got = await check();
    if (got) return got;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * The LA's inbox through the API (its first page: the overdue list comes with it).
 * @param {string} token
 * @returns {Promise<{ overdue?: any[], items: any[] }>}
 */
async function inbox(token) {
  const r = await call(token, "GET", "/v1/notifications?limit=50");
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

/** @param {number} [hours] */
function profileBody(hours) {
  return { name: LA_C.name, team: LA_C.team, officeHoursPhone: LA_C.office, emergencyDutyPhone: LA_C.edt, acknowledgeWithinHours: hours };
}

test.beforeAll(async () => {
  const op = await tokenFor("operator", "X26", "op-1");
  // A profile without a window (the default); the first test sets one through the form.
  if ((await call(op, "GET", `/v1/la-profiles/${LA_C.code}`)).status === 404) {
    const r = await call(op, "PUT", `/v1/la-profiles/${LA_C.code}`, profileBody());
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  }
  await ensurePlan(LA_C, { ref: "DUR-CPP-1", nhs: CHILD, type: "CPP", start: "2026-01-05" });
});

test("an operator sets how long an LA's alerts may wait, and the LA sees it on its profile and in its history", async ({ open }) => {
  const op = await open();
  await signIn(op, "operator", "X26", "op-1");
  await go(op, `#/profiles/${LA_C.code}`);
  await titled(op, `Profile ${LA_C.code}`);
  const field = op.getByLabel("Acknowledgement window in hours (optional)");
  await expect(field, "a profile without a window shows an empty field").toHaveValue("");
  await expect.soft(field, "the field's hint is read with it").toHaveAttribute("aria-describedby", "acknowledgeWithinHours-hint");
  await expect.soft(op.locator("#acknowledgeWithinHours-hint")).toContainText("leave empty for the default (4 hours)");
  for (const wrong of ["0", "169", "2.5"]) {
    await field.fill(wrong);
    await op.getByRole("button", { name: "Save" }).click();
    await expect(op.locator(".nhsuk-error-summary"), `${wrong}: the summary takes the focus`).toBeFocused();
    await expect.soft(op.locator("#acknowledgeWithinHours-error"), `${wrong}: the message is at the field`).toContainText("whole number of hours from 1 to 168");
    await expect.soft(field, `${wrong}: the field is marked`).toHaveAttribute("aria-invalid", "true");
    if (wrong === "0") await audit(op, "operator profile acknowledgement window wrong");
  }
  await field.fill("1");
  await op.getByRole("button", { name: "Save" }).click();
  await titled(op, "LA profiles");
  await expect.soft(op.locator("tr", { has: op.locator(`a[href="#/profiles/${LA_C.code}"]`) }), "the list shows the window").toContainText("1 hour");
  const token = await tokenFor("operator", "X26", "test-check");
  expect((await call(token, "GET", `/v1/la-profiles/${LA_C.code}`)).body.acknowledgeWithinHours, "the window is sent on save").toBe(1);
  await go(op, `#/profiles/${LA_C.code}`);
  await expect(op.getByLabel("Acknowledgement window in hours (optional)"), "a window set is shown in the form").toHaveValue("1");

  const la = await open();
  await signIn(la, "local_authority", LA_C.code, "sw-durham");
  await go(la, "#/profile");
  await titled(la, "Profile");
  await expect(la.locator("dl").first(), "the LA sees its window").toContainText("1 hour");
  const history = la.locator("#profile-history tr", { hasText: "Acknowledgement window" });
  await expect(history, "the change is in the profile's history").toHaveCount(1);
  await expect.soft(history, "from the default").toContainText("Not set: the default (4 hours)");
  await expect.soft(history, "to one hour, by the operator").toContainText("op-1");
  await audit(la, "LA profile acknowledgement window");
});

test("an LA sees a third attendance in 30 days highlighted, each alert's attendances, and a missed appointment with the family not reached", async ({ open }) => {
  test.setTimeout(120_000);
  const la = await tokenFor("local_authority", LA_C.code, "test-check");
  // Three clinicians, in two settings: three attendances.
  const seen = [["RR801", "dr-c-1"], ["RXR01", "dr-c-2"], ["RR801", "dr-c-3"]];
  for (const [i, [org, user]] of seen.entries()) {
    const ed = await tokenFor("unscheduled_care", org, user);
    expect((await call(ed, "GET", `/v1/children/${CHILD}`)).status).toBe(200);
    // Each attendance reaches the LA before the next, so each is counted with those before it.
    await until(async () => (await inbox(la)).items.filter((n) => n.kind === "child_seen").length >= i + 1, `alert ${i + 1}`);
  }
  const hv = await tokenFor("scheduled_care", "Y00001", "hv-1");
  const today = new Date().toISOString().slice(0, 10);
  const missed = await call(hv, "POST", `/v1/children/${CHILD}/missed-appointments`,
    { setting: "health_visiting", service: "Durham North family hub", appointmentDate: today, familyNotReached: true });
  expect(missed.status, JSON.stringify(missed.body)).toBe(202);
  await until(async () => (await inbox(la)).items.some((n) => n.kind === "missed_appointment"), "the missed appointment");

  const page = await open();
  await signIn(page, "local_authority", LA_C.code, "sw-durham");
  await go(page, "#/inbox");
  const seenCards = page.locator("[data-kind=child_seen]");
  await expect(seenCards).toHaveCount(3);
  const repeat = page.locator("[data-kind=child_seen] [data-repeat]");
  await expect(repeat, "only the third attendance is highlighted").toHaveCount(1);
  await expect.soft(repeat, "in words, not colour alone").toHaveText("3rd attendance in 30 days, 2 settings in 90 days");
  const third = page.locator("[data-kind=child_seen]", { has: page.locator("[data-repeat]") });
  await expect.soft(third, "with its counts").toContainText("3 in the last 30 days, 3 in the last 90 days, at 2 settings");
  await expect.soft(page.locator("[data-kind=child_seen]", { hasText: "1 in the last 30 days" }), "the first attendance counts itself").toHaveCount(1);
  const card = page.locator("[data-kind=missed_appointment]");
  await expect(card).toHaveCount(1);
  await expect.soft(card.locator("h2"), "what was missed, where and when").toContainText("Missed appointment: Health visiting, Durham North family hub");
  await expect.soft(card.locator("[data-family-not-reached]"), "and that the family was not reached").toHaveText("Family not reached");
  await expect.soft(card, "the child's number").toContainText(CHILD_SHOWN);
  await expect(page.locator("#overdue"), "nothing is overdue yet").toBeEmpty();
  await audit(page, "LA inbox repeat attendance and missed appointment");
});

test("an alert not acknowledged in time comes first in the LA's inbox, and acknowledging it (or its notice) closes it", async ({ open }) => {
  test.setTimeout(120_000);
  const op = await tokenFor("operator", "X26", "test-arrange");
  // This LA's window is an hour, whether or not the first test got that far.
  if ((await call(op, "GET", `/v1/la-profiles/${LA_C.code}`)).body?.acknowledgeWithinHours !== 1) {
    expect((await call(op, "PUT", `/v1/la-profiles/${LA_C.code}`, profileBody(1))).status).toBe(200);
  }
  const r = await fetch(`${BASE}${ESCALATE}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ minutesAhead: ESCALATE_AHEAD_MINUTES }) });
  expect(r.status, `the local stack's POST ${ESCALATE} (see the top of this file) runs the escalation step ahead of time`).toBe(200);
  const la = await tokenFor("local_authority", LA_C.code, "test-check");
  /** @type {any[]} */
  const open1 = await until(async () => {
    const o = (await inbox(la)).overdue || [];
    return o.length >= 2 ? o : null;
  }, "two overdue alerts at least (three attendances and a missed appointment, none acknowledged)") || [];

  const page = await open();
  await signIn(page, "local_authority", LA_C.code, "sw-durham");
  await go(page, "#/inbox");
  const rows = page.locator("#overdue [data-overdue]");
  await expect(rows).toHaveCount(open1.length);
  // First on the page: the overdue heading before any alert, the section before the list.
  await expect.soft(page.locator("#view h2").first(), "the overdue section comes first").toHaveText("Overdue");
  expect.soft(await page.evaluate(() => {
    const o = document.getElementById("overdue");
    const a = document.getElementById("alerts");
    return Boolean(o && a && o.compareDocumentPosition(a) & Node.DOCUMENT_POSITION_FOLLOWING);
  }), "before the list").toBe(true);
  await expect.soft(rows.first(), "oldest deadline first, with the child's number").toContainText(CHILD_SHOWN);
  await expect.soft(page.locator("#overdue th"), "a table with headers").toHaveText(["Seen", "Where", "NHS number", "Deadline", "Action"]);
  await expect.soft(page.locator("[data-kind=alert_overdue] [data-resent]").first(), "each sent again, and said so").toHaveText("Overdue: sent again");
  await audit(page, "LA inbox overdue");

  // Acknowledged from the overdue list: the alert itself.
  const first = open1[0].notificationId;
  await rows.first().getByRole("button", { name: /^Acknowledge/ }).click();
  await expect(rows, "acknowledging closes it").toHaveCount(open1.length - 1);
  await expect(page.locator(`[data-overdue="${first}"]`)).toHaveCount(0);
  await expect(page.locator(`[data-notification="${first}"] .nhsuk-tag`, { hasText: "Acknowledged" }), "the alert is acknowledged").toBeVisible();
  expect((await inbox(la)).overdue?.some((o) => o.notificationId === first), "and no longer listed by the API").toBeFalsy();

  // Acknowledged from its notice ("sent again"): the alert it repeats is closed too.
  const second = open1[1];
  await page.locator(`[data-notification="${second.overdueNotificationId}"]`).getByRole("button", { name: "Acknowledge" }).click();
  await expect(page.locator(`[data-overdue="${second.notificationId}"]`), "the notice closes its alert").toHaveCount(0);
  await expect(rows).toHaveCount(open1.length - 2);
  await audit(page, "LA inbox overdue acknowledged");
});

test("operators see overdue alerts per LA, most overdue first, and never a child's number", async ({ open }) => {
  const token = await tokenFor("operator", "X26", "test-check");
  const api = await call(token, "GET", "/v1/alerts/overdue");
  expect(api.status).toBe(200);
  const op = await open();
  await signIn(op, "operator", "X26", "op-1");
  // In the operators' menu (on a narrow screen, under More).
  await expect(op.locator('a.nhsuk-header__navigation-link[href="#/overdue"]'), "the menu offers the page").toHaveText("Overdue alerts");
  await go(op, "#/overdue");
  await titled(op, "Overdue alerts");
  await expect(op.locator("#overdue-alerts .nhsuk-summary-list__row", { hasText: "Alerts not acknowledged in time" }).locator("dd")).toHaveText(String(api.body.total));
  /** @type {any[]} */
  const las = api.body.las;
  await expect(op.locator("#overdue-alerts section"), "a section per LA").toHaveCount(las.length);
  expect.soft(await op.locator("#overdue-alerts section").evaluateAll((s) => s.map((e) => e.getAttribute("data-la"))), "most overdue first, as the API").toEqual(las.map((l) => l.la));
  for (const l of las) {
    await expect.soft(op.locator(`section[data-la="${l.la}"] tbody tr`), `${l.la}: each alert listed`).toHaveCount(l.count);
  }
  const ours = las.find((l) => l.la === LA_C.code);
  expect(ours, `${LA_C.code} has overdue alerts (the inbox test left some open)`).toBeTruthy();
  const section = op.locator(`section[data-la="${LA_C.code}"]`);
  await expect.soft(section.locator("h2"), "named").toHaveText(`${LA_C.name} (${LA_C.code})`);
  await expect.soft(op.locator("#overdue-alerts table").first().locator("tr", { hasText: LA_C.name }), "counted in the summary").toContainText(String(ours.count));
  const text = (await op.textContent("#view")) || "";
  expect.soft(text, "no NHS number is shown").not.toContain(CHILD);
  expect.soft(text, "no NHS number is shown").not.toContain(CHILD_SHOWN);
  await audit(op, "operator overdue alerts");

  // Not an LA's page.
  const la = await open();
  await signIn(la, "local_authority", LA_C.code, "sw-durham");
  await go(la, "#/overdue");
  await titled(la, "You cannot use this page");
});
