// The fused update path of the optimizers: when the parameter's backend has a fused kernel
// (Backend.adamStep / sgdStep, e.g. native) and every operand qualifies, one kernel call replaces
// the composite update's eight to ten elementwise ops. The composite stays the reference and the
// fallback (cpu backend, float64 parameters, non-contiguous gradients).

import type { AdamStepParams, Backend, SgdStepParams } from "../backend/backend.js";
import type { Tensor } from "../tensor/tensor.js";

/** The backend to run a fused update on, or null when one operand rules it out. */
function fusableBackend(tensors: readonly Tensor[]): Backend | null {
  const backend = tensors[0].backend;
  const n = tensors[0].numel();
  for (let i = 0; i < tensors.length; i++) {
    const t = tensors[i];
    if (t.backend !== backend || t.dtype !== "float32" || !t.isContiguous() || t.numel() !== n) return null;
    for (let j = 0; j < i; j++) if (tensors[j].storage === t.storage) return null;
  }
  return backend;
}

/** Record the in-place writes, so autograd notices a saved tensor changed underneath it. */
function bumpVersions(tensors: readonly (Tensor | null)[]): void {
  for (const t of tensors) if (t) t.storage.version++;
}

/** Run Backend.adamStep when possible; false means the caller must use the composite update. */
export function fusedAdamStep(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, vMax: Tensor | null, p: AdamStepParams): boolean {
  const operands = vMax ? [param, grad, m, v, vMax] : [param, grad, m, v];
  const backend = fusableBackend(operands);
  if (!backend?.adamStep) return false;
  backend.adamStep(param.raw(), grad.raw(), m.raw(), v.raw(), vMax?.raw() ?? null, p);
  bumpVersions([param, m, v, vMax]);
  return true;
}

/** Run Backend.sgdStep when possible; false means the caller must use the composite update. */
export function fusedSgdStep(param: Tensor, grad: Tensor, buffer: Tensor | null, p: SgdStepParams): boolean {
  const backend = fusableBackend(buffer ? [param, grad, buffer] : [param, grad]);
  if (!backend?.sgdStep) return false;
  backend.sgdStep(param.raw(), grad.raw(), buffer?.raw() ?? null, p);
  bumpVersions([param, buffer]);
  return true;
}
