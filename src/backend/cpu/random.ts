// Random fills for the cpu backend, from the shared Philox implementation.

import type { View } from "../backend.js";
import { philoxFill } from "../../core/philox.js";
import { copy } from "./elementwise.js";
import { contiguousStrides, isDense, numelOf } from "../../core/shape.js";

export function random(out: View, dist: "uniform" | "normal", seed: bigint, offset: bigint): void {
  const n = numelOf(out.shape);
  const values = new Float64Array(n);
  philoxFill(values, dist, seed, offset);
  const src: View = { buf: values, dtype: "float64", shape: out.shape, strides: contiguousStrides(out.shape), offset: 0 };
  if (out.dtype === "float32" && isDense(out)) {
    (out.buf as Float32Array).set(values, out.offset);
    return;
  }
  copy(src, out);
}
