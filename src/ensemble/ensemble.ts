// An ensemble of classifiers: classify by the average vote of all its members. Soft voting
// averages the members' class probabilities; hard voting counts each member's predicted class,
// ties going to the lowest class index (as scikit-learn's VotingClassifier).

import type { Tensor } from "../tensor/tensor.js";
import { tidy } from "../tensor/scope.js";
import { checkOptions, optionNames } from "../core/options.js";
import { Module } from "../nn/module.js";
import { sigmoid, sub, div } from "../ops/elementwise.js";
import { sum, argmax } from "../ops/reduce.js";
import { stack, oneHot } from "../ops/indexing.js";
import { softmax } from "../ops/softmax.js";
import { predict, PREDICT_OPTIONS, type PredictOptions } from "../train/evaluate.js";
import { type DataSource, toLoader } from "../train/data-source.js";
import type { Logs } from "../train/callbacks/callback.js";
import { type Metric, metricFromName } from "../metrics/index.js";
import { currentLogs } from "../train/fit.js";

export type Vote = "soft" | "hard";

export interface EnsembleOptions {
  /** How predict combines the members (default "soft": argmax of the averaged probabilities). */
  vote?: Vote;
  /**
   * What the members output: "logits" (default; softmax over classes, or a sigmoid for a single
   * binary logit [N] / [N, 1]) or "probabilities" (used as they are).
   */
  outputs?: "logits" | "probabilities";
}

export const ENSEMBLE_OPTIONS = optionNames<EnsembleOptions>({ vote: 1, outputs: 1 });

export interface EnsemblePredictOptions {
  batchSize?: number;
  vote?: Vote;
}

export const ENSEMBLE_PREDICT_OPTIONS = optionNames<EnsemblePredictOptions>({ batchSize: 1, vote: 1 });

export interface EnsembleEvaluateOptions {
  /** Default ["accuracy"]. */
  metrics?: (string | Metric)[];
  batchSize?: number;
  vote?: Vote;
}

export const ENSEMBLE_EVALUATE_OPTIONS = optionNames<EnsembleEvaluateOptions>({ metrics: 1, batchSize: 1, vote: 1 });

export class Ensemble {
  readonly models: Module[];
  readonly vote: Vote;
  readonly outputs: "logits" | "probabilities";

  constructor(models: readonly Module[], opts: EnsembleOptions = {}) {
    if (!Array.isArray(models) || models.length === 0) throw new RangeError("Ensemble: needs at least one model");
    checkOptions("Ensemble", opts, ENSEMBLE_OPTIONS, { voting: "vote" });
    models.forEach((m, i) => {
      if (!(m instanceof Module)) throw new TypeError(`Ensemble: models[${i}] is not an nb.nn.Module`);
    });
    this.models = [...models];
    this.vote = checkVote(opts.vote ?? "soft", "Ensemble");
    const outputs = opts.outputs ?? "logits";
    if (outputs !== "logits" && outputs !== "probabilities") throw new RangeError(`Ensemble: outputs must be "logits" or "probabilities", got ${JSON.stringify(outputs)}`);
    this.outputs = outputs;
  }

  /** Each member's class probabilities, [members, N, C]. */
  memberProbabilities(x: Tensor, opts: PredictOptions = {}): Tensor {
    checkOptions("Ensemble.memberProbabilities", opts, PREDICT_OPTIONS);
    return tidy(() => stack(this.models.map((m, i) => this.toProbabilities(predict(m, x, opts), i)), 0));
  }

  /** The mean of the members' class probabilities, [N, C]. */
  predictProba(x: Tensor, opts: PredictOptions = {}): Tensor {
    checkOptions("Ensemble.predictProba", opts, PREDICT_OPTIONS);
    return tidy(() => div(sum(this.memberProbabilities(x, opts), 0), this.models.length));
  }

  /** Predicted classes (int32 [N]): soft vote (argmax of predictProba) or hard (majority of the members' classes). */
  predict(x: Tensor, opts: EnsemblePredictOptions = {}): Tensor {
    checkOptions("Ensemble.predict", opts, ENSEMBLE_PREDICT_OPTIONS, { voting: "vote" });
    const vote = checkVote(opts.vote ?? this.vote, "Ensemble.predict");
    const batch = { batchSize: opts.batchSize };
    return tidy(() => {
      if (vote === "soft") return argmax(this.predictProba(x, batch), 1);
      const probs = this.memberProbabilities(x, batch);
      const classes = probs.shape[2];
      // Votes per class: the sum over members of one-hot predicted classes; argmax takes the first maximum.
      const votes = sum(oneHot(argmax(probs, 2), classes), 0);
      return argmax(votes, 1);
    });
  }

  /**
   * The ensemble's metrics on data (default ["accuracy"]). Soft voting scores the averaged
   * probabilities (so top-k metrics work), hard voting the voted classes.
   */
  async evaluate(data: DataSource, opts: EnsembleEvaluateOptions = {}): Promise<Logs> {
    checkOptions("Ensemble.evaluate", opts, ENSEMBLE_EVALUATE_OPTIONS, { voting: "vote" });
    const vote = checkVote(opts.vote ?? this.vote, "Ensemble.evaluate");
    const loader = toLoader(data, { batchSize: opts.batchSize ?? 32, shuffle: false }, "Ensemble.evaluate");
    const metrics = (opts.metrics ?? ["accuracy"]).map((m) => (typeof m === "string" ? metricFromName(m) : m));
    for (const m of metrics) m.reset();
    for (const [x, y] of loader) {
      tidy(() => {
        const yPred = vote === "soft" ? this.predictProba(x, { batchSize: x.shape[0] }) : this.predict(x, { batchSize: x.shape[0], vote });
        for (const m of metrics) m.update(yPred, y);
      });
      x.dispose();
      y.dispose();
    }
    const logs = currentLogs(NaN, metrics);
    delete logs.loss;
    return logs;
  }

  private toProbabilities(out: Tensor, member: number): Tensor {
    const binary = out.ndim === 1 || (out.ndim === 2 && out.shape[1] === 1);
    if (!binary && out.ndim !== 2) {
      throw new RangeError(`Ensemble: models[${member}] output has shape [${out.shape.join(", ")}]; expected [N, C] class scores or [N] / [N, 1] binary ones`);
    }
    if (!binary) return this.outputs === "logits" ? softmax(out, 1) : out;
    const p1 = this.outputs === "logits" ? sigmoid(out.reshape([-1])) : out.reshape([-1]);
    return stack([sub(1, p1), p1], 1);
  }
}

function checkVote(vote: unknown, where: string): Vote {
  if (vote !== "soft" && vote !== "hard") throw new RangeError(`${where}: vote must be "soft" or "hard", got ${JSON.stringify(vote)}`);
  return vote;
}
