// GaussianNoise: add independent normal noise N(mean, std²) to every element, optionally
// clipping the result (to [0, 1] with clip: true, like torchvision.transforms.v2.GaussianNoise).

import type { Tensor } from "../tensor/tensor.js";
import type { Generator } from "../tensor/random.js";
import { checkOptions, optionNames } from "../core/options.js";
import { randn } from "../tensor/creation.js";
import { tidy } from "../tensor/scope.js";
import { add, mul, clamp } from "../ops/elementwise.js";
import { checkFinite, checkImageTensor, generatorOf, type RandomTransformOptions } from "./image.js";
import { Transform } from "./transform.js";

export interface GaussianNoiseOptions extends RandomTransformOptions {
  mean?: number;
  /** true clips to [0, 1]; [min, max] clips to that range; default no clipping. */
  clip?: boolean | readonly [number, number];
}

export const GAUSSIAN_NOISE_OPTIONS = optionNames<GaussianNoiseOptions>({ mean: 1, clip: 1, generator: 1 });

export class GaussianNoise extends Transform {
  readonly std: number;
  readonly mean: number;
  readonly clip: [number, number] | null;
  private readonly generator?: Generator;

  constructor(std: number, opts: GaussianNoiseOptions = {}) {
    super();
    const where = "GaussianNoise";
    checkOptions(where, opts, GAUSSIAN_NOISE_OPTIONS);
    if (checkFinite(where, "std", std) < 0) throw new RangeError(`${where}: std must be non-negative, got ${std}`);
    this.std = std;
    this.mean = checkFinite(where, "mean", opts.mean ?? 0);
    const clip = opts.clip ?? false;
    if (clip === true) this.clip = [0, 1];
    else if (clip === false) this.clip = null;
    else if (Array.isArray(clip) && clip.length === 2 && clip.every((v) => typeof v === "number" && !Number.isNaN(v)) && clip[0] <= clip[1]) this.clip = [clip[0], clip[1]];
    else throw new TypeError(`${where}: clip must be true, false or [min, max] with min <= max, got ${JSON.stringify(clip)}`);
    this.generator = opts.generator;
  }

  apply(x: Tensor): Tensor {
    const where = "GaussianNoise";
    const img = checkImageTensor(where, x);
    const generator = generatorOf(where, this.generator);
    return tidy(() => {
      const noise = randn(img.shape, { dtype: img.dtype, device: img.device, generator });
      const y = add(img, add(mul(noise, this.std), this.mean));
      return this.clip ? clamp(y, this.clip[0], this.clip[1]) : y;
    });
  }
}
