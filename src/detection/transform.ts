// GeneralizedRCNNTransform (torchvision.models.detection.transform): what every R-CNN does to its
// inputs before the backbone and to its detections after.
// - normalise each [C, H, W] image: (x − mean) / std per channel (ImageNet's by default);
// - resize so the short side is minSize unless the long side would then pass maxSize:
//   scale = min(minSize / short, maxSize / long) in float32, output size floor(side · scale),
//   bilinear (align_corners false) — torch's interpolate with recompute_scale_factor, whose
//   kernel then uses in/out as the scale; boxes of the targets are scaled with the image;
// - batch into one zero-padded [N, C, H', W'] tensor, H' and W' rounded up to sizeDivisible;
// - postprocess: detections' boxes scaled from the resized image back to the original size.

import { Tensor } from "../tensor/tensor.js";
import { tensor } from "../tensor/creation.js";
import { defaultGenerator } from "../tensor/random.js";
import { formatShape } from "../core/shape.js";
import { checkOptions, optionNames } from "../core/options.js";
import { Module } from "../nn/module.js";
import { div, mul, sub } from "../ops/elementwise.js";
import { interpolate } from "../ops/interpolate.js";
import { pad, stack } from "../ops/indexing.js";
import { unsqueeze } from "../ops/view.js";
import { f32, type ImageList, type RCNNDetection, type RCNNTarget } from "./image-list.js";

export interface GeneralizedRCNNTransformOptions {
  /** Short side after resizing (default 800); a list draws one at random per image in training, as torchvision. */
  minSize?: number | readonly number[];
  /** Cap of the long side (default 1333). */
  maxSize?: number;
  imageMean?: readonly number[];
  imageStd?: readonly number[];
  /** The batch's height and width are rounded up to a multiple of this (default 32). */
  sizeDivisible?: number;
  /** Resize every image to exactly [height, width] instead. */
  fixedSize?: readonly [number, number];
}

export const TRANSFORM_OPTIONS = optionNames<GeneralizedRCNNTransformOptions>({ minSize: 1, maxSize: 1, imageMean: 1, imageStd: 1, sizeDivisible: 1, fixedSize: 1 });

export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/** Boxes [K, 4] scaled from an image of size `from` ([h, w]) to `to` (torchvision's resize_boxes, float32). */
export function resizeBoxes(boxes: Tensor, from: readonly [number, number], to: readonly [number, number]): Tensor {
  const rh = f32(f32(to[0]) / f32(from[0])), rw = f32(f32(to[1]) / f32(from[1]));
  return mul(boxes, tensor(Float32Array.from([rw, rh, rw, rh]), { device: boxes.device }));
}

export class GeneralizedRCNNTransform extends Module {
  readonly minSize: number[];
  readonly maxSize: number;
  readonly imageMean: number[];
  readonly imageStd: number[];
  readonly sizeDivisible: number;
  readonly fixedSize: [number, number] | null;

  constructor(opts: GeneralizedRCNNTransformOptions = {}) {
    super();
    checkOptions("GeneralizedRCNNTransform", opts, TRANSFORM_OPTIONS, { min_size: "minSize", max_size: "maxSize", image_mean: "imageMean", image_std: "imageStd" });
    const min = opts.minSize ?? 800;
    this.minSize = typeof min === "number" ? [min] : [...min];
    this.maxSize = opts.maxSize ?? 1333;
    this.imageMean = [...(opts.imageMean ?? IMAGENET_MEAN)];
    this.imageStd = [...(opts.imageStd ?? IMAGENET_STD)];
    this.sizeDivisible = opts.sizeDivisible ?? 32;
    this.fixedSize = opts.fixedSize ? [opts.fixedSize[0], opts.fixedSize[1]] : null;
    if (this.minSize.length === 0 || !this.minSize.every((s) => s > 0) || !(this.maxSize > 0)) {
      throw new RangeError(`GeneralizedRCNNTransform: minSize and maxSize must be positive, got minSize ${JSON.stringify(this.minSize)}, maxSize ${this.maxSize}`);
    }
    if (this.imageMean.length !== this.imageStd.length) {
      throw new RangeError(`GeneralizedRCNNTransform: imageMean has ${this.imageMean.length} channels but imageStd has ${this.imageStd.length}`);
    }
  }

