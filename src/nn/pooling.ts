// Pooling layers: max, min, average and power-average (LP) windows, adaptive pooling to a fixed
// output size, and global average pooling, over 1, 2 or 3 spatial dims (torch.nn.MaxPool2d, ...).
// Inputs are batched [N, C, ...spatial] or unbatched [C, ...spatial].

import { Tensor } from "../tensor/tensor.js";
import {
  adaptiveAvgPool1d, adaptiveAvgPool2d, adaptiveAvgPool3d, adaptiveMaxPool1d, adaptiveMaxPool1dWithIndices, adaptiveMaxPool2d,
  adaptiveMaxPool2dWithIndices, adaptiveMaxPool3d, adaptiveMaxPool3dWithIndices, avgPool1d, avgPool2d, avgPool3d, lpPool1d,
  lpPool2d, maxPool1d, maxPool1dWithIndices, maxPool2d, maxPool2dWithIndices, maxPool3d, maxPool3dWithIndices, minPool1d,
  minPool2d, minPool3d, resolvePoolWindow, type AdaptiveSize,
} from "../ops/pool.js";
import { Module } from "./module.js";
import { intTuple } from "../core/int-tuple.js";
import { checkOptions } from "../core/options.js";
import { checkBool, checkInput, checkNumber, reprTuple, type IntOrTuple } from "./checks.js";

const LAYOUT = ["[N, C, L] or unbatched [C, L]", "[N, C, H, W] or unbatched [C, H, W]", "[N, C, D, H, W] or unbatched [C, D, H, W]"];

/** Check the input's rank, then run the op, reporting its errors (e.g. a window larger than the input) under the layer's name. */
export function runPool<T>(m: Module, nd: number, x: Tensor, fn: () => T): T {
  checkInput(m, x, [nd + 1, nd + 2], LAYOUT[nd - 1]);
  try {
    return fn();
  } catch (e) {
    // The op's message names the op; the layer's name (and dotted path) says more here.
    if (e instanceof RangeError) throw m.layerError(e.message.replace(/^[A-Za-z0-9]+: /, ""));
    throw e;
  }
}

interface WindowOptions {
  /** Step between windows; defaults to kernelSize. */
  stride?: IntOrTuple | null;
  /** Implicit padding on both sides, at most half the kernel size. */
  padding?: IntOrTuple;
  ceilMode?: boolean;
}

// ---------------------------------------------------------------------------------------------
// max and min pooling

export interface MaxPoolOptions extends WindowOptions {
  dilation?: IntOrTuple;
}

type WindowFn = (x: Tensor, k: IntOrTuple, opts: { stride: number[]; padding: number[]; dilation: number[]; ceilMode: boolean }) => Tensor;
type WindowIdxFn = (x: Tensor, k: IntOrTuple, opts: { stride: number[]; padding: number[]; dilation: number[]; ceilMode: boolean }) => [Tensor, Tensor];

abstract class ExtremumPoolNd extends Module {
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly dilation: number[];
  readonly ceilMode: boolean;
  private readonly _nd: number;
  constructor(nd: number, kernelSize: IntOrTuple, opts: MaxPoolOptions) {
    super();
    const layer = new.target.name;
    checkOptions(layer, opts, ["stride", "padding", "ceilMode", "dilation"]);
    const w = resolvePoolWindow(layer, nd, kernelSize, opts);
    this.kernelSize = w.kernel;
    this.stride = w.stride;
    this.padding = w.padding;
    this.dilation = intTuple(layer, "dilation", opts.dilation ?? 1, nd);
    this.ceilMode = checkBool(layer, "ceilMode", opts.ceilMode ?? false);
    this._nd = nd;
  }
  protected abstract pool(): WindowFn;
  protected options() {
    return { stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode };
  }
  forward(x: Tensor): Tensor {
    return runPool(this, this._nd, x, () => this.pool()(x, this.kernelSize, this.options()));
  }
  override extraRepr(): string {
    return `kernelSize=${reprTuple(this.kernelSize)}, stride=${reprTuple(this.stride)}, padding=${reprTuple(this.padding)}, ` +
      `dilation=${reprTuple(this.dilation)}, ceilMode=${this.ceilMode}`;
  }
}

