// Reading learning curves: underfitting (no capacity, or stopped too early), overfitting (with
// the epoch where validation loss turned up), a good fit, or an unrepresentative validation
// set — each with its usual remedies.
//
// The curves are read from trends, not from single epochs: the slope over the last epochs is
// compared with the epoch-to-epoch noise of the same curve (one uptick is not a trend), and the
// verdict says how sure it is. Two effects that make the validation loss sit below the training
// loss on a healthy run are accounted for: fit's training loss is the mean over the epoch's
// batches (it describes the model half an epoch before the validation loss does), and it is
// measured in training mode, with dropout, augmentation and loss penalties on.

import { checkOptions } from "../core/options.js";

export type Verdict =
  | "underfit-capacity" | "underfit-more-training" | "overfit" | "good-fit"
  | "unrepresentative-small-train" | "unrepresentative-small-validation" | "unrepresentative-easy-validation"
  | "too-few-epochs";

/** How sure the diagnosis is of its verdict. "low" verdicts are worded "Possibly ...". */
export type Confidence = "low" | "medium" | "high";

export interface Diagnosis {
  verdict: Verdict;
  /** How sure the verdict is: from the number of epochs and the size of the trend against the curve's noise. */
  confidence: Confidence;
  /** One or two sentences in the course's words ("Possibly ..." when the confidence is low). */
  explanation: string;
  remedies: string[];
  /** Observations beside the verdict (validation loss below training loss and why, a last-epoch uptick, ...). */
  notes: string[];
  /** 1-based epoch with the lowest validation loss, when validation loss turned up afterwards. */
  turnEpoch?: number;
  /** The numbers the verdict was read from. */
  evidence: DiagnosisEvidence;
}

export interface DiagnosisEvidence {
  epochs: number;
  /** Epochs the end-of-run trends were fitted over. */
  window: number;
  /** Least-squares slope of the training loss over the window, per epoch. */
  trainSlope: number;
  /** The same for the validation loss (null without validation data). */
  valSlope: number | null;
  /** Epoch-to-epoch noise (a robust standard deviation) of the validation loss. */
  valNoise: number | null;
  /** Last validation loss over the training loss at the end of the last epoch (null without validation data). */
  valToTrainRatio: number | null;
  /** Whether the training loss is measured under dropout, augmentation or a penalty (null: unknown). */
  regularized: boolean | null;
}

/**
 * What nb.fit knows about how the training loss was measured. fit may store it on the history
 * under this symbol (it is not a key, so JSON and Object.keys skip it); diagnose reads it when
 * its options do not say.
 */
export const HISTORY_INFO: unique symbol = Symbol.for("nabla.historyInfo");

export interface TrainingInfo {
  /** The model has dropout layers with p > 0. */
  dropout?: boolean;
  /** The training batches were augmented. */
  augmented?: boolean;
  /** A weight penalty was added to the training loss (fit's `regularization`). */
  penalty?: boolean;
  /** The largest weight decay of the optimizer's parameter groups. */
  weightDecay?: number;
}

interface ModuleLike { modules(): object[] }
interface OptimizerLike { paramGroups: readonly object[] }

export interface DiagnoseOptions {
  /**
   * The training loss is measured with regularization the validation loss is not: dropout,
   * augmentation or a penalty added to the loss. Then a validation loss below the training loss
   * is expected. Default: from `dropout`, `augmented`, `model`, then fit's history info; unknown
   * otherwise (diagnose then never calls the validation set "too easy" on that ground alone).
   */
  regularized?: boolean;
  /** The model has dropout (shortcut for `regularized`). */
  dropout?: boolean;
  /** The training data was augmented. */
  augmented?: boolean;
  /** The model that was trained: its Dropout layers tell whether it has dropout. */
  model?: ModuleLike;
  /** The optimizer that trained it: its weight decay is reported in the notes. */
  optimizer?: OptimizerLike;
  /** Epochs the end-of-run trends are fitted over (default 5, at least 3). */
  window?: number;
}

const DIAGNOSE_OPTIONS = ["regularized", "dropout", "augmented", "model", "optimizer", "window"] as const;

