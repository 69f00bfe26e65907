// Softmax cross-entropy on class indices as one backend kernel pair (Backend.crossEntropy and
// crossEntropyBackward), for the backends that have them: the composite in nn/loss.ts
// (logSoftmax, gather, mean and their backwards) is six ops and as many passes; this is one each
// way, and only the per-row log-sum-exp is kept for backward.

import type { LossReduction } from "../backend/backend.js";
import { record } from "../autograd/node.js";
import type { Tensor } from "../tensor/tensor.js";
import { empty } from "./util.js";

/**
 * The loss of logits [N, C] against int32 targets [N] (already checked to be in range or
 * ignoreIndex), or null when the backend has no fused kernel or the operands do not fit it
 * (other dtypes, more dims, a strided input) — the caller then takes the composite path.
 */
export function fusedCrossEntropy(input: Tensor, target: Tensor, ignoreIndex: number, reduction: LossReduction): Tensor | null {
  const b = input.backend;
  if (!b.crossEntropy || !b.crossEntropyBackward) return null;
  if (input.ndim !== 2 || input.dtype !== "float32" || !input.isContiguous() || target.ndim !== 1 || target.backend !== b) return null;
  const [n, c] = input.shape;
  const logSumExp = empty([n], "float32", b);
  const out = empty(reduction === "none" ? [n] : [], "float32", b);
  b.crossEntropy(input.raw(), target.raw(), ignoreIndex, reduction, out.raw(), logSumExp.raw());
  const loss = record("CrossEntropyBackward", [input], out, (g, [x, t, lse]) => {
    const gx = empty([n, c], "float32", b);
    b.crossEntropyBackward!(x.raw(), t.raw(), lse.raw(), ignoreIndex, reduction, g.raw(), gx.raw());
    return [gx];
  }, [input, target, logSumExp]);
  // Backward holds its own reference to the log-sum-exp (if it was recorded at all).
  logSumExp.dispose();
  return loss;
}