export abstract class MaxPoolNd extends ExtremumPoolNd {
  protected abstract poolWithIndices(): WindowIdxFn;
  /** The pooled values and, for each, the flat index of its maximum within its (n, c) plane (int32). */
  forwardWithIndices(x: Tensor): [Tensor, Tensor] {
    return runPool(this, this.kernelSize.length, x, () => this.poolWithIndices()(x, this.kernelSize, this.options()));
  }
}

export class MaxPool1d extends MaxPoolNd {
  constructor(kernelSize: IntOrTuple, opts: MaxPoolOptions = {}) {
    super(1, kernelSize, opts);
  }
  protected pool(): WindowFn { return maxPool1d; }
  protected poolWithIndices(): WindowIdxFn { return maxPool1dWithIndices; }
}
export class MaxPool2d extends MaxPoolNd {
  constructor(kernelSize: IntOrTuple, opts: MaxPoolOptions = {}) {
    super(2, kernelSize, opts);
  }
  protected pool(): WindowFn { return maxPool2d; }
  protected poolWithIndices(): WindowIdxFn { return maxPool2dWithIndices; }
}
export class MaxPool3d extends MaxPoolNd {
  constructor(kernelSize: IntOrTuple, opts: MaxPoolOptions = {}) {
    super(3, kernelSize, opts);
  }
  protected pool(): WindowFn { return maxPool3d; }
  protected poolWithIndices(): WindowIdxFn { return maxPool3dWithIndices; }
}

/** Minimum over each window (−maxPool(−x)): the course's "min pooling". */
export class MinPool1d extends ExtremumPoolNd {
  constructor(kernelSize: IntOrTuple, opts: MaxPoolOptions = {}) {
    super(1, kernelSize, opts);
  }
  protected pool(): WindowFn { return minPool1d; }
}
export class MinPool2d extends ExtremumPoolNd {
  constructor(kernelSize: IntOrTuple, opts: MaxPoolOptions = {}) {
    super(2, kernelSize, opts);
  }
  protected pool(): WindowFn { return minPool2d; }
}
export class MinPool3d extends ExtremumPoolNd {
  constructor(kernelSize: IntOrTuple, opts: MaxPoolOptions = {}) {
    super(3, kernelSize, opts);
  }
  protected pool(): WindowFn { return minPool3d; }
}

// ---------------------------------------------------------------------------------------------
// average pooling

export interface AvgPoolOptions extends WindowOptions {
  /** Whether zero padding counts in each window's divisor (default true). */
  countIncludePad?: boolean;
  /** Divide every window's sum by this instead of its size. */
  divisorOverride?: number | null;
}

type AvgFn = (x: Tensor, k: IntOrTuple, opts: { stride: number[]; padding: number[]; ceilMode: boolean; countIncludePad: boolean; divisorOverride: number | null }) => Tensor;

abstract class AvgPoolNd extends Module {
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;
  private readonly _nd: number;
  constructor(nd: number, kernelSize: IntOrTuple, opts: AvgPoolOptions) {
    super();
    const layer = new.target.name;
    checkOptions(layer, opts, ["stride", "padding", "ceilMode", "countIncludePad", "divisorOverride"]);
    const w = resolvePoolWindow(layer, nd, kernelSize, opts);
    this.kernelSize = w.kernel;
    this.stride = w.stride;
    this.padding = w.padding;
    this.ceilMode = checkBool(layer, "ceilMode", opts.ceilMode ?? false);
    this.countIncludePad = checkBool(layer, "countIncludePad", opts.countIncludePad ?? true);
    const d = opts.divisorOverride ?? null;
    if (d !== null && (checkNumber(layer, "divisorOverride", d) === 0)) throw new RangeError(`${layer}: divisorOverride must be non-zero, got 0`);
    this.divisorOverride = d;
    this._nd = nd;
  }
  protected abstract pool(): AvgFn;
  forward(x: Tensor): Tensor {
    return runPool(this, this._nd, x, () => this.pool()(x, this.kernelSize, {
      stride: this.stride, padding: this.padding, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad,
      divisorOverride: this.divisorOverride,
    }));
  }
  override extraRepr(): string {
    let s = `kernelSize=${reprTuple(this.kernelSize)}, stride=${reprTuple(this.stride)}, padding=${reprTuple(this.padding)}`;
    if (this.ceilMode) s += ", ceilMode=true";
    if (!this.countIncludePad) s += ", countIncludePad=false";
    if (this.divisorOverride !== null) s += `, divisorOverride=${this.divisorOverride}`;
    return s;
  }
}

