// Inference blocks with a batch norm folded into the layer before it (nn/fold-batch-norm.ts): the
// modules the fusion pass (nn/fuse.ts) puts in place of Conv → BatchNorm (→ ReLU (→ MaxPool2d))
// and Linear → BatchNorm1d (→ ReLU) when the model is in eval mode, as torch's fuse_modules does
// for inference. The batch norm's place holds a FoldedBatchNorm that keeps its parameters and
// statistics (the same tensors), so state dicts, loadStateDict and the optimizer see the model
// as it was.
//
// The folded weights are computed on the first eval forward and kept until a tensor they came
// from changes: every in-place write bumps its storage's version, and setData (to(), loading)
// swaps the storage, so a stamp of (storage, version) per source tells stale from current. In
// training mode — or where autograd must reach the parameters (grad enabled and a parameter
// requires it) — a block runs its original layers instead, values and gradients exactly theirs,
// and drops the folded copy; eval mode folds again.

import type { Tensor } from "../tensor/tensor.js";
import type { Storage } from "../tensor/storage.js";
import { keep } from "../tensor/scope.js";
import { isGradEnabled } from "../autograd/grad-mode.js";
import { relu } from "../ops/elementwise.js";
import { linear } from "../ops/linalg.js";
import { conv2dReluMaxPool2d } from "../ops/conv-relu-pool.js";
import { Module } from "./module.js";
import type { Parameter } from "./parameter.js";
import type { Conv1d, Conv2d, Conv3d } from "./conv.js";
import type { Linear } from "./linear.js";
import type { BatchNorm1d, BatchNorm2d, BatchNorm3d } from "./normalization.js";
import { runPool, type MaxPool2d } from "./pooling.js";
import { foldBatchNorm, type FoldedWeights } from "./fold-batch-norm.js";

type Conv = Conv1d | Conv2d | Conv3d;
type BatchNorm = BatchNorm1d | BatchNorm2d | BatchNorm3d;

/**
 * Where a batch norm stood before it was folded into the layer before it: its forward returns
 * the input unchanged (that layer's block applies the normalisation). It holds the batch norm's
 * weight, bias and running statistics (the same tensors) under their names.
 */
export class FoldedBatchNorm extends Module {
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;
  declare readonly running_mean: Tensor | null;
  declare readonly running_var: Tensor | null;
  declare readonly num_batches_tracked: Tensor | null;
  private readonly _bn: BatchNorm;

  constructor(bn: BatchNorm) {
    super();
    this.weight = bn.weight;
    this.bias = bn.bias;
    this.registerBuffer("running_mean", bn.running_mean);
    this.registerBuffer("running_var", bn.running_var);
    this.registerBuffer("num_batches_tracked", bn.num_batches_tracked);
    this._bn = bn;
    this.training = bn.training;
    this._keepEval = bn._keepEval;
  }

  /** The batch norm this stands for. */
  get batchNorm(): BatchNorm {
    return this._bn;
  }

  forward(x: Tensor): Tensor {
    return x;
  }

  override extraRepr(): string {
    return `folded into the layer before: ${this._bn.constructor.name}(${this._bn.extraRepr()})`;
  }
}

/** A tensor's storage and its version when the folded weights were made from it. */
type Stamp = { tensor: Tensor; storage: Storage; version: number };

/** layer → batch norm (→ ReLU ...) with the folded weights cached and kept current. */
export abstract class BatchNormFoldingBase extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  private readonly _norm: FoldedBatchNorm;
  private _folded: (FoldedWeights & { stamps: Stamp[] }) | null = null;

  protected constructor(layer: Conv | Linear, norm: FoldedBatchNorm) {
    super();
    this.weight = layer.weight;
    this.bias = layer.bias;
    this._norm = norm;
    this.training = layer.training;
  }

  /** The batch norm folded in. */
  get batchNorm(): BatchNorm {
    return this._norm.batchNorm;
  }

  /** The tensors the folded weights are computed from. */
  private sources(): Tensor[] {
    const bn = this.batchNorm;
    return [this.weight, this.bias, bn.weight, bn.bias, bn.running_mean, bn.running_var].filter((t): t is Tensor => t !== null);
  }

  /** Whether this call may use folded weights: eval mode, and no gradient has to reach a parameter. */
  protected foldable(): boolean {
    if (this.training || this._norm.training) return false;
    return !(isGradEnabled() && this.sources().some((t) => t.requiresGrad));
  }

  /** The folded weight and bias for the sources' present values (folded again when one changed since). */
  folded(): FoldedWeights {
    const cached = this._folded;
    if (cached && cached.stamps.every((s) => s.tensor.storage === s.storage && s.storage.version === s.version)) return cached;
    this.release();
    const bn = this.batchNorm;
    const stamps = this.sources().map((tensor) => ({ tensor, storage: tensor.storage, version: tensor.storage.version }));
    const { weight, bias } = foldBatchNorm(this.weight, this.bias, {
      runningMean: bn.running_mean as Tensor, runningVar: bn.running_var as Tensor, weight: bn.weight, bias: bn.bias, eps: bn.eps,
    });
    // Module state: it must outlive any tidy() scope the forward runs in.
    this._folded = { weight: keep(weight), bias: keep(bias), stamps };
    return this._folded;
  }

  /** Drop the folded weights (training needs none; the next eval forward folds again). */
  release(): void {
    if (!this._folded) return;
    this._folded.weight.dispose();
    this._folded.bias.dispose();
    this._folded = null;
  }

  /** Run the original layers, as the model computed before folding. */
  protected unfolded(x: Tensor, layer: Conv | Linear): Tensor {
    this.release();
    const bn = this.batchNorm;
    bn.training = this._norm.training;
    return bn.forward(layer.forward(x));
  }
}

