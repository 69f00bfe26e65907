// Layer pairs nn.Sequential runs as one fused op: a ReLU followed by a max-pool layer becomes the
// pool's forwardRelu (maxPool(relu(x)) in one kernel, the same values and gradients). Only plain
// layers fuse: a ReLU subclass, or a ReLU whose forward is wrapped on the instance (summary's
// tracing, a user's hook), runs on its own so whatever watches it still sees its call.

import { Tensor } from "../tensor/tensor.js";
import type { Module } from "./module.js";
import { ReLU } from "./activation.js";
import { MaxPoolNd } from "./pooling.js";

/** The fused forward of `first` then `second` for input x, or null when the pair does not fuse. */
export function fusedPair(first: Module, second: Module | undefined, x: unknown): ((x: Tensor) => Tensor) | null {
  if (!(x instanceof Tensor) || !(second instanceof MaxPoolNd)) return null;
  if (first.constructor !== ReLU || Object.hasOwn(first, "forward")) return null;
  return (input) => second.forwardRelu(input);
}
