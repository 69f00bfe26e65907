// The cuda backend's host fallback (src/backend/cuda/host.ts): a cpu kernel runs on host copies
// of device buffers. Tested here with a stand-in addon whose "device buffers" are host arrays, so
// it runs without a GPU: each buffer is downloaded once (the span its views address), views keep
// their strides with rebased offsets, only written buffers go back, null and empty views pass
// through, and results equal the cpu kernel run on the buffers themselves.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { View } from "../../src/backend/backend.js";
import { cpuBackend } from "../../src/backend/cpu/index.js";
import type { CudaAddon, DeviceBuffer } from "../../src/backend/cuda/addon.js";
import { hostFallbacks, onHost, resetHostFallbacks } from "../../src/backend/cuda/host.js";
import type { TypedArray } from "../../src/core/dtype.js";
import { Rng, cloneView, randomView } from "./native-helpers.js";

/** Buffers are { data } boxes; reads and writes are logged. */
function fakeAddon() {
  const log: string[] = [];
  const addon = {
    read(buf: DeviceBuffer, _code: number, offset: number, count: number) {
      log.push(`read ${offset}+${count}`);
      return (buf as { data: TypedArray }).data.slice(offset, offset + count);
    },
    write(buf: DeviceBuffer, offset: number, data: ArrayBufferView) {
      log.push(`write ${offset}+${(data as TypedArray).length}`);
      (buf as { data: TypedArray }).data.set(data as TypedArray, offset);
    },
  } as unknown as CudaAddon;
  return { addon, log };
}

const boxed = (v: View): View => ({ ...v, buf: { data: (v.buf as TypedArray).slice() } });
const unbox = (v: View): TypedArray => (v.buf as { data: TypedArray }).data;

test("a cpu kernel on host copies gives the cpu kernel's result and leaves the rest of each buffer alone", () => {
  const rng = new Rng(401);
  resetHostFallbacks();
  for (let rep = 0; rep < 20; rep++) {
    const x = randomView([4, 5, 6], rng, { layout: rng.pick(["dense", "offset", "gapped", "permuted"] as const) });
    const out = randomView([4, 1, 6], rng, { layout: rng.pick(["offset", "gapped"] as const) });
    const want = cloneView(out);
    cpuBackend.reduce("sum", x, [1], want);
    const { addon, log } = fakeAddon();
    const dx = boxed(x), dout = boxed(out);
    onHost(addon, "reduce", [dx, dout], [false, true], ([h, o]) => cpuBackend.reduce("sum", h!, [1], o!));
    assert.deepEqual(unbox(dout), want.buf);
    assert.deepEqual(unbox(dx), x.buf, "an input buffer is never written back");
    assert.equal(log.filter((l) => l.startsWith("read")).length, 2);
    assert.equal(log.filter((l) => l.startsWith("write")).length, 1);
  }
  assert.equal(hostFallbacks().reduce, 20);
});

test("views sharing a buffer are downloaded once over their joint span (an in-place kernel)", () => {
  const rng = new Rng(402);
  const base = randomView([40], rng);
  const a: View = { ...base, shape: [10], strides: [2], offset: 5 };
  const b: View = { ...base, shape: [10], strides: [1], offset: 20 };
  const want = cloneView(base);
  cpuBackend.binary("add", { ...a, buf: want.buf }, { ...b, buf: want.buf }, { ...a, buf: want.buf });
  const { addon, log } = fakeAddon();
  const d = boxed(base);
  onHost(addon, "binary", [{ ...a, buf: d.buf }, { ...b, buf: d.buf }, { ...a, buf: d.buf }], [false, false, true], ([p, q, o]) => cpuBackend.binary("add", p!, q!, o!));
  assert.deepEqual(unbox(d), want.buf);
  assert.deepEqual(log, ["read 5+25", "write 5+25"]);
});

test("null and empty views pass through; a kernel that throws writes nothing back", () => {
  const { addon, log } = fakeAddon();
  const x = boxed(randomView([3, 4], new Rng(403)));
  const empty: View = { buf: { data: new Float32Array(0) }, dtype: "float32", shape: [0, 4], strides: [4, 1], offset: 0 };
  let seen: (View | null)[] = [];
  onHost(addon, "k", [x, null, empty], [false, true, true], (h) => (seen = h));
  assert.equal(seen[1], null);
  assert.equal((seen[2]!.buf as TypedArray).length, 0);
  assert.deepEqual(log, ["read 0+12"]);
  assert.throws(() => onHost(addon, "k", [x], [true], () => {
    throw new RangeError("k: bad input");
  }), /k: bad input/);
  assert.ok(!log.some((l) => l.startsWith("write")));
});
