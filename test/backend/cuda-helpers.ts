// Shared by the cuda backend tests: whether the backend (addon AND device) is usable, and running
// one kernel on the cpu backend and on the cuda backend over identical buffers. Views, layouts and
// the seeded generator come from the native backend's helpers.

import assert from "node:assert/strict";
import type { Backend, View } from "../../src/backend/backend.js";
import { cpuBackend } from "../../src/backend/cpu/index.js";
import { cudaBackend, cudaUnavailableReason, hostFallbacks } from "../../src/backend/cuda/index.js";
import { loadCudaAddon } from "../../src/backend/cuda/addon.js";
import type { TypedArray } from "../../src/core/dtype.js";
import { assertBuffersClose, cloneView } from "./native-helpers.js";

export { EXACT, Rng, broadcastDims, cloneView, convParams, layoutOf, randomView, type ConvCase, type Layout } from "./native-helpers.js";

const reason = cudaUnavailableReason();
/** node:test's skip option: false when the cuda backend is usable, else why its tests cannot run. */
export const skipCuda: string | false = reason ? `cuda backend unavailable: ${reason}` : false;
/** Skip reason for tests that need only the built addon (no device). */
const addonLoad = loadCudaAddon();
export const skipAddon: string | false = addonLoad.addon ? false : `cuda addon not loadable: ${addonLoad.reason}`;
export const cuda = (): Backend => cudaBackend(cpuBackend);
export const cpu = cpuBackend;

export const ULP = { rtol: 4e-6, atol: 1e-30 };
export const SUM = { rtol: 1e-5, atol: 1e-6 };

/** Upload a host view's whole buffer; the device view keeps its strides and offset. */
export function toDevice(v: View, b: Backend = cuda()): View {
  return { ...v, buf: b.fromHost((v.buf as TypedArray).slice()) };
}

/** The whole device buffer of v back on the host. */
export function toHost(v: View, length: number, b: Backend = cuda()): TypedArray {
  return b.readSync(v.buf, v.dtype, 0, length);
}

function fallbackTotal(): number {
  return Object.values(hostFallbacks()).reduce((s, n) => s + n, 0);
}

/**
 * Run `call` on the cpu backend and on the cuda backend with the same inputs and copies of the
 * same output buffers (garbage outside the views included), then compare every output buffer in
 * full: values inside the views within `tol`, the rest untouched. Inputs that are also outputs
 * (in-place kernels) go in `outputs` only. The cuda call must stay on the device unless
 * `allowFallback`.
 */
export function compareCuda(
  msg: string, inputs: View[], outputs: View[], tol: { rtol: number; atol: number },
  call: (b: Backend, ins: View[], outs: View[]) => void, allowFallback = false,
): void {
  const cpuOuts = outputs.map(cloneView);
  call(cpu, inputs, cpuOuts);
  const b = cuda();
  // One device buffer per host buffer, so views that share a buffer share it on the device too.
  const uploaded = new Map<unknown, unknown>();
  const dev = (v: View): View => {
    let d = uploaded.get(v.buf);
    if (d === undefined) {
      d = b.fromHost((v.buf as TypedArray).slice());
      uploaded.set(v.buf, d);
    }
    return { ...v, buf: d };
  };
  const devIns = inputs.map(dev), devOuts = outputs.map(dev);
  const before = fallbackTotal();
  call(b, devIns, devOuts);
  if (!allowFallback) assert.equal(fallbackTotal(), before, `${msg}: the cuda backend ran the cpu kernel on host copies (${JSON.stringify(hostFallbacks())})`);
  devOuts.forEach((o, i) => {
    const got = b.readSync(o.buf, o.dtype, 0, (outputs[i].buf as TypedArray).length);
    assertBuffersClose(got, cpuOuts[i].buf as TypedArray, tol, `${msg} (output ${i})`);
  });
  for (const d of uploaded.values()) b.free(d);
}
