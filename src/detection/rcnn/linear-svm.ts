// R-CNN's classifiers: one linear SVM per class, trained one-vs-rest with the hinge loss
//   λ/2 ‖w‖² + (1/N) Σ cᵢ max(0, 1 − yᵢ (w·xᵢ + b)),   yᵢ ∈ {−1, +1},
// where positives weigh cᵢ = positiveWeight (they are few) and negatives 1. Minimised by full-batch
// Adam through autograd (the objective is convex, so the optimiser only sets how close it gets).

import { Tensor } from "../../tensor/tensor.js";
import { tensor, zeros } from "../../tensor/creation.js";
import { tidy, keep } from "../../tensor/scope.js";
import { noGrad } from "../../autograd/grad-mode.js";
import { Adam } from "../../optim/adam.js";
import { add, mul, relu, sub } from "../../ops/elementwise.js";
import { sum } from "../../ops/reduce.js";
import { matmul } from "../../ops/linalg.js";
import { reshape } from "../../ops/view.js";
import { formatShape } from "../../core/shape.js";
import { checkOptions, optionNames } from "../../core/options.js";

export interface LinearSVMOptions {
  /** λ, the weight of ½‖w‖². Default 1e-3. */
  lambda?: number;
  /** Weight of each positive's hinge (negatives weigh 1). Default 2. */
  positiveWeight?: number;
  /** Full-batch Adam steps. Default 300. */
  steps?: number;
  /** Adam's learning rate, decayed linearly to 0 over the steps. Default 0.05. */
  lr?: number;
}

export const LINEAR_SVM_OPTIONS = optionNames<LinearSVMOptions>({ lambda: 1, positiveWeight: 1, steps: 1, lr: 1 });

/** A linear decision function f(x) = x·w + b; positive means the class. */
export class LinearSVM {
  constructor(readonly weight: Tensor, readonly bias: number) {}

  /** Decision values [N] of features [N, D]. */
  decision(x: Tensor): Tensor {
    const D = this.weight.shape[0];
    if (!(x instanceof Tensor) || x.ndim !== 2 || x.shape[1] !== D) {
      throw new RangeError(`LinearSVM.decision: features must be [N, ${D}], got ${x instanceof Tensor ? formatShape(x.shape) : typeof x}`);
    }
    return tidy(() => add(reshape(matmul(x, reshape(this.weight, [D, 1])), [x.shape[0]]), this.bias));
  }
}

function resolve(op: string, opts: LinearSVMOptions): Required<LinearSVMOptions> {
  checkOptions(op, opts, LINEAR_SVM_OPTIONS);
  const r = { lambda: opts.lambda ?? 1e-3, positiveWeight: opts.positiveWeight ?? 2, steps: opts.steps ?? 300, lr: opts.lr ?? 0.05 };
  for (const [k, v] of Object.entries(r)) {
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || (k !== "lambda" && v === 0)) throw new RangeError(`${op}: ${k} must be a ${k === "lambda" ? "non-negative" : "positive"} number, got ${String(v)}`);
  }
  if (!Number.isInteger(r.steps)) throw new RangeError(`${op}: steps must be an integer, got ${r.steps}`);
  return r;
}

/**
 * A linear SVM on features `x` [N, D] (float32) with labels `y` (N values, +1 or −1; or a [N]
 * tensor). `init` warm-starts from an earlier solution (hard-negative mining retrains this way).
 */
export function trainLinearSvm(x: Tensor, y: Tensor | readonly number[], opts: LinearSVMOptions = {}, init?: LinearSVM): LinearSVM {
  const op = "trainLinearSvm";
  const o = resolve(op, opts);
  if (!(x instanceof Tensor) || x.ndim !== 2 || x.dtype !== "float32") {
    throw new RangeError(`${op}: features must be a float32 [N, D] tensor, got ${x instanceof Tensor ? `${x.dtype} ${formatShape(x.shape)}` : typeof x}`);
  }
  const [N, D] = x.shape;
  const labels = y instanceof Tensor ? Array.from(y.dataSync(), Number) : [...y];
  if (labels.length !== N) throw new RangeError(`${op}: ${labels.length} labels for ${N} feature rows`);
  const bad = labels.findIndex((v) => v !== 1 && v !== -1);
  if (bad >= 0) throw new RangeError(`${op}: labels must be +1 or −1, got ${labels[bad]} at ${bad}`);
  if (N === 0) throw new RangeError(`${op}: no training rows`);
  const yT = tensor(Float32Array.from(labels), { shape: [N, 1] });
  const cT = tensor(Float32Array.from(labels, (v) => (v > 0 ? o.positiveWeight : 1) / N), { shape: [N, 1] });
  const w = keep(init ? tensor(Float32Array.from(init.weight.dataSync()), { shape: [D, 1], requiresGrad: true }) : zeros([D, 1], { requiresGrad: true }));
  const b = keep(tensor(Float32Array.of(init?.bias ?? 0), { shape: [1], requiresGrad: true }));
  const opt = new Adam([w, b], { lr: o.lr });
  for (let step = 0; step < o.steps; step++) {
    for (const g of opt.paramGroups) g.lr = o.lr * (1 - step / o.steps);
    tidy(() => {
      opt.zeroGrad();
      const f = add(matmul(x, w), b);
      const hinge = sum(mul(cT, relu(sub(1, mul(yT, f)))));
      const loss = add(hinge, mul(sum(mul(w, w)), o.lambda / 2));
      loss.backward();
      opt.step();
    });
  }
  return noGrad(() => new LinearSVM(tensor(Float32Array.from(w.dataSync()), { shape: [D] }), b.item()));
}
