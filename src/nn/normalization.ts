// Normalization layers: BatchNorm1d/2d/3d, LayerNorm, GroupNorm, InstanceNorm1d/2d/3d and
// LocalResponseNorm (torch.nn's). Parameters and buffers carry PyTorch's names (weight, bias,
// running_mean, running_var, num_batches_tracked) so state dicts load key for key.

import { Tensor } from "../tensor/tensor.js";
import { formatShape, numelOf } from "../core/shape.js";
import { checkOptions, optionNames } from "../core/options.js";
import { ones, zeros } from "../tensor/creation.js";
import { noGrad } from "../autograd/grad-mode.js";
import { add_ } from "../ops/elementwise.js";
import { squeeze, unsqueeze } from "../ops/view.js";
import { batchNorm, groupNorm, instanceNorm, layerNorm, localResponseNorm, type LocalResponseNormOptions } from "../ops/norm.js";
import { Module } from "./module.js";
import { Parameter } from "./parameter.js";
import { checkBool, checkInput, checkInt, checkMinRank, checkNumber, checkPositive } from "./checks.js";

export interface BatchNormOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Weight of each new batch in the running averages (default 0.1); null for a cumulative average. */
  momentum?: number | null;
  /** Learn a per-channel scale (weight, γ) and shift (bias, β) (default true). */
  affine?: boolean;
  /** Keep running averages for eval mode (default true); without them eval uses batch statistics. */
  trackRunningStats?: boolean;
}

const BATCH_NORM_OPTIONS = optionNames<BatchNormOptions>({ eps: 1, momentum: 1, affine: 1, trackRunningStats: 1 });
/** Keras' spellings (BatchNormalization's epsilon, center and scale). */
const KERAS_NORM_ADVICE: Readonly<Record<string, string>> = { epsilon: "eps", center: "affine", scale: "affine" };

/** Shared by batch and instance norm: per-channel parameters and running statistics. */
abstract class NormBase extends Module {
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;
  declare readonly running_mean: Tensor | null;
  declare readonly running_var: Tensor | null;
  /** Training batches seen (int32 here; torch's is int64). */
  declare readonly num_batches_tracked: Tensor | null;
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;

  constructor(layer: string, numFeatures: number, opts: BatchNormOptions, defaults: { affine: boolean; trackRunningStats: boolean }) {
    super();
    checkInt(layer, "numFeatures", numFeatures);
    const eps = checkNumber(layer, "eps", opts.eps ?? 1e-5, 0);
    const momentum = opts.momentum === undefined ? 0.1 : opts.momentum === null ? null : checkNumber(layer, "momentum", opts.momentum, 0, 1);
    const affine = checkBool(layer, "affine", opts.affine ?? defaults.affine);
    const track = checkBool(layer, "trackRunningStats", opts.trackRunningStats ?? defaults.trackRunningStats);
    this.weight = affine ? new Parameter(ones([numFeatures])) : null;
    this.bias = affine ? new Parameter(zeros([numFeatures])) : null;
    this.registerBuffer("running_mean", track ? zeros([numFeatures]) : null);
    this.registerBuffer("running_var", track ? ones([numFeatures]) : null);
    this.registerBuffer("num_batches_tracked", track ? zeros([], { dtype: "int32" }) : null);
    this.numFeatures = numFeatures;
    this.eps = eps;
    this.momentum = momentum;
    this.affine = affine;
    this.trackRunningStats = track;
  }

  get runningMean(): Tensor | null {
    return this.running_mean;
  }
  get runningVar(): Tensor | null {
    return this.running_var;
  }
  get numBatchesTracked(): Tensor | null {
    return this.num_batches_tracked;
  }

