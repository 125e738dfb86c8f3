// A plan recorded in the web app must not make the LA's next extract stale: the form sends the
// version after the one held (web/src/plan-version.js), so the case system's next version of
// the plan is still newer and replaces it.
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { call, expect, go, LA_A, recordPlan, signIn, test, testNumbers, tokenFor } from "./support.mjs";

test("a plan recorded in the web app leaves the LA's next extract fresh", async ({ open }) => {
  const a = await open();
  await signIn(a, "local_authority", LA_A.code, "sw-leeds");
  const token = await tokenFor("local_authority", LA_A.code, "test-check");
  const [nhs] = testNumbers(1, 999000300);
  const held = async () => (await call(token, "GET", "/v1/plans/LDS-WEB-1")).body.sourceVersion;

  await recordPlan(a, { ref: "LDS-WEB-1", nhs, type: "CPP", start: "2026-05-01" });
  await expect(a.locator("#record-result")).toContainText("version 1");
  expect(await held(), "a new plan starts at version 1").toBe(1);
  await recordPlan(a, { ref: "LDS-WEB-1", nhs, type: "CPP", start: "2026-05-02" });
  await expect(a.locator("#record-result")).toContainText("version 2");
  expect(await held(), "a change in the web app is the next version").toBe(2);

  // The case system's next change of the plan (its version 3) arrives in an extract.
  const csv = join(tmpdir(), `extract-versions-${process.pid}.csv`);
  writeFileSync(csv, "plan_ref,nhs_number,plan_type,start_date,end_date,expected_due_date,source_version,case_team,case_team_phone\n"
    + `LDS-WEB-1,${nhs},CPP,2026-05-03,,,3,,\n`);
  await go(a, "#/upload");
  await a.setInputFiles("#extract-file", csv);
  await a.getByRole("button", { name: "Upload" }).click();
  await a.waitForSelector("#upload-result table");
  await expect(a.locator("#upload-result tbody tr").first(), "the extract's newer version is applied, not stale").toContainText("Updated");
  expect(await held()).toBe(3);
  const plan = (await call(token, "GET", "/v1/plans/LDS-WEB-1")).body;
  expect(plan.startDate, "the case system's content is what is held").toBe("2026-05-03");

  // And a web edit after it follows the case system's version.
  await recordPlan(a, { ref: "LDS-WEB-1", nhs, type: "CPP", start: "2026-05-04" });
  await expect(a.locator("#record-result")).toContainText("version 4");
});
