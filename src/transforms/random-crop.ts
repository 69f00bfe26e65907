// RandomCrop: cut a size window at a random position out of each image, optionally after padding
// it (torchvision's transforms.RandomCrop, e.g. the CIFAR recipe RandomCrop(32, {padding: 4})).

import type { Tensor } from "../tensor/tensor.js";
import type { Generator } from "../tensor/random.js";
import { formatShape } from "../core/shape.js";
import { checkOptions, optionNames } from "../core/options.js";
import { allocImages, checkFill, fillValues, generatorOf, readImages, sizePair, toTensor, type RandomTransformOptions } from "./image.js";
import { checkPaddingMode, copyWindow, padAgain, paddedAxis, paddingLTRB, type PaddingMode } from "./padding.js";
import { Transform } from "./transform.js";

export interface RandomCropOptions extends RandomTransformOptions {
  /** Border added first: n on every side, [leftRight, topBottom] or [left, top, right, bottom]. */
  padding?: number | readonly number[];
  /** Pad an image smaller than size (by the shortfall on both sides, as torchvision) instead of failing. */
  padIfNeeded?: boolean;
  /** Value (or one per channel) of constant padding. Default 0. */
  fill?: number | readonly number[];
  /** Default "constant". */
  paddingMode?: PaddingMode;
}

export const RANDOM_CROP_OPTIONS = optionNames<RandomCropOptions>({ padding: 1, padIfNeeded: 1, fill: 1, paddingMode: 1, generator: 1 });

export class RandomCrop extends Transform {
  readonly size: [number, number];
  readonly padding: [number, number, number, number] | null;
  readonly padIfNeeded: boolean;
  readonly fill: number | number[];
  readonly paddingMode: PaddingMode;
  private readonly generator?: Generator;

  /** size: [height, width], or one number for a square. */
  constructor(size: number | readonly [number, number], opts: RandomCropOptions = {}) {
    super();
    const where = "RandomCrop";
    checkOptions(where, opts, RANDOM_CROP_OPTIONS);
    this.size = sizePair(where, "size", size);
    this.padding = opts.padding === undefined ? null : paddingLTRB(where, opts.padding);
    this.padIfNeeded = opts.padIfNeeded ?? false;
    this.fill = checkFill(where, opts.fill ?? 0);
    this.paddingMode = checkPaddingMode(where, opts.paddingMode ?? "constant");
    this.generator = opts.generator;
  }

  apply(x: Tensor): Tensor {
    const where = "RandomCrop";
    const img = readImages(where, x);
    const { n, c, h, w } = img;
    const [th, tw] = this.size;
    const [l, t, r, b] = this.padding ?? [0, 0, 0, 0];
    let cols = paddedAxis(w, l, r, this.paddingMode), rows = paddedAxis(h, t, b, this.paddingMode);
    if (this.padIfNeeded && cols.length < tw) cols = padAgain(cols, tw - cols.length, tw - cols.length, this.paddingMode);
    if (this.padIfNeeded && rows.length < th) rows = padAgain(rows, th - rows.length, th - rows.length, this.paddingMode);
    if (rows.length < th || cols.length < tw) {
      const padded = this.padding ? ` (${rows.length} x ${cols.length} after padding)` : "";
      throw new RangeError(`${where}: crop size [${th}, ${tw}] is larger than the image ${formatShape(x.shape)}${padded}; pass padIfNeeded: true or a smaller size`);
    }
    const fill = fillValues(where, this.fill, c);
    const u = generatorOf(where, this.generator).hostUniform(2 * n);
    const out = allocImages(img, c, th, tw);
    for (let k = 0; k < n; k++) {
      const top = Math.floor(u[2 * k] * (rows.length - th + 1));
      const left = Math.floor(u[2 * k + 1] * (cols.length - tw + 1));
      copyWindow(img.data, k * c * h * w, c, h, w, rows, cols, top, left, th, tw, out, k * c * th * tw, fill);
    }
    return toTensor(img, out, c, th, tw);
  }
}
