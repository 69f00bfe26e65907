// nb.nn.utils: gradient clipping and flattening parameters to one vector and back
// (torch.nn.utils.clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters).

import { Tensor } from "../../tensor/tensor.js";
import { formatShape } from "../../core/shape.js";
import { checkOptions, optionNames } from "../../core/options.js";
import { noGrad } from "../../autograd/grad-mode.js";
import { tidy } from "../../tensor/scope.js";
import { assertTensor, scalar } from "../../ops/util.js";
import { abs, add, clamp, clamp_, copy_, div, maximum, mul_, pow, sqrt, square } from "../../ops/elementwise.js";
import { max, sum } from "../../ops/reduce.js";
import { flatten, narrow, reshape } from "../../ops/view.js";
import { cat } from "../../ops/indexing.js";
import { activeBackend } from "../../backend/registry.js";

/** One tensor or any iterable of them (a Module's parameters(), an array, a Set). */
export type Params = Tensor | Iterable<Tensor>;

function paramList(op: string, params: Params): Tensor[] {
  if (params instanceof Tensor) return [assertTensor(op, params, "params")];
  if (params === null || params === undefined || typeof (params as Iterable<Tensor>)[Symbol.iterator] !== "function") {
    throw new TypeError(`${op}: params must be a Tensor or an iterable of tensors (e.g. model.parameters()), got ${params === null ? "null" : typeof params}`);
  }
  return [...params].map((p, i) => assertTensor(op, p, `params[${i}]`));
}

export interface ClipGradNormOptions {
  /** Which p-norm: 2 (default), any p > 0, or Infinity for the largest absolute value. */
  normType?: number;
  /** Throw when the total norm is NaN or infinite instead of scaling by it (reads it back). */
  errorIfNonfinite?: boolean;
}

const CLIP_GRAD_NORM_OPTIONS = optionNames<ClipGradNormOptions>({ normType: 1, errorIfNonfinite: 1 });

/**
 * Scale the gradients of params in place so that their combined norm (the norm of all of them
 * concatenated) is at most maxNorm: each is multiplied by min(1, maxNorm/(total + 1e-6)).
 * Returns the total norm before clipping as a 0-d tensor (`.item()` reads it), as torch does; the
 * scaling itself never reads it back, so it does not stall an asynchronous device.
 * Parameters without a gradient are skipped; with none at all the norm is 0.
 */
export function clipGradNorm(params: Params, maxNorm: number, opts: ClipGradNormOptions = {}): Tensor {
  const op = "clipGradNorm";
  checkOptions(op, opts, CLIP_GRAD_NORM_OPTIONS);
  const list = paramList(op, params);
  if (typeof maxNorm !== "number" || !(maxNorm >= 0)) throw new RangeError(`${op}: maxNorm must be a non-negative number, got ${String(maxNorm)}`);
  const p = opts.normType ?? 2;
  if (typeof p !== "number" || !(p > 0)) throw new RangeError(`${op}: normType must be a positive number or Infinity, got ${String(p)}`);
  const grads = list.map((t) => t.grad).filter((g): g is Tensor => g !== null);
  if (grads.length === 0) return scalar(0, "float32", list[0]?.backend ?? activeBackend());
  return noGrad(() => {
    const total = tidy(() => {
      // Norm of the per-tensor norms, as torch (the same value as the norm of the concatenation).
      if (p === Infinity) return grads.map((g) => max(abs(g))).reduce((a, b) => maximum(a, b));
      const powered = grads.map((g) => (p === 1 ? sum(abs(g)) : p === 2 ? sum(square(g)) : sum(pow(abs(g), p))));
      const summed = powered.reduce((a, b) => add(a, b));
      return p === 1 ? summed : p === 2 ? sqrt(summed) : pow(summed, 1 / p);
    });
    if (opts.errorIfNonfinite) {
      const v = total.item();
      if (!Number.isFinite(v)) {
        throw new Error(`${op}: the total norm of order ${p} of the gradients is ${v}, so they cannot be clipped; pass errorIfNonfinite: false to scale by it anyway`);
      }
    }
    tidy(() => {
      const coef = clamp(div(maxNorm, add(total, 1e-6)), null, 1);
      for (const g of grads) mul_(g, coef);
    });
    return total;
  });
}

/** Clamp every gradient of params into [−clipValue, clipValue], in place. */
export function clipGradValue(params: Params, clipValue: number): void {
  const op = "clipGradValue";
  const list = paramList(op, params);
  if (typeof clipValue !== "number" || !(clipValue >= 0)) throw new RangeError(`${op}: clipValue must be a non-negative number, got ${String(clipValue)}`);
  noGrad(() => {
    for (const t of list) if (t.grad) clamp_(t.grad, -clipValue, clipValue);
  });
}

/** All parameters flattened and joined into one 1-d tensor (differentiable, like torch's). */
export function parametersToVector(params: Params): Tensor {
  const op = "parametersToVector";
  const list = paramList(op, params);
  if (list.length === 0) throw new RangeError(`${op}: params is empty`);
  return tidy(() => cat(list.map((t) => flatten(t)), 0));
}

/**
 * Copy consecutive slices of a 1-d vector into params (in place, not recorded by autograd). Unlike
 * torch, which makes each parameter a view of vec, the values are copied: changing vec later does
 * not change the parameters.
 */
export function vectorToParameters(vec: Tensor, params: Params): void {
  const op = "vectorToParameters";
  assertTensor(op, vec, "vec");
  const list = paramList(op, params);
  if (vec.ndim !== 1) throw new RangeError(`${op}: vec must be 1-d, got shape ${formatShape(vec.shape)}`);
  const total = list.reduce((n, t) => n + t.numel(), 0);
  if (vec.shape[0] !== total) {
    throw new RangeError(`${op}: vec has ${vec.shape[0]} elements but the parameters hold ${total} (shapes ${list.map((t) => formatShape(t.shape)).join(", ")})`);
  }
  noGrad(() => tidy(() => {
    let at = 0;
    for (const t of list) {
      const n = t.numel();
      copy_(t, reshape(narrow(vec, 0, at, n), t.shape));
      at += n;
    }
  }));
}
