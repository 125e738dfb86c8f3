// The web app in a real headless Chromium against a running local stack: the seed story, the
// states a clinician must never misread, each role's pages, and on every page and state: axe-core
// (WCAG 2.2 AA) with zero violations, no Content-Security-Policy violation, no request to another
// origin. Run by scripts/browser-test.sh (which starts the stack); SCREENSHOTS=<dir> keeps images.
import { chromium } from "playwright-core";
import { readFileSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import { join } from "node:path";

const BASE = process.env.BASE_URL || "http://127.0.0.1:3077";
const SHOTS = process.env.SCREENSHOTS || "";
const STOP_STORE = process.env.STOP_STORE || ""; // a command that makes the store unreachable
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

// Test-range NHS numbers (valid check digits, never issued to a person).
const YOUNG_WOMAN = "9990000026";
const NOBODY = "9990000034";
const LA_A = { code: "E08000035", name: "Leeds City Council", team: "Children's Front Door", office: "0113 222 4403", edt: "0113 535 0600" };
const LA_B = { code: "E09000007", name: "London Borough of Camden", team: "Children and Families Contact Service", office: "020 7974 3317", edt: "020 7974 4444" };

// `n` valid NHS numbers of the test range from 999 000 0100 (modulus 11 check digit).
function testNumbers(n) {
  const out = [];
  for (let base = 999000010; out.length < n; base += 1) {
    const digits = String(base).split("").map(Number);
    const check = (11 - (digits.reduce((s, d, i) => s + d * (10 - i), 0) % 11)) % 11;
    if (check !== 10) out.push(`${base}${check}`);
  }
  return out;
}

let failures = 0;
let checks = 0;
const violations = [];

function ok(cond, what) {
  checks += 1;
  if (!cond) {
    failures += 1;
    console.error(`FAIL: ${what}`);
  } else {
    console.log(`ok: ${what}`);
  }
}

async function audit(page, state) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] } }));
  for (const v of result.violations) {
    console.error(`  axe ${state}: ${v.id} (${v.impact}) ${v.help}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  }
  ok(result.violations.length === 0, `axe finds nothing on: ${state}`);
  ok(!/\bnull\b|\bundefined\b|\[object /.test(await page.textContent("body")), `no stray null or undefined shown on: ${state}`);
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `${state.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}.png`), fullPage: true });
}

async function newPage(browser, viewport = { width: 1100, height: 900 }) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
  });
  page.on("request", (r) => {
    const url = r.url();
    if (!url.startsWith(BASE) && !url.startsWith("data:") && !url.startsWith(`blob:${BASE}`)) violations.push(`request to another origin: ${url}`);
  });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => console.log(`Refused to load: CSP ${e.violatedDirective} ${e.blockedURI}`));
  });
  return page;
}

// Moves within the app (a fragment change: a reload would drop the in-memory token, by design).
async function go(page, hash) {
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.waitForFunction((h) => location.hash === h, hash);
}

/// Signs in through the local OpenID Connect sign-in (the same code flow as a real issuer).
async function signIn(page, role, org, user) {
  await page.goto(`${BASE}/`);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/local\/oidc\/authorize/);
  await page.check(`#role-${role}`);
  await page.fill("#org", org);
  await page.fill("#user", user);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForSelector("#page-title");
  await page.waitForFunction(() => document.querySelector("#page-title")?.textContent !== "Sign in");
}

async function addLa(page, la) {
  await go(page, "#/profiles");
  await page.waitForSelector("table");
  await go(page, "#/profiles/new");
  await page.waitForSelector("#org");
  await page.fill("#org", la.code);
  await page.fill("#name", la.name);
  await page.fill("#team", la.team);
  await page.fill("#officeHoursPhone", la.office);
  await page.fill("#emergencyDutyPhone", la.edt);
  await page.getByRole("button", { name: "Save" }).click();
  await page.waitForSelector(`a[href="#/profiles/${la.code}"]`);
}

async function recordPlan(page, plan) {
  // A fresh form each time (the page is re-rendered when its fragment changes).
  await go(page, "#/plans");
  await page.waitForSelector("#plan-search");
  await go(page, "#/record");
  await page.waitForSelector("#planRef");
  await page.fill("#planRef", plan.ref);
  await page.fill("#nhsNumber", plan.nhs);
  await page.check(`#planType-${plan.type}`);
  await page.fill("#startDate", plan.start);
  if (plan.due) await page.fill("#expectedDueDate", plan.due);
  await page.getByRole("button", { name: "Record the plan" }).click();
  await page.waitForFunction(() => document.querySelector("#record-result")?.textContent || document.querySelector(".nhsuk-error-summary"));
}

async function main() {
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    // Signed out: the sign-in page, and the local sign-in itself.
    const first = await newPage(browser);
    await first.goto(`${BASE}/`);
    await first.waitForSelector("#page-title");
    ok((await first.textContent("#page-title")) === "Sign in", "a signed-out visitor is asked to sign in");
    ok(await first.isVisible("#local-banner"), "a local stack marks itself local");
    await audit(first, "sign in");
    await first.getByRole("button", { name: "Sign in" }).click();
    await first.waitForURL(/local\/oidc\/authorize/);
    await audit(first, "local sign-in");

    // The operator creates the two LAs.
    const op = await newPage(browser);
    await signIn(op, "operator", "X26", "op-1");
    await op.waitForSelector("table");
    await audit(op, "operator profiles");
    await addLa(op, LA_A);
    await addLa(op, LA_B);
    // Three more LAs, so that a national median (taken over five LAs at least) is shown.
    for (const [i, code] of ["E06000001", "E06000002", "E06000003"].entries()) {
      await addLa(op, { code, name: `Test LA ${i + 1}`, team: "Front door", office: "0113 222 4400", edt: "0113 535 0601" });
    }
    await go(op, "#/profiles/new");
    await op.waitForSelector("#org");
    await audit(op, "operator add an LA");
    await go(op, "#/dead-letters");
    await op.waitForSelector("#dead-letters dl");
    await audit(op, "operator dead letters");

    // LA A: a looked-after child; LA B: an unborn child plan on the same young woman's number.
    const a = await newPage(browser);
    await signIn(a, "local_authority", LA_A.code, "sw-leeds");
    await recordPlan(a, { ref: "LDS-LAC-1", nhs: YOUNG_WOMAN, type: "LAC", start: "2026-03-01" });
    ok((await a.textContent("#record-result")).includes("Recorded"), "LA A records a looked-after child");
    await audit(a, "LA record a plan");
    // A bad record is explained at its field, and nothing is stored.
    await recordPlan(a, { ref: "LDS-BAD", nhs: "9990000027", type: "CPP", start: "2026-03-01" });
    ok(await a.isVisible(".nhsuk-error-summary"), "a refused plan shows an error summary");
    ok((await a.textContent("[data-field=nhsNumber] .nhsuk-error-message") || "").length > 0, "the field at fault is named");
    await audit(a, "LA record a plan refused");

    // An extract file, acknowledged line by line with the column at fault.
    const csvPath = join(tmpdir(), `extract-${process.pid}.csv`);
    const cols = "plan_ref,nhs_number,plan_type,start_date,end_date,expected_due_date,source_version,la_name,team,office_hours_phone,emergency_duty_phone";
    const tail = `,,,1,${LA_A.name},${LA_A.team},${LA_A.office},${LA_A.edt}`;
    // Five more children, so that LA A's upload counts pass the disclosure threshold.
    const more = testNumbers(5).map((n, i) => `LDS-CPP-${i + 3},${n},CPP,2026-04-01${tail}\n`).join("");
    writeFileSync(csvPath, `${cols}\nLDS-CPP-2,9990000042,CPP,2026-04-01${tail}\nLDS-BAD-2,9990000043,CPP,2026-04-01${tail}\n${more}`);
    await go(a, "#/upload");
    await a.waitForSelector("#extract-file");
    await a.setInputFiles("#extract-file", csvPath);
    await a.getByRole("button", { name: "Upload" }).click();
    await a.waitForSelector("#upload-result table");
    const uploaded = await a.textContent("#upload-result");
    ok(uploaded.includes("Created") && uploaded.includes("Rejected") && uploaded.includes("nhs_number"), "an uploaded extract is acknowledged line by line, naming the column at fault");
    await audit(a, "LA upload an extract");

    const b = await newPage(browser);
    await signIn(b, "local_authority", LA_B.code, "sw-camden");
    await recordPlan(b, { ref: "CAM-UCPP-1", nhs: YOUNG_WOMAN, type: "UCPP", start: "2026-09-01", due: "2027-02-01" });
    ok((await b.textContent("#record-result")).includes("Recorded"), "LA B records an unborn child plan");

    // The ED clinician looks her up: both LAs, both emergency numbers, as tel: links.
    const ed = await newPage(browser);
    await signIn(ed, "unscheduled_care", "RR801", "dr-ed-1");
    await audit(ed, "clinician look up");
    await ed.fill("#nhs-number", "999 000 0026");
    await ed.getByRole("button", { name: "Look up" }).click();
    await ed.waitForSelector("#result h2");
    const answer = await ed.textContent("#result");
    ok(answer.includes("2 active plans"), "the clinician sees two active plans");
    ok(answer.includes(LA_A.name) && answer.includes(LA_B.name), "both LAs are named");
    ok(await ed.isVisible(`a[href="tel:${LA_A.edt.replace(/ /g, "")}"]`) && await ed.isVisible(`a[href="tel:${LA_B.edt.replace(/ /g, "")}"]`), "both emergency duty numbers are tel: links");
    ok(!ed.url().includes(YOUNG_WOMAN), "the NHS number never enters the URL");
    await audit(ed, "clinician two active plans");

    // Invalid NHS number: explained at the field, no answer shown.
    await ed.fill("#nhs-number", "9990000027");
    await ed.getByRole("button", { name: "Look up" }).click();
    await ed.waitForSelector("#nhs-number-error");
    ok((await ed.textContent("#result")).trim() === "", "an invalid number shows no answer");
    await audit(ed, "clinician invalid NHS number");

    // A child with no plan: "no active plan held" only after a confirmed read.
    await ed.fill("#nhs-number", NOBODY);
    await ed.getByRole("button", { name: "Look up" }).click();
    await ed.waitForSelector("#result h2");
    ok((await ed.textContent("#result h2")) === "No active plan held", "no plan after a confirmed read");
    await audit(ed, "clinician no plan");

    // Another role's page is not offered and not shown.
    await go(ed, "#/inbox");
    await ed.waitForFunction(() => document.querySelector("#page-title")?.textContent === "You cannot use this page");
    ok(true, "a clinician cannot open the LA inbox");

    // Scheduled care: told the read is silent.
    const gp = await newPage(browser);
    await signIn(gp, "scheduled_care", "Y00001", "gp-1");
    await gp.fill("#nhs-number", YOUNG_WOMAN);
    await gp.getByRole("button", { name: "Look up" }).click();
    await gp.waitForSelector("#result h2");
    ok((await gp.textContent("#result")).includes("silent check"), "a scheduled-care user is told the read is silent");
    await audit(gp, "scheduled care silent");

    // Each LA sees one alert (its own only) and acknowledges it in one action, without a reload.
    for (const [page, la, other] of [[a, LA_A, LA_B], [b, LA_B, LA_A]]) {
      await go(page, "#/inbox");
      await page.waitForSelector("[data-notification]", { timeout: 60000 });
      const cards = await page.$$("[data-notification]");
      ok(cards.length === 1, `${la.name} sees exactly one alert`);
      const text = await page.textContent("#alerts");
      ok(text.includes("RR801") && !text.includes(other.name), `${la.name}'s alert is its own`);
      await audit(page, `LA inbox new alert ${la.code}`);
      await page.getByRole("button", { name: "Acknowledge" }).click();
      await page.waitForSelector("text=Acknowledged");
      ok(await page.isVisible("text=Acknowledged"), `${la.name} acknowledges in one action`);
    }
    await audit(a, "LA inbox acknowledged");

    // LA pages: plans (its own only), a plan's access history, the report, the profile.
    await go(a, "#/plans");
    await a.waitForSelector("#plans table");
    const plans = await a.textContent("#plans");
    ok(plans.includes("LDS-LAC-1") && !plans.includes("CAM-UCPP-1"), "an LA's plan list holds its own plans only");
    await audit(a, "LA plans");
    await a.click('a[href="#/plans/LDS-LAC-1"]');
    await a.waitForFunction(() => document.querySelector("#page-title")?.textContent === "Plan LDS-LAC-1");
    ok((await a.textContent("table")).includes("dr-ed-1"), "the access history names the clinician");
    await audit(a, "LA plan access history");
    await go(a, "#/report");
    await a.waitForSelector("#page-title");
    await a.waitForTimeout(500);
    await audit(a, "LA reconciliation");
    await go(a, "#/profile");
    await a.waitForSelector("dl");
    ok((await a.textContent("dl")).includes(LA_A.edt), "an LA sees its own profile");
    await audit(a, "LA profile");

    // Indicators: LA A's charts beside the national median, small numbers suppressed, and each
    // chart's CSV (the API's own) saying what its table says.
    await go(a, "#/indicators");
    await a.waitForSelector("#indicators figure");
    const charts = await a.$$eval("#indicators figure", (fs) => fs.map((f) => ({
      key: f.dataset.indicator,
      svg: !!f.querySelector("svg[role=img] title"),
      rows: [...f.querySelectorAll("tbody tr")].map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent)),
    })));
    ok(charts.length >= 30 && charts.every((c) => c.svg && c.rows.length === 12), "every indicator is a chart with a twelve-week table");
    const latest = (key) => charts.find((c) => c.key === key).rows[11];
    ok(latest("records_changed")[1] === "6", "LA A's six changed records are shown exactly");
    ok(latest("records_changed")[2] === "0", "the national median beside them (of five LAs: 6, 0, 0, 0, 0)");
    ok(latest("alerts_inbox")[1] === "fewer than 5", "LA A's one alert in the inbox reads fewer than 5");
    ok(!charts.some((c) => c.rows.some((r) => /^[1-4]$/.test(r[1]) || /^[1-4]$/.test(r[2]))), "no count from 1 to 4 appears in any chart's table");
    ok(await a.isVisible("#chart-alerts_inbox text:has-text('<5')"), "the chart marks the suppressed bar");
    await audit(a, "LA indicators");
    for (const key of ["records_changed", "alerts_inbox"]) {
      const [download] = await Promise.all([a.waitForEvent("download"), a.click(`button[data-csv=${key}]`)]);
      const csv = readFileSync(await download.path(), "utf8").trim().split("\n").slice(1).map((l) => l.split(","));
      const table = charts.find((c) => c.key === key).rows;
      ok(csv.length === 12 && csv.every((r, i) => r[1] === table[i][0] && r[3] === key && r[6] === table[i][1] && r[7] === table[i][2]),
        `the ${key} CSV from the API matches its chart's table`);
    }
    // Operators: England, then any LA.
    await go(op, "#/indicators");
    await op.waitForSelector("#indicators figure");
    ok((await op.textContent("dl")).includes("England"), "an operator sees England's indicators");
    await audit(op, "operator indicators England");
    await op.selectOption("#indicator-org", LA_A.code);
    await op.waitForFunction((code) => document.querySelector("dl")?.textContent.includes(code), LA_A.code);
    const opRow = await op.$eval("#chart-records_changed tbody tr:last-child", (tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent));
    ok(opRow[1] === "6", "an operator sees any LA's indicators");

    // Keyboard only: a clinician signs in and looks up without the mouse.
    const kb = await newPage(browser);
    await kb.goto(`${BASE}/`);
    await kb.waitForSelector("#page-title");
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
    await kb.waitForSelector("#result h2");
    ok((await kb.textContent("#result h2")) === "No active plan held", "a look-up works by keyboard alone");

    // A phone-sized screen.
    const phone = await newPage(browser, { width: 375, height: 740 });
    await signIn(phone, "unscheduled_care", "RR801", "dr-phone");
    await phone.fill("#nhs-number", YOUNG_WOMAN);
    await phone.getByRole("button", { name: "Look up" }).click();
    await phone.waitForSelector("#result h2");
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
    ok(!overflow, "the answer fits a phone-sized screen");
    await audit(phone, "phone clinician answer");

    // The store cannot be read: "could not check", never anything like "no plan".
    if (STOP_STORE) {
      const { execSync } = await import("node:child_process");
      execSync(STOP_STORE, { stdio: "inherit" });
      await go(ed, "#/lookup");
      await ed.waitForSelector("#nhs-number");
      await ed.fill("#nhs-number", NOBODY);
      await ed.getByRole("button", { name: "Look up" }).click();
      await ed.waitForSelector(".app-could-not-check", { timeout: 60000 });
      const text = await ed.textContent("#result");
      ok(text.includes("Could not check") && !/no active plan/i.test(text), "a store failure shows could not check, never no plan");
      ok(text.includes("emergency duty team"), "the clinician is told to phone the emergency duty team");
      await audit(ed, "clinician could not check");
    }

    ok(violations.length === 0, `no CSP violation and no request to another origin${violations.length ? `: ${violations.join(" | ")}` : ""}`);
  } finally {
    await browser.close();
  }
  console.log(`browser: ${checks - failures} of ${checks} checks passed`);
  process.exit(failures === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
