// conv2d → relu → maxPool2d as one op, the block every classic CNN repeats. A backend with the
// fused kernel (native) never writes the convolution's output: each image's result stays in cache
// and only the pooled planes and their indices reach memory; the backward unpools the gradient
// (zero where relu or the pool dropped a value) and runs the convolution's two backward kernels.
// Values and gradients are those of the three ops; backends or geometries the kernel does not
// take (strided convs, pools other than 2×2 stride 2, float64) run the three ops.

import { Tensor } from "../tensor/tensor.js";
import { empty } from "./util.js";
import { conv2d, prepareConv, recordConv, type ConvOptions } from "./conv.js";
import { maxPoolPlan, reluMaxPool2d, scatterByIndices, type MaxPoolOptions } from "./pool.js";
import { squeeze } from "./view.js";

import type { IntOrTuple } from "../core/int-tuple.js";
import { traceable } from "../graph/recorder.js";

/** maxPool2d(relu(conv2d(input, weight, bias, convOpts)), kernelSize, poolOpts), fused where the backend can. */
export const conv2dReluMaxPool2d = traceable("conv2dReluMaxPool2d", function conv2dReluMaxPool2d(
  input: Tensor, weight: Tensor, bias: Tensor | null | undefined, convOpts: ConvOptions, kernelSize: IntOrTuple, poolOpts: MaxPoolOptions = {},
): Tensor {
  const op = "conv2dReluMaxPool2d";
  const c = prepareConv(op, 2, input, weight, bias, convOpts);
  const fused = c.backend.convReluMaxPool;
  if (fused) {
    const plan = maxPoolPlan(op, 2, c.outShape, kernelSize, poolOpts);
    const pooled = empty(plan.outShape, c.dtype, c.backend);
    const indices = empty(plan.outShape, "int32", c.backend);
    if (fused.call(c.backend, c.x.raw(), c.w.raw(), c.bb ? c.bb.raw() : null, c.params, pooled.raw(), indices.raw(), plan.params)) {
      const convShape = c.outShape;
      const y = recordConv("ConvReluMaxPool2dBackward", c, pooled, (g, [saved]) => scatterByIndices(g, saved, convShape), [indices]);
      indices.dispose();  // the node keeps its own reference
      return c.unbatched ? squeeze(y, 0) : y;
    }
    pooled.dispose();
    indices.dispose();
  }
  return reluMaxPool2d(conv2d(input, weight, bias, convOpts), kernelSize, poolOpts);
});