  normalize(image: Tensor): Tensor {
    const C = image.shape[0];
    if (C !== this.imageMean.length) {
      throw new RangeError(`GeneralizedRCNNTransform: images have ${C} channels but imageMean/imageStd have ${this.imageMean.length}`);
    }
    const mean = tensor(Float32Array.from(this.imageMean), { shape: [C, 1, 1], dtype: image.dtype, device: image.device });
    const std = tensor(Float32Array.from(this.imageStd), { shape: [C, 1, 1], dtype: image.dtype, device: image.device });
    return div(sub(image, mean), std);
  }

  /** Output [height, width] of an image of size [h, w]. */
  resizedSize(h: number, w: number): [number, number] {
    if (this.fixedSize) return [this.fixedSize[0], this.fixedSize[1]];
    // Training draws one of several minSize values (torchvision's torch_choice), from the seeded global generator.
    // (No draw for a single size, so the generator's stream is the samplers' alone.)
    const pick = this.training && this.minSize.length > 1 ? defaultGenerator.randomInt(this.minSize.length) : this.minSize.length - 1;
    const size = this.minSize[pick];
    const scale = Math.min(f32(f32(size) / f32(Math.min(h, w))), f32(f32(this.maxSize) / f32(Math.max(h, w))));
    return [Math.floor(h * scale), Math.floor(w * scale)];
  }

  resize(image: Tensor, target?: RCNNTarget): { image: Tensor; target?: RCNNTarget } {
    const [h, w] = image.shape.slice(-2);
    const [oh, ow] = this.resizedSize(h, w);
    const resized = oh === h && ow === w ? image : interpolate(unsqueeze(image, 0), { size: [oh, ow], mode: "bilinear", alignCorners: false }).reshape([image.shape[0], oh, ow]);
    if (!target) return { image: resized };
    return { image: resized, target: { ...target, boxes: resizeBoxes(target.boxes, [h, w], [oh, ow]) } };
  }

  /** Zero-pad every image to the largest height and width, rounded up to sizeDivisible, and stack. */
  batchImages(images: readonly Tensor[]): Tensor {
    const d = this.sizeDivisible;
    const H = Math.ceil(Math.max(...images.map((i) => i.shape[1])) / d) * d;
    const W = Math.ceil(Math.max(...images.map((i) => i.shape[2])) / d) * d;
    return stack(images.map((img) => (img.shape[1] === H && img.shape[2] === W ? img : pad(img, [0, W - img.shape[2], 0, H - img.shape[1]]))), 0);
  }

  forward(images: readonly Tensor[], targets?: readonly RCNNTarget[]): { imageList: ImageList; targets?: RCNNTarget[] } {
    if (!Array.isArray(images) || images.length === 0) throw new TypeError("GeneralizedRCNNTransform: expected a non-empty array of [C, H, W] image tensors");
    if (targets && targets.length !== images.length) {
      throw new RangeError(`GeneralizedRCNNTransform: got ${images.length} images but ${targets.length} targets`);
    }
    const out: Tensor[] = [], outTargets: RCNNTarget[] = [];
    images.forEach((img, i) => {
      if (!(img instanceof Tensor) || img.ndim !== 3) {
        throw new RangeError(`GeneralizedRCNNTransform: images are expected to be [C, H, W] tensors, got ${img instanceof Tensor ? formatShape(img.shape) : typeof img} for image ${i}`);
      }
      if (img.dtype !== "float32" && img.dtype !== "float64") {
        throw new TypeError(`GeneralizedRCNNTransform: images must be floating point (values in [0, 1]), got ${img.dtype} for image ${i}`);
      }
      if (img.shape[0] !== images[0].shape[0]) {
        throw new RangeError(`GeneralizedRCNNTransform: image ${i} has ${img.shape[0]} channels but image 0 has ${images[0].shape[0]}; all images must have the same channel count`);
      }
      const r = this.resize(this.normalize(img), targets?.[i]);
      out.push(r.image);
      if (r.target) outTargets.push(r.target);
    });
    const imageSizes = out.map((i) => [i.shape[1], i.shape[2]] as [number, number]);
    return { imageList: { tensors: this.batchImages(out), imageSizes }, targets: targets ? outTargets : undefined };
  }

  /** Detections' boxes from the resized images' coordinates back to the original images'. */
  postprocess(detections: RCNNDetection[], imageSizes: readonly [number, number][], originalSizes: readonly [number, number][]): RCNNDetection[] {
    return detections.map((d, i) => ({ ...d, boxes: resizeBoxes(d.boxes, imageSizes[i], originalSizes[i]) }));
  }
}
