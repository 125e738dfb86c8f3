// The seed story, in order on one local stack: an operator adds the LAs, LA A records a
// looked-after child and uploads an extract, LA B an unborn-child plan for the same young
// woman, an ED clinician sees both LAs' emergency numbers, each LA sees one alert and
// acknowledges it, then each LA's pages and the indicators. Each step is a test of its own: a
// failed step is reported and the next one still runs (it may then fail for want of data).
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { audit, BASE, expect, go, LA_A, LA_B, NHS_SIGN_IN, recordPlan, signIn, STAFF_SIGN_IN, test, testNumbers, titled, YOUNG_WOMAN } from "./support.mjs";

test("a signed-out visitor is asked to sign in, on a stack marked local", async ({ open }) => {
  const page = await open();
  await page.goto(`${BASE}/`);
  await titled(page, "Sign in");
  await expect(page.locator("#local-banner")).toBeVisible();
  await audit(page, "sign in");
  // Each kind of user at their own identity provider.
  await expect(page.getByRole("button", { name: /^Sign in/ })).toHaveText([NHS_SIGN_IN, STAFF_SIGN_IN]);
  await page.getByRole("button", { name: NHS_SIGN_IN }).click();
  await page.waitForURL(/local\/oidc\/authorize/);
  await audit(page, "local sign-in");
});

test("an operator adds five LAs through the Add an LA link", async ({ open }) => {
  const op = await open();
  await signIn(op, "operator", "X26", "op-1");
  await op.waitForSelector("table");
  await audit(op, "operator profiles");
  // Three more LAs besides A and B, so that a national median (over five LAs at least) is shown.
  const more = ["E06000001", "E06000002", "E06000003"].map((code, i) => ({ code, name: `Test LA ${i + 1}`, team: "Front door", office: "0113 222 4400", edt: "0113 535 0601" }));
  for (const la of [LA_A, LA_B, ...more]) {
    await go(op, "#/profiles");
    await op.getByRole("link", { name: "Add an LA" }).click();
    await titled(op, "Add an LA");
    if (la === LA_A) await audit(op, "operator add an LA");
    await op.fill("#org", la.code);
    await op.fill("#name", la.name);
    await op.fill("#team", la.team);
    await op.fill("#officeHoursPhone", la.office);
    await op.fill("#emergencyDutyPhone", la.edt);
    await op.getByRole("button", { name: "Save" }).click();
    await expect(op.locator(`a[href="#/profiles/${la.code}"]`)).toBeVisible();
  }
  await go(op, "#/dead-letters");
  await op.waitForSelector("#dead-letters dl");
  await audit(op, "operator dead letters");
});

test("LA A records a looked-after child and uploads an extract, acknowledged line by line", async ({ open }) => {
  const a = await open();
  await signIn(a, "local_authority", LA_A.code, "sw-leeds");
  await recordPlan(a, { ref: "LDS-LAC-1", nhs: YOUNG_WOMAN, type: "LAC", start: "2026-03-01" });
  await expect(a.locator("#record-result")).toContainText("Recorded LDS-LAC-1");
  await audit(a, "LA record a plan");

  const csvPath = join(tmpdir(), `extract-${process.pid}.csv`);
  const cols = "plan_ref,nhs_number,plan_type,start_date,end_date,expected_due_date,source_version,case_team,case_team_phone";
  const tail = ",,,1,Leeds North CP team,0113 378 1000";
  // Five more children, so that LA A's upload counts pass the disclosure threshold.
  const more = testNumbers(5).map((n, i) => `LDS-CPP-${i + 3},${n},CPP,2026-04-01${tail}\n`).join("");
  writeFileSync(csvPath, `${cols}\nLDS-CPP-2,9990000042,CPP,2026-04-01${tail}\nLDS-BAD-2,9990000043,CPP,2026-04-01${tail}\n${more}`);
  await go(a, "#/upload");
  await a.setInputFiles("#extract-file", csvPath);
  await a.getByRole("button", { name: "Upload" }).click();
  await a.waitForSelector("#upload-result table");
  const uploaded = await a.textContent("#upload-result");
  expect.soft(uploaded, "an uploaded extract is acknowledged line by line, naming the column at fault").toMatch(/Created[\s\S]*Rejected|Rejected[\s\S]*Created/);
  expect.soft(uploaded).toContain("nhs_number");
  await audit(a, "LA upload an extract");
});

