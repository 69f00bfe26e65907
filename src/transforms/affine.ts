// RandomAffine: a random rotation, translation, scale and shear about the image centre, drawn
// per image with torchvision's parameterisation (transforms.RandomAffine), applied by the
// inverse-mapping sampler.

import type { Tensor } from "../tensor/tensor.js";
import type { Generator } from "../tensor/random.js";
import { checkOptions, optionNames } from "../core/options.js";
import {
  allocImages, checkCenter, checkFill, checkFinite, fillValues, generatorOf, lerp, rangeOption, readImages, roundHalfEven, toTensor, type RandomTransformOptions,
} from "./image.js";
import { checkInterpolation, inverseAffineMatrix, warpAffine, type Interpolation } from "./sampler.js";
import { Transform } from "./transform.js";

export interface RandomAffineOptions extends RandomTransformOptions {
  /** Rotation range in degrees: d means [-d, d]; torchvision's sign (positive turns clockwise). Default 0. */
  degrees?: number | readonly [number, number];
  /** Largest shift as fractions [a, b] of the width and height; shifts are whole pixels. */
  translate?: readonly [number, number];
  /** Scale factor range [min, max]. */
  scale?: readonly [number, number];
  /** Shear in degrees: s means x-shear in [-s, s]; [a, b] an x-shear range; [a, b, c, d] x and y ranges. */
  shear?: number | readonly number[];
  /** Default "nearest", as torchvision. */
  interpolation?: Interpolation;
  /** Value (or one per channel) for pixels that come from outside the image. Default 0. */
  fill?: number | readonly number[];
  /** Centre of the transform in pixel coordinates [x, y] (origin top-left); default the image centre. */
  center?: readonly [number, number];
}

export const RANDOM_AFFINE_OPTIONS = optionNames<RandomAffineOptions>({
  degrees: 1, translate: 1, scale: 1, shear: 1, interpolation: 1, fill: 1, center: 1, generator: 1,
});

/** The parameters of one drawn affine transform. */
export interface AffineParams {
  angle: number;
  translate: [number, number];
  scale: number;
  shear: [number, number];
}

export interface AffineOptions {
  /** Degrees; torchvision's F.affine sign (positive turns clockwise). Default 0. */
  angle?: number;
  /** Shift [dx, dy] in pixels. Default [0, 0]. */
  translate?: readonly [number, number];
  /** Default 1. */
  scale?: number;
  /** Shear in degrees: x, or [x, y]. Default 0. */
  shear?: number | readonly [number, number];
  /** Default "nearest". */
  interpolation?: Interpolation;
  fill?: number | readonly number[];
  /** Centre in pixel coordinates [x, y] (origin top-left); default the image centre. */
  center?: readonly [number, number];
}

export const AFFINE_OPTIONS = optionNames<AffineOptions>({ angle: 1, translate: 1, scale: 1, shear: 1, interpolation: 1, fill: 1, center: 1 });

/** One fixed affine transform of every image (torchvision's transforms.functional.affine). */
export function affine(x: Tensor, opts: AffineOptions = {}): Tensor {
  const where = "affine";
  checkOptions(where, opts, AFFINE_OPTIONS);
  const angle = checkFinite(where, "angle", opts.angle ?? 0);
  const translate = opts.translate ?? [0, 0];
  if (!Array.isArray(translate) || translate.length !== 2 || !translate.every(Number.isFinite)) {
    throw new TypeError(`${where}: translate must be [dx, dy] in pixels, got ${JSON.stringify(opts.translate)}`);
  }
  const scale = checkFinite(where, "scale", opts.scale ?? 1);
  if (scale <= 0) throw new RangeError(`${where}: scale must be positive, got ${scale}`);
  const s = opts.shear ?? 0;
  const shear: [number, number] = typeof s === "number" ? [s, 0] : [s[0], s[1]];
  shear.forEach((v) => checkFinite(where, "shear", v));
  const interpolation = checkInterpolation(where, opts.interpolation ?? "nearest");
  const fill = checkFill(where, opts.fill ?? 0);
  return warpImages(where, x, () => [angle, [translate[0], translate[1]], scale, shear], interpolation, fill, checkCenter(where, opts.center), 0);
}

/**
 * Warp every image through the inverse affine matrix of the parameters `params(u, h, w)` gives
 * from `draws` uniforms per image (none for a fixed transform).
 */
