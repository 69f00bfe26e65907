// The dashboard in a real browser: Debian's Chromium, driven by playwright-core. A two-epoch run
// with --dashboard 0 is held after its first epoch until the page shows that epoch, so the test
// sees the curves appear and then grow; the server must stop with the run; then
// `nabla dashboard --logdir` lists the finished run. Skipped, saying why, without Chromium
// (.ci/run installs it).

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import "../../src/backends.js";
import { trainCommand } from "../../src/cli/train-command.js";
import { dashboardCommand } from "../../src/cli/dashboard-command.js";
import type { Callback } from "../../src/train/callbacks/callback.js";

const CHROMIUM = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].find((p) => p && existsSync(p));
const skip = CHROMIUM ? false : "no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)";

/** Points of a chart's series whose label ends with `suffix` (the page exposes its uPlot charts). */
function points(page: Page, chart: string, suffix: string): Promise<number> {
  return page.evaluate(([chart, suffix]) => {
    const c = (globalThis as any).nablaDashboard.charts[chart];
    if (!c) return 0;
    const i = c.series.findIndex((s: { label: string }) => s.label.endsWith(suffix));
    return i < 0 ? 0 : (c.data[i] as (number | null)[]).filter((v) => v !== null).length;
  }, [chart, suffix]);
}

test("the live dashboard shows a run's curves as it trains, stops with it, and the log dir view lists it", { skip, timeout: 120_000 }, async () => {
  const logdir = mkdtempSync(join(tmpdir(), "nabla-dash-"));
  const out = join(logdir, "cnn");
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  // Runs after the dashboard's own callback: the first epoch is on the page while training waits here.
  const hold: Callback = { onEpochEnd: async (epoch: number) => { if (epoch === 0) await held; } };
  let announce!: (url: string) => void;
  const url = new Promise<string>((r) => (announce = r));
  const lines: string[] = [];
  const log = (line: string) => {
    lines.push(line);
    const m = /^dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(line);
    if (m) announce(m[1]);
  };
  const training = trainCommand({
    model: "typical-cnn", dataset: "mnist", epochs: 2, batchSize: 32, optimizer: "adam", schedule: "none", augment: false,
    validationSplit: 0.2, seed: 0, limit: 300, testLimit: 50, out, dashboard: 0, callbacks: [hold], verbose: 0,
  }, log);
  const errors: string[] = [];
  // Once the run has ended its server stops: the page's next poll of it may fail, as it should.
  let serverMayStop = false;
  let browser: Browser | null = null;
  try {
    const address = await Promise.race([url, training.then(() => { throw new Error(`training ended without a dashboard URL: ${lines.join("\n")}`); })]);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error" && !(serverMayStop && /ERR_CONNECTION_REFUSED/.test(m.text()))) errors.push(m.text());
    });
    await page.goto(address);

    // Epoch 1 of 2: one point per curve, the progress line says so, the filters are drawn.
    await page.waitForFunction(() => (globalThis as any).nablaDashboard.runs.cnn?.epochs.length === 1, null, { timeout: 30_000 });
    await page.waitForFunction(() => (globalThis as any).nablaDashboard.charts.accuracy !== undefined, null, { timeout: 10_000 });
    assert.equal(await points(page, "loss", "cnn train"), 1);
    assert.equal(await points(page, "loss", "cnn validation"), 1);
    assert.equal(await points(page, "accuracy", "cnn validation"), 1);
    assert.ok(await points(page, "loss", "cnn running") >= 1, "the running loss inside the epoch is drawn");
    assert.match(await page.locator("#progress .progress-text").innerText(), /^epoch 1\/2 done/);
    assert.equal(await page.locator("#runs tbody tr[data-run=cnn] td").nth(3).innerText(), "1/2");
    await page.waitForFunction(() => (globalThis as any).document.querySelector("#filters img")?.naturalWidth > 0, null, { timeout: 10_000 });

    // Let the second epoch run: the curves grow to two points and the diagnosis appears.
    release();
    await page.waitForFunction(() => (globalThis as any).nablaDashboard.runs.cnn?.end != null, null, { timeout: 60_000 });
    serverMayStop = true;
    await page.waitForFunction(() => (globalThis as any).document.querySelector("#diagnosis .explanation") !== null, null, { timeout: 10_000 });
    assert.equal(await points(page, "loss", "cnn train"), 2);
    assert.equal(await points(page, "accuracy", "cnn validation"), 2);
    assert.equal(await points(page, "lr", "cnn "), 2);
    assert.match(await page.locator("#diagnosis .explanation").innerText(), /epochs/);

    await training;
    // The server stopped with the run.
    await assert.rejects(fetch(address), /fetch failed/);

    // The finished run, read back from its folder.
    const server = await dashboardCommand({ logdir, port: 0 }, () => {});
    try {
      await page.goto(server.url);
      serverMayStop = false;
      await page.waitForSelector("#runs tbody tr[data-run=cnn]");
      const cells = await page.locator("#runs tbody tr[data-run=cnn] td").allInnerTexts();
      assert.equal(cells[2], "finished");
      assert.equal(cells[3], "2/2");
      await page.waitForFunction(() => (globalThis as any).nablaDashboard.runs.cnn?.epochs.length === 2, null, { timeout: 10_000 });
      assert.equal(await points(page, "loss", "cnn validation"), 2);
      if (process.env.DASHBOARD_SCREENSHOT) await page.screenshot({ path: process.env.DASHBOARD_SCREENSHOT, fullPage: true });
    } finally {
      await server.close();
    }
    assert.deepEqual(errors, []);
  } finally {
    release();
    await browser?.close();
    await training.catch(() => {});
  }
});
