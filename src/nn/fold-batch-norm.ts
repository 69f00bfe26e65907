// Folding an eval-mode batch norm into the layer before it (a convolution or a Linear), as
// torch.nn.utils.fuse_conv_bn_weights does. Eval batch norm is an affine map per channel c,
//   y = (x − μ[c]) · s[c] + β[c]   with s[c] = γ[c] / √(var[c] + ε),
// and the layer before is linear in its weight along output channels, so
//   w'[c, ...] = w[c, ...] · s[c]        b'[c] = (b[c] − μ[c]) · s[c] + β[c]
// give one layer that computes both. The arithmetic is float32 as the tensors are: the folded
// layer agrees with conv → batch norm to float32 rounding (about 1e-6 relative), not bit for bit.
// Pure tensor math with no module in sight, so a graph pass can fold the same way.

import type { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../core/shape.js";
import { noGrad } from "../autograd/grad-mode.js";
import { add, mul, sqrt, sub, div } from "../ops/elementwise.js";
import { reshape } from "../ops/view.js";

/** What an eval-mode batch norm applies: its running statistics and (when affine) γ and β. */
export interface BatchNormStatistics {
  runningMean: Tensor;
  runningVar: Tensor;
  /** γ; null for affine=false (a scale of 1). */
  weight: Tensor | null;
  /** β; null for affine=false (a shift of 0). */
  bias: Tensor | null;
  eps: number;
}

/** The folded layer's parameters: new tensors, not tracked by autograd. */
export interface FoldedWeights {
  weight: Tensor;
  bias: Tensor;
}

/**
 * The weight and bias of one layer computing layer → batch norm in eval mode. `weight` has the
 * output channels first ([Cout, ...], as convolutions and Linear store it), `bias` is [Cout] or
 * null (no bias), and the statistics are [Cout].
 */
export function foldBatchNorm(weight: Tensor, bias: Tensor | null, bn: BatchNormStatistics): FoldedWeights {
  const channels = weight.shape[0];
  const perChannel: [string, Tensor | null][] = [
    ["bias", bias], ["runningMean", bn.runningMean], ["runningVar", bn.runningVar], ["batch norm weight", bn.weight], ["batch norm bias", bn.bias],
  ];
  for (const [name, t] of perChannel) {
    if (t && !(t.ndim === 1 && t.shape[0] === channels)) {
      throw new RangeError(`foldBatchNorm: ${name} must have shape [${channels}] (one value per output channel of weight ${formatShape(weight.shape)}), got ${formatShape(t.shape)}`);
    }
  }
  return noGrad(() => {
    const invStd = div(1, sqrt(add(bn.runningVar, bn.eps)));
    const scale = bn.weight ? mul(bn.weight, invStd) : invStd;
    const foldedWeight = mul(weight, reshape(scale, [channels, ...weight.shape.slice(1).map(() => 1)]));
    const centred = bias ? sub(bias, bn.runningMean) : mul(bn.runningMean, -1);
    const scaled = mul(centred, scale);
    const foldedBias = bn.bias ? add(scaled, bn.bias) : scaled;
    return { weight: foldedWeight, bias: foldedBias };
  });
}
