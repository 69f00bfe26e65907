// The dependency arrows of docs/architecture.md, checked on the source: lower layers never import
// upper ones, core/ imports nothing, and the concrete backends are known only to src/backends.ts.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const src = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");

/** Each layer's rank: a module may import only layers of lower rank (and its own layer). */
const RANK: Record<string, number> = {
  core: 0,
  backend: 1,
  "backend/addon-abi": 2,
  "backend/cpu": 3, "backend/native": 3, "backend/cuda": 3, "backend/wasm": 3,
  // backends.browser: the browser build's wiring (cpu, wasm); index.browser: its entry.
  backends: 4, "backends.browser": 4,
  tensor: 4,
  // graph/compile replays backward (autograd) as an effect; ops record themselves through graph/.
  autograd: 5, graph: 5.5,
  ops: 6,
  // distributed: process groups over Gloo; nn.parallel (DistributedDataParallel) sits above it.
  distributed: 6.5,
  nn: 7, optim: 7, data: 7, metrics: 7, transforms: 7,
  // io/onnx builds Modules (importOnnx) and traces them (exportOnnx): io sits just above nn.
  io: 7.5,
  regularizers: 8, datasets: 8, summary: 8, losses: 8,
  models: 9, train: 9,
  ensemble: 10, transfer: 10, tune: 10,
  // Faster R-CNN builds on the model zoo's ResNet (models/), so detection sits above it.
  detection: 10,
  viz: 11,
  // The live dashboard feeds on training (train/) and draws filters (viz/); the CLI starts it.
  dashboard: 12,
  cli: 13,
  // index.common: the surface both entries (index, index.browser) re-export.
  "index.common": 13.5, index: 14, "index.browser": 14,
};
/** Only these may import a concrete backend (the package entry wires them; index exports nb.cuda). */
const KNOWS_BACKENDS = new Set(["backends", "backends.browser", "index", "index.browser"]);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

function layerOf(path: string): string {
  const parts = relative(src, path).split("/");
  if (parts.length === 1) return parts[0].replace(/\.ts$/, "");
  if (parts[0] === "backend" && parts.length > 2) return `backend/${parts[1]}`;
  return parts[0];
}

function imports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/(?:from|import)\s*\(?\s*"(\.[^"]+)\.js"/g)].map((m) => resolve(dirname(file), m[1]));
}

test("every source folder has a rank in the layer table", () => {
  const unknown = [...new Set(files(src).map(layerOf))].filter((l) => !(l in RANK));
  assert.deepEqual(unknown, []);
});

/** Whether an import from `file` of `target` breaks an arrow (both absolute paths under src/). */
function breaksArrow(file: string, target: string): boolean {
  const from = layerOf(file), to = layerOf(target);
  if (to === from) return false;
  const concrete = RANK[to] === RANK["backend/cpu"];
  return RANK[to] >= RANK[from] || (concrete && !KNOWS_BACKENDS.has(from));
}

test("lower layers never import upper ones; only src/backends.ts knows the concrete backends", () => {
  const wrong: string[] = [];
  for (const f of files(src)) {
    for (const target of imports(f)) if (breaksArrow(f, target)) wrong.push(`${relative(src, f)} -> ${relative(src, target)}`);
  }
  assert.deepEqual(wrong, []);
});

test("the checker reports wrong arrows: upward imports and concrete backends outside src/backends.ts", () => {
  const at = (p: string) => join(src, p);
  assert.equal(breaksArrow(at("core/dtype.ts"), at("tensor/tensor.ts")), true);
  assert.equal(breaksArrow(at("tensor/creation.ts"), at("backend/native/index.ts")), true);
  assert.equal(breaksArrow(at("backend/cuda/kernels.ts"), at("backend/cpu/strided.ts")), true);
  assert.equal(breaksArrow(at("ops/conv.ts"), at("nn/conv.ts")), true);
  assert.equal(breaksArrow(at("backends.ts"), at("backend/native/index.ts")), false);
  assert.equal(breaksArrow(at("nn/conv.ts"), at("ops/conv.ts")), false);
});
