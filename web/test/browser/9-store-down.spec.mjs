// Last, since it stops the store: "could not check", never anything like "no plan".
import { execSync } from "node:child_process";
import { audit, expect, NOBODY, signIn, test } from "./support.mjs";

const STOP_STORE = process.env.STOP_STORE || ""; // a command that makes the store unreachable

test("a store failure shows could not check and the emergency duty instruction", async ({ open }) => {
  test.skip(!STOP_STORE, "STOP_STORE is not set");
  test.setTimeout(120_000);
  const ed = await open();
  await signIn(ed, "unscheduled_care", "RR801", "dr-ed-1");
  execSync(STOP_STORE, { stdio: "ignore" });
  await ed.fill("#nhs-number", NOBODY);
  await ed.getByRole("button", { name: "Look up" }).click();
  await ed.waitForSelector(".app-could-not-check", { timeout: 60_000 });
  const text = await ed.textContent("#result");
  expect.soft(text).toContain("Could not check");
  expect.soft(text, "never anything like no plan").not.toMatch(/no active plan/i);
  expect.soft(text, "the clinician is told to phone the emergency duty team").toContain("emergency duty team");
  await audit(ed, "clinician could not check");
});
