// Hard-negative mining (R-CNN, section 2.3, after Felzenszwalb et al.'s DPM): there are far more
// background regions than objects, and most are easy. Train on the positives and a sample of the
// negatives, then repeatedly add the negatives the SVM gets wrong or inside the margin
// (score > −1), and retrain. (R-CNN also drops cached negatives scoring under −1.2 to bound memory;
// with small features the whole cache fits, and dropping them made the retrained SVM forget them.)

import { Tensor } from "../../tensor/tensor.js";
import { tensor } from "../../tensor/creation.js";
import { tidy } from "../../tensor/scope.js";
import { cat, indexSelect } from "../../ops/indexing.js";
import { Generator } from "../../tensor/random.js";
import { formatShape } from "../../core/shape.js";
import { checkOptions, optionNames } from "../../core/options.js";
import { LINEAR_SVM_OPTIONS, trainLinearSvm, type LinearSVM, type LinearSVMOptions } from "./linear-svm.js";

export interface HardNegativeMiningOptions extends LinearSVMOptions {
  /** Mining rounds after the first training. Default 3. */
  rounds?: number;
  /** Negatives in the first training (a seeded random sample). Default max(500, 4 × positives). */
  initialNegatives?: number;
  /** Seed of the first sample. Default 0. */
  seed?: number;
}

export const HARD_NEGATIVE_MINING_OPTIONS = optionNames<HardNegativeMiningOptions>({
  ...Object.fromEntries(LINEAR_SVM_OPTIONS.map((k) => [k, 1])) as Record<keyof LinearSVMOptions, 1>, rounds: 1, initialNegatives: 1, seed: 1,
});

/** Score above which a negative is hard (inside the margin or misclassified). */
const HARD = -1;

export interface MinedSVM {
  svm: LinearSVM;
  /** Negatives trained on in each round. */
  cacheSizes: number[];
}

/** A one-vs-rest SVM from positive features [P, D] and negative features [M, D], mining hard negatives. */
export function trainSvmWithHardNegatives(positives: Tensor, negatives: Tensor, opts: HardNegativeMiningOptions = {}): MinedSVM {
  const op = "trainSvmWithHardNegatives";
  checkOptions(op, opts, HARD_NEGATIVE_MINING_OPTIONS);
  const { rounds = 3, initialNegatives, seed = 0, ...svmOpts } = opts;
  if (!(positives instanceof Tensor) || positives.ndim !== 2 || !(negatives instanceof Tensor) || negatives.ndim !== 2 || positives.shape[1] !== negatives.shape[1]) {
    throw new RangeError(`${op}: positives [P, D] and negatives [M, D] must be 2-D with the same D, got ${positives instanceof Tensor ? formatShape(positives.shape) : typeof positives} and ${negatives instanceof Tensor ? formatShape(negatives.shape) : typeof negatives}`);
  }
  if (!Number.isInteger(rounds) || rounds < 0) throw new RangeError(`${op}: rounds must be an integer ≥ 0, got ${String(rounds)}`);
  const P = positives.shape[0], M = negatives.shape[0];
  if (P === 0 || M === 0) throw new RangeError(`${op}: needs at least one positive and one negative, got ${P} and ${M}`);
  const first = Math.min(M, initialNegatives ?? Math.max(500, 4 * P));
  // Seeded sample without replacement: the first `first` of a shuffled order.
  const u = new Generator(seed).hostUniform(M);
  const order = Array.from({ length: M }, (_, i) => i).sort((a, b) => u[a] - u[b]);
  const cache = new Set(order.slice(0, first));
  const cacheSizes: number[] = [];
  let svm: LinearSVM | undefined;
  for (let round = 0; round <= rounds; round++) {
    const chosen = [...cache].sort((a, b) => a - b);
    cacheSizes.push(chosen.length);
    const x = tidy(() => cat([positives, indexSelect(negatives, 0, tensor(Int32Array.from(chosen), { dtype: "int32" }))], 0));
    svm = trainLinearSvm(x, [...Array<number>(P).fill(1), ...Array<number>(chosen.length).fill(-1)], svmOpts, svm);
    x.dispose();
    if (round === rounds) break;
    const scores = svm.decision(negatives).dataSync();
    let added = 0;
    for (let i = 0; i < M; i++) if (scores[i] > HARD && !cache.has(i)) { cache.add(i); added++; }
    if (added === 0) break; // no negative the SVM gets wrong any more: converged
  }
  return { svm: svm!, cacheSizes };
}