const REMEDIES: Record<Verdict, string[]> = {
  "underfit-capacity": [
    "Add more observations: there may not be enough data for the patterns to become strong signals.",
    "Add more features.",
    "Reduce any regularization on the model (dropout, weight penalties).",
    "Increase model capacity (more or wider layers).",
  ],
  "underfit-more-training": [
    "Increase the number of epochs until the validation curve has stopped improving, with an early-stopping callback (--patience).",
    "If the minimum takes long to reach, increase the learning rate and add a scheduler that adjusts it automatically (--schedule).",
  ],
  overfit: [
    "Stop at the turning point: early stopping with restored best weights (--patience).",
    "Reduce the learning rate, and reduce it automatically when validation loss plateaus (--schedule plateau).",
    "Reduce the number and/or size of the hidden layers.",
    "Regularize the weights (--weight-decay).",
    "Add dropout (--dropout), data augmentation (--augment) or batch normalization.",
    "Add more cases to the training set.",
  ],
  "good-fit": ["Nothing to fix: training and validation loss decrease to a point of stability with a small gap."],
  "unrepresentative-small-train": ["The training set may be too small relative to the validation set: add training data, or augment it (--augment)."],
  "unrepresentative-small-validation": ["The validation set may be too small to be representative: use a larger --validation-split, or k-fold cross-validation."],
  "unrepresentative-easy-validation": ["The validation set may be easier to predict than the training set: check how it was sampled (shuffle before splitting), or use k-fold cross-validation. Note that dropout raises the training loss, which is measured in training mode."],
  "too-few-epochs": [
    "Train for more epochs (5 or more) with early stopping, which halts when the validation loss stops improving and restores the best weights (--patience).",
    "Then read the curves again: one uptick of the validation loss is noise; a rise over several epochs while the training loss keeps falling is overfitting.",
  ],
};

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Epoch-to-epoch noise σ of a curve: a robust estimate from its second differences over the last
 * `span` epochs (for white noise, Δ² has variance 6σ²; a smooth decay adds little), floored at
 * 0.5% of the curve's level so a perfectly smooth curve does not make every wiggle significant.
 */
function noiseOf(xs: readonly number[], span = 10): number {
  const tail = xs.slice(-span);
  const floor = Math.max(0.005 * median(tail.map(Math.abs)), 1e-8);
  if (tail.length < 3) return floor;
  const d2 = tail.slice(2).map((v, i) => v - 2 * tail[i + 1] + tail[i]);
  return Math.max((1.4826 * median(d2.map(Math.abs))) / Math.sqrt(6), floor);
}

/** Least-squares slope of ys over consecutive epochs, and its t statistic against noise σ. */
function trend(ys: readonly number[], sigma: number): { slope: number; t: number } {
  const k = ys.length;
  if (k < 2) return { slope: 0, t: 0 };
  const xbar = (k - 1) / 2, ybar = mean(ys);
  let sxx = 0, sxy = 0;
  ys.forEach((y, i) => { sxx += (i - xbar) ** 2; sxy += (i - xbar) * (y - ybar); });
  const slope = sxy / sxx;
  return { slope, t: slope / (sigma / Math.sqrt(sxx)) };
}

/**
 * The training loss at the end of each epoch. fit reports the mean over the epoch's batches,
 * which describes the model about half an epoch earlier than the validation loss measured after
 * the epoch: move it half an epoch on (the mean with the next epoch's; the last one extrapolated).
 */
function endOfEpoch(train: readonly number[]): number[] {
  return train.map((v, i) => {
    if (i + 1 < train.length) return (v + train[i + 1]) / 2;
    if (i === 0) return v;
    return Math.min(1.5 * v, Math.max(0.5 * v, v - (train[i - 1] - v) / 2));
  });
}

/** The dropout, augmentation, penalty and weight decay a model and optimizer train with (for fit's HISTORY_INFO). */
export function trainingInfo(model?: ModuleLike, optimizer?: OptimizerLike, extra: TrainingInfo = {}): TrainingInfo {
  const info: TrainingInfo = { ...extra };
  if (model && typeof model.modules === "function") {
    info.dropout = model.modules().some((m) => /Dropout/.test(m.constructor.name) && typeof (m as { p?: unknown }).p === "number" && (m as { p: number }).p > 0);
  }
  if (optimizer && Array.isArray(optimizer.paramGroups)) {
    info.weightDecay = Math.max(0, ...optimizer.paramGroups.map((g) => Number((g as { weightDecay?: number }).weightDecay ?? 0)));
  }
  return info;
}

