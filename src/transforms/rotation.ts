// RandomRotation: rotate each image by an angle drawn from [min, max] degrees about its centre
// (torchvision's transforms.RandomRotation; positive angles turn counter-clockwise).

import type { Tensor } from "../tensor/tensor.js";
import type { Generator } from "../tensor/random.js";
import { checkOptions, optionNames } from "../core/options.js";
import { checkCenter, checkFill, checkFinite, lerp, rangeOption, type RandomTransformOptions } from "./image.js";
import { checkInterpolation, type Interpolation } from "./sampler.js";
import { warpImages } from "./affine.js";
import { Transform } from "./transform.js";

export interface RandomRotationOptions extends RandomTransformOptions {
  /** Default "nearest", as torchvision. */
  interpolation?: Interpolation;
  /** Value (or one per channel) for the corners that come from outside the image. Default 0. */
  fill?: number | readonly number[];
  /** Centre of rotation in pixel coordinates [x, y] (origin top-left); default the image centre. */
  center?: readonly [number, number];
}

export const RANDOM_ROTATION_OPTIONS = optionNames<RandomRotationOptions>({ interpolation: 1, fill: 1, center: 1, generator: 1 });

export class RandomRotation extends Transform {
  readonly degrees: [number, number];
  readonly interpolation: Interpolation;
  readonly fill: number | number[];
  readonly center: readonly [number, number] | null;
  private readonly generator?: Generator;

  /** degrees: d means an angle in [-d, d]; [min, max] a range. */
  constructor(degrees: number | readonly [number, number], opts: RandomRotationOptions = {}) {
    super();
    const where = "RandomRotation";
    checkOptions(where, opts, RANDOM_ROTATION_OPTIONS);
    this.degrees = rangeOption(where, "degrees", degrees);
    this.interpolation = checkInterpolation(where, opts.interpolation ?? "nearest");
    this.fill = checkFill(where, opts.fill ?? 0);
    this.center = checkCenter(where, opts.center);
    this.generator = opts.generator;
  }

  apply(x: Tensor): Tensor {
    // The affine matrix's angle turns clockwise (y points down), so counter-clockwise is its negative.
    return warpImages("RandomRotation", x, (u) => [-lerp(u[0], ...this.degrees), [0, 0], 1, [0, 0]], this.interpolation, this.fill, this.center, 1, this.generator);
  }
}

export interface RotateOptions {
  /** Default "nearest". */
  interpolation?: Interpolation;
  fill?: number | readonly number[];
  /** Centre in pixel coordinates [x, y] (origin top-left); default the image centre. */
  center?: readonly [number, number];
}

export const ROTATE_OPTIONS = optionNames<RotateOptions>({ interpolation: 1, fill: 1, center: 1 });

/** Rotate every image by angle degrees counter-clockwise (torchvision's transforms.functional.rotate). */
export function rotate(x: Tensor, angle: number, opts: RotateOptions = {}): Tensor {
  const where = "rotate";
  checkOptions(where, opts, ROTATE_OPTIONS);
  checkFinite(where, "angle", angle);
  const interpolation = checkInterpolation(where, opts.interpolation ?? "nearest");
  return warpImages(where, x, () => [-angle, [0, 0], 1, [0, 0]], interpolation, checkFill(where, opts.fill ?? 0), checkCenter(where, opts.center), 0);
}
