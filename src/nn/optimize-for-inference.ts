// nb.nn.optimizeForInference(model), like torch.jit.optimize_for_inference (which freezes an eval
// module first): a copy of an eval-mode model for serving, with its own cloned weights (nothing
// shared with the model, which can go on training), every fusable run fused, batch norms folded
// into the layers before them, the folded weights computed once here, and its parameters frozen
// (requiresGrad false), so a forward outside noGrad records no autograd graph either — except
// for an input that itself requires a gradient (saliency maps still work).

import { Module } from "./module.js";
import { fuse } from "./fuse.js";
import { cloneStateCopy } from "./module-copy.js";
import { BatchNormFoldingBase } from "./folded.js";

/**
 * A folded, fused, frozen copy of `model` for inference. The model must be in eval mode (folding
 * uses the batch norms' running statistics): training-mode layers are an error.
 */
export function optimizeForInference<M extends Module>(model: M): M {
  if (!(model instanceof Module)) throw new TypeError("optimizeForInference: model must be an nb.nn.Module");
  const training = model.namedModules().filter(([, m]) => m.training).map(([name]) => (name === "" ? "the model itself" : `"${name}"`));
  if (training.length > 0) {
    const shown = training.slice(0, 3).join(", ") + (training.length > 3 ? ` and ${training.length - 3} more` : "");
    throw new Error(`optimizeForInference: the model is in training mode (${shown}); call model.eval() first — folding batch norm uses its running statistics`);
  }
  const copy = fuse(cloneStateCopy(model, { requiresGrad: false }) as M, { inplace: true });
  for (const m of copy.modules()) if (m instanceof BatchNormFoldingBase) m.folded();
  return copy;
}
