// Resize: scale images to a size (torchvision's transforms.Resize on tensors, without antialias).

import type { Tensor } from "../tensor/tensor.js";
import { checkOptions, optionNames } from "../core/options.js";
import { allocImages, readImages, sizePair, toTensor } from "./image.js";
import { checkResizeInterpolation, resampleRegion, type ResizeInterpolation } from "./resample.js";
import { Transform } from "./transform.js";

export interface ResizeOptions {
  /** Default "bilinear" (torch interpolate, align_corners=False, antialias=False). */
  interpolation?: ResizeInterpolation;
  /** With a single-number size: the longer edge is capped at this (torchvision's max_size). */
  maxSize?: number;
}

export const RESIZE_OPTIONS = optionNames<ResizeOptions>({ interpolation: 1, maxSize: 1 });

export class Resize extends Transform {
  readonly size: number | [number, number];
  readonly interpolation: ResizeInterpolation;
  readonly maxSize: number | null;

  /** size: [height, width], or one number for the shorter edge (the aspect ratio is kept). */
  constructor(size: number | readonly [number, number], opts: ResizeOptions = {}) {
    super();
    const where = "Resize";
    checkOptions(where, opts, RESIZE_OPTIONS);
    if (typeof size === "number") {
      if (!Number.isInteger(size) || size <= 0) throw new RangeError(`${where}: size must be a positive integer or [height, width], got ${size}`);
      this.size = size;
    } else this.size = sizePair(where, "size", size);
    this.interpolation = checkResizeInterpolation(where, opts.interpolation ?? "bilinear");
    this.maxSize = opts.maxSize ?? null;
    if (this.maxSize !== null) {
      if (typeof this.size !== "number") throw new TypeError(`${where}: maxSize applies only when size is a single number, got size ${JSON.stringify(size)}`);
      if (!Number.isInteger(this.maxSize) || this.maxSize <= this.size) {
        throw new RangeError(`${where}: maxSize must be an integer greater than size ${this.size}, got ${opts.maxSize}`);
      }
    }
  }

  /** The [height, width] an input of h x w is resized to (torchvision's rule for one number). */
  outputSize(h: number, w: number): [number, number] {
    if (typeof this.size !== "number") return this.size;
    const [short, long] = w <= h ? [w, h] : [h, w];
    let newShort = this.size, newLong = Math.floor((this.size * long) / short);
    if (this.maxSize !== null && newLong > this.maxSize) [newShort, newLong] = [Math.floor((this.maxSize * newShort) / newLong), this.maxSize];
    return w <= h ? [newLong, newShort] : [newShort, newLong];
  }

  apply(x: Tensor): Tensor {
    const img = readImages("Resize", x);
    const { n, c, h, w } = img;
    const [oh, ow] = this.outputSize(h, w);
    const out = allocImages(img, c, oh, ow);
    const region = { top: 0, left: 0, height: h, width: w };
    for (let b = 0; b < n; b++) resampleRegion(img.data, b * c * h * w, c, h, w, region, out, b * c * oh * ow, oh, ow, this.interpolation);
    return toTensor(img, out, c, oh, ow);
  }
}
