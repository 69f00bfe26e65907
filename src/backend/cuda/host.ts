// Running a cpu kernel on host copies of device views: the cuda backend's fallback for calls its
// own kernels do not take (int32 matmul, convolutions without cuDNN, unusual dtypes or layouts,
// and bad arguments, so the cpu kernel's error message is the one users see). Every buffer the
// views touch is downloaded once (just the span they address), the kernel runs on the copies,
// and the buffers the kernel writes are uploaded back. Slow, but the contract stays complete;
// `hostFallbacks()` counts the calls per kernel so tests can tell a call stayed on the device.

import type { View } from "../backend.js";
import { arrayFor, type TypedArray } from "../../core/dtype.js";
import { DTYPE_CODE } from "../addon-abi/codes.js";
import type { CudaAddon, DeviceBuffer } from "./addon.js";

const counts = new Map<string, number>();

/** Calls per kernel that ran on host copies since the process started (or the last reset). */
export function hostFallbacks(): Record<string, number> {
  return Object.fromEntries(counts);
}

export function resetHostFallbacks(): void {
  counts.clear();
}

/** Lowest and highest element a non-empty view addresses. */
function span(v: View): [number, number] {
  let lo = v.offset, hi = v.offset;
  for (let d = 0; d < v.shape.length; d++) {
    const s = (v.shape[d] - 1) * v.strides[d];
    if (s < 0) lo += s;
    else hi += s;
  }
  return [lo, hi];
}

const isEmpty = (v: View): boolean => v.shape.some((d) => d === 0);

interface Group {
  buf: DeviceBuffer;
  dtype: View["dtype"];
  lo: number;
  hi: number;
  written: boolean;
  host?: TypedArray;
}

/**
 * Run `kernel` (a cpu kernel) with `views` replaced by host copies; `written[i]` marks the views
 * the kernel writes (null views pass through as null).
 */
export function onHost(
  addon: CudaAddon, name: string, views: readonly (View | null)[], written: readonly boolean[], kernel: (host: (View | null)[]) => void,
): void {
  counts.set(name, (counts.get(name) ?? 0) + 1);
  const groups = new Map<DeviceBuffer, Group[]>();
  const groupOf = (v: View): Group => {
    const buf = v.buf as DeviceBuffer;
    let list = groups.get(buf);
    if (!list) groups.set(buf, (list = []));
    let g = list.find((x) => x.dtype === v.dtype);
    if (!g) list.push((g = { buf, dtype: v.dtype, lo: Infinity, hi: -Infinity, written: false }));
    return g;
  };
  views.forEach((v, i) => {
    if (!v || isEmpty(v)) return;
    const g = groupOf(v);
    const [lo, hi] = span(v);
    g.lo = Math.min(g.lo, lo);
    g.hi = Math.max(g.hi, hi);
    if (written[i]) g.written = true;
  });
  for (const list of groups.values()) {
    for (const g of list) g.host = addon.read(g.buf, DTYPE_CODE[g.dtype], g.lo, g.hi - g.lo + 1) as TypedArray;
  }
  const host = views.map((v) => {
    if (!v) return null;
    if (isEmpty(v)) return { ...v, buf: arrayFor(v.dtype, 0), offset: 0 };
    const g = groupOf(v);
    return { ...v, buf: g.host!, offset: v.offset - g.lo };
  });
  kernel(host);
  for (const list of groups.values()) {
    for (const g of list) if (g.written) addon.write(g.buf, g.lo, g.host!);
  }
}
