// In-place math the optimizers need that the op library only offers out of place. These write
// through the backend's kernels directly (the cpu kernels are elementwise, so input and output may
// be the same view), saving an allocation and a pass per update.

import type { Tensor } from "../tensor/tensor.js";
import { bumpVersion } from "../ops/util.js";

/** t ← √t (torch's sqrt_). Only for tensors autograd does not track (optimizer temporaries). */
export function sqrt_(t: Tensor): Tensor {
  t.backend.unary("sqrt", t.raw(), t.raw());
  bumpVersion(t);
  return t;
}
