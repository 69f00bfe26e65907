// Transposed convolution layers ConvTranspose1d/2d/3d (torch.nn.ConvTransposeNd): a weight
// [inCh, outCh/groups, ...k], an optional bias [outCh], torch's default initialisation, and
// forward(x, outputSize) choosing the outputPadding that gives a requested size, as torch does.

import { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../core/shape.js";
import { empty as emptyTensor } from "../tensor/creation.js";
import {
  convTranspose1d, convTranspose2d, convTranspose3d, convTransposeMinShape, resolveConvTransposeWindow,
  type ConvTransposeOptions as ConvTransposeFnOptions,
} from "../ops/conv-transpose.js";
import { checkOptions } from "../core/options.js";
import { Module } from "./module.js";
import { Parameter } from "./parameter.js";
import { checkBool, checkInput, checkInt, reprTuple, type IntOrTuple } from "./checks.js";
import * as init from "./init.js";

/** The functional options (stride, padding, outputPadding, groups, dilation) plus bias. */
export interface ConvTransposeOptions extends ConvTransposeFnOptions {
  bias?: boolean;
}
const OPTIONS = ["stride", "padding", "outputPadding", "groups", "dilation", "bias"] as const satisfies readonly (keyof ConvTransposeOptions)[];

type ConvTransposeFn = (x: Tensor, w: Tensor, b: Tensor | null, opts: ConvTransposeFnOptions) => Tensor;
const FNS: ConvTransposeFn[] = [convTranspose1d, convTranspose2d, convTranspose3d];
const SPATIAL = ["L", "H, W", "D, H, W"];

abstract class ConvTransposeNd extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly outputPadding: number[];
  readonly dilation: number[];
  readonly groups: number;
  private readonly _nd: number;

  constructor(nd: number, inChannels: number, outChannels: number, kernelSize: IntOrTuple, opts: ConvTransposeOptions) {
    super();
    const name = `ConvTranspose${nd}d`;
    checkOptions(name, opts, OPTIONS);
    checkInt(name, "inChannels", inChannels);
    checkInt(name, "outChannels", outChannels);
    const groups = checkInt(name, "groups", opts.groups ?? 1);
    if (inChannels % groups !== 0) throw new RangeError(`${name}: groups=${groups} must divide inChannels=${inChannels}`);
    if (outChannels % groups !== 0) throw new RangeError(`${name}: groups=${groups} must divide outChannels=${outChannels}`);
    const win = resolveConvTransposeWindow(name, nd, kernelSize, opts);
    const hasBias = checkBool(name, "bias", opts.bias ?? true);

    this.weight = new Parameter(emptyTensor([inChannels, outChannels / groups, ...win.kernel]));
    this.bias = hasBias ? new Parameter(emptyTensor([outChannels])) : null;
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = win.kernel;
    this.stride = win.stride;
    this.padding = win.padding;
    this.outputPadding = win.outputPadding;
    this.dilation = win.dilation;
    this.groups = groups;
    this._nd = nd;
    this.resetParameters();
  }

  /**
   * torch's default: kaiming-uniform (a = √5) on the weight as laid out, so the fan-in is
   * weight.size(1)·receptive field = outCh/groups·∏k; bias from U(−1/√fanIn, 1/√fanIn).
   */
  resetParameters(): void {
    init.defaultLayerInit(this.weight, this.bias);
  }

  /**
   * The outputPadding that gives outputSize (its last nd entries; leading batch/channel entries
   * are allowed and ignored, as torch), or the layer's own when none is asked for.
   */
  outputPaddingFor(x: Tensor, outputSize?: readonly number[]): number[] {
    if (outputSize === undefined) return this.outputPadding;
    const nd = this._nd;
    const nonSpatial = x.ndim - nd;
    if (!Array.isArray(outputSize) || (outputSize.length !== nd && outputSize.length !== nd + nonSpatial) || outputSize.some((n) => !Number.isInteger(n))) {
      throw this.layerError(`outputSize must be an array of ${nd} or ${nd + nonSpatial} integers, got ${JSON.stringify(outputSize)}`);
    }
    const size = outputSize.slice(outputSize.length - nd);
    const win = { kernel: this.kernelSize, stride: this.stride, padding: this.padding, outputPadding: this.outputPadding, dilation: this.dilation };
    const spatial = x.shape.slice(nonSpatial);
    const min = convTransposeMinShape(win, spatial);
    const max = min.map((m, i) => m + this.stride[i] - 1);
    if (size.some((n, i) => n < min[i] || n > max[i])) {
      throw this.layerError(`requested an output size of ${formatShape(size)}, but valid sizes range from ${formatShape(min)} to ${formatShape(max)} (for an input of ${formatShape(spatial)})`);
    }
    return size.map((n, i) => n - min[i]);
  }

  forward(x: Tensor, outputSize?: readonly number[]): Tensor {
    const nd = this._nd;
    checkInput(this, x, [nd + 1, nd + 2], `[N, C, ${SPATIAL[nd - 1]}] or unbatched [C, ${SPATIAL[nd - 1]}]`);
    const cdim = x.ndim === nd + 2 ? 1 : 0;
    if (x.shape[cdim] !== this.inChannels) {
      throw this.layerError(`expected input with ${this.inChannels} channels (dim ${cdim}), got ${x.shape[cdim]} in shape ${formatShape(x.shape)}`);
    }
    const outputPadding = this.outputPaddingFor(x, outputSize);
    return FNS[nd - 1](x, this.weight, this.bias, {
      stride: this.stride, padding: this.padding, outputPadding, groups: this.groups, dilation: this.dilation,
    });
  }

  override extraRepr(): string {
    const parts = [`${this.inChannels}`, `${this.outChannels}`, `kernelSize=${reprTuple(this.kernelSize)}`, `stride=${reprTuple(this.stride)}`];
    if (this.padding.some((p) => p !== 0)) parts.push(`padding=${reprTuple(this.padding)}`);
    if (this.outputPadding.some((p) => p !== 0)) parts.push(`outputPadding=${reprTuple(this.outputPadding)}`);
    if (this.dilation.some((d) => d !== 1)) parts.push(`dilation=${reprTuple(this.dilation)}`);
    if (this.groups !== 1) parts.push(`groups=${this.groups}`);
    if (this.bias === null) parts.push("bias=false");
    return parts.join(", ");
  }
}

/** 1-D transposed convolution over [N, C, L] (or unbatched [C, L]). */
export class ConvTranspose1d extends ConvTransposeNd {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, opts: ConvTransposeOptions = {}) {
    super(1, inChannels, outChannels, kernelSize, opts);
  }
}

/** 2-D transposed convolution over [N, C, H, W] (or unbatched [C, H, W]). */
export class ConvTranspose2d extends ConvTransposeNd {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, opts: ConvTransposeOptions = {}) {
    super(2, inChannels, outChannels, kernelSize, opts);
  }
}

/** 3-D transposed convolution over [N, C, D, H, W] (or unbatched [C, D, H, W]). */
export class ConvTranspose3d extends ConvTransposeNd {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, opts: ConvTransposeOptions = {}) {
    super(3, inChannels, outChannels, kernelSize, opts);
  }
}
