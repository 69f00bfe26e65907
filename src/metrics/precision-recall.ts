// Precision, recall and F1 with scikit-learn's definitions (precision_recall_fscore_support):
//   precision_c = TP_c / predicted_c, recall_c = TP_c / actual_c, F1_c = 2 P R / (P + R),
// where a 0/0 ratio is `zeroDivision` and F1 is 0 when P + R = 0. Averages:
//   macro    - unweighted mean of the per-class values,
//   weighted - mean weighted by each class's support (actual count),
//   micro    - the ratios of the summed counts (equals accuracy over all classes),
//   binary   - the value of class `posLabel` alone (at most two classes may occur),
//   null     - one value per class.
// Averages run over `labels`, by default the classes that occur in yTrue or yPred (scikit-learn's
// default); per-class arrays cover `labels`, by default every class 0 … numClasses-1, so they can be
// indexed by class.

import type { Tensor } from "../tensor/tensor.js";
import { ClassTally, type ClassTotals, type TallyOptions } from "./class-tally.js";
import type { Metric } from "./metric.js";

export type Average = "macro" | "micro" | "weighted" | "binary" | null;
const AVERAGES: readonly Average[] = ["macro", "micro", "weighted", "binary", null];

export interface PrecisionRecallOptions extends TallyOptions {
  /** Default: "binary" when yPred holds binary probabilities ([N] or [N, 1] floats), else "macro". */
  average?: Average;
  /** Classes to average over / report, as scikit-learn's `labels` (default: see above). */
  labels?: readonly number[];
  /** The value of a 0/0 ratio: 0 (default) or 1. */
  zeroDivision?: 0 | 1;
  /** The positive class of average "binary" (default 1). */
  posLabel?: number;
  /** Log key (default the metric's name, e.g. "precision"). */
  name?: string;
}

/** Precision, recall, F1 and support of one class or one average. */
export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface PerClassScores {
  precision: number[];
  recall: number[];
  f1: number[];
  support: number[];
}

type Score = "precision" | "recall" | "f1";

interface ResolvedOptions {
  average: Average | undefined;
  labels: readonly number[] | undefined;
  zeroDivision: number;
  posLabel: number;
}

/** Validates the options every precision/recall/F1 entry point takes. */
export function resolveOptions(metric: string, opts: PrecisionRecallOptions): ResolvedOptions {
  if (opts.average !== undefined && !AVERAGES.includes(opts.average)) {
    throw new RangeError(`${metric}: unknown average ${JSON.stringify(opts.average)}; expected "macro", "micro", "weighted", "binary" or null (per class)`);
  }
  const zeroDivision = opts.zeroDivision ?? 0;
  if (zeroDivision !== 0 && zeroDivision !== 1) {
    throw new RangeError(`${metric}: zeroDivision must be 0 or 1, got ${String(zeroDivision)}`);
  }
  const posLabel = opts.posLabel ?? 1;
  if (typeof posLabel !== "number" || !Number.isInteger(posLabel) || posLabel < 0) {
    throw new RangeError(`${metric}: posLabel must be a class index (an integer >= 0), got ${String(posLabel)}`);
  }
  return { average: opts.average, labels: checkLabels(metric, opts.labels, opts.numClasses), zeroDivision, posLabel };
}

export function checkLabels(metric: string, labels: unknown, numClasses: number | undefined): readonly number[] | undefined {
  if (labels === undefined) return undefined;
  if (!Array.isArray(labels)) throw new TypeError(`${metric}: labels must be an array of class indices, got ${typeof labels}`);
  for (const c of labels) {
    if (typeof c !== "number" || !Number.isInteger(c) || c < 0) {
      throw new RangeError(`${metric}: labels must be class indices (integers >= 0), got ${JSON.stringify(labels)}`);
    }
    if (numClasses !== undefined && c >= numClasses) {
      throw new RangeError(`${metric}: labels holds class ${c}, outside numClasses = ${numClasses}`);
    }
  }
  return [...labels];
}

/** Classes that occur in yTrue or yPred, ascending. */
export function presentClasses(t: ClassTotals): number[] {
  const out: number[] = [];
  for (let c = 0; c < t.numClasses; c++) if (t.actual[c] + t.predicted[c] > 0) out.push(c);
  return out;
}

const ratio = (num: number, den: number, zeroDivision: number): number => (den === 0 ? zeroDivision : num / den);
const f1Of = (p: number, r: number): number => (p + r === 0 ? 0 : (2 * p * r) / (p + r));

export function perClassScores(t: ClassTotals, labels: readonly number[], zeroDivision: number): PerClassScores {
  const out: PerClassScores = { precision: [], recall: [], f1: [], support: [] };
  for (const c of labels) {
    const tp = t.truePositives[c] ?? 0, predicted = t.predicted[c] ?? 0, actual = t.actual[c] ?? 0;
    const p = ratio(tp, predicted, zeroDivision), r = ratio(tp, actual, zeroDivision);
    out.precision.push(p);
    out.recall.push(r);
    out.f1.push(f1Of(p, r));
    out.support.push(actual);
  }
  return out;
}