function regularizationOf(history: object, o: DiagnoseOptions): { regularized: boolean | null; why: string[]; weightDecay?: number } {
  const stored = (history as { [HISTORY_INFO]?: TrainingInfo })[HISTORY_INFO] ?? {};
  const fromModel = o.model || o.optimizer ? trainingInfo(o.model, o.optimizer) : {};
  const dropout = o.dropout ?? fromModel.dropout ?? stored.dropout;
  const augmented = o.augmented ?? stored.augmented;
  const penalty = stored.penalty;
  const weightDecay = fromModel.weightDecay ?? stored.weightDecay;
  const why = [dropout && "dropout", augmented && "augmentation", penalty && "a loss penalty"].filter((w): w is string => typeof w === "string");
  if (o.regularized !== undefined) return { regularized: o.regularized, why: o.regularized && why.length === 0 ? ["regularization"] : why, weightDecay };
  if (why.length > 0) return { regularized: true, why, weightDecay };
  // Dropout is what usually lifts the training loss: a model known to have none counts as unregularized.
  return { regularized: dropout === false ? false : null, why, weightDecay };
}

/** Split a series into finite values (fit writes NaN once the loss diverges). */
function finitePrefix(xs: readonly number[] | undefined): number[] {
  const out: number[] = [];
  for (const v of xs ?? []) {
    if (!Number.isFinite(v)) break;
    out.push(v);
  }
  return out;
}

const epochs = (n: number): string => `${n} epoch${n === 1 ? "" : "s"}`;

/**
 * Read a training history (nb.fit's, or any `{ loss, val_loss }` per epoch) as learning curves:
 * underfitting, overfitting, a good fit or an unrepresentative data set, with the remedies, how
 * sure it is, and notes. `nb.diagnose(history, { model })` (or `{ dropout: true }`) tells it that
 * the training loss is measured with dropout on.
 */
