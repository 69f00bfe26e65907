// nb.regularizers: weight penalties to add to a loss (L1, L2, elastic net). Each returns a 0-d
// tensor that is part of the graph, so `loss.add(nb.regularizers.l2(model, 1e-4)).backward()`
// puts the penalty's gradient into every parameter's .grad.
//
// Which tensors are penalised: pass a Module (its named parameters are used, and
// `exclude: (name) => boolean` can leave some out, e.g. biases and normalisation parameters, which
// by convention are not penalised), `[name, tensor]` pairs such as model.namedParameters() (same
// option), or any tensors (you pick the ones you want, e.g. [fc1.weight, fc2.weight]).

import { checkOptions, optionNames } from "./core/options.js";
import { Tensor } from "./tensor/tensor.js";
import { tidy } from "./tensor/scope.js";
import { activeBackend } from "./backend/registry.js";
import { abs, add, mul, square } from "./ops/elementwise.js";
import { sum } from "./ops/reduce.js";
import { assertFloating, assertTensor, scalar } from "./ops/util.js";
import { Module } from "./nn/module.js";

export type PenaltyParams = Module | Tensor | Iterable<Tensor> | Iterable<readonly [string, Tensor]>;

export interface PenaltyOptions {
  /** With a Module or named parameters: leave out the parameters whose dotted name matches. */
  exclude?: (name: string) => boolean;
}

const PENALTY_OPTIONS = optionNames<PenaltyOptions>({ exclude: 1 });

function selectTensors(op: string, params: PenaltyParams, opts: PenaltyOptions): Tensor[] {
  checkOptions(op, opts, PENALTY_OPTIONS);
  let named: [string, Tensor][] | null = null;
  let plain: Tensor[] | null = null;
  if (params instanceof Module) named = params.namedParameters();
  else if (params instanceof Tensor) plain = [params];
  else if (params !== null && params !== undefined && typeof (params as Iterable<unknown>)[Symbol.iterator] === "function") {
    const items = [...(params as Iterable<unknown>)];
    if (items.every((x) => Array.isArray(x) && x.length === 2 && typeof x[0] === "string")) {
      named = items.map((x) => [(x as [string, Tensor])[0], (x as [string, Tensor])[1]]);
    } else plain = items as Tensor[];
  } else {
    throw new TypeError(`${op}: params must be a Module, tensors, or [name, tensor] pairs (model.namedParameters()), got ${params === null ? "null" : typeof params}`);
  }
  if (opts.exclude !== undefined && typeof opts.exclude !== "function") {
    throw new TypeError(`${op}: exclude must be a function (name) => boolean, got ${typeof opts.exclude}`);
  }
  let tensors: Tensor[];
  if (named) {
    tensors = named.filter(([name]) => !opts.exclude?.(name)).map(([name, t]) => assertTensor(op, t, name));
  } else {
    if (opts.exclude && (plain as Tensor[]).length > 0) {
      throw new TypeError(`${op}: exclude needs parameter names; pass the Module or model.namedParameters() instead of bare tensors`);
    }
    tensors = (plain as Tensor[]).map((t, i) => assertTensor(op, t, `params[${i}]`));
  }
  for (const t of tensors) assertFloating(op, t, "every parameter");
  return tensors;
}

function checkLambda(op: string, name: string, v: number): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new RangeError(`${op}: ${name} must be a non-negative finite number, got ${String(v)}`);
  return v;
}

/** λ·Σ f(w) over the tensors, a 0-d tensor (0 when there are none). */
function penalty(tensors: Tensor[], lambda: number, f: (t: Tensor) => Tensor): Tensor {
  if (tensors.length === 0) return scalar(0, "float32", activeBackend());
  return tidy(() => mul(tensors.map((t) => sum(f(t))).reduce((a, b) => add(a, b)), lambda));
}

/** L1 penalty λ·Σ|w| (lasso). Its gradient λ·sign(w) pushes weights to exactly zero (sparsity). */
export function l1(params: PenaltyParams, lambda: number, opts: PenaltyOptions = {}): Tensor {
  const op = "l1";
  checkLambda(op, "lambda", lambda);
  return penalty(selectTensors(op, params, opts), lambda, abs);
}

/**
 * L2 penalty λ·Σw² (ridge). Its gradient is 2λ·w, so with plain SGD it is the same as
 * torch.optim's weightDecay = 2λ: weight decay wd corresponds to λ = wd/2. (With Adam the two
 * differ; AdamW's decoupled decay is not a penalty at all.)
 */
export function l2(params: PenaltyParams, lambda: number, opts: PenaltyOptions = {}): Tensor {
  const op = "l2";
  checkLambda(op, "lambda", lambda);
  return penalty(selectTensors(op, params, opts), lambda, square);
}

/** Elastic net: l1·Σ|w| + l2·Σw², the two penalties above combined. */
export function elasticNet(params: PenaltyParams, l1Lambda: number, l2Lambda: number, opts: PenaltyOptions = {}): Tensor {
  const op = "elasticNet";
  checkLambda(op, "l1", l1Lambda);
  checkLambda(op, "l2", l2Lambda);
  const tensors = selectTensors(op, params, opts);
  if (tensors.length === 0) return scalar(0, "float32", activeBackend());
  return tidy(() => add(penalty(tensors, l1Lambda, abs), penalty(tensors, l2Lambda, square)));
}
