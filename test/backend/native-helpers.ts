// Shared by the native backend tests: whether the addon is here, seeded random views in several
// layouts, and running one kernel on the cpu and native backends over identical buffers.

import assert from "node:assert/strict";
import type { Backend, ConvParams, View } from "../../src/backend/backend.js";
import "../../src/backends.js";
import { backendUnavailableReason } from "../../src/backend/registry.js";
import { cpuBackend } from "../../src/backend/cpu/index.js";
import { nativeBackend, nativeInfo, setNativeIsa, setNativeThreads } from "../../src/backend/native/index.js";
import type { DType, TypedArray } from "../../src/core/dtype.js";
import { arrayFor } from "../../src/core/dtype.js";

const reason = backendUnavailableReason("native");
// "unknown backend" is a registration bug, not a machine without the addon: fail, never skip.
if (reason === "unknown backend") throw new Error("native-helpers: the native backend is not registered (src/backends.ts)");
/** node:test's skip option: false when the addon is built, else why the tests cannot run. */
export const skipNative: string | false = reason ? `native backend unavailable: ${reason}` : false;
export const native = (): Backend => nativeBackend(cpuBackend);
export const cpu = cpuBackend;

/** Run body once per instruction-set level this process may use (AVX-512 and AVX2 where the CPU has them, always the portable one). */
/** Run body with the addon's pool at n threads, restoring the previous count. */
export function withThreads(n: number, body: () => void): void {
  const before = nativeInfo()!.threads;
  setNativeThreads(n);
  try {
    body();
  } finally {
    setNativeThreads(before);
  }
}

export function forEachKernel(body: (name: string) => void): void {
  const levels = [...nativeInfo()!.isas].reverse();
  try {
    for (const isa of levels) {
      setNativeIsa(isa);
      body(isa);
    }
  } finally {
    setNativeIsa(null);
  }
}

/** A small seeded generator (mulberry32) so every case is reproducible. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  normal(): number {
    const u = Math.max(this.next(), 1e-12), v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
}

export type Layout = "dense" | "offset" | "gapped" | "permuted" | "reversed-strides";

const contiguous = (shape: readonly number[]): number[] => {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
};

/** Strides (and an offset) laying `shape` out in a buffer in the given way. */
export function layoutOf(shape: readonly number[], layout: Layout, rng: Rng): { strides: number[]; offset: number } {
  const r = shape.length;
  switch (layout) {
    case "dense":
      return { strides: contiguous(shape), offset: 0 };
    case "offset":
      return { strides: contiguous(shape), offset: rng.int(1, 5) };
    case "gapped": {
      // Every dim padded by one element: rows, planes … with holes between them.
      const s = new Array<number>(r);
      let acc = 1;
      for (let i = r - 1; i >= 0; i--) {
        s[i] = acc;
        acc *= shape[i] + 1;
      }
      return { strides: s, offset: rng.int(0, 3) };
    }
    case "permuted": {
      // Contiguous in a shuffled dim order: a transposed / permuted tensor.
      const order = [...Array(r).keys()];
      for (let i = r - 1; i > 0; i--) {
        const j = rng.int(0, i);
        [order[i], order[j]] = [order[j], order[i]];
      }
      const s = new Array<number>(r);
      let acc = 1;
      for (let k = r - 1; k >= 0; k--) {
        s[order[k]] = acc;
        acc *= shape[order[k]];
      }
      return { strides: s, offset: rng.int(0, 2) };
    }
    case "reversed-strides": {
      const s = new Array<number>(r);
      let acc = 1;
      for (let i = 0; i < r; i++) {
        s[i] = acc;
        acc *= shape[i];
      }
      return { strides: s, offset: 0 };
    }
  }
}

function extent(shape: readonly number[], strides: readonly number[], offset: number): number {
  let hi = offset;
  for (let i = 0; i < shape.length; i++) if (shape[i] > 0) hi += (shape[i] - 1) * Math.max(0, strides[i]);
  return shape.some((d) => d === 0) ? offset : hi + 1;
}

/** Values a float test tensor draws from: mostly normal, optionally with special values mixed in. */
export function fillRandom(a: TypedArray, rng: Rng, dtype: DType, special = false): void {
  const specials = [NaN, Infinity, -Infinity, 0, -0, 0.5, -2.5, 1.5, 88.8, -100, 1e-30, 3e38];
  for (let i = 0; i < a.length; i++) {
    if (dtype === "bool") a[i] = rng.next() < 0.5 ? 1 : 0;
    else if (dtype === "int32") a[i] = rng.int(-1000, 1000);
    else a[i] = special && rng.next() < 0.15 ? rng.pick(specials) : rng.normal();
  }
}

