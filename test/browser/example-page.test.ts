// The browser example (examples/browser/) in a real browser: its server (port 0, 127.0.0.1) serves
// the page, the esbuild bundles and the MNIST IDX bytes; headless Chromium (Debian's, through
// playwright-core) opens it on a tiny slice, trains one epoch, and must show curve points and the
// learned conv1 filters; then a stroke drawn with the mouse must give 10 probabilities summing to 1.
// Skipped, saying why, without Chromium (.ci/run installs it).

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { request } from "node:http";
import { chromium, type Browser } from "playwright-core";
import { startExampleServer } from "../../examples/browser/server.js";

const CHROMIUM = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].find((p) => p && existsSync(p));
const skip = CHROMIUM ? false : "no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)";

interface ExampleState {
  backend: string;
  status: string;
  lossPoints: number;
  epochsDone: number;
  testAccuracy: number[];
  filtersDrawn: boolean;
  prediction: { digit: number; probs: number[] } | null;
  error: string | null;
}

/** The little of the DOM the test reads (the project type-checks without the DOM library). */
interface PageGlobals {
  document: { getElementById(id: string): { width: number; height: number; getContext(kind: "2d"): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } } };
}

function get(url: string, host?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: host ? { Host: host } : {} }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

test("the example server answers only its own names, on 127.0.0.1", async () => {
  const server = await startExampleServer({ port: 0 });
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    for (const ok of ["", "app.js", "nabla.js", "idx.js", "vendor/uPlot.iife.min.js", "mnist/t10k-labels-idx1-ubyte"]) assert.equal(await get(server.url + ok), 200, ok);
    for (const no of ["server.ts", "../package.json", "%2e%2e/package.json", "mnist/../../package.json", "mnist/readme.md", "constructor"]) assert.equal(await get(server.url + no), 404, no);
    assert.equal(await get(server.url, "evil.example:80"), 403);
  } finally {
    await server.close();
  }
});

test("the browser example trains the typical CNN on MNIST in Chromium, draws curves and filters, and predicts a drawn digit", { skip, timeout: 90_000 }, async () => {
  const server = await startExampleServer({ port: 0 });
  let browser: Browser | null = null;
  const errors: string[] = [];
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    const page = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    const state = () => page.evaluate(() => (globalThis as unknown as { example: ExampleState }).example);
    await page.goto(`${server.url}?train=256&test=128&epochs=1&batch=32`);
    await page.waitForFunction(() => {
      const s = (globalThis as unknown as { example?: ExampleState }).example;
      return s && (s.status === "ready" || s.error);
    }, null, { timeout: 30_000 });
    assert.equal((await state()).error, null);
    assert.equal((await state()).backend, "wasm", "the page trains on the wasm backend where WebAssembly SIMD is available");
    await page.click("#train");
    await page.waitForFunction(() => {
      const s = (globalThis as unknown as { example: ExampleState }).example;
      return s.status === "trained" || s.error;
    }, null, { timeout: 60_000 });
    let s = await state();
    assert.equal(s.error, null, s.error ?? "");
    assert.equal(s.lossPoints, 8, "one curve point per batch: 256 images in batches of 32");
    assert.equal(s.epochsDone, 1);
    assert.equal(s.testAccuracy.length, 1);
    assert.ok(s.testAccuracy[0] >= 0 && s.testAccuracy[0] <= 1);
    // uPlot drew the points: its series paths exist in both charts.
    assert.equal(await page.locator("#loss-chart canvas").count(), 1);
    assert.equal(await page.locator("#acc-chart canvas").count(), 1);
    assert.ok(s.filtersDrawn);
    const filterShades = await page.evaluate(() => {
      const c = (globalThis as unknown as PageGlobals).document.getElementById("filters");
      const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      const shades = new Set<number>();
      for (let i = 0; i < px.length; i += 4) shades.add(px[i]);
      return shades.size;
    });
    assert.ok(filterShades > 10, `the filters are drawn in many shades, got ${filterShades}`);

    // A "1": one vertical stroke on the drawing canvas.
    assert.equal(s.prediction, null);
    const box = (await page.locator("#draw").boundingBox())!;
    await page.mouse.move(box.x + 140, box.y + 50);
    await page.mouse.down();
    for (let y = 60; y <= 230; y += 10) await page.mouse.move(box.x + 138 + y / 40, box.y + y);
    await page.mouse.up();
    await page.waitForFunction(() => (globalThis as unknown as { example: ExampleState }).example.prediction !== null, null, { timeout: 10_000 });
    s = await state();
    const { digit, probs } = s.prediction!;
    assert.equal(probs.length, 10);
    assert.ok(probs.every((p) => p >= 0 && p <= 1));
    assert.ok(Math.abs(probs.reduce((a, b) => a + b, 0) - 1) < 1e-4, `probabilities sum to 1: ${probs}`);
    assert.equal(digit, probs.indexOf(Math.max(...probs)));
    assert.equal(await page.locator("#guess").textContent(), String(digit));
    assert.equal(await page.locator("#probs .bar").count(), 10);
    if (process.env.NABLA_EXAMPLE_SCREENSHOT) await page.screenshot({ path: process.env.NABLA_EXAMPLE_SCREENSHOT, fullPage: true });
  } finally {
    await browser?.close();
    await server.close();
  }
  assert.deepEqual(errors, []);
});
