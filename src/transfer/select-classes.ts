// A target task made of some classes of a dataset — MNIST's digits 5–9 for a model pretrained on
// 0–4 — with the labels renumbered 0..k-1 in the order the classes are given, as a new head
// for k classes expects.

import { Tensor } from "../tensor/tensor.js";
import { tensor } from "../tensor/creation.js";
import { checkOptions, optionNames } from "../core/options.js";
import { type Dataset, type Sample, checkIndex, stackSamples } from "../data/dataset.js";

/** Every sample's label, read without decoding images where the dataset allows. */
function labelsOf(ds: Dataset): ArrayLike<number> {
  const y = (ds as { y?: unknown }).y;
  if (y instanceof Tensor && y.ndim === 1 && y.shape[0] === ds.length) return y.dataSync() as ArrayLike<number>;
  const samples = (ds as { samples?: unknown }).samples;
  if (Array.isArray(samples) && samples.length === ds.length && samples.every((s) => typeof s?.label === "number")) {
    return samples.map((s: { label: number }) => s.label);
  }
  return Array.from({ length: ds.length }, (_, i) => {
    const [x, label] = ds.get(i);
    const v = label.item();
    x.dispose();
    label.dispose();
    return v;
  });
}

export interface SelectClassesOptions {
  /** Keep at most this many samples (the first ones in dataset order). */
  limit?: number;
}

export const SELECT_CLASSES_OPTIONS = optionNames<SelectClassesOptions>({ limit: 1 });

/** The samples of some classes of a dataset, relabelled 0..k-1. */
export class ClassSubset implements Dataset {
  /** Indices into the source dataset. */
  readonly indices: readonly number[];
  /** The source classes kept (labels in the source), in their new order. */
  readonly sourceLabels: readonly number[];
  /** Names of the new classes, when the source dataset has class names. */
  readonly classes: readonly string[];
  private readonly _newLabel: Map<number, number>;

  constructor(readonly dataset: Dataset, classes: readonly (number | string)[], opts: SelectClassesOptions = {}) {
    const where = "selectClasses";
    checkOptions(where, opts, SELECT_CLASSES_OPTIONS);
    if (!dataset || typeof dataset.get !== "function" || typeof dataset.length !== "number") throw new TypeError(`${where}: expected a dataset`);
    if (!Array.isArray(classes) || classes.length === 0) throw new RangeError(`${where}: give at least one class`);
    const names = (dataset as { classes?: readonly string[] }).classes;
    const labels = classes.map((c) => {
      if (typeof c === "number") {
        if (!Number.isInteger(c) || c < 0 || (names && c >= names.length)) throw new RangeError(`${where}: class ${c} is not a class index of the dataset${names ? ` (0..${names.length - 1})` : ""}`);
        return c;
      }
      const i = names ? names.indexOf(c) : -1;
      if (i < 0) throw new RangeError(`${where}: the dataset has no class named "${c}"${names ? `; its classes are ${names.join(", ")}` : ""}`);
      return i;
    });
    if (new Set(labels).size !== labels.length) throw new RangeError(`${where}: a class is given twice in ${JSON.stringify(classes)}`);
    const limit = opts.limit ?? Infinity;
    this._newLabel = new Map(labels.map((l, i) => [l, i]));
    const all = labelsOf(dataset);
    const picked: number[] = [];
    for (let i = 0; i < all.length && picked.length < limit; i++) if (this._newLabel.has(all[i])) picked.push(i);
    if (picked.length === 0) throw new RangeError(`${where}: the dataset has no samples of classes ${classes.join(", ")}`);
    this.indices = picked;
    this.sourceLabels = labels;
    this.classes = labels.map((l) => names?.[l] ?? String(l));
  }

  get length(): number {
    return this.indices.length;
  }

  private relabel(y: Tensor): Tensor {
    const v = y.dataSync();
    const out = tensor(Int32Array.from(v as ArrayLike<number>, (l) => this._newLabel.get(l) ?? -1), { dtype: "int32", device: y.device }).reshape(y.shape);
    y.dispose();
    return out;
  }

  get(index: number): Sample {
    checkIndex("ClassSubset", index, this.length);
    const [x, y] = this.dataset.get(this.indices[index]);
    return [x, this.relabel(y)];
  }

  getBatch(indices: readonly number[]): Sample {
    const mapped = indices.map((i) => {
      checkIndex("ClassSubset", i, this.length);
      return this.indices[i];
    });
    const [x, y] = this.dataset.getBatch ? this.dataset.getBatch(mapped) : stackSamples(mapped.map((i) => this.dataset.get(i)));
    return [x, this.relabel(y)];
  }
}

/**
 * The samples of the given classes (indices, or names from the dataset's `classes`), relabelled
 * 0..k-1 in that order; at most `limit` of them, the first ones in dataset order.
 */
export function selectClasses(dataset: Dataset, classes: readonly (number | string)[], opts: SelectClassesOptions = {}): ClassSubset {
  return new ClassSubset(dataset, classes, opts);
}
