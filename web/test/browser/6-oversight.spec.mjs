// Access oversight: the privacy officer's week of its own organisation, who stands out first,
// small counts suppressed, the CSV as the table; an operator chooses any organisation.
import { readFileSync } from "node:fs";
import { audit, call, expect, go, signIn, test, testNumbers, titled, tokenFor } from "./support.mjs";

const TRUST = "RXQ";

test.beforeAll(async () => {
  // A list worked through by one account, three colleagues' ordinary shifts, and one attempt by
  // someone whose role may not look children up.
  const children = testNumbers(25, 999100010);
  const worker = await tokenFor("unscheduled_care", TRUST, "list-worker");
  for (const nhs of children) expect((await call(worker, "GET", `/v1/children/${nhs}`)).status).toBe(200);
  for (const [user, n] of [["dr-a", 1], ["dr-b", 2], ["dr-c", 2]]) {
    const t = await tokenFor("unscheduled_care", TRUST, String(user));
    for (const nhs of children.slice(0, Number(n))) await call(t, "GET", `/v1/children/${nhs}`);
  }
  // Signed in through NHS CIS2 with a role that grants neither CP-IS activity: refused, audited.
  const porter = await tokenFor("nhs_staff", TRUST, "porter-1");
  expect((await call(porter, "GET", `/v1/children/${children[0]}`)).status).toBe(403);
  // Anyone else's token is for other routes: the lookup's authorizer refuses it before any
  // function runs.
  const officer = await tokenFor("privacy_officer", TRUST, "caldicott-1");
  expect((await call(officer, "GET", `/v1/children/${children[0]}`)).status).toBe(401);
});

test("a privacy officer sees its organisation's week, who stands out first and why, as a table and a CSV", async ({ open }) => {
  const p = await open();
  await signIn(p, "privacy_officer", TRUST, "caldicott-1");
  await titled(p, "Access oversight");
  await p.waitForSelector("#usage table");
  const rows = await p.$$eval("#usage tbody tr", (trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent || "")));
  expect.soft(rows[0][0], "the account that worked through a list comes first").toBe("list-worker");
  expect.soft(rows[0][2], "its 25 lookups are shown exactly").toBe("25");
  expect.soft(rows[0][9], "with why it stands out").toContain("median");
  const refused = rows.find((r) => r[0] === "porter-1") || [];
  expect.soft(refused[5], "a refused attempt is a count below 5").toBe("fewer than 5");
  expect.soft(refused[9], "and stands out").toContain("without a role");
  expect.soft(rows.flatMap((r) => r.slice(2, 9)).filter((c) => /^[1-4]( |$)/.test(c)), "no count from 1 to 4 is shown").toEqual([]);
  await audit(p, "privacy officer week");
  const [download] = await Promise.all([p.waitForEvent("download"), p.getByRole("button", { name: "Download as CSV" }).click()]);
  const csv = readFileSync(await download.path(), "utf8").trim().split("\n").slice(1).map((l) => l.split(","));
  expect.soft(csv.map((r) => r[0]), "the CSV lists the same people in the same order").toEqual(rows.map((r) => r[0]));
  // Another page of another role is not offered.
  await go(p, "#/inbox");
  await titled(p, "You cannot use this page");
});

test("an operator reads any organisation's week", async ({ open }) => {
  const op = await open();
  await signIn(op, "operator", "X26", "op-1");
  await go(op, "#/usage");
  await titled(op, "Access oversight");
  await op.fill("#usage-org", TRUST);
  await op.getByRole("button", { name: "Show" }).click();
  await expect(op.locator("#usage tbody tr").first()).toContainText("list-worker");
  await audit(op, "operator oversight of a trust");
});
