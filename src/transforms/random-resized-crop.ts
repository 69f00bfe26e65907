// RandomResizedCrop: crop a random area fraction and aspect ratio of each image and resize it to
// size (torchvision's transforms.RandomResizedCrop, the ImageNet training recipe): up to ten tries
// for a window that fits, else a central crop clamped to the ratio range.

import type { Tensor } from "../tensor/tensor.js";
import type { Generator } from "../tensor/random.js";
import { checkOptions, optionNames } from "../core/options.js";
import { allocImages, generatorOf, lerp, readImages, roundHalfEven, sizePair, toTensor, type RandomTransformOptions } from "./image.js";
import { checkResizeInterpolation, resampleRegion, type Region, type ResizeInterpolation } from "./resample.js";
import { Transform } from "./transform.js";

export interface RandomResizedCropOptions extends RandomTransformOptions {
  /** Range of the crop's area as a fraction of the image's. Default [0.08, 1]. */
  scale?: readonly [number, number];
  /** Range of the crop's aspect ratio width / height (drawn log-uniformly). Default [3/4, 4/3]. */
  ratio?: readonly [number, number];
  /** Default "bilinear". */
  interpolation?: ResizeInterpolation;
}

export const RANDOM_RESIZED_CROP_OPTIONS = optionNames<RandomResizedCropOptions>({ scale: 1, ratio: 1, interpolation: 1, generator: 1 });

const ATTEMPTS = 10;

export class RandomResizedCrop extends Transform {
  readonly size: [number, number];
  readonly scale: [number, number];
  readonly ratio: [number, number];
  readonly interpolation: ResizeInterpolation;
  private readonly generator?: Generator;

  constructor(size: number | readonly [number, number], opts: RandomResizedCropOptions = {}) {
    super();
    const where = "RandomResizedCrop";
    checkOptions(where, opts, RANDOM_RESIZED_CROP_OPTIONS);
    this.size = sizePair(where, "size", size);
    const pair = (name: string, v: readonly number[]): [number, number] => {
      if (!Array.isArray(v) || v.length !== 2 || !v.every((e) => typeof e === "number" && Number.isFinite(e) && e > 0) || v[0] > v[1]) {
        throw new RangeError(`${where}: ${name} must be [min, max] of positive numbers with min <= max, got ${JSON.stringify(v)}`);
      }
      return [v[0], v[1]];
    };
    this.scale = pair("scale", opts.scale ?? [0.08, 1]);
    this.ratio = pair("ratio", opts.ratio ?? [3 / 4, 4 / 3]);
    this.interpolation = checkResizeInterpolation(where, opts.interpolation ?? "bilinear");
    this.generator = opts.generator;
  }

  /** The crop window for an image of height x width, from 4 uniforms per attempt. */
  window(u: ArrayLike<number>, height: number, width: number): Region {
    const area = height * width;
    const [logLo, logHi] = [Math.log(this.ratio[0]), Math.log(this.ratio[1])];
    for (let k = 0; k < ATTEMPTS; k++) {
      const targetArea = area * lerp(u[4 * k], ...this.scale);
      const aspect = Math.exp(lerp(u[4 * k + 1], logLo, logHi));
      const w = roundHalfEven(Math.sqrt(targetArea * aspect));
      const h = roundHalfEven(Math.sqrt(targetArea / aspect));
      if (w > 0 && w <= width && h > 0 && h <= height) {
        return { top: Math.floor(u[4 * k + 2] * (height - h + 1)), left: Math.floor(u[4 * k + 3] * (width - w + 1)), height: h, width: w };
      }
    }
    // Fallback: the largest central crop whose ratio lies in the range.
    const inRatio = width / height;
    let w = width, h = height;
    if (inRatio < this.ratio[0]) h = roundHalfEven(w / this.ratio[0]);
    else if (inRatio > this.ratio[1]) w = roundHalfEven(h * this.ratio[1]);
    return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), height: h, width: w };
  }

  apply(x: Tensor): Tensor {
    const where = "RandomResizedCrop";
    const img = readImages(where, x);
    const { n, c, h, w } = img;
    const [oh, ow] = this.size;
    const u = generatorOf(where, this.generator).hostUniform(4 * ATTEMPTS * n);
    const out = allocImages(img, c, oh, ow);
    for (let b = 0; b < n; b++) {
      const region = this.window(u.subarray(4 * ATTEMPTS * b, 4 * ATTEMPTS * (b + 1)), h, w);
      resampleRegion(img.data, b * c * h * w, c, h, w, region, out, b * c * oh * ow, oh, ow, this.interpolation);
    }
    return toTensor(img, out, c, oh, ow);
  }
}
