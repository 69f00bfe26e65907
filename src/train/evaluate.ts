// nb.evaluate and nb.predict: the model in eval mode, no graph recorded, batch by batch.

import type { Tensor } from "../tensor/tensor.js";
import { checkOptions, optionNames } from "../core/options.js";
import { tidy } from "../tensor/scope.js";
import { noGrad } from "../autograd/grad-mode.js";
import { Module } from "../nn/module.js";
import { cat } from "../ops/indexing.js";
import { type Metric, metricFromName } from "../metrics/index.js";
import type { DataLoader } from "../data/dataloader.js";
import type { Logs } from "./callbacks/callback.js";
import { type DataSource, toLoader } from "./data-source.js";
import { type LossFn, type LossSpec, resolveLoss } from "./loss-fn.js";
import { currentLogs } from "./fit.js";

/** Loss (when a loss is given) and metrics over a loader, with the model in eval mode. */
export function evaluateLoader(model: Module, loader: DataLoader, lossFn: LossFn | null, metrics: Metric[]): Logs {
  const wasTraining = model.training;
  model.eval();
  for (const m of metrics) m.reset();
  let lossSum = 0, seen = 0;
  try {
    for (const [x, y] of loader) {
      const n = x.shape[0];
      const value = tidy(() => noGrad(() => {
        const out = model.forward(x) as Tensor;
        for (const m of metrics) m.update(out, y);
        return lossFn ? lossFn(out, y).item() : 0;
      }));
      x.dispose();
      y.dispose();
      lossSum += value * n;
      seen += n;
    }
  } finally {
    model.train(wasTraining);
  }
  const logs = currentLogs(seen > 0 ? lossSum / seen : NaN, metrics);
  if (!lossFn) delete logs.loss;
  return logs;
}

export interface EvaluateOptions {
  loss?: LossSpec;
  metrics?: (string | Metric)[];
  batchSize?: number;
}

export const EVALUATE_OPTIONS = optionNames<EvaluateOptions>({ loss: 1, metrics: 1, batchSize: 1 });

export interface PredictOptions {
  /** Rows per forward pass (default 32). */
  batchSize?: number;
}

export const PREDICT_OPTIONS = optionNames<PredictOptions>({ batchSize: 1 });

export async function evaluate(model: Module, data: DataSource, opts: EvaluateOptions = {}): Promise<Logs> {
  if (!(model instanceof Module)) throw new TypeError("evaluate: model must be an nb.nn.Module");
  checkOptions("evaluate", opts, EVALUATE_OPTIONS);
  const loader = toLoader(data, { batchSize: opts.batchSize ?? 32, shuffle: false }, "evaluate");
  const metrics = (opts.metrics ?? ["accuracy"]).map((m) => (typeof m === "string" ? metricFromName(m) : m));
  return evaluateLoader(model, loader, opts.loss === undefined ? null : resolveLoss(opts.loss, "evaluate"), metrics);
}

/** The model's outputs for every row of x, computed in batches in eval mode. */
export function predict(model: Module, x: Tensor, opts: PredictOptions = {}): Tensor {
  if (!(model instanceof Module)) throw new TypeError("predict: model must be an nb.nn.Module");
  checkOptions("predict", opts, PREDICT_OPTIONS);
  const batchSize = opts.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`predict: batchSize must be a positive integer, got ${opts.batchSize}`);
  const wasTraining = model.training;
  model.eval();
  try {
    return tidy(() => noGrad(() => {
      const parts: Tensor[] = [];
      for (let start = 0; start < x.shape[0]; start += batchSize) {
        parts.push(model.forward(x.slice(0, start, start + batchSize)) as Tensor);
      }
      if (parts.length === 0) return model.forward(x) as Tensor; // zero rows: let the model say its shape
      return parts.length === 1 ? parts[0] : cat(parts, 0);
    }));
  } finally {
    model.train(wasTraining);
  }
}
