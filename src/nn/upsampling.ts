// Upsampling layers: Upsample (interpolate as a layer) and PixelShuffle / PixelUnshuffle (the
// sub-pixel rearrangement of ESPCN-style super-resolution and generator heads). No parameters.

import { Tensor } from "../tensor/tensor.js";
import { checkOptions, describe } from "../core/options.js";
import { interpolate, INTERPOLATE_OPTIONS, type InterpolateOptions } from "../ops/interpolate.js";
import { pixelShuffle, pixelUnshuffle } from "../ops/pixel-shuffle.js";
import { Module } from "./module.js";
import { checkInt } from "./checks.js";

export type UpsampleOptions = InterpolateOptions;

/** torch.nn.Upsample: resamples [N, C, *spatial] to `size` or by `scaleFactor` (mode default "nearest"). */
export class Upsample extends Module {
  readonly options: Readonly<UpsampleOptions>;
  constructor(opts: UpsampleOptions) {
    super();
    checkOptions("Upsample", opts, INTERPOLATE_OPTIONS, { scale_factor: "scaleFactor", align_corners: "alignCorners" });
    // Copy the arrays, so a later change to the caller's array does not change the layer.
    const copy = (v: number | readonly number[] | undefined): number | number[] | undefined => (Array.isArray(v) ? [...(v as number[])] : (v as number | undefined));
    this.options = Object.freeze({ ...opts, size: copy(opts.size), scaleFactor: copy(opts.scaleFactor) });
    if ((this.options.size === undefined) === (this.options.scaleFactor === undefined)) {
      throw new RangeError(`Upsample: give exactly one of size and scaleFactor, got ${this.options.size === undefined ? "neither" : "both"}`);
    }
  }
  forward(x: Tensor): Tensor {
    const o: InterpolateOptions = {};
    for (const [k, v] of Object.entries(this.options)) if (v !== undefined) (o as Record<string, unknown>)[k] = v;
    return interpolate(x, o);
  }
  override extraRepr(): string {
    const o = this.options;
    const parts = o.size !== undefined ? [`size=${describe(o.size)}`] : [`scaleFactor=${describe(o.scaleFactor)}`];
    parts.push(`mode=${describe(o.mode ?? "nearest")}`);
    if (o.alignCorners !== undefined) parts.push(`alignCorners=${o.alignCorners}`);
    return parts.join(", ");
  }
}

/** torch.nn.PixelShuffle: [*, C·r², H, W] → [*, C, H·r, W·r]. */
export class PixelShuffle extends Module {
  readonly upscaleFactor: number;
  constructor(upscaleFactor: number) {
    super();
    this.upscaleFactor = checkInt("PixelShuffle", "upscaleFactor", upscaleFactor, 1);
  }
  forward(x: Tensor): Tensor {
    return pixelShuffle(x, this.upscaleFactor);
  }
  override extraRepr(): string {
    return `upscaleFactor=${this.upscaleFactor}`;
  }
}

/** torch.nn.PixelUnshuffle: [*, C, H·r, W·r] → [*, C·r², H, W]. */
export class PixelUnshuffle extends Module {
  readonly downscaleFactor: number;
  constructor(downscaleFactor: number) {
    super();
    this.downscaleFactor = checkInt("PixelUnshuffle", "downscaleFactor", downscaleFactor, 1);
  }
  forward(x: Tensor): Tensor {
    return pixelUnshuffle(x, this.downscaleFactor);
  }
  override extraRepr(): string {
    return `downscaleFactor=${this.downscaleFactor}`;
  }
}
