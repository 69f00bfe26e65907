// The native random kernel draws exactly the cpu backend's Philox4x32-10 numbers: same seed and
// counter offset, same values — uniform bit for bit, normal to float32 rounding of the same
// double-precision Box–Muller (libm and V8 may differ in the last bit of a double).

import { test } from "node:test";
import assert from "node:assert/strict";
import type { View } from "../../src/backend/backend.js";
import { cpu, native, skipNative } from "./native-helpers.js";

const dense = (n: number, offset = 0): View => ({ buf: new Float32Array(n + offset), dtype: "float32", shape: [n], strides: [1], offset });

const DRAWS: [number, bigint, bigint][] = [
  [0, 1n, 0n],
  [1, 7n, 0n],
  [5, 42n, 3n],
  [1003, 0xdeadbeefcafef00dn, 12345n],
  [100_003, 2n ** 63n + 5n, 0xffff_fff0n], // the counter's low word carries into the high word
  [64, 9n, 2n ** 64n - 3n], // and the 64-bit counter wraps
];

test("uniform draws equal the cpu backend's bit for bit", { skip: skipNative }, () => {
  for (const [n, seed, offset] of DRAWS) {
    const a = dense(n), b = dense(n, 3);
    cpu.random(a, "uniform", seed, offset);
    native().random(b, "uniform", seed, offset);
    assert.deepEqual((b.buf as Float32Array).subarray(3), a.buf, `n=${n} seed=${seed} offset=${offset}`);
    assert.deepEqual([...(b.buf as Float32Array).subarray(0, 3)], [0, 0, 0], "nothing written before the view");
  }
});

test("normal draws equal the cpu backend's to float32 rounding", { skip: skipNative }, () => {
  for (const [n, seed, offset] of DRAWS) {
    const a = dense(n), b = dense(n);
    cpu.random(a, "normal", seed, offset);
    native().random(b, "normal", seed, offset);
    const x = a.buf as Float32Array, y = b.buf as Float32Array;
    let exact = 0;
    for (let i = 0; i < n; i++) {
      if (x[i] === y[i]) exact++;
      else assert.ok(Math.abs(x[i] - y[i]) <= Math.abs(x[i]) * 2 ** -23, `element ${i}: ${y[i]} vs cpu ${x[i]}`);
    }
    assert.ok(exact >= n - Math.ceil(n / 10000), `${exact} of ${n} exact`);
  }
});

test("strided and float64 draws go to the cpu kernel and still match", { skip: skipNative }, () => {
  const strided: View = { buf: new Float32Array(20), dtype: "float32", shape: [10], strides: [2], offset: 0 };
  const ref: View = { buf: new Float32Array(20), dtype: "float32", shape: [10], strides: [2], offset: 0 };
  native().random(strided, "uniform", 5n, 1n);
  cpu.random(ref, "uniform", 5n, 1n);
  assert.deepEqual(strided.buf, ref.buf);
  const d: View = { buf: new Float64Array(9), dtype: "float64", shape: [9], strides: [1], offset: 0 };
  const dr: View = { buf: new Float64Array(9), dtype: "float64", shape: [9], strides: [1], offset: 0 };
  native().random(d, "normal", 5n, 1n);
  cpu.random(dr, "normal", 5n, 1n);
  assert.deepEqual(d.buf, dr.buf);
});
