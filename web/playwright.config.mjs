// The browser suite (scripts/browser-test.sh starts the local stack and sets BASE_URL): Debian's
// Chromium, one worker (the specs share one stack and run in file order), a trace kept for every
// failed test (test-results/, `npx playwright show-trace`). A failed wait fails its own test
// only: the next one starts in a fresh browser context.
import { defineConfig } from "@playwright/test";

export default defineConfig({
  testDir: "test/browser",
  testMatch: "*.spec.mjs",
  outputDir: "test-results",
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  forbidOnly: true,
  // One dot per test (BROWSER_REPORTER=list names each with its time).
  reporter: [[process.env.BROWSER_REPORTER || "dot"]],
  use: {
    baseURL: process.env.BASE_URL || "http://127.0.0.1:3077",
    // DOM snapshots of every step, kept for a failed test; no screencast (it doubled the time).
    trace: { mode: "retain-on-failure", screenshots: false, snapshots: true, sources: true },
    viewport: { width: 1100, height: 900 },
    acceptDownloads: true,
    launchOptions: {
      executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    },
  },
});
