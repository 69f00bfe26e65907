// Loading the wasm backend's module (src/backend/wasm/module-bytes.ts, built from wasm/src by
// scripts/build-wasm.mjs). Node compiles it synchronously when the backend is first used. A
// browser may refuse synchronous compilation of a module this size on a page's main thread
// (Chromium's limit was 4 KiB for years; the Chromium 156 the tests use accepts it), so the
// browser build also compiles it asynchronously as it loads (compileWasmModule): a synchronous
// attempt that is refused leaves the backend unavailable until that finishes, and
// nb.backendsReady() awaits it. Without
// WebAssembly SIMD (checked with a 31-byte probe) the backend is unavailable, saying so.

import { WASM_MODULE_BASE64 } from "./module-bytes.js";

/** The module's exports: kernels take byte addresses in its memory and return 0, or 1 when out of memory. */
export interface WasmKernels {
  readonly memory: { readonly buffer: ArrayBuffer };
  reset(): void;
  alloc(bytes: number): number;
  sgemm(M: number, N: number, K: number, a: number, ars: number, acs: number, b: number, brs: number, bcs: number, c: number, ldc: number, accumulate: number): number;
  conv(geometry: number, x: number, w: number, bias: number, out: number): number;
  convBackwardData(geometry: number, gy: number, w: number, gx: number): number;
  convBackwardFilter(geometry: number, x: number, gy: number, gw: number, gb: number): number;
  maxPool(geometry: number, afterRelu: number, x: number, out: number, indices: number): number;
  maxPoolBackward(planes: number, inPlane: number, outPlane: number, gy: number, indices: number, gx: number): number;
  avgPool(geometry: number, countPadding: number, divisorOverride: number, x: number, out: number): number;
  avgPoolBackward(geometry: number, countPadding: number, divisorOverride: number, gy: number, gx: number): number;
  binary(op: number, a: number, aPeriod: number, b: number, bPeriod: number, out: number, n: number): number;
  unary(op: number, x: number, out: number, n: number): number;
  adamStep(scalars: number, decoupled: number, amsgrad: number, p: number, g: number, m: number, v: number, vmax: number, n: number): number;
  sgdStep(negLr: number, momentum: number, keep: number, weightDecay: number, nesterov: number, maximize: number, firstStep: number, p: number, g: number, b: number, n: number): number;
  crossEntropy(rows: number, classes: number, ignoreIndex: number, reduction: number, x: number, target: number, lse: number, out: number): number;
  crossEntropyBackward(rows: number, classes: number, ignoreIndex: number, reduction: number, x: number, target: number, lse: number, gy: number, gx: number): number;
}

/** i32.const 0; i8x16.splat; i8x16.popcnt: valid only where the engine has SIMD (wasm-feature-detect's probe). */
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

/** The part of the WebAssembly JS API used here (TypeScript's ES lib does not declare it). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  compile(bytes: Uint8Array): Promise<CompiledModule>;
  Module: new (bytes: Uint8Array) => CompiledModule;
  Instance: new (module: CompiledModule, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
}
type CompiledModule = object;

const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

let compiled: CompiledModule | null = null;
let pending: Promise<void> | null = null;

function moduleBytes(): Uint8Array {
  const text = atob(WASM_MODULE_BASE64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** Why this engine cannot run the module, or null when it can. */
function unsupported(): string | null {
  if (!wasm) return "this JavaScript engine has no WebAssembly";
  if (!wasm.validate(SIMD_PROBE)) return "this engine's WebAssembly has no SIMD (128-bit) support, which the wasm kernels need";
  return null;
}

/** Compile the module asynchronously (what a browser's main thread needs); resolves when it is ready, rejects with the reason it cannot be. */
export function compileWasmModule(): Promise<void> {
  if (compiled) return Promise.resolve();
  pending ??= (async () => {
    const why = unsupported();
    if (why || !wasm) throw new Error(why ?? "no WebAssembly");
    compiled = await wasm.compile(moduleBytes());
  })();
  return pending;
}

/** A new instance of the module: compiled synchronously unless compileWasmModule already did. */
export function instantiateWasm(): WasmKernels {
  if (!compiled) {
    const why = unsupported();
    if (why || !wasm) throw new Error(why ?? "no WebAssembly");
    try {
      compiled = new wasm.Module(moduleBytes());
    } catch (e) {
      // A page's main thread that refuses synchronous compilation of large modules (RangeError).
      if (e instanceof RangeError) {
        throw new Error(`the WebAssembly module is still compiling on this thread (${e.message}); await nb.backendsReady() before nb.setBackend("wasm")`);
      }
      throw e;
    }
  }
  // exp and log for the cross-entropy kernels: JavaScript's, the functions the cpu backend uses.
  const instance = new wasm!.Instance(compiled, { env: { exp: Math.exp, log: Math.log } });
  return instance.exports as unknown as WasmKernels;
}
