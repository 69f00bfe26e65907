// maxPool(relu(x)) from a plain max pool's results, as generic kernel calls, for backends whose
// pooling kernel does not fuse the ReLU itself (cpu, cuda). Max commutes with ReLU, so pooling x
// and then applying ReLU to each window's max gives relu-then-pool's values; a window whose max
// is not positive held only zeros after the ReLU, so none of its taps gets a gradient (relu's
// derivative there is 0): its index becomes -1, which maxPoolBackward skips. A NaN max stays NaN
// and gets -1 too, as relu's gradient at NaN is 0 here.

import type { Backend, View } from "./backend.js";
import { contiguousStrides, numelOf } from "../core/shape.js";

type Kernels = Pick<Backend, "alloc" | "free" | "fill" | "unary" | "binary" | "where">;

/** In place: out = relu(out), indices = out > 0 ? indices : -1 (out and indices contiguous). */
export function reluAfterMaxPool(k: Kernels, out: View, indices: View): void {
  const size = numelOf(out.shape);
  if (size === 0) return;
  const broadcast = (buf: unknown, dtype: View["dtype"]): View => ({ buf, dtype, shape: out.shape, strides: out.shape.map(() => 0), offset: 0 });
  const zero = k.alloc(out.dtype, 1);
  const minusOne = k.alloc("int32", 1, true);
  const positive = k.alloc("bool", size, true);
  try {
    k.fill({ buf: minusOne, dtype: "int32", shape: [1], strides: [1], offset: 0 }, -1);
    const keep: View = { buf: positive, dtype: "bool", shape: out.shape, strides: contiguousStrides(out.shape), offset: 0 };
    k.binary("gt", out, broadcast(zero, out.dtype), keep);
    k.where(keep, indices, broadcast(minusOne, "int32"), indices);
    k.unary("relu", out, out);
  } finally {
    k.free(zero);
    k.free(minusOne);
    k.free(positive);
  }
}