export function diagnose(history: Record<string, readonly number[]>, options: DiagnoseOptions = {}): Diagnosis {
  if (history === null || typeof history !== "object") throw new TypeError("diagnose: history must be the object nb.fit returns ({ loss: [...], val_loss: [...] })");
  checkOptions("diagnose", options, DIAGNOSE_OPTIONS);
  const window = options.window ?? 5;
  if (!Number.isInteger(window) || window < 3) throw new RangeError(`diagnose: window must be an integer >= 3, got ${window}`);

  const rawTrain = history.loss ?? [];
  const train = finitePrefix(rawTrain);
  if (train.length === 0) throw new Error("diagnose: the history has no finite training loss");
  const notes: string[] = [];
  if (train.length < rawTrain.length) {
    notes.push(`The training loss stopped being finite at epoch ${train.length + 1} (training diverged): lower the learning rate; the epochs before it are diagnosed.`);
  }
  const n = train.length;
  const rawVal = history.val_loss;
  const val = rawVal && rawVal.length >= n ? rawVal.slice(0, n) : null;
  const hasVal = val !== null && val.every((v) => Number.isFinite(v));
  const reg = regularizationOf(history, options);
  if (reg.weightDecay) notes.push(`The optimizer decays the weights (weight decay ${reg.weightDecay}).`);

  const k = Math.min(n, window);
  const trainNoise = noiseOf(train);
  const trainTrend = trend(train.slice(-k), trainNoise);
  const trainEnd = endOfEpoch(train);
  const first = train[0];
  const trainDrop = (first - Math.min(...train.slice(-2))) / Math.abs(first);
  const accuracy = history.accuracy?.[n - 1];

  const evidence: DiagnosisEvidence = {
    epochs: n, window: k, trainSlope: trainTrend.slope, valSlope: null, valNoise: null, valToTrainRatio: null,
    regularized: reg.regularized,
  };
  const make = (verdict: Verdict, confidence: Confidence, head: string, body: string, turnEpoch?: number): Diagnosis => {
    const lead = confidence === "low" ? `Possibly ${head[0].toLowerCase()}${head.slice(1)}` : head;
    return { verdict, confidence, explanation: `${lead}: ${body}`, remedies: REMEDIES[verdict], notes, turnEpoch, evidence };
  };
  // The training loss flat (or noisy) from the first epoch: nothing was learned. A run that is
  // already near-perfect after its first epoch is not "flat at a high value".
  const flatTrain = (dropLimit: number) => trainDrop < dropLimit && !(trainTrend.t < -2 && trainDrop > 0.02) && !(accuracy !== undefined && accuracy >= 0.9);
  const capacityBody = "the training loss is a flat line or noisy at a relatively high value, so the model was unable to learn the training set; it lacks the capacity the problem needs.";

  if (n < 3) {
    return make("too-few-epochs", "high", "Too early to tell", `only ${epochs(n)}, too few points on the learning curves to tell underfitting from overfitting.`);
  }

  if (!hasVal) {
    if (flatTrain(0.1)) return make("underfit-capacity", n >= 5 ? "medium" : "low", "Underfitting", capacityBody);
    if (n <= 3) return make("too-few-epochs", "high", "Too early to tell", `only ${epochs(n)} and no validation data.`);
    if (trainTrend.t < -2) {
      return make("underfit-more-training", n >= 5 ? "medium" : "low", "Underfitting that needs more training",
        "the training loss was still decreasing at the end (no validation data was given to check generalisation).");
    }
    return make("good-fit", "low", "A good fit", "the training loss has converged; without validation data, generalisation cannot be judged.");
  }

  const v = val!;
  const valNoise = noiseOf(v);
  const valTrend = trend(v.slice(-k), valNoise);
  const valMin = Math.min(...v);
  const minIdx = v.indexOf(valMin);
  const after = n - 1 - minIdx;
  const lastVal = v[n - 1];
  const ratio = lastVal / trainEnd[n - 1];
  Object.assign(evidence, { valSlope: valTrend.slope, valNoise, valToTrainRatio: ratio });

  // Validation loss below training loss: expected with dropout & co., and from the epoch mean.
  const belowSpan = Math.min(3, n);
  const belowRatios = v.slice(-belowSpan).map((x, i) => x / trainEnd[n - belowSpan + i]);
  const persistentlyBelow = belowRatios.every((r) => r < 0.7);
  const valBelowTrain = lastVal < trainEnd[n - 1];
  if (lastVal < 0.9 * trainEnd[n - 1]) {
    notes.push(reg.regularized
      ? `The validation loss is below the training loss, as expected: the training loss is measured with ${reg.why.join(" and ")} on, and averaged over each epoch while the model was still improving.`
      : reg.regularized === null
        ? "The validation loss is below the training loss. That is expected with dropout, augmentation or a loss penalty (the training loss is measured with them on), and because the training loss is averaged over each epoch while the model improves; only if the model has none of these may the validation set be easier than the training set (tell diagnose with { regularized: false })."
        : "The validation loss is below the training loss although training uses no dropout, augmentation or penalty; part of the gap is the training loss being averaged over each epoch.");
  }

  // Overfitting: the validation loss turned up and kept rising while the training loss kept falling.
  const endVal = after >= 2 ? (v[n - 1] + v[n - 2]) / 2 : lastVal;
  const riseZ = (endVal - valMin) / valNoise;
  const relRise = (endVal - valMin) / Math.abs(valMin);
  const sinceTurn = trend(v.slice(minIdx), valNoise);
  const trainFellAfterTurn = train[n - 1] < train[minIdx] || trend(train.slice(minIdx), trainNoise).slope <= 0;
  const crossed = !valBelowTrain;
  const turned = after >= 1 && riseZ > 2 && relRise > 0.02 && trainFellAfterTurn;
  const turnText = (turn: number) => `the training loss keeps falling while the validation loss turned up after epoch ${turn}`;

  if (n <= 3) {
    // Three points: only a strong signal is worth a verdict.
    if (flatTrain(0.02)) return make("underfit-capacity", "low", "Underfitting", capacityBody);
    if (turned && after === 2 && v[1] > v[0] && v[2] > v[1] && crossed && relRise > 0.1) {
      return make("overfit", "low", "Overfitting", `${turnText(minIdx + 1)} and rose in both epochs since, above the training loss; with ${epochs(n)} this is an early sign, not yet a trend.`, minIdx + 1);
    }
    const state = after === 1 && relRise > 0.01
      ? `the validation loss rose in the last epoch, but one uptick is not a trend${valBelowTrain ? ", and it is still below the training loss" : ""}`
      : after === 0 && trainTrend.slope < 0
        ? "training and validation loss are both still falling, so the model is most likely still underfitting"
        : "three points on each curve do not show a trend yet";
    return make("too-few-epochs", "high", "Too early to tell", `after ${epochs(n)}, ${state}.`);
  }

  if (flatTrain(0.1)) return make("underfit-capacity", n >= 6 ? "medium" : "low", "Underfitting", capacityBody);

  if (turned && after >= 2) {
    let score = 0;
    if (after >= 3) score++;
    if (riseZ > 4 && relRise > 0.05) score++;
    if (crossed) score++;
    if (sinceTurn.t > 2) score++;
    const confidence: Confidence = score >= 4 ? "high" : score >= 2 ? "medium" : "low";
    const tail = crossed ? "; that inflection point is where training could have been halted."
      : `; the validation loss is still below the training loss${reg.regularized ? ` (measured with ${reg.why.join(" and ")})` : ""}, so this is at most the start of overfitting.`;
    return make("overfit", confidence, "Overfitting",
      `${turnText(minIdx + 1)} and rose over the ${epochs(after)} since, by ${(relRise * 100).toFixed(0)}% (${riseZ.toFixed(0)} times its epoch-to-epoch noise)${tail}`, minIdx + 1);
  }
  if (after === 1 && riseZ > 1) notes.push(`The validation loss rose in the last epoch, but one uptick is not a trend: watch the next epochs (early stopping with patience does).`);

  // A validation curve that jumps around a smooth training curve: too few validation examples.
  const diffs = v.slice(1).map((x, i) => x - v[i]);
  const signChanges = diffs.slice(1).filter((d, i) => Math.sign(d) !== Math.sign(diffs[i]) && d !== 0).length;
  const relValNoise = valNoise / Math.abs(median(v.slice(-k)));
  const relTrainNoise = trainNoise / Math.abs(median(train.slice(-k)));
  if (signChanges >= Math.max(2, Math.floor(diffs.length / 2)) && relValNoise > 0.05 && relValNoise > 3 * relTrainNoise) {
    return make("unrepresentative-small-validation", n >= 6 && relValNoise > 0.1 ? "medium" : "low", "Unrepresentative validation set",
      `the training curve looks like a fit, but the validation loss moves noisily around it (epoch-to-epoch noise ${(relValNoise * 100).toFixed(0)}% of its level).`);
  }

  // Validation loss well below the training loss, with nothing that explains it.
  if (persistentlyBelow && reg.regularized === false) {
    return make("unrepresentative-easy-validation", n >= 5 && belowRatios.every((r) => r < 0.5) ? "high" : "medium", "Unrepresentative validation set",
      "the validation loss stays well below the training loss, so the validation data seems easier to predict than the training data (the model has no dropout, augmentation or penalty to explain it).");
  }

  // Both curves improving but far apart.
  if (lastVal > 2 * trainEnd[n - 1] && valTrend.t < -2 && trainTrend.t < 0) {
    return make("unrepresentative-small-train", n >= 6 ? "medium" : "low", "Unrepresentative training set",
      "both losses improve, but a large gap remains between the curves.");
  }

  // Still improving at the end: the run was halted early.
  if (valTrend.t < -2 && lastVal <= valMin + valNoise) {
    const confidence: Confidence = valTrend.t < -4 && n >= 5 ? "high" : "medium";
    return make("underfit-more-training", confidence, "Underfitting that needs more training",
      "training and validation loss were still decreasing at the end, so training was halted prematurely.");
  }

  const stable = Math.abs(valTrend.t) <= 2;
  const confidence: Confidence = stable && n >= 8 && Math.abs(valTrend.t) < 1 ? "high" : stable && n >= 5 ? "medium" : "low";
  return make("good-fit", confidence, "A good fit", "training and validation loss decrease to a point of stability with a small gap between them.");
}
