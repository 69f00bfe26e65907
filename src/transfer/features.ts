// The ConvNet as a fixed feature extractor: remove the last fully-connected layer and
// treat the rest as a function from images to "CNN codes" — the activations of the hidden layer
// immediately before the classifier (4096 numbers per image in an AlexNet, 512 in a ResNet-18) —
// then train a linear classifier on the codes. Or take the activations of an earlier layer, for
// a target dataset very different from the source.

import type { Tensor } from "../tensor/tensor.js";
import { tidy } from "../tensor/scope.js";
import { noGrad } from "../autograd/grad-mode.js";
import { Module } from "../nn/module.js";
import { checkOptions, optionNames } from "../core/options.js";
import { cat } from "../ops/indexing.js";
import { flatten as flattenOp } from "../ops/view.js";
import { type DataSource, toLoader } from "../train/data-source.js";
import { captureActivation, moduleNamed } from "./capture.js";
import { findHead } from "./head.js";

export interface FeatureExtractorOptions {
  /** Return this module's output instead of the head's input (the penultimate activations). */
  layer?: string;
  /** The head whose input is the codes (default: see findHead). */
  head?: string;
  /** Flatten each sample's activations to a vector (default true). */
  flatten?: boolean;
}

export const FEATURE_EXTRACTOR_OPTIONS = optionNames<FeatureExtractorOptions>({ layer: 1, head: 1, flatten: 1 });

/**
 * A module computing a model's CNN codes: its forward runs the model only as far as the head
 * (or `layer`) and returns the activations, [N, features]. It shares the model's parameters.
 */
export class FeatureExtractor extends Module {
  readonly model: Module;
  private readonly _layer: string;
  private readonly _what: "input" | "output";
  private readonly _flatten: boolean;

  constructor(model: Module, opts: FeatureExtractorOptions = {}) {
    super();
    const where = "featureExtractor";
    if (!(model instanceof Module)) throw new TypeError(`${where}: model must be an nb.nn.Module`);
    checkOptions(where, opts, FEATURE_EXTRACTOR_OPTIONS);
    if (opts.layer !== undefined) moduleNamed(model, opts.layer, where);
    this.model = model;
    this._layer = opts.layer ?? findHead(model, opts.head, where).name;
    this._what = opts.layer === undefined ? "input" : "output";
    this._flatten = opts.flatten ?? true;
    this.training = model.training;
  }

  /** The module whose input (head) or output (layer) is returned. */
  get layer(): string {
    return this._layer;
  }

  forward(...inputs: unknown[]): Tensor {
    const t = captureActivation(this.model, this._layer, inputs, this._what, "featureExtractor");
    return this._flatten && t.ndim > 2 ? flattenOp(t, 1) : t;
  }

  override extraRepr(): string {
    return `${this._what === "input" ? "input of" : "output of"} "${this._layer}"`;
  }
}

/** The model's CNN codes as a module (see FeatureExtractor). */
export function featureExtractor(model: Module, opts: FeatureExtractorOptions = {}): FeatureExtractor {
  return new FeatureExtractor(model, opts);
}

export interface ExtractFeaturesOptions extends FeatureExtractorOptions {
  /** Images per forward pass (default 64; ignored for a DataLoader). */
  batchSize?: number;
}

export const EXTRACT_FEATURES_OPTIONS = optionNames<ExtractFeaturesOptions>({ layer: 1, head: 1, flatten: 1, batchSize: 1 });

/**
 * The codes of every sample of a dataset, in order, computed in eval mode without gradients:
 * `{ x: [N, features], y: labels }`, ready for nb.fit on a linear classifier.
 */
export function extractFeatures(model: Module, data: DataSource, opts: ExtractFeaturesOptions = {}): { x: Tensor; y: Tensor } {
  const where = "extractFeatures";
  checkOptions(where, opts, EXTRACT_FEATURES_OPTIONS);
  const batchSize = opts.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`${where}: batchSize must be a positive integer, got ${opts.batchSize}`);
  const extractor = featureExtractor(model, { layer: opts.layer, head: opts.head, flatten: opts.flatten });
  const loader = toLoader(data, { batchSize, shuffle: false }, where);
  if (loader.dataset.length === 0) throw new RangeError(`${where}: the dataset is empty`);
  const modes = model.namedModules().map(([, m]) => [m, m.training] as const);
  model.eval();
  try {
    return tidy(() => noGrad(() => {
      const xs: Tensor[] = [], ys: Tensor[] = [];
      for (const [x, y] of loader) {
        // Each batch's intermediate activations are freed as soon as its codes are out.
        xs.push(tidy(() => extractor.forward(x)));
        ys.push(y);
        x.dispose();
      }
      return { x: xs.length === 1 ? xs[0] : cat(xs, 0), y: ys.length === 1 ? ys[0] : cat(ys, 0) };
    }));
  } finally {
    for (const [m, t] of modes) m.training = t;
  }
}