  /** Zero the running statistics (mean 0, variance 1, no batches seen). */
  resetRunningStats(): void {
    noGrad(() => {
      this.running_mean?.fill_(0);
      this.running_var?.fill_(1);
      this.num_batches_tracked?.fill_(0);
    });
  }
  /** Running statistics reset, weight to 1 and bias to 0. */
  resetParameters(): void {
    this.resetRunningStats();
    noGrad(() => {
      this.weight?.fill_(1);
      this.bias?.fill_(0);
    });
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, trackRunningStats=${this.trackRunningStats}`;
  }
}

// ---------------------------------------------------------------------------------------------
// batch norm

export abstract class BatchNormNd extends NormBase {
  private readonly _ranks: number[];
  private readonly _layout: string;
  constructor(numFeatures: number, opts: BatchNormOptions, ranks: number[], layout: string) {
    checkOptions(new.target.name, opts, BATCH_NORM_OPTIONS, KERAS_NORM_ADVICE);
    super(new.target.name, numFeatures, opts, { affine: true, trackRunningStats: true });
    this._ranks = ranks;
    this._layout = layout;
  }

  forward(x: Tensor): Tensor {
    const { useBatchStats, factor } = this.startForward(x);
    return batchNorm(x, this.running_mean, this.running_var, this.weight, this.bias, {
      training: useBatchStats, momentum: factor, eps: this.eps,
    });
  }

  /** Checks x, counts the batch in num_batches_tracked, and says which statistics to use and the running averages' factor. */
  protected startForward(x: Tensor): { useBatchStats: boolean; factor: number } {
    checkInput(this, x, this._ranks, this._layout);
    if (x.shape[1] !== this.numFeatures) {
      throw this.layerError(`expected input with ${this.numFeatures} channels (dim 1), got ${x.shape[1]} in shape ${formatShape(x.shape)}`);
    }
    const useBatchStats = this.training || this.running_mean === null;
    if (useBatchStats && x.numel() > 0 && x.numel() / x.shape[1] === 1) {
      throw this.layerError(`expected more than 1 value per channel when using batch statistics, got input of shape ${formatShape(x.shape)}`);
    }
    let factor = this.momentum ?? 0;
    if (this.training && this.trackRunningStats && this.num_batches_tracked) {
      const seen = this.num_batches_tracked;
      noGrad(() => add_(seen, 1));
      // momentum null: the running statistics are the plain average of every batch so far.
      if (this.momentum === null) factor = 1 / seen.item();
    }
    return { useBatchStats, factor };
  }
}

/** Batch normalization over [N, C] or [N, C, L]: each channel normalised by its batch statistics. */
export class BatchNorm1d extends BatchNormNd {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super(numFeatures, opts, [2, 3], "[N, C] or [N, C, L]");
  }
}

/** Batch normalization over [N, C, H, W]: each channel normalised over the batch and both spatial dims. */
export class BatchNorm2d extends BatchNormNd {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super(numFeatures, opts, [4], "[N, C, H, W]");
  }
}

/** Batch normalization over [N, C, D, H, W]. */
export class BatchNorm3d extends BatchNormNd {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super(numFeatures, opts, [5], "[N, C, D, H, W]");
  }
}

// ---------------------------------------------------------------------------------------------
// instance norm

export interface InstanceNormOptions {
  eps?: number;
  /** Weight of each new batch in the running averages, when they are tracked (default 0.1). */
  momentum?: number;
  /** Learn a per-channel scale and shift (default false, as torch). */
  affine?: boolean;
  /** Keep running averages and use them in eval mode (default false, as torch). */
  trackRunningStats?: boolean;
}

const INSTANCE_NORM_OPTIONS = optionNames<InstanceNormOptions>({ eps: 1, momentum: 1, affine: 1, trackRunningStats: 1 });

abstract class InstanceNormNd extends NormBase {
  private readonly _nd: number;
  private readonly _layout: string;
  constructor(nd: number, numFeatures: number, opts: InstanceNormOptions, layout: string) {
    const layer = new.target.name;
    checkOptions(layer, opts, INSTANCE_NORM_OPTIONS, KERAS_NORM_ADVICE);
    if (opts.momentum !== undefined) checkNumber(layer, "momentum", opts.momentum, 0, 1);
    super(layer, numFeatures, opts, { affine: false, trackRunningStats: false });
    this._nd = nd;
    this._layout = layout;
  }

  forward(x: Tensor): Tensor {
    const nd = this._nd;
    checkInput(this, x, [nd + 1, nd + 2], this._layout);
    const unbatched = x.ndim === nd + 1;
    const cdim = unbatched ? 0 : 1;
    // Without affine parameters or running statistics torch accepts any channel count.
    if ((this.affine || this.trackRunningStats) && x.shape[cdim] !== this.numFeatures) {
      throw this.layerError(`expected input with ${this.numFeatures} channels (dim ${cdim}), got ${x.shape[cdim]} in shape ${formatShape(x.shape)}`);
    }
    const useInputStats = this.training || !this.trackRunningStats;
    if (useInputStats && numelOf(x.shape.slice(cdim + 1)) === 1) {
      throw this.layerError(`expected more than 1 spatial element per channel when using instance statistics, got input of shape ${formatShape(x.shape)}`);
    }
    const xb = unbatched ? unsqueeze(x, 0) : x;
    const out = instanceNorm(xb, {
      runningMean: this.running_mean, runningVar: this.running_var, weight: this.weight, bias: this.bias,
      useInputStats, momentum: this.momentum ?? 0.1, eps: this.eps,
    });
    return unbatched ? squeeze(out, 0) : out;
  }
}

/** Instance normalization over [N, C, L] (or [C, L]): each channel of each sample normalised over L. */
export class InstanceNorm1d extends InstanceNormNd {
  constructor(numFeatures: number, opts: InstanceNormOptions = {}) {
    super(1, numFeatures, opts, "[N, C, L] or unbatched [C, L]");
  }
}

/** Instance normalization over [N, C, H, W] (or [C, H, W]), as in style transfer. */
export class InstanceNorm2d extends InstanceNormNd {
  constructor(numFeatures: number, opts: InstanceNormOptions = {}) {
    super(2, numFeatures, opts, "[N, C, H, W] or unbatched [C, H, W]");
  }
}

/** Instance normalization over [N, C, D, H, W] (or [C, D, H, W]). */
export class InstanceNorm3d extends InstanceNormNd {
  constructor(numFeatures: number, opts: InstanceNormOptions = {}) {
    super(3, numFeatures, opts, "[N, C, D, H, W] or unbatched [C, D, H, W]");
  }
}

// ---------------------------------------------------------------------------------------------
// layer and group norm

export interface LayerNormOptions {
  eps?: number;
  /** Learn a scale (weight) and, with bias, a shift of normalizedShape (default true). */
  elementwiseAffine?: boolean;
  /** Learn the shift too (default true; only with elementwiseAffine). */
  bias?: boolean;
}

const LAYER_NORM_OPTIONS = optionNames<LayerNormOptions>({ eps: 1, elementwiseAffine: 1, bias: 1 });

/** Normalise over the trailing dims normalizedShape of each sample (transformers' LayerNorm). */
export class LayerNorm extends Module {
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;

  constructor(normalizedShape: number | readonly number[], opts: LayerNormOptions = {}) {
    super();
    checkOptions("LayerNorm", opts, LAYER_NORM_OPTIONS, { epsilon: "eps", center: "bias", scale: "elementwiseAffine" });
    const shape = typeof normalizedShape === "number" ? [normalizedShape] : Array.isArray(normalizedShape) ? [...normalizedShape] : null;
    if (shape === null || shape.length === 0 || shape.some((s) => !Number.isInteger(s) || s < 1)) {
      throw new RangeError(`LayerNorm: normalizedShape must be a positive integer or a non-empty array of them, got ${JSON.stringify(normalizedShape)}`);
    }
    const eps = checkNumber("LayerNorm", "eps", opts.eps ?? 1e-5, 0);
    const affine = checkBool("LayerNorm", "elementwiseAffine", opts.elementwiseAffine ?? true);
    const hasBias = checkBool("LayerNorm", "bias", opts.bias ?? true);
    this.weight = affine ? new Parameter(ones(shape)) : null;
    this.bias = affine && hasBias ? new Parameter(zeros(shape)) : null;
    this.normalizedShape = shape;
    this.eps = eps;
    this.elementwiseAffine = affine;
  }

  forward(x: Tensor): Tensor {
    const ns = this.normalizedShape;
    checkMinRank(this, x, ns.length, `[*, ${ns.join(", ")}]`);
    const tail = x.shape.slice(x.ndim - ns.length);
    if (tail.some((s, i) => s !== ns[i])) {
      throw this.layerError(`expected input with trailing dims ${formatShape(ns)} (shape [*, ${ns.join(", ")}]), got shape ${formatShape(x.shape)}`);
    }
    return layerNorm(x, ns, this.weight, this.bias, this.eps);
  }

  resetParameters(): void {
    noGrad(() => {
      this.weight?.fill_(1);
      this.bias?.fill_(0);
    });
  }

  override extraRepr(): string {
    return `${formatShape(this.normalizedShape)}, eps=${this.eps}, elementwiseAffine=${this.elementwiseAffine}${this.elementwiseAffine && !this.bias ? ", bias=false" : ""}`;
  }
}

export interface GroupNormOptions {
  /** Default 1e-5. */
  eps?: number;
  /** Learn a per-channel scale and shift (default true). */
  affine?: boolean;
}

const GROUP_NORM_OPTIONS = optionNames<GroupNormOptions>({ eps: 1, affine: 1 });

/** Split the channels into numGroups groups and normalise each group of each sample. */
export class GroupNorm extends Module {
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;
  readonly affine: boolean;

  constructor(numGroups: number, numChannels: number, opts: GroupNormOptions = {}) {
    super();
    checkOptions("GroupNorm", opts, GROUP_NORM_OPTIONS, KERAS_NORM_ADVICE);
    checkInt("GroupNorm", "numGroups", numGroups);
    checkInt("GroupNorm", "numChannels", numChannels);
    if (numChannels % numGroups !== 0) throw new RangeError(`GroupNorm: numGroups=${numGroups} must divide numChannels=${numChannels}`);
    const eps = checkNumber("GroupNorm", "eps", opts.eps ?? 1e-5, 0);
    const affine = checkBool("GroupNorm", "affine", opts.affine ?? true);
    this.weight = affine ? new Parameter(ones([numChannels])) : null;
    this.bias = affine ? new Parameter(zeros([numChannels])) : null;
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.eps = eps;
    this.affine = affine;
  }

  forward(x: Tensor): Tensor {
    checkMinRank(this, x, 2, "[N, C, ...]");
    if (x.shape[1] !== this.numChannels) {
      throw this.layerError(`expected input with ${this.numChannels} channels (dim 1), got ${x.shape[1]} in shape ${formatShape(x.shape)}`);
    }
    return groupNorm(x, this.numGroups, this.weight, this.bias, this.eps);
  }

  resetParameters(): void {
    noGrad(() => {
      this.weight?.fill_(1);
      this.bias?.fill_(0);
    });
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${this.eps}, affine=${this.affine}`;
  }
}