/** A random view of `shape` in `layout` over a buffer with slack on both sides (garbage included). */
export function randomView(shape: number[], rng: Rng, opts: { dtype?: DType; layout?: Layout; special?: boolean; positive?: boolean } = {}): View {
  const dtype = opts.dtype ?? "float32";
  const { strides, offset } = layoutOf(shape, opts.layout ?? "dense", rng);
  const buf = arrayFor(dtype, extent(shape, strides, offset) + rng.int(0, 3));
  fillRandom(buf, rng, dtype, opts.special);
  if (opts.positive) for (let i = 0; i < buf.length; i++) buf[i] = Math.abs(buf[i]) + 0.1;
  return { buf, dtype, shape, strides, offset };
}

/** The same view over a copy of its buffer (so two backends can write their own results). */
export function cloneView(v: View): View {
  return { ...v, buf: (v.buf as TypedArray).slice() };
}

/** The view with some dims broadcast (stride 0). */
export function broadcastDims(v: View, dims: number[]): View {
  return { ...v, strides: v.strides.map((s, i) => (dims.includes(i) ? 0 : s)) };
}

/** Assert two buffers agree elementwise: |a − e| ≤ atol + rtol·|e|, NaN where NaN, same infinities. */
export function assertBuffersClose(actual: TypedArray, expected: TypedArray, tol: { rtol: number; atol: number }, msg: string): void {
  assert.equal(actual.length, expected.length, `${msg}: buffer length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    if (Number.isNaN(e)) {
      assert.ok(Number.isNaN(a), `${msg}: element ${i} is ${a}, expected NaN`);
      continue;
    }
    if (a === e) continue;
    if (!Number.isFinite(e)) assert.fail(`${msg}: element ${i} is ${a}, expected ${e}`);
    assert.ok(Math.abs(a - e) <= tol.atol + tol.rtol * Math.abs(e), `${msg}: element ${i} is ${a}, expected ${e} (rtol ${tol.rtol}, atol ${tol.atol})`);
  }
}

export const EXACT = { rtol: 0, atol: 0 };

const STORAGE = new Set(["name", "syncReadable", "gcManaged", "alloc", "fromHost", "free", "readSync", "read"]);

/** Run fn with every cpu kernel replaced by one that throws: proves a native call stayed native. */
export function withoutCpuKernels<T>(fn: () => T): T {
  const table = cpu as unknown as Record<string, unknown>;
  const saved = new Map<string, unknown>();
  for (const key of Object.keys(table)) {
    if (STORAGE.has(key) || typeof table[key] !== "function") continue;
    saved.set(key, table[key]);
    table[key] = () => {
      throw new Error(`the native backend handed ${key} to the cpu kernel`);
    };
  }
  try {
    return fn();
  } finally {
    for (const [key, f] of saved) table[key] = f;
  }
}

/**
 * Run `call` with the cpu and the native backend on copies of the output views (inputs shared),
 * and compare every output buffer in full: values inside the views within `tol`, and everything
 * outside them untouched (both start from the same garbage). The native call must not fall back
 * to a cpu kernel unless `allowFallback`.
 */
export function compareKernel(
  msg: string, outputs: View[], tol: { rtol: number; atol: number }, call: (b: Backend, outs: View[]) => void, allowFallback = false,
): void {
  const cpuOuts = outputs.map(cloneView), natOuts = outputs.map(cloneView);
  call(cpu, cpuOuts);
  if (allowFallback) call(native(), natOuts);
  else withoutCpuKernels(() => call(native(), natOuts));
  natOuts.forEach((o, i) => assertBuffersClose(o.buf as TypedArray, cpuOuts[i].buf as TypedArray, tol, `${msg} (output ${i})`));
}

/** One convolution geometry of the backend tests: input and weight shapes and the window options. */
export interface ConvCase {
  name: string;
  x: number[];
  w: number[];
  stride?: number[];
  padBefore?: number[];
  padAfter?: number[];
  dilation?: number[];
  groups?: number;
}

/** The kernel parameters of a case and its output shape (the usual size formula). */
export function convParams(c: ConvCase): { p: ConvParams; out: number[] } {
  const nd = c.x.length - 2;
  const ones = new Array<number>(nd).fill(1), zeros = new Array<number>(nd).fill(0);
  const p: ConvParams = {
    kernel: c.w.slice(2), stride: c.stride ?? ones, padBefore: c.padBefore ?? zeros, padAfter: c.padAfter ?? zeros,
    dilation: c.dilation ?? ones, groups: c.groups ?? 1,
  };
  const spatial = c.x.slice(2).map((L, i) => Math.floor((L + p.padBefore[i] + p.padAfter[i] - p.dilation[i] * (p.kernel[i] - 1) - 1) / p.stride[i]) + 1);
  return { p, out: [c.x[0], c.w[0], ...spatial] };
}
