// Shared by the wasm backend tests: whether the backend loads here, counting the host (cpu)
// fallbacks, and running one computation on cpu and on wasm from the same data.

import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import type { Backend } from "../../src/backend/backend.js";
import { cpuBackend } from "../../src/backend/cpu/index.js";

const reason = nb.backendUnavailableReason("wasm");
if (reason === "unknown backend") throw new Error("wasm-helpers: the wasm backend is not registered (src/backends.ts)");
/** node:test's skip option: false where WebAssembly with SIMD is here (every supported Node), else why. */
export const skipWasm: string | false = reason ? `wasm backend unavailable: ${reason}` : false;

/**
 * Run body and return how often each named host (cpu) kernel was called meanwhile: the wasm
 * backend hands a call it declines to cpuBackend's kernel, so zero proves the wasm kernel ran.
 */
export function hostCalls(keys: readonly (keyof Backend)[], body: () => void): Record<string, number> {
  const counts: Record<string, number> = {};
  const host = cpuBackend as unknown as Record<string, (...a: unknown[]) => unknown>;
  const originals = keys.map((k) => host[k]);
  keys.forEach((k, i) => {
    counts[k] = 0;
    host[k] = (...args: unknown[]) => {
      counts[k]++;
      return originals[i].apply(cpuBackend, args);
    };
  });
  try {
    body();
  } finally {
    keys.forEach((k, i) => (host[k] = originals[i]));
  }
  return counts;
}

/** Seeded normal data of a shape on a device. */
export function data(shape: number[], seed: number, device: string): nb.Tensor {
  return nb.randn(shape, { generator: new nb.Generator(seed), device });
}

/** fn of fresh seeded leaf tensors on one device: its output, then the gradients of the leaves it used. */
export function runOn(device: string, shapes: number[][], seed: number, fn: (...xs: nb.Tensor[]) => nb.Tensor): nb.Tensor[] {
  const xs = shapes.map((s, i) => data(s, seed + i, device).requiresGrad_());
  const y = fn(...xs);
  assert.equal(y.backend.name, device);
  // A fixed, non-uniform upstream gradient, so every element's gradient path is exercised.
  y.backward(data(y.shape, seed + 100, device));
  return [y.detach(), ...xs.flatMap((x) => (x.grad ? [x.grad] : []))];
}

/**
 * The same computation on cpu and on wasm, and how often the wasm run fell back to the named
 * host kernels (zero: the wasm kernels did all of it).
 */
export function onBoth(shapes: number[][], seed: number, fn: (...xs: nb.Tensor[]) => nb.Tensor, kernels: readonly (keyof Backend)[] = []): {
  cpu: nb.Tensor[]; wasm: nb.Tensor[]; fallbacks: number;
} {
  const cpu = runOn("cpu", shapes, seed, fn);
  let wasm: nb.Tensor[] = [];
  const counts = hostCalls(kernels, () => {
    wasm = runOn("wasm", shapes, seed, fn);
  });
  return { cpu, wasm, fallbacks: Object.values(counts).reduce((a, b) => a + b, 0) };
}