/**
 * Conv1d/2d/3d → BatchNorm1d/2d/3d, optionally → ReLU, optionally → MaxPool2d: in eval mode one
 * convolution with the batch norm folded into its weight and bias (then relu, or relu and max
 * pool as one conv2dReluMaxPool2d kernel where the backend has it).
 */
export class FoldedConvBatchNorm extends BatchNormFoldingBase {
  private readonly _conv: Conv;
  private readonly _relu: boolean;
  private readonly _pool: MaxPool2d | null;

  constructor(conv: Conv, norm: FoldedBatchNorm, opts: { relu?: boolean; pool?: MaxPool2d | null } = {}) {
    super(conv, norm);
    const pool = opts.pool ?? null;
    if (pool && !(opts.relu && conv.kernelSize.length === 2 && conv.paddingMode === "zeros")) {
      throw new RangeError("FoldedConvBatchNorm: a max pool folds only after a ReLU, behind a Conv2d that pads with zeros");
    }
    this._conv = conv;
    this._relu = opts.relu ?? false;
    this._pool = pool;
  }

  /** The convolution folded into. */
  get conv(): Conv {
    return this._conv;
  }

  forward(x: Tensor): Tensor {
    const conv = this._conv, pool = this._pool;
    if (!this.foldable()) {
      const y = this.unfolded(x, conv);
      const activated = this._relu ? relu(y) : y;
      return pool ? pool.forward(activated) : activated;
    }
    const { weight, bias } = this.folded();
    if (pool) {
      conv.checkInput(x);
      const convOpts = { stride: conv.stride, padding: conv.padding, dilation: conv.dilation, groups: conv.groups };
      const poolOpts = { stride: pool.stride, padding: pool.padding, dilation: pool.dilation, ceilMode: pool.ceilMode };
      return runPool(this, 2, x, () => conv2dReluMaxPool2d(x, weight, bias, convOpts, pool.kernelSize, poolOpts));
    }
    const y = conv.forwardWith(x, weight, bias);
    return this._relu ? relu(y) : y;
  }

  override extraRepr(): string {
    const tail = [this._relu ? "; ReLU" : "", this._pool ? `; MaxPool2d(${this._pool.extraRepr()})` : ""].join("");
    return `${this._conv.constructor.name}(${this._conv.extraRepr()}); ${this.batchNorm.constructor.name} folded${tail}`;
  }
}

/** Linear → BatchNorm1d over [N, features], optionally → ReLU: one Linear in eval mode. */
export class FoldedLinearBatchNorm extends BatchNormFoldingBase {
  private readonly _linear: Linear;
  private readonly _relu: boolean;

  constructor(layer: Linear, norm: FoldedBatchNorm, opts: { relu?: boolean } = {}) {
    super(layer, norm);
    this._linear = layer;
    this._relu = opts.relu ?? false;
  }

  get linear(): Linear {
    return this._linear;
  }

  forward(x: Tensor): Tensor {
    // BatchNorm1d normalises dim 1: the Linear's features only for 2-D input. Other ranks (and
    // wrong shapes, for their errors) take the layers' own path.
    let y: Tensor;
    if (this.foldable() && x.ndim === 2 && x.shape[1] === this._linear.inFeatures) {
      const { weight, bias } = this.folded();
      y = linear(x, weight, bias);
    } else {
      y = this.unfolded(x, this._linear);
    }
    return this._relu ? relu(y) : y;
  }

  override extraRepr(): string {
    return `Linear(${this._linear.extraRepr()}); BatchNorm1d folded${this._relu ? "; ReLU" : ""}`;
  }
}
