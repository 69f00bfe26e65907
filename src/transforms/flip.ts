// RandomHorizontalFlip / RandomVerticalFlip: mirror each image with probability p (a fresh draw
// per image of a batch), torchvision's transforms of the same names.

import type { Tensor } from "../tensor/tensor.js";
import type { Generator } from "../tensor/random.js";
import { checkOptions } from "../core/options.js";
import { allocImages, checkProbability, generatorOf, readImages, toTensor, RANDOM_TRANSFORM_OPTIONS, type RandomTransformOptions } from "./image.js";
import { Transform } from "./transform.js";

abstract class RandomFlip extends Transform {
  protected abstract readonly name: string;
  protected abstract readonly horizontal: boolean;
  readonly p: number;
  private readonly generator?: Generator;

  constructor(p = 0.5, opts: RandomTransformOptions = {}) {
    super();
    this.p = p;
    this.generator = opts.generator;
  }

  apply(x: Tensor): Tensor {
    const img = readImages(this.name, x);
    const { data: src, n, c, h, w } = img;
    const u = generatorOf(this.name, this.generator).hostUniform(n);
    const out = allocImages(img, c, h, w);
    const plane = h * w;
    for (let b = 0; b < n; b++) {
      const base = b * c * plane;
      if (!(u[b] < this.p)) {
        out.set(src.subarray(base, base + c * plane), base);
        continue;
      }
      for (let ch = 0; ch < c; ch++) {
        const p0 = base + ch * plane;
        for (let i = 0; i < h; i++) {
          if (this.horizontal) {
            const row = p0 + i * w;
            for (let j = 0; j < w; j++) out[row + j] = src[row + w - 1 - j];
          } else {
            out.set(src.subarray(p0 + (h - 1 - i) * w, p0 + (h - i) * w), p0 + i * w);
          }
        }
      }
    }
    return toTensor(img, out, c, h, w);
  }
}

/** Mirror left-right (reverse the columns) with probability p. */
export class RandomHorizontalFlip extends RandomFlip {
  protected readonly name = "RandomHorizontalFlip";
  protected readonly horizontal = true;
  constructor(p = 0.5, opts: RandomTransformOptions = {}) {
    checkOptions("RandomHorizontalFlip", opts, RANDOM_TRANSFORM_OPTIONS);
    super(checkProbability("RandomHorizontalFlip", "p", p), opts);
  }
}

/** Mirror top-bottom (reverse the rows) with probability p. */
export class RandomVerticalFlip extends RandomFlip {
  protected readonly name = "RandomVerticalFlip";
  protected readonly horizontal = false;
  constructor(p = 0.5, opts: RandomTransformOptions = {}) {
    checkOptions("RandomVerticalFlip", opts, RANDOM_TRANSFORM_OPTIONS);
    super(checkProbability("RandomVerticalFlip", "p", p), opts);
  }
}
