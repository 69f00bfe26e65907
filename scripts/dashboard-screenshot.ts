// Makes docs/images/dashboard.png: two runs of the course's CNN on 3,000 MNIST images (Adam, then
// SGD with momentum) under one log dir, shown by `nabla dashboard --logdir` in headless Chromium
// while the second run is in its fifth epoch: the first run finished with its diagnosis, the
// second one's progress, curves side by side.
// Run: node --import tsx scripts/dashboard-screenshot.ts [out.png]   (needs Debian's chromium)

import "../src/backends.js";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { trainCommand, type TrainArgs } from "../src/cli/train-command.js";
import { dashboardCommand } from "../src/cli/dashboard-command.js";
import type { Callback, FitContext, Logs } from "../src/train/callbacks/callback.js";

const png = process.argv[2] ?? "docs/images/dashboard.png";
const executablePath = [process.env.CHROMIUM_PATH, "/usr/bin/chromium"].find((p) => p && existsSync(p));
if (!executablePath) throw new Error("no Chromium: apt-get install chromium (or set CHROMIUM_PATH)");

const logdir = mkdtempSync(join(tmpdir(), "nabla-shot-"));
const quiet = () => {};
const run = (name: string, extra: Partial<TrainArgs>) => trainCommand({
  model: "typical-cnn", dataset: "mnist", epochs: 6, batchSize: 32, optimizer: "adam", schedule: "none", augment: false,
  validationSplit: 0.1, seed: 0, limit: 3000, testLimit: 1000, out: join(logdir, name), dashboard: 0, verbose: 0, ...extra,
}, quiet);

await run("adam-lr1e-3", {});
let release!: () => void;
const held = new Promise<void>((r) => (release = r));
let reached!: () => void;
const atHold = new Promise<void>((r) => (reached = r));
// Holds the second run 40 % into its fifth epoch while the picture is taken.
let epoch = 0;
const hold: Callback = {
  onEpochBegin: (e: number) => void (epoch = e),
  onBatchEnd: async (batch: number, _logs: Logs, ctx: FitContext) => {
    if (epoch === 4 && batch === Math.floor(ctx.stepsPerEpoch * 0.4)) {
      reached();
      await held;
    }
  },
};
const second = run("sgd-momentum", { optimizer: "sgd", lr: 0.05, momentum: 0.9, schedule: "cosine", callbacks: [hold] });
await atHold;

const server = await dashboardCommand({ logdir, port: 0 }, quiet);
const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(server.url);
  // (globalThis: the page's window, whose types this file does not have.)
  await page.waitForFunction(() => (globalThis as any).nablaDashboard.runs["adam-lr1e-3"]?.end && (globalThis as any).nablaDashboard.runs["sgd-momentum"]?.epochs.length === 4
    && (globalThis as any).document.querySelector("#filters img"), null, { timeout: 30_000 });
  await page.waitForTimeout(1500); // the filter pictures load
  await page.screenshot({ path: png, fullPage: true });
  console.log(`wrote ${png}`);
} finally {
  await browser.close();
  release();
  await second;
  await server.close();
}