export class AvgPool1d extends AvgPoolNd {
  constructor(kernelSize: IntOrTuple, opts: AvgPoolOptions = {}) {
    super(1, kernelSize, opts);
  }
  protected pool(): AvgFn { return avgPool1d; }
}
export class AvgPool2d extends AvgPoolNd {
  constructor(kernelSize: IntOrTuple, opts: AvgPoolOptions = {}) {
    super(2, kernelSize, opts);
  }
  protected pool(): AvgFn { return avgPool2d; }
}
export class AvgPool3d extends AvgPoolNd {
  constructor(kernelSize: IntOrTuple, opts: AvgPoolOptions = {}) {
    super(3, kernelSize, opts);
  }
  protected pool(): AvgFn { return avgPool3d; }
}

// ---------------------------------------------------------------------------------------------
// power-average pooling

export interface LPPoolOptions {
  stride?: IntOrTuple | null;
  ceilMode?: boolean;
}

type LpFn = (x: Tensor, p: number, k: IntOrTuple, opts: { stride: number[]; ceilMode: boolean }) => Tensor;

/** (Σ x^p over each window)^(1/p): p = 1 is sum pooling, large p approaches max pooling. */
abstract class LPPoolNd extends Module {
  readonly normType: number;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly ceilMode: boolean;
  private readonly _nd: number;
  constructor(nd: number, normType: number, kernelSize: IntOrTuple, opts: LPPoolOptions) {
    super();
    const layer = new.target.name;
    checkOptions(layer, opts, ["stride", "ceilMode"]);
    this.normType = checkNumber(layer, "normType", normType);
    if (normType === 0) throw new RangeError(`${layer}: normType must be non-zero, got 0`);
    this.kernelSize = intTuple(layer, "kernelSize", kernelSize, nd);
    this.stride = opts.stride == null ? this.kernelSize : intTuple(layer, "stride", opts.stride, nd);
    this.ceilMode = checkBool(layer, "ceilMode", opts.ceilMode ?? false);
    this._nd = nd;
  }
  protected abstract pool(): LpFn;
  forward(x: Tensor): Tensor {
    return runPool(this, this._nd, x, () => this.pool()(x, this.normType, this.kernelSize, { stride: this.stride, ceilMode: this.ceilMode }));
  }
  override extraRepr(): string {
    return `normType=${this.normType}, kernelSize=${reprTuple(this.kernelSize)}, stride=${reprTuple(this.stride)}, ceilMode=${this.ceilMode}`;
  }
}

export class LPPool1d extends LPPoolNd {
  constructor(normType: number, kernelSize: IntOrTuple, opts: LPPoolOptions = {}) {
    super(1, normType, kernelSize, opts);
  }
  protected pool(): LpFn { return lpPool1d; }
}
export class LPPool2d extends LPPoolNd {
  constructor(normType: number, kernelSize: IntOrTuple, opts: LPPoolOptions = {}) {
    super(2, normType, kernelSize, opts);
  }
  protected pool(): LpFn { return lpPool2d; }
}

// ---------------------------------------------------------------------------------------------
// adaptive pooling

function checkOutputSize(layer: string, v: AdaptiveSize, nd: number): (number | null)[] {
  const list = Array.isArray(v) ? [...(v as (number | null)[])] : new Array<number | null>(nd).fill(v as number | null);
  if (list.length !== nd || list.some((s) => s !== null && (typeof s !== "number" || !Number.isInteger(s) || s < 1))) {
    throw new RangeError(`${layer}: outputSize must be a positive integer or an array of ${nd} (positive integers, or null to keep the input's size), got ${JSON.stringify(v)}`);
  }
  return list;
}

