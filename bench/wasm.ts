// The wasm backend against cpu and native in Node: sgemm 1024 (GFLOP/s through nb.matmul, the
// wasm side's copies in and out of its memory included; the target is within 2x of
// native) and the typical CNN's training step (img/s, batch 64, Adam). With --browser, the same
// workload (bench/wasm-program.ts) also runs in headless Chromium on the browser bundle's wasm
// and cpu backends. Native runs on 1 thread and on all (wasm is single-threaded).
// Run: npm run bench:wasm [-- --browser]

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as nb from "../src/index.js";
import { setNativeThreads } from "../src/backend/native/index.js";
import { benchProgram, type ProgramFigures } from "./wasm-program.js";

function row(where: string, f: ProgramFigures): void {
  console.log(`${where.padEnd(22)} ${f.backend.padEnd(8)} sgemm 1024 ${f.sgemmGflops.toFixed(1).padStart(6)} GFLOP/s   typical CNN step ${f.cnnImgPerSec.toFixed(0).padStart(6)} img/s`);
}

async function inChromium(): Promise<void> {
  const chromiumPath = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => p && existsSync(p));
  if (!chromiumPath) {
    console.log("Chromium: not found (set CHROMIUM_PATH)");
    return;
  }
  const { chromium } = await import("playwright-core");
  const { bundleForBrowser } = await import("../test/helpers/browser-bundle.js");
  const [library, program] = await Promise.all([
    bundleForBrowser(undefined, { minify: true }),
    bundleForBrowser(fileURLToPath(new URL("./wasm-program.ts", import.meta.url))),
  ]);
  const files: Record<string, string> = {
    "/": `<!doctype html><script type="module">
      import * as nb from "/nabla.js"; import { benchProgram } from "/program.js";
      try { await nb.backendsReady(); globalThis.result = ["wasm", "cpu"].map((b) => benchProgram(nb, b)); }
      catch (e) { globalThis.failure = String(e && e.stack || e); }
    </script>`,
    "/nabla.js": library.code, "/program.js": program.code,
  };
  const browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"] });
  try {
    const page = await browser.newPage();
    await page.route("http://bench.test/**", (route) => {
      const path = new URL(route.request().url()).pathname;
      return route.fulfill({ status: 200, contentType: path === "/" ? "text/html" : "text/javascript", body: files[path] ?? "" });
    });
    await page.goto("http://bench.test/");
    await page.waitForFunction(() => "result" in globalThis || "failure" in globalThis, null, { timeout: 600_000 });
    const failure = await page.evaluate(() => (globalThis as { failure?: string }).failure);
    if (failure) throw new Error(failure);
    const figures = await page.evaluate(() => (globalThis as unknown as { result: ProgramFigures[] }).result);
    for (const f of figures) row(`Chromium ${browser.version()}`, f);
  } finally {
    await browser.close();
  }
}

const usable = nb.backends();
for (const backend of ["wasm", "cpu"]) if (usable.includes(backend)) row("Node " + process.version, benchProgram(nb, backend));
if (usable.includes("native")) {
  setNativeThreads(1);
  row("Node native 1 thread", benchProgram(nb, "native"));
  setNativeThreads(Number(process.env.NABLA_NUM_THREADS) || 2);
  row("Node native 2 threads", benchProgram(nb, "native"));
}
if (process.argv.includes("--browser")) await inChromium();