// ---------------------------------------------------------------------------------------------
// local response norm

const LOCAL_RESPONSE_NORM_OPTIONS = optionNames<LocalResponseNormOptions>({ alpha: 1, beta: 1, k: 1 });

/**
 * AlexNet's local response normalization across channels:
 * b_c = a_c / (k + alpha/size · Σ a²)^beta over `size` neighbouring channels.
 */
export class LocalResponseNorm extends Module {
  readonly size: number;
  readonly alpha: number;
  readonly beta: number;
  readonly k: number;
  constructor(size: number, opts: LocalResponseNormOptions = {}) {
    super();
    checkOptions("LocalResponseNorm", opts, LOCAL_RESPONSE_NORM_OPTIONS);
    this.size = checkInt("LocalResponseNorm", "size", size);
    this.alpha = checkNumber("LocalResponseNorm", "alpha", opts.alpha ?? 1e-4);
    this.beta = checkNumber("LocalResponseNorm", "beta", opts.beta ?? 0.75);
    this.k = checkPositive("LocalResponseNorm", "k", opts.k ?? 1);
  }
  forward(x: Tensor): Tensor {
    checkMinRank(this, x, 3, "[N, C, ...] with at least one spatial dim");
    return localResponseNorm(x, this.size, { alpha: this.alpha, beta: this.beta, k: this.k });
  }
  override extraRepr(): string {
    return `${this.size}, alpha=${this.alpha}, beta=${this.beta}, k=${this.k}`;
  }
}
