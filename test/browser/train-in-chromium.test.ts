// The browser build in a real browser: Debian's Chromium (headless, through playwright-core) loads
// the bundle of src/index.browser.ts as an ES module, runs test/browser/train-program.ts with it (a
// small CNN: 5 SGD steps, then nb.fit with Adam, then a safetensors round trip through
// nb.load(bytes)) and must get the very numbers the Node build gets on its cpu backend, bit for
// bit. The page is served from memory (page.route), so no port is opened. Skipped, saying why,
// without Chromium (.ci/run installs it).

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";
import * as nb from "../../src/index.js";
import { bundleForBrowser } from "../helpers/browser-bundle.js";
import { trainProgram, type ProgramResult } from "./train-program.js";

const CHROMIUM = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].find((p) => p && existsSync(p));
const skip = CHROMIUM ? false : "no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)";
const ORIGIN = "http://nabla.test";

const PAGE = `<!doctype html><meta charset="utf-8"><title>nabla</title>
<script type="module">
  import * as nb from "/nabla.js";
  import { trainProgram } from "/program.js";
  try {
    globalThis.result = await trainProgram(nb);
  } catch (e) {
    globalThis.failure = String(e && e.stack || e);
  }
</script>`;

test("a small CNN trains in Chromium on the browser bundle with the same losses as in Node, bit for bit", { skip, timeout: 120_000 }, async () => {
  const [library, program] = await Promise.all([
    bundleForBrowser(undefined, { minify: true }),
    bundleForBrowser(fileURLToPath(new URL("./train-program.ts", import.meta.url))),
  ]);
  const files: Record<string, string> = { "/": PAGE, "/nabla.js": library.code, "/program.js": program.code };

  let browser: Browser | null = null;
  let inPage: ProgramResult;
  const errors: string[] = [];
  const logs: string[] = [];
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    const page = await browser.newPage();
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => (m.type() === "error" ? errors : logs).push(m.text()));
    await page.route(`${ORIGIN}/**`, (route) => {
      const path = new URL(route.request().url()).pathname;
      const body = files[path];
      return body === undefined
        ? route.fulfill({ status: 404, body: "not found" })
        : route.fulfill({ status: 200, contentType: path === "/" ? "text/html" : "text/javascript", body });
    });
    await page.goto(`${ORIGIN}/`);
    await page.waitForFunction(() => "result" in globalThis || "failure" in globalThis, null, { timeout: 90_000 });
    const failure = await page.evaluate(() => (globalThis as { failure?: string }).failure);
    assert.equal(failure, undefined, failure);
    inPage = await page.evaluate(() => (globalThis as unknown as { result: ProgramResult }).result);
  } finally {
    await browser?.close();
  }
  assert.deepEqual(errors, []);
  // fit's progress (verbose 2) has no stdout in a page: one console line per epoch.
  assert.equal(logs.filter((l) => /^Epoch \d\/2 - /.test(l)).length, 2, logs.join("\n"));

  nb.setBackend("cpu");
  const inNode = await trainProgram(nb);
  assert.equal(inPage.backend, "cpu");
  assert.equal(inPage.sgdLosses.length, 5);
  assert.ok(inPage.sgdLosses.every(Number.isFinite) && inPage.sgdLosses[4] < inPage.sgdLosses[0], `SGD lowers the loss: ${inPage.sgdLosses}`);
  assert.deepEqual(inPage.reloadedLogits, inPage.logits, "weights saved to safetensors bytes and loaded back give the same logits");
  assert.deepEqual(inPage, inNode);
});