export function warpImages(
  where: string, x: Tensor, params: (u: Float64Array, h: number, w: number) => [number, [number, number], number, [number, number]],
  interpolation: Interpolation, fillOption: number | readonly number[], center: readonly [number, number] | null, draws: number, generator?: Generator,
): Tensor {
  const img = readImages(where, x);
  const { n, c, h, w } = img;
  const fill = fillValues(where, fillOption, c);
  const u = draws > 0 ? generatorOf(where, generator).hostUniform(draws * n) : new Float64Array(0);
  const out = allocImages(img, c, h, w);
  const centred: [number, number] = center ? [center[0] - w / 2, center[1] - h / 2] : [0, 0];
  for (let b = 0; b < n; b++) {
    const [angle, translate, scale, shear] = params(u.subarray(draws * b, draws * (b + 1)), h, w);
    const m = inverseAffineMatrix(angle, translate, scale, shear, centred);
    warpAffine(img.data, b * c * h * w, out, b * c * h * w, c, h, w, m, interpolation, fill);
  }
  return toTensor(img, out, c, h, w);
}

export class RandomAffine extends Transform {
  readonly degrees: [number, number];
  readonly translate: [number, number] | null;
  readonly scale: [number, number] | null;
  readonly shear: { x: [number, number]; y: [number, number] | null } | null;
  readonly interpolation: Interpolation;
  readonly fill: number | number[];
  readonly center: readonly [number, number] | null;
  private readonly generator?: Generator;

  constructor(opts: RandomAffineOptions = {}) {
    super();
    const where = "RandomAffine";
    checkOptions(where, opts, RANDOM_AFFINE_OPTIONS);
    this.degrees = rangeOption(where, "degrees", opts.degrees ?? 0);
    this.translate = null;
    if (opts.translate !== undefined) {
      const t = opts.translate;
      if (!Array.isArray(t) || t.length !== 2 || !t.every((v) => typeof v === "number" && v >= 0 && v <= 1)) {
        throw new RangeError(`${where}: translate must be [a, b] with fractions of the width and height in [0, 1], got ${JSON.stringify(t)}`);
      }
      this.translate = [t[0], t[1]];
    }
    this.scale = null;
    if (opts.scale !== undefined) {
      const s = opts.scale;
      if (!Array.isArray(s) || s.length !== 2 || !s.every((v) => typeof v === "number" && Number.isFinite(v) && v > 0) || s[0] > s[1]) {
        throw new RangeError(`${where}: scale must be [min, max] of positive numbers with min <= max, got ${JSON.stringify(s)}`);
      }
      this.scale = [s[0], s[1]];
    }
    this.shear = null;
    if (opts.shear !== undefined) {
      const s = opts.shear;
      if (typeof s === "number") this.shear = { x: rangeOption(where, "shear", s), y: null };
      else if (Array.isArray(s) && s.length === 2) this.shear = { x: rangeOption(where, "shear", s), y: null };
      else if (Array.isArray(s) && s.length === 4) {
        this.shear = { x: rangeOption(where, "shear", [s[0], s[1]]), y: rangeOption(where, "shear", [s[2], s[3]]) };
      } else throw new TypeError(`${where}: shear must be a number, [min, max] or [xmin, xmax, ymin, ymax], got ${JSON.stringify(s)}`);
    }
    this.interpolation = checkInterpolation(where, opts.interpolation ?? "nearest");
    this.fill = checkFill(where, opts.fill ?? 0);
    this.center = checkCenter(where, opts.center);
    this.generator = opts.generator;
  }

  /** Draw one transform's parameters for an image of h x w from six uniforms. */
  drawParams(u: ArrayLike<number>, h: number, w: number): AffineParams {
    const angle = lerp(u[0], ...this.degrees);
    let translate: [number, number] = [0, 0];
    if (this.translate) {
      const maxDx = this.translate[0] * w, maxDy = this.translate[1] * h;
      translate = [roundHalfEven(lerp(u[1], -maxDx, maxDx)), roundHalfEven(lerp(u[2], -maxDy, maxDy))];
    }
    const scale = this.scale ? lerp(u[3], ...this.scale) : 1;
    const shear: [number, number] = this.shear ? [lerp(u[4], ...this.shear.x), this.shear.y ? lerp(u[5], ...this.shear.y) : 0] : [0, 0];
    return { angle, translate, scale, shear };
  }

  apply(x: Tensor): Tensor {
    return warpImages("RandomAffine", x, (u, h, w) => {
      const p = this.drawParams(u, h, w);
      return [p.angle, p.translate, p.scale, p.shear];
    }, this.interpolation, this.fill, this.center, 6, this.generator);
  }
}
