// scikit-learn's classification_report: precision, recall, F1 and support per class, then the
// accuracy (or micro average) and the macro and weighted averages, as numbers and as the same text.

import type { Tensor } from "../tensor/tensor.js";
import { ClassTally, type ClassTotals } from "./class-tally.js";
import { averagedScores, checkLabels, perClassScores, presentClasses, type ClassScores } from "./precision-recall.js";

export interface ReportOptions {
  /** Number of classes; inferred when left out. */
  numClasses?: number;
  /** Classes to report, in this order (default: the classes that occur in yTrue or yPred). */
  labels?: readonly number[];
  /** Display names indexed by class (targetNames[c] names class c); default the class index. */
  targetNames?: readonly string[];
  /** Decimals in the text (default 2). */
  digits?: number;
  /** The value of a 0/0 ratio: 0 (default) or 1. */
  zeroDivision?: 0 | 1;
  /** Binary probabilities above this count as class 1 (default 0.5). */
  threshold?: number;
}

export interface ClassReportRow extends ClassScores {
  label: number;
  name: string;
}

export interface ClassificationReport {
  classes: ClassReportRow[];
  /** Fraction of all samples predicted correctly. */
  accuracy: number;
  microAvg: ClassScores;
  macroAvg: ClassScores;
  weightedAvg: ClassScores;
  /** The report as scikit-learn prints it. */
  toString(): string;
}

/** Per-class and averaged precision/recall/F1/support of one set of predictions. */
export function classificationReport(yPred: Tensor, yTrue: Tensor, opts: ReportOptions = {}): ClassificationReport {
  const metric = "classificationReport";
  const tally = new ClassTally(metric, { numClasses: opts.numClasses, threshold: opts.threshold });
  tally.update(yPred, yTrue);
  return buildReport(metric, tally, opts);
}

export function buildReport(metric: string, t: ClassTotals, opts: Omit<ReportOptions, "threshold">): ClassificationReport {
  const digits = opts.digits ?? 2;
  if (!Number.isInteger(digits) || digits < 0 || digits > 20) throw new RangeError(`${metric}: digits must be an integer from 0 to 20, got ${String(opts.digits)}`);
  const zeroDivision = opts.zeroDivision ?? 0;
  if (zeroDivision !== 0 && zeroDivision !== 1) throw new RangeError(`${metric}: zeroDivision must be 0 or 1, got ${String(zeroDivision)}`);
  const present = presentClasses(t);
  const labels = checkLabels(metric, opts.labels, opts.numClasses) ?? present;
  const names = opts.targetNames;
  if (names !== undefined) {
    const missing = labels.find((c) => typeof names[c] !== "string");
    if (missing !== undefined) {
      throw new RangeError(`${metric}: targetNames has ${names.length} names (indexed by class) but class ${missing} is reported`);
    }
  }
  const per = perClassScores(t, labels, zeroDivision);
  const classes = labels.map((label, i) => ({
    label,
    name: names ? names[label] : String(label),
    precision: per.precision[i],
    recall: per.recall[i],
    f1: per.f1[i],
    support: per.support[i],
  }));
  const microAvg = averagedScores(t, labels, "micro", zeroDivision);
  const macroAvg = averagedScores(t, labels, "macro", zeroDivision);
  const weightedAvg = averagedScores(t, labels, "weighted", zeroDivision);
  // As scikit-learn: the micro row is called accuracy when the reported classes are those present.
  const sameSet = new Set(labels).size === present.length && present.every((c) => labels.includes(c));
  const text = formatReport(classes, microAvg, macroAvg, weightedAvg, sameSet, digits);
  return { classes, accuracy: t.correct / t.total, microAvg, macroAvg, weightedAvg, toString: () => text };
}

function formatReport(rows: ClassReportRow[], micro: ClassScores, macro: ClassScores, weighted: ClassScores, microIsAccuracy: boolean, digits: number): string {
  const width = Math.max(12 /* "weighted avg" */, digits, ...rows.map((r) => r.name.length));
  const num = (x: number): string => pythonFixed(x, digits).padStart(9);
  const line = (name: string, s: ClassScores): string =>
    `${name.padStart(width)}  ${num(s.precision)} ${num(s.recall)} ${num(s.f1)} ${String(s.support).padStart(9)}\n`;
  let out = `${"".padStart(width)}  ${["precision", "recall", "f1-score", "support"].map((h) => h.padStart(9)).join(" ")}\n\n`;
  for (const r of rows) out += line(r.name, r);
  out += "\n";
  out += microIsAccuracy
    ? `${"accuracy".padStart(width)}  ${"".padStart(9)} ${"".padStart(9)} ${num(micro.f1)} ${String(micro.support).padStart(9)}\n`
    : line("micro avg", micro);
  out += line("macro avg", macro);
  out += line("weighted avg", weighted);
  return out;
}

/**
 * x with `digits` decimals as Python's format(x, ".{digits}f") writes it: correctly rounded, and
 * an exact tie (possible for binary fractions such as 0.125) goes to the even digit, where
 * JavaScript's toFixed would round up.
 */
export function pythonFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  const rounded = x.toFixed(digits);
  if (Math.abs(x) >= 1e21) return rounded;
  // 100 decimals show any double's tie exactly: a non-tie differs from a tie by far more than 1e-100.
  const exact = Math.abs(x).toFixed(100);
  const point = exact.indexOf(".");
  const tail = exact.slice(point + 1 + digits);
  if (!/^50*$/.test(tail)) return rounded;
  const kept = exact.slice(0, digits === 0 ? point : point + 1 + digits);
  const lastDigit = Number(kept[kept.length - 1]);
  if (lastDigit % 2 === 1) return rounded; // rounding away from zero reaches the even digit
  return (x < 0 ? "-" : "") + kept;
}
