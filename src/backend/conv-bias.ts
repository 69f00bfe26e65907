// A convolution's bias as two generic kernel calls, for backends (or operands) whose conv kernels
// do not fold it in themselves: the forward adds bias[c] over every image and position of channel
// c, the backward sums gy over everything but the channel dim. Kernels that do fold it in (the
// native addon) must give the same result: out = conv + bias as one float add per element.

import type { Backend, View } from "./backend.js";

/** out[n, c, …] += bias[c], in place. */
export function addConvBias(binary: Backend["binary"], out: View, bias: View): void {
  const strides = out.shape.map((_, i) => (i === 1 ? bias.strides[0] : 0));
  binary("add", out, { ...bias, shape: out.shape, strides }, out);
}

/** gb[c] = Σ over n and positions of gy[n, c, …]. */
export function convBiasGrad(reduce: Backend["reduce"], gy: View, gb: View): void {
  const axes = gy.shape.map((_, i) => i).filter((i) => i !== 1);
  const kept = gy.shape.map((n, i) => (i === 1 ? n : 1));
  reduce("sum", gy, axes, { ...gb, shape: kept, strides: kept.map((_, i) => (i === 1 ? gb.strides[0] : 0)) });
}
