// Deterministic "weights" both PyTorch and nabla can compute (see scripts/fixtures/models.py): for
// the k-th state-dict entry, element i, s = sin(0.37·(i mod 10007) + k) in float64, rounded to
// float32 last (a small argument: V8's sin is ~100x slower past about 1e6).

import { readFileSync } from "node:fs";
import * as nb from "../../src/index.js";

export interface ModelFixture {
  stateDicts: Record<string, string[]>;
  numParams: Record<string, number>;
  outputs: Record<string, {
    input: number[];
    featureModule: string;
    features: number[];
    featuresShape: number[];
    logits: number[];
    safetensorsHeader?: string;
  }>;
}

let cached: ModelFixture | null = null;
export function modelFixture(): ModelFixture {
  cached ??= JSON.parse(readFileSync(new URL("../fixtures/models.json", import.meta.url), "utf8")) as ModelFixture;
  return cached;
}

/** "key:shape" entries of a model's state dict, as the fixture lists torchvision's. */
export function stateDictEntries(m: nb.nn.Module): string[] {
  return [...m.stateDict()].map(([k, t]) => `${k}:${t.shape.join(",")}`);
}

export function formulaValues(key: string, k: number, shape: readonly number[]): Float32Array | Int32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  if (key.endsWith("num_batches_tracked")) return new Int32Array(n);
  const out = new Float32Array(n);
  let scale = 1, shift = 0;
  if (key.endsWith("running_mean")) scale = 0.1;
  else if (key.endsWith("running_var")) (scale = 0.5), (shift = 1);
  else if (key.endsWith("bias")) scale = 0.1;
  else if (key.endsWith("bn3.weight")) scale = 0.2;
  else if (shape.length === 1) (scale = 0.2), (shift = 1);
  else scale = 2 / Math.sqrt(n / shape[0]);
  // One period of the modulus, then copies: the same values as evaluating every element.
  const period = new Float32Array(Math.min(n, 10007));
  for (let j = 0; j < period.length; j++) period[j] = shift + scale * Math.sin(j * 0.37 + k);
  for (let i = 0; i < n; i += period.length) out.set(i + period.length <= n ? period : period.subarray(0, n - i), i);
  return out;
}

/** Overwrite every state-dict entry of `m` with the formula, one tensor at a time. */
export function setFormulaWeights(m: nb.nn.Module): void {
  let k = 0;
  nb.noGrad(() => {
    for (const [key, t] of m.stateDict()) {
      const v = formulaValues(key, k++, t.shape);
      const src = nb.tensor(v, { shape: t.shape, dtype: t.dtype });
      t.copy_(src);
      src.dispose();
    }
  });
}

export function formulaInput(shape: readonly number[]): nb.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = Math.sin(i * 0.05 + 0.3);
  return nb.tensor(v, { shape });
}

/**
 * The bytes of the safetensors file torchvision's user would write for the formula weights:
 * the header exactly as safetensors.torch.save_file writes it (from the fixture), float32 data
 * little-endian, int64 num_batches_tracked (zeros).
 */
export function torchvisionSafetensors(header: string, stateDictOrder: string[]): Uint8Array {
  const entries = JSON.parse(header) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const headerBytes = new TextEncoder().encode(header);
  const dataLength = Math.max(...Object.entries(entries).filter(([k]) => k !== "__metadata__").map(([, e]) => e.data_offsets[1]));
  const bytes = new Uint8Array(8 + headerBytes.length + dataLength);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  bytes.set(headerBytes, 8);
  const dataStart = 8 + headerBytes.length;
  stateDictOrder.forEach((key, k) => {
    const e = entries[key];
    if (e.dtype === "I64") return; // zeros
    if (e.dtype !== "F32") throw new Error(`unexpected dtype ${e.dtype} for ${key}`);
    const values = formulaValues(key, k, e.shape) as Float32Array;
    const view = new DataView(bytes.buffer, dataStart + e.data_offsets[0], e.data_offsets[1] - e.data_offsets[0]);
    for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i], true);
  });
  return bytes;
}

/** Run fn while capturing the output of one of m's submodules. */
export function captureOutput<T>(module: nb.nn.Module, fn: () => T): { result: T; captured: nb.Tensor } {
  const original = module.forward.bind(module);
  let captured: nb.Tensor | null = null;
  Object.defineProperty(module, "forward", {
    configurable: true, writable: true, enumerable: false,
    value: (...args: unknown[]) => (captured = original(...args) as nb.Tensor),
  });
  try {
    const result = fn();
    if (!captured) throw new Error("the module was not called");
    return { result, captured };
  } finally {
    delete (module as unknown as { forward?: unknown }).forward;
  }
}
