// The issue's browser comparison: the course's typical CNN (Conv 8@3x3 → ReLU → MaxPool 2 → Conv
// 16@3x3 → ReLU → MaxPool 2 → Dense 64 → ReLU → Dropout 0.25 → Dense 10; batch 64, Adam,
// MNIST-shaped random data) trained in one headless Chromium session by TensorFlow.js (each of its
// backends that can: cpu, webgl, wasm) and by nabla's browser build (wasm and cpu backends,
// bench/wasm-program.ts). Images per second, best of 3 runs of 20 steps after 40 warm-up steps.
// TensorFlow.js is not a dependency of nabla: install it anywhere and point TFJS_DIR at its
// node_modules/@tensorflow (npm i --prefix /tmp/tfjs @tensorflow/tfjs@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0).
// Run: TFJS_DIR=/tmp/tfjs/node_modules/@tensorflow node --import tsx bench/tfjs-browser.ts

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { bundleForBrowser } from "../test/helpers/browser-bundle.js";

const TFJS_DIR = process.env.TFJS_DIR ?? "";
const CHROMIUM = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => p && existsSync(p));
if (!CHROMIUM || !existsSync(join(TFJS_DIR, "tfjs", "dist", "tf.min.js"))) {
  console.log("bench/tfjs-browser: needs Chromium and TFJS_DIR=<…/node_modules/@tensorflow> with tfjs and tfjs-backend-wasm");
  process.exit(0);
}

// The page's TensorFlow.js side: the same model, optimizer and data shapes as nabla's.
const TFJS_PROGRAM = `
async function tfjsImgPerSec(backend) {
  if (!(await tf.setBackend(backend))) return { backend, error: "setBackend refused" };
  await tf.ready();
  const model = tf.sequential({ layers: [
    tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: "relu" }),
    tf.layers.maxPooling2d({ poolSize: 2 }),
    tf.layers.conv2d({ filters: 16, kernelSize: 3, activation: "relu" }),
    tf.layers.maxPooling2d({ poolSize: 2 }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 64, activation: "relu" }),
    tf.layers.dropout({ rate: 0.25 }),
    tf.layers.dense({ units: 10 }),
  ] });
  const opt = tf.train.adam(1e-3);
  const x = tf.randomNormal([64, 28, 28, 1]), y = tf.oneHot(tf.randomUniform([64], 0, 10, "int32"), 10);
  const step = () => opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true })), true).dataSync();
  try {
    for (let i = 0; i < 40; i++) step();
    let best = Infinity;
    for (let r = 0; r < 3; r++) {
      const t = performance.now();
      for (let i = 0; i < 20; i++) step();
      best = Math.min(best, performance.now() - t);
    }
    return { backend, imgPerSec: 64 * 20 / (best / 1000) };
  } catch (e) {
    return { backend, error: String(e && e.message || e).slice(0, 160) };
  }
}`;

const [library, program] = await Promise.all([
  bundleForBrowser(undefined, { minify: true }),
  bundleForBrowser(fileURLToPath(new URL("./wasm-program.ts", import.meta.url))),
]);
const files: Record<string, string | Buffer> = {
  "/": `<!doctype html><script src="/tf.min.js"></script><script src="/tf-backend-wasm.min.js"></script>
    <script>${TFJS_PROGRAM}</script>
    <script type="module">
      import * as nb from "/nabla.js"; import { benchProgram } from "/program.js";
      try {
        const rows = [];
        await nb.backendsReady();
        for (const b of ["wasm", "cpu"]) { const f = benchProgram(nb, b, { cnnSteps: 20, cnnRuns: 3 }); rows.push({ library: "nabla", backend: b, imgPerSec: f.cnnImgPerSec }); }
        tf.wasm.setWasmPaths("/");
        for (const b of ["cpu", "webgl", "wasm"]) rows.push({ library: "tfjs " + tf.version.tfjs, ...(await tfjsImgPerSec(b)) });
        globalThis.result = rows;
      } catch (e) { globalThis.failure = String(e && e.stack || e); }
    </script>`,
  "/nabla.js": library.code,
  "/program.js": program.code,
  "/tf.min.js": readFileSync(join(TFJS_DIR, "tfjs", "dist", "tf.min.js")),
  "/tf-backend-wasm.min.js": readFileSync(join(TFJS_DIR, "tfjs-backend-wasm", "dist", "tf-backend-wasm.min.js")),
};
for (const f of ["tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-threaded-simd.wasm"]) {
  files[`/${f}`] = readFileSync(join(TFJS_DIR, "tfjs-backend-wasm", "dist", f));
}

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
try {
  const page = await browser.newPage();
  await page.route("http://bench.test/**", (route) => {
    const path = new URL(route.request().url()).pathname;
    const type = path === "/" ? "text/html" : path.endsWith(".wasm") ? "application/wasm" : "text/javascript";
    return route.fulfill({ status: path in files ? 200 : 404, contentType: type, body: files[path] ?? "" });
  });
  await page.goto("http://bench.test/");
  await page.waitForFunction(() => "result" in globalThis || "failure" in globalThis, null, { timeout: 900_000 });
  const failure = await page.evaluate(() => (globalThis as { failure?: string }).failure);
  if (failure) throw new Error(failure);
  const rows = await page.evaluate(() => (globalThis as unknown as { result: { library: string; backend: string; imgPerSec?: number; error?: string }[] }).result);
  console.log(`Chromium ${browser.version()}, typical CNN training, batch 64, Adam:`);
  for (const r of rows) console.log(`  ${r.library.padEnd(12)} ${r.backend.padEnd(6)} ${r.imgPerSec ? `${r.imgPerSec.toFixed(0).padStart(6)} img/s` : `unavailable: ${r.error}`}`);
} finally {
  await browser.close();
}
