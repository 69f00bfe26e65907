// The wasm backend in a real browser: Debian's Chromium (headless, through playwright-core) loads
// the browser bundle, awaits nb.backendsReady() (the page also compiles the module asynchronously,
// for engines that refuse to compile it synchronously on the main thread), switches to "wasm" and runs test/browser/train-program.ts — 5 SGD steps of a
// small CNN, nb.fit with Adam, a safetensors round trip — and must get the very numbers Node's wasm
// backend gets, bit for bit: the same module runs the same float32 operations in both, and the
// cross-entropy's exp/log are both V8's Math.exp/Math.log. Skipped, saying why, without Chromium.

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

const PAGE = `<!doctype html><meta charset="utf-8"><title>nabla wasm</title>
<script type="module">
  import * as nb from "/nabla.js";
  import { trainProgram } from "/program.js";
  try {
    const before = nb.getBackend();
    const reasonBefore = nb.backendUnavailableReason("wasm") ?? null;
    const ready = await nb.backendsReady();
    nb.setBackend("wasm");
    globalThis.result = { before, reasonBefore, ready, program: await trainProgram(nb) };
  } catch (e) {
    globalThis.failure = String(e && e.stack || e);
  }
</script>`;

interface PageResult {
  before: string;
  reasonBefore: string | null;
  ready: string[];
  program: ProgramResult;
}

test("a small CNN trains in Chromium on the wasm backend with the losses Node's wasm backend gets, bit for bit", { skip, timeout: 120_000 }, async (t) => {
  const [library, program] = await Promise.all([
    bundleForBrowser(undefined, { minify: true }),
    bundleForBrowser(fileURLToPath(new URL("./train-program.ts", import.meta.url))),
  ]);
  const files: Record<string, string> = { "/": PAGE, "/nabla.js": library.code, "/program.js": program.code };

  let browser: Browser | null = null;
  let inPage: PageResult;
  const errors: string[] = [];
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    const page = await browser.newPage();
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    await page.route(`${ORIGIN}/**`, (route) => {
      const body = files[new URL(route.request().url()).pathname];
      return body === undefined
        ? route.fulfill({ status: 404, body: "not found" })
        : route.fulfill({ status: 200, contentType: route.request().url().endsWith("/") ? "text/html" : "text/javascript", body });
    });
    await page.goto(`${ORIGIN}/`);
    await page.waitForFunction(() => "result" in globalThis || "failure" in globalThis, null, { timeout: 90_000 });
    const failure = await page.evaluate(() => (globalThis as { failure?: string }).failure);
    assert.equal(failure, undefined, failure);
    inPage = await page.evaluate(() => (globalThis as unknown as { result: PageResult }).result);
  } finally {
    await browser?.close();
  }
  assert.deepEqual(errors, []);
  // The browser build keeps cpu as its default and lists wasm once its module has compiled.
  assert.equal(inPage.before, "cpu");
  assert.deepEqual(inPage.ready, ["cpu", "wasm"]);
  // Before backendsReady: usable where the engine compiles it synchronously (Chromium 156 does),
  // else "still compiling" (engines that refuse large synchronous compiles on the main thread).
  if (inPage.reasonBefore !== null) assert.match(inPage.reasonBefore, /still compiling on this thread.*await nb\.backendsReady\(\)/);
  t.diagnostic(`wasm before backendsReady(): ${inPage.reasonBefore ?? "usable"}`);

  nb.setBackend("wasm");
  let inNode: ProgramResult;
  try {
    inNode = await trainProgram(nb);
  } finally {
    nb.setBackend("cpu");
  }
  assert.equal(inPage.program.backend, "wasm");
  assert.ok(inPage.program.sgdLosses[4] < inPage.program.sgdLosses[0], `SGD lowers the loss: ${inPage.program.sgdLosses}`);
  assert.deepEqual(inPage.program, inNode);
});
