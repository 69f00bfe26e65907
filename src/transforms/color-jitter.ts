// ColorJitter: random brightness, contrast, saturation and hue changes in a random order, drawn
// per image (torchvision's transforms.ColorJitter). Images are floats in [0, 1].

import type { Tensor } from "../tensor/tensor.js";
import type { Generator } from "../tensor/random.js";
import { checkOptions, optionNames } from "../core/options.js";
import { allocImages, generatorOf, lerp, rangeOption, readImages, toTensor, type RandomTransformOptions } from "./image.js";
import { brightnessInPlace, checkColorChannels, contrastInPlace, hueInPlace, saturationInPlace } from "./color.js";
import { Transform } from "./transform.js";

export interface ColorJitterOptions extends RandomTransformOptions {
  /** b: factor in [max(0, 1 - b), 1 + b]; or a [min, max] factor range. */
  brightness?: number | readonly [number, number];
  /** c: factor in [max(0, 1 - c), 1 + c]; or a [min, max] factor range. */
  contrast?: number | readonly [number, number];
  /** s: factor in [max(0, 1 - s), 1 + s]; or a [min, max] factor range. RGB only. */
  saturation?: number | readonly [number, number];
  /** h in [0, 0.5]: hue shift in [-h, h] of a turn; or a range within [-0.5, 0.5]. RGB only. */
  hue?: number | readonly [number, number];
}

export const COLOR_JITTER_OPTIONS = optionNames<ColorJitterOptions>({ brightness: 1, contrast: 1, saturation: 1, hue: 1, generator: 1 });

type Range = [number, number] | null;

export class ColorJitter extends Transform {
  readonly brightness: Range;
  readonly contrast: Range;
  readonly saturation: Range;
  readonly hue: Range;
  private readonly generator?: Generator;

  constructor(opts: ColorJitterOptions = {}) {
    super();
    const where = "ColorJitter";
    checkOptions(where, opts, COLOR_JITTER_OPTIONS);
    // A range that is exactly the identity switches that adjustment off, as in torchvision.
    const factor = (name: string, v: number | readonly [number, number] | undefined): Range => {
      if (v === undefined) return null;
      const r = rangeOption(where, name, v, { center: 1, lower: 0, clipLower: true });
      return r[0] === 1 && r[1] === 1 ? null : r;
    };
    this.brightness = factor("brightness", opts.brightness);
    this.contrast = factor("contrast", opts.contrast);
    this.saturation = factor("saturation", opts.saturation);
    const hue = opts.hue === undefined ? null : rangeOption(where, "hue", opts.hue, { center: 0, lower: -0.5, upper: 0.5 });
    this.hue = hue && hue[0] === 0 && hue[1] === 0 ? null : hue;
    this.generator = opts.generator;
  }

  apply(x: Tensor): Tensor {
    const where = "ColorJitter";
    const img = readImages(where, x);
    const { n, c, h, w } = img;
    const rgbOnly = [this.saturation ? "saturation" : null, this.hue ? "hue" : null].filter(Boolean).join(" and ");
    checkColorChannels(where, c, rgbOnly || null);
    const out = allocImages(img, c, h, w);
    out.set(img.data);
    const plane = h * w;
    // Per image: four factors, then four uniforms whose ranking is the order of the adjustments.
    const u = generatorOf(where, this.generator).hostUniform(8 * n);
    for (let b = 0; b < n; b++) {
      const base = b * c * plane, d = 8 * b;
      const order = [0, 1, 2, 3].sort((p, q) => u[d + 4 + p] - u[d + 4 + q]);
      for (const k of order) {
        if (k === 0 && this.brightness) brightnessInPlace(out, base, c, plane, lerp(u[d], ...this.brightness));
        else if (k === 1 && this.contrast) contrastInPlace(out, base, c, plane, lerp(u[d + 1], ...this.contrast));
        else if (k === 2 && this.saturation) saturationInPlace(out, base, plane, lerp(u[d + 2], ...this.saturation));
        else if (k === 3 && this.hue) hueInPlace(out, base, plane, lerp(u[d + 3], ...this.hue));
      }
    }
    return toTensor(img, out, c, h, w);
  }
}