test("LA B records an unborn child plan for the same young woman", async ({ open }) => {
  const b = await open();
  await signIn(b, "local_authority", LA_B.code, "sw-camden");
  await recordPlan(b, { ref: "CAM-UCPP-1", nhs: YOUNG_WOMAN, type: "UCPP", start: "2026-09-01", due: "2027-02-01" });
  await expect(b.locator("#record-result")).toContainText("Recorded CAM-UCPP-1");
});

test("an ED clinician sees both LAs and both emergency duty numbers as tel: links", async ({ open }) => {
  const ed = await open();
  await signIn(ed, "unscheduled_care", "RR801", "dr-ed-1");
  await audit(ed, "clinician look up");
  await ed.fill("#nhs-number", "999 000 0026");
  await ed.getByRole("button", { name: "Look up" }).click();
  await ed.waitForSelector("#result h2");
  const answer = await ed.textContent("#result");
  expect.soft(answer, "the clinician sees two active plans").toContain("2 active plans");
  expect.soft(answer, "both LAs are named").toContain(LA_A.name);
  expect.soft(answer, "both LAs are named").toContain(LA_B.name);
  expect.soft(answer, "the number looked up is shown 3 3 4").toContain("999 000 0026");
  for (const la of [LA_A, LA_B]) {
    await expect.soft(ed.locator(`a[href="tel:${la.edt.replace(/ /g, "")}"]`), "both emergency duty numbers are tel: links").toBeVisible();
  }
  expect.soft(ed.url(), "the NHS number never enters the URL").not.toContain(YOUNG_WOMAN);
  await audit(ed, "clinician two active plans");
});

test("each LA sees one alert, its own, and acknowledges it in one action", async ({ open }) => {
  test.setTimeout(150_000);
  for (const [la, other] of [[LA_A, LA_B], [LA_B, LA_A]]) {
    const page = await open();
    await signIn(page, "local_authority", la.code, `sw-${la.code}`);
    await go(page, "#/inbox");
    await page.waitForSelector("[data-kind=child_seen]", { timeout: 60_000 });
    const alerts = page.locator("[data-kind=child_seen]");
    // The operator who set the LA's profile up is named in its inbox.
    await expect.soft(page.locator("[data-kind=profile_changed]").first(), `${la.name} is told who set its profile`).toContainText("op-1");
    await expect.soft(alerts, `${la.name} sees exactly one alert`).toHaveCount(1);
    const text = await alerts.first().textContent();
    expect.soft(text, `${la.name}'s alert is its own`).toContain("RR801");
    expect.soft(text, `${la.name}'s alert is its own`).not.toContain(other.name);
    expect.soft(text, "the alert shows the NHS number 3 3 4").toContain("999 000 0026");
    // Leeds held the child first, so it was told when Camden recorded its plan; Camden learnt
    // of Leeds from its own acknowledgement.
    const told = page.locator("[data-kind=other_la_plan]");
    if (la === LA_A) await expect.soft(told, "Leeds was told of Camden's plan").toContainText(`${LA_B.name} recorded a plan on your child`);
    else await expect.soft(told, "Camden was told of nobody").toHaveCount(0);
    await audit(page, `LA inbox new alert ${la.code}`);
    await alerts.first().getByRole("button", { name: "Acknowledge" }).click();
    await expect(alerts.first().locator(".nhsuk-tag", { hasText: "Acknowledged" }), `${la.name} acknowledges in one action`).toBeVisible();
    if (la === LA_A) await audit(page, "LA inbox acknowledged");
  }
});

