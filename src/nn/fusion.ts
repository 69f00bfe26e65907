// Layer runs nn.Sequential executes as one fused op, for plain layers only:
//   Conv2d → ReLU → MaxPool2d   becomes conv.forwardReluMaxPool(x, pool) (conv2dReluMaxPool2d)
//   ReLU → MaxPool1d/2d/3d      becomes pool.forwardRelu(x) (maxPool(relu(x)) in one kernel)
// with the same values and gradients. A layer whose class overrides forward, or whose forward is
// wrapped on the instance (summary's tracing, a user's hook), is not fused, so whatever watches it
// still sees its call.

import { Tensor } from "../tensor/tensor.js";
import { runsOwnForward, type Module } from "./module.js";
import { ReLU } from "./activation.js";
import { Conv2d } from "./conv.js";
import { MaxPool2d, MaxPoolNd } from "./pooling.js";

/**
 * The fused forward of the layers starting at layers[i] for input x, and how many layers it
 * covers; null when they do not start a fusable run. The conv and pool layers' fused methods run
 * them one by one themselves when their forward is not their own.
 */
export function fusedRun(layers: readonly Module[], i: number, x: unknown): { run: (x: Tensor) => Tensor; count: number } | null {
  if (!(x instanceof Tensor)) return null;
  const [first, second, third] = [layers[i], layers[i + 1], layers[i + 2]];
  if (first instanceof Conv2d && runsOwnForward(second, ReLU) && third instanceof MaxPool2d) {
    return { run: (input) => first.forwardReluMaxPool(input, third), count: 3 };
  }
  if (runsOwnForward(first, ReLU) && second instanceof MaxPoolNd) return { run: (input) => second.forwardRelu(input), count: 2 };
  return null;
}
