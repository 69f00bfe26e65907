// How the wasm backend becomes available or says why not: an engine without WebAssembly (node
// --jitless) or without its SIMD (WebAssembly.validate refusing the probe) leaves it out of
// nb.backends() with that reason, and nabla runs on; a backend registered with an asynchronous
// `prepare` (wasm on a page) is retried after it, and nb.backendsReady() awaits it.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as nb from "../../src/index.js";
import { registerBackend } from "../../src/backend/registry.js";
import { cpuBackend } from "../../src/backend/cpu/index.js";

// Only the wiring and the registry: importing the whole library under --jitless takes long.
const BACKENDS = fileURLToPath(new URL("../../src/backends.ts", import.meta.url));
const REGISTRY = fileURLToPath(new URL("../../src/backend/registry.ts", import.meta.url));

/** Run an ES module body in a fresh Node with the given flags; its last stdout line as JSON. */
function child(flags: string[], body: string): { backends: string[]; reason: string; error: string; active: string } {
  const r = spawnSync(process.execPath, [...flags, "--import", "tsx", "--input-type=module", "-e", body], {
    encoding: "utf8", timeout: 120_000, env: { ...process.env, NABLA_BACKEND: "", NABLA_NATIVE: "0" },
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

const PROBE = `
  await import(${JSON.stringify(BACKENDS)});
  const nb = await import(${JSON.stringify(REGISTRY)});
  let error = "";
  try { nb.setBackend("wasm"); } catch (e) { error = e.message; }
  console.log(JSON.stringify({ backends: nb.backends(), reason: nb.backendUnavailableReason("wasm"), error, active: nb.getBackend() }));
`;

test("without WebAssembly (node --jitless) wasm is left out with the reason, and nabla runs on cpu", () => {
  const r = child(["--jitless"], PROBE);
  assert.deepEqual(r.backends, ["cpu"]);
  assert.match(r.reason, /no WebAssembly/);
  assert.match(r.error, /setBackend: backend "wasm" is not available; it is not usable here: this JavaScript engine has no WebAssembly/);
  assert.equal(r.active, "cpu");
});

test("without WebAssembly SIMD wasm is left out saying SIMD is missing", () => {
  const stub = `const W = globalThis.WebAssembly; globalThis.WebAssembly = new Proxy(W, { get: (t, k) => (k === "validate" ? () => false : t[k]) });`;
  const r = child([], stub + PROBE);
  assert.ok(!r.backends.includes("wasm") && r.backends.includes("cpu"), String(r.backends));
  assert.match(r.reason, /no SIMD \(128-bit\) support, which the wasm kernels need/);
  assert.match(r.error, /backend "wasm" is not available.*no SIMD/);
  assert.equal(r.active, "cpu");
});

test("a backend whose load fails until its asynchronous prepare finishes is retried after it; backendsReady awaits it", async () => {
  let prepared = false;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  registerBackend("test-async", 1000, () => {
    if (!prepared) throw new Error("still preparing");
    return { ...cpuBackend, name: "test-async" };
  }, async () => {
    await gate;
    prepared = true;
  });
  assert.equal(nb.backendUnavailableReason("test-async"), "still preparing");
  assert.ok(!nb.backends().includes("test-async"));
  const ready = nb.backendsReady();
  release();
  assert.ok((await ready).includes("test-async"));
  assert.equal(nb.backendUnavailableReason("test-async"), undefined);
  assert.equal(nb.tensor([1], { device: "test-async" }).backend.name, "test-async");
});

test("a prepare that fails makes its reason the backend's", async () => {
  registerBackend("test-broken", 1001, () => ({ ...cpuBackend, name: "test-broken" }), () => Promise.reject(new Error("no engine here")));
  await nb.backendsReady();
  assert.equal(nb.backendUnavailableReason("test-broken"), "no engine here");
});