function reprOutputSize(v: AdaptiveSize): string {
  return Array.isArray(v) ? `[${v.map((s) => (s === null ? "null" : s)).join(", ")}]` : String(v);
}

type AdaptiveFn = (x: Tensor, out: AdaptiveSize) => Tensor;

abstract class AdaptivePoolNd extends Module {
  readonly outputSize: AdaptiveSize;
  protected readonly _nd: number;
  constructor(nd: number, outputSize: AdaptiveSize) {
    super();
    checkOutputSize(new.target.name, outputSize, nd);
    this.outputSize = Array.isArray(outputSize) ? [...(outputSize as (number | null)[])] : outputSize;
    this._nd = nd;
  }
  protected abstract pool(): AdaptiveFn;
  forward(x: Tensor): Tensor {
    return runPool(this, this._nd, x, () => this.pool()(x, this.outputSize));
  }
  override extraRepr(): string {
    return `outputSize=${reprOutputSize(this.outputSize)}`;
  }
}

/** Average pooling whose windows are chosen so the output has `outputSize` (any input size). */
export class AdaptiveAvgPool1d extends AdaptivePoolNd {
  constructor(outputSize: AdaptiveSize) {
    super(1, outputSize);
  }
  protected pool(): AdaptiveFn { return adaptiveAvgPool1d; }
}
export class AdaptiveAvgPool2d extends AdaptivePoolNd {
  constructor(outputSize: AdaptiveSize) {
    super(2, outputSize);
  }
  protected pool(): AdaptiveFn { return adaptiveAvgPool2d; }
}
export class AdaptiveAvgPool3d extends AdaptivePoolNd {
  constructor(outputSize: AdaptiveSize) {
    super(3, outputSize);
  }
  protected pool(): AdaptiveFn { return adaptiveAvgPool3d; }
}

type AdaptiveIdxFn = (x: Tensor, out: AdaptiveSize) => [Tensor, Tensor];

abstract class AdaptiveMaxPoolNd extends AdaptivePoolNd {
  protected abstract poolWithIndices(): AdaptiveIdxFn;
  /** The pooled values and the flat in-plane index of each maximum (int32). */
  forwardWithIndices(x: Tensor): [Tensor, Tensor] {
    return runPool(this, this._nd, x, () => this.poolWithIndices()(x, this.outputSize));
  }
}

export class AdaptiveMaxPool1d extends AdaptiveMaxPoolNd {
  constructor(outputSize: AdaptiveSize) {
    super(1, outputSize);
  }
  protected pool(): AdaptiveFn { return adaptiveMaxPool1d; }
  protected poolWithIndices(): AdaptiveIdxFn { return adaptiveMaxPool1dWithIndices; }
}
export class AdaptiveMaxPool2d extends AdaptiveMaxPoolNd {
  constructor(outputSize: AdaptiveSize) {
    super(2, outputSize);
  }
  protected pool(): AdaptiveFn { return adaptiveMaxPool2d; }
  protected poolWithIndices(): AdaptiveIdxFn { return adaptiveMaxPool2dWithIndices; }
}
export class AdaptiveMaxPool3d extends AdaptiveMaxPoolNd {
  constructor(outputSize: AdaptiveSize) {
    super(3, outputSize);
  }
  protected pool(): AdaptiveFn { return adaptiveMaxPool3d; }
  protected poolWithIndices(): AdaptiveIdxFn { return adaptiveMaxPool3dWithIndices; }
}

/**
 * Global average pooling: the mean of each channel over H and W, [N, C, H, W] → [N, C, 1, 1]
 * (AdaptiveAvgPool2d(1); follow it with Flatten for Keras' [N, C]).
 */
export class GlobalAvgPool2d extends AdaptiveAvgPool2d {
  constructor() {
    super(1);
  }
  override extraRepr(): string {
    return "";
  }
}
