// Convolution layers Conv1d/Conv2d/Conv3d (torch.nn.ConvNd): a weight [outCh, inCh/groups, ...k]
// and an optional bias, PyTorch's default initialisation, "same"/"valid"/explicit padding, and
// reflect/replicate/circular padding modes (the input is padded first, then convolved unpadded).

import { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../core/shape.js";
import { empty as emptyTensor } from "../tensor/creation.js";
import { conv1d, conv2d, conv3d, type ConvOptions as ConvFnOptions } from "../ops/conv.js";
import { resolveConvWindow, windowSpan, type ConvWindow } from "../ops/conv-window.js";
import { checkOptions } from "../core/options.js";
import { pad } from "../ops/indexing.js";
import { Module } from "./module.js";
import { intTuple } from "../core/int-tuple.js";
import { Parameter } from "./parameter.js";
import { checkBool, checkChoice, checkInput, checkInt, reprTuple, type IntOrTuple } from "./checks.js";
import * as init from "./init.js";

export type PaddingMode = "zeros" | "reflect" | "replicate" | "circular";

/** The functional conv's options (stride, padding, dilation, groups: ops/conv.ts) plus the layer's own. */
export interface ConvOptions extends ConvFnOptions {
  bias?: boolean;
  /** What the padding adds: zeros (default), or the input reflected, replicated or wrapped around. */
  paddingMode?: PaddingMode;
}
const CONV_OPTIONS = ["stride", "padding", "dilation", "groups", "bias", "paddingMode"] as const satisfies readonly (keyof ConvOptions)[];

type ConvFn = (x: Tensor, w: Tensor, b: Tensor | null, opts: ConvFnOptions) => Tensor;
const CONV_FNS: ConvFn[] = [conv1d, conv2d, conv3d];

const SPATIAL = ["L", "H, W", "D, H, W"];

abstract class ConvNd extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[] | "same" | "valid";
  readonly dilation: number[];
  readonly groups: number;
  readonly paddingMode: PaddingMode;
  /** Spatial dims (1, 2 or 3). */
  private readonly _nd: number;
  /** The resolved window: padding per side of each spatial dim. */
  private readonly _window: ConvWindow;

  constructor(nd: number, inChannels: number, outChannels: number, kernelSize: IntOrTuple, opts: ConvOptions) {
    super();
    const name = `Conv${nd}d`;
    checkOptions(name, opts, CONV_OPTIONS);
    checkInt(name, "inChannels", inChannels);
    checkInt(name, "outChannels", outChannels);
    const groups = checkInt(name, "groups", opts.groups ?? 1);
    if (inChannels % groups !== 0) throw new RangeError(`${name}: groups=${groups} must divide inChannels=${inChannels}`);
    if (outChannels % groups !== 0) throw new RangeError(`${name}: groups=${groups} must divide outChannels=${outChannels}`);
    const window = resolveConvWindow(name, nd, kernelSize, opts);
    const { kernel: k, stride, dilation } = window;
    const padding = opts.padding === "same" || opts.padding === "valid" ? opts.padding : window.padBefore;
    const paddingMode = checkChoice(name, "paddingMode", opts.paddingMode ?? "zeros", ["zeros", "reflect", "replicate", "circular"] as const);
    const hasBias = checkBool(name, "bias", opts.bias ?? true);

    this.weight = new Parameter(emptyTensor([outChannels, inChannels / groups, ...k]));
    this.bias = hasBias ? new Parameter(emptyTensor([outChannels])) : null;
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = k;
    this.stride = stride;
    this.padding = padding;
    this.dilation = dilation;
    this.groups = groups;
    this.paddingMode = paddingMode;
    this._nd = nd;
    this._window = window;
    this.resetParameters();
  }

  /** torch's default: kaiming-uniform with a = √5 for the weight, bias from U(−1/√fanIn, 1/√fanIn). */
  resetParameters(): void {
    init.defaultLayerInit(this.weight, this.bias);
  }

  /** Check x against the layer (rank, channels, size after padding); the padding per side. */
  checkInput(x: Tensor): [number, number][] {
    const nd = this._nd;
    checkInput(this, x, [nd + 1, nd + 2], `[N, C, ${SPATIAL[nd - 1]}] or unbatched [C, ${SPATIAL[nd - 1]}]`);
    const cdim = x.ndim === nd + 2 ? 1 : 0;
    if (x.shape[cdim] !== this.inChannels) {
      throw this.layerError(`expected input with ${this.inChannels} channels (dim ${cdim}), got ${x.shape[cdim]} in shape ${formatShape(x.shape)}`);
    }
    const w = this._window;
    const sides = w.padBefore.map((p, i): [number, number] => [p, w.padAfter[i]]);
    const spans = windowSpan(w);
    const spatial = x.shape.slice(cdim + 1);
    spatial.forEach((n, i) => {
      if (n + sides[i][0] + sides[i][1] < spans[i]) {
        throw this.layerError(
          `input spatial size ${formatShape(spatial)} (padded by ${sides.map(([a, b]) => (a === b ? a : `${a}+${b}`)).join(", ")}) ` +
            `is smaller than the kernel ${reprTuple(this.kernelSize)}${this.dilation.some((d) => d !== 1) ? ` with dilation ${reprTuple(this.dilation)}` : ""} in dim ${cdim + 1 + i}`,
        );
      }
    });
    return sides;
  }

  forward(x: Tensor): Tensor {
    return this.forwardWith(x, this.weight, this.bias);
  }

  /** This layer's convolution (window, groups, padding mode) with another weight and bias of the same shapes: a folded copy's. */
  forwardWith(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
    const nd = this._nd;
    const sides = this.checkInput(x);
    const fn = CONV_FNS[nd - 1];
    if (this.paddingMode === "zeros") {
      return fn(x, weight, bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
    }
    // pad's list runs from the last dim backwards: [left, right, top, bottom, front, back].
    const pads = sides.slice().reverse().flat();
    const padded = pad(x, pads, { mode: this.paddingMode });
    return fn(padded, weight, bias, { stride: this.stride, padding: new Array<number>(nd).fill(0), dilation: this.dilation, groups: this.groups });
  }

  override extraRepr(): string {
    const parts = [`${this.inChannels}`, `${this.outChannels}`, `kernelSize=${reprTuple(this.kernelSize)}`, `stride=${reprTuple(this.stride)}`];
    if (typeof this.padding === "string") parts.push(`padding=${JSON.stringify(this.padding)}`);
    else if (this.padding.some((p) => p !== 0)) parts.push(`padding=${reprTuple(this.padding)}`);
    if (this.dilation.some((d) => d !== 1)) parts.push(`dilation=${reprTuple(this.dilation)}`);
    if (this.groups !== 1) parts.push(`groups=${this.groups}`);
    if (this.bias === null) parts.push("bias=false");
    if (this.paddingMode !== "zeros") parts.push(`paddingMode=${JSON.stringify(this.paddingMode)}`);
    return parts.join(", ");
  }
}

/** 1-D convolution over [N, C, L] (or unbatched [C, L]). */
export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, opts: ConvOptions = {}) {
    super(1, inChannels, outChannels, kernelSize, opts);
  }
}

/** 2-D convolution over [N, C, H, W] (or unbatched [C, H, W]). */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, opts: ConvOptions = {}) {
    super(2, inChannels, outChannels, kernelSize, opts);
  }
}

/** 3-D convolution over [N, C, D, H, W] (or unbatched [C, D, H, W]). */
export class Conv3d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: IntOrTuple, opts: ConvOptions = {}) {
    super(3, inChannels, outChannels, kernelSize, opts);
  }
}