/** The macro, weighted or micro average over labels; support is the labels' total actual count. */
export function averagedScores(t: ClassTotals, labels: readonly number[], mode: "macro" | "weighted" | "micro", zeroDivision: number): ClassScores {
  let tp = 0, predicted = 0, actual = 0;
  for (const c of labels) {
    tp += t.truePositives[c] ?? 0;
    predicted += t.predicted[c] ?? 0;
    actual += t.actual[c] ?? 0;
  }
  if (mode === "micro") {
    const p = ratio(tp, predicted, zeroDivision), r = ratio(tp, actual, zeroDivision);
    return { precision: p, recall: r, f1: f1Of(p, r), support: actual };
  }
  const per = perClassScores(t, labels, zeroDivision);
  if (mode === "weighted" && actual === 0) {
    // No support to weigh by: scikit-learn's convention for this corner.
    return predicted === 0
      ? { precision: zeroDivision, recall: zeroDivision, f1: zeroDivision, support: 0 }
      : { precision: 0, recall: zeroDivision, f1: 0, support: 0 };
  }
  const mean = (xs: number[]): number => {
    let s = 0;
    for (let i = 0; i < xs.length; i++) s += mode === "weighted" ? xs[i] * per.support[i] : xs[i];
    return s / (mode === "weighted" ? actual : xs.length); // NaN over no labels, as scikit-learn
  };
  return { precision: mean(per.precision), recall: mean(per.recall), f1: mean(per.f1), support: actual };
}

function binaryScores(metric: string, t: ClassTotals, posLabel: number, zeroDivision: number): ClassScores {
  const present = presentClasses(t);
  if (present.length > 2) {
    throw new RangeError(
      `${metric}: average "binary" needs at most two classes, but yTrue and yPred hold classes [${present.join(", ")}]; ` +
        `use average "macro", "micro", "weighted" or null`,
    );
  }
  if (present.length === 2 && !present.includes(posLabel)) {
    throw new RangeError(`${metric}: posLabel = ${posLabel} is not one of the classes present, [${present.join(", ")}]`);
  }
  const per = perClassScores(t, [posLabel], zeroDivision);
  return { precision: per.precision[0], recall: per.recall[0], f1: per.f1[0], support: per.support[0] };
}

/** One score (precision, recall or F1) of the accumulated totals, averaged as asked. */
export function scoreOf(metric: string, score: Score, t: ClassTotals, o: ResolvedOptions): number | number[] {
  const average = o.average === undefined ? (t.allBinary && t.total > 0 ? "binary" : "macro") : o.average;
  if (average === null) {
    const labels = o.labels ?? Array.from({ length: t.numClasses }, (_, c) => c);
    return perClassScores(t, labels, o.zeroDivision)[score];
  }
  if (average === "binary") return binaryScores(metric, t, o.posLabel, o.zeroDivision)[score];
  return averagedScores(t, o.labels ?? presentClasses(t), average, o.zeroDivision)[score];
}

/** Streaming precision / recall / F1: per-class counts summed over batches, scored at compute(). */
abstract class ClassScoreMetric implements Metric {
  readonly name: string;
  private readonly tally: ClassTally;
  private readonly options: ResolvedOptions;

  constructor(private readonly score: Score, opts: PrecisionRecallOptions) {
    this.options = resolveOptions(score, opts);
    this.tally = new ClassTally(score, opts);
    this.name = opts.name ?? score;
  }

  update(yPred: Tensor, yTrue: Tensor): void {
    this.tally.update(yPred, yTrue);
  }

  compute(): number | number[] {
    return scoreOf(this.score, this.score, this.tally, this.options);
  }

  reset(): void {
    this.tally.reset();
  }
}

export class Precision extends ClassScoreMetric {
  constructor(opts: PrecisionRecallOptions = {}) {
    super("precision", opts);
  }
}

export class Recall extends ClassScoreMetric {
  constructor(opts: PrecisionRecallOptions = {}) {
    super("recall", opts);
  }
}

export class F1 extends ClassScoreMetric {
  constructor(opts: PrecisionRecallOptions = {}) {
    super("f1", opts);
  }
}

/** Options that ask for one value per class. */
type PerClassOptions = PrecisionRecallOptions & { average: null };
/** Options that ask for one averaged value. */
type AveragedOptions = PrecisionRecallOptions & { average?: Exclude<Average, null> };

/** Precision: of the samples predicted as a class, the fraction that belong to it. */
export function precision(yPred: Tensor, yTrue: Tensor, opts: PerClassOptions): number[];
export function precision(yPred: Tensor, yTrue: Tensor, opts?: AveragedOptions): number;
export function precision(yPred: Tensor, yTrue: Tensor, opts?: PrecisionRecallOptions): number | number[];
export function precision(yPred: Tensor, yTrue: Tensor, opts: PrecisionRecallOptions = {}): number | number[] {
  return oneShot(new Precision(opts), yPred, yTrue);
}

/** Recall: of the samples of a class, the fraction predicted as it. */
export function recall(yPred: Tensor, yTrue: Tensor, opts: PerClassOptions): number[];
export function recall(yPred: Tensor, yTrue: Tensor, opts?: AveragedOptions): number;
export function recall(yPred: Tensor, yTrue: Tensor, opts?: PrecisionRecallOptions): number | number[];
export function recall(yPred: Tensor, yTrue: Tensor, opts: PrecisionRecallOptions = {}): number | number[] {
  return oneShot(new Recall(opts), yPred, yTrue);
}

/** F1: the harmonic mean of precision and recall (per class, then averaged as asked). */
export function f1(yPred: Tensor, yTrue: Tensor, opts: PerClassOptions): number[];
export function f1(yPred: Tensor, yTrue: Tensor, opts?: AveragedOptions): number;
export function f1(yPred: Tensor, yTrue: Tensor, opts?: PrecisionRecallOptions): number | number[];
export function f1(yPred: Tensor, yTrue: Tensor, opts: PrecisionRecallOptions = {}): number | number[] {
  return oneShot(new F1(opts), yPred, yTrue);
}

function oneShot(m: ClassScoreMetric, yPred: Tensor, yTrue: Tensor): number | number[] {
  m.update(yPred, yTrue);
  return m.compute();
}