test("an LA's own plans, a plan's access history, its report and its profile", async ({ open }) => {
  const a = await open();
  await signIn(a, "local_authority", LA_A.code, "sw-leeds");
  await go(a, "#/plans");
  await a.waitForSelector("#plans table");
  const plans = await a.textContent("#plans");
  expect.soft(plans, "an LA's plan list holds its own plans only").toContain("LDS-LAC-1");
  expect.soft(plans, "an LA's plan list holds its own plans only").not.toContain("CAM-UCPP-1");
  expect.soft(plans, "NHS numbers are shown 3 3 4").toContain("999 000 0026");
  await audit(a, "LA plans");
  await a.click('a[href="#/plans/LDS-LAC-1"]');
  await titled(a, "Plan LDS-LAC-1");
  await expect.soft(a.locator("table"), "the access history names the clinician").toContainText("dr-ed-1");
  await audit(a, "LA plan access history");
  await go(a, "#/report");
  await titled(a, "Reconciliation");
  await audit(a, "LA reconciliation");
  await go(a, "#/profile");
  await expect(a.locator("dl"), "an LA sees its own profile").toContainText(LA_A.edt);
  await expect.soft(a.locator("#profile-history"), "and who set each field, when").toContainText("op-1");
  await expect.soft(a.locator("#profile-history"), "the emergency number among them").toContainText(LA_A.edt);
  await audit(a, "LA profile");
});

test("indicators: LA A's beside the national median, small numbers suppressed, each CSV as its table", async ({ open }) => {
  const a = await open();
  await signIn(a, "local_authority", LA_A.code, "sw-leeds");
  await go(a, "#/indicators");
  await a.waitForSelector("#indicators figure");
  const charts = await a.$$eval("#indicators figure", (figures) => figures.map((f) => ({
    key: /** @type {HTMLElement} */ (f).dataset.indicator,
    svg: !!f.querySelector("svg[role=img] title"),
    rows: [...f.querySelectorAll("tbody tr")].map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent || "")),
  })));
  expect.soft(charts.length, "every indicator is a chart").toBeGreaterThanOrEqual(30);
  expect.soft(charts.filter((c) => !c.svg || c.rows.length !== 12).map((c) => c.key), "each chart has a twelve-week table").toEqual([]);
  const latest = (/** @type {string} */ key) => charts.find((c) => c.key === key)?.rows[11] || [];
  expect.soft(latest("records_changed")[1], "LA A's six changed records are shown exactly").toBe("6");
  expect.soft(latest("records_changed")[2], "the national median beside them (of five LAs: 6, 0, 0, 0, 0)").toBe("0");
  expect.soft(latest("alerts_inbox")[1], "LA A's one alert in the inbox reads fewer than 5").toBe("fewer than 5");
  expect.soft(charts.flatMap((c) => c.rows.filter((r) => /^[1-4]$/.test(r[1]) || /^[1-4]$/.test(r[2]))), "no count from 1 to 4 appears in any chart's table").toEqual([]);
  await expect.soft(a.locator("#chart-alerts_inbox text:has-text('<5')"), "the chart marks the suppressed bar").toBeVisible();
  await audit(a, "LA indicators");
  for (const key of ["records_changed", "alerts_inbox"]) {
    const [download] = await Promise.all([a.waitForEvent("download"), a.click(`button[data-csv=${key}]`)]);
    const csv = readFileSync(await download.path(), "utf8").trim().split("\n").slice(1).map((l) => l.split(","));
    const rows = charts.find((c) => c.key === key)?.rows || [];
    expect.soft(csv.map((r) => [r[1], r[3], r[6], r[7]]), `the ${key} CSV from the API matches its chart's table`)
      .toEqual(rows.map((r) => [r[0], key, r[1], r[2]]));
  }

  // Operators: England, then any LA.
  const op = await open();
  await signIn(op, "operator", "X26", "op-1");
  await go(op, "#/indicators");
  await op.waitForSelector("#indicators figure");
  await expect.soft(op.locator("dl"), "an operator sees England's indicators").toContainText("England");
  await audit(op, "operator indicators England");
  await op.selectOption("#indicator-org", LA_A.code);
  await expect(op.locator("dl")).toContainText(LA_A.code);
  await expect(op.locator("#chart-records_changed tbody tr:last-child td").nth(1), "an operator sees any LA's indicators").toHaveText("6");
});
