// Detection transforms: each takes and returns [image [C, H, W], {boxes [K, 4], labels [K]}] and
// moves the boxes with the pixels (torchvision's references/detection/transforms.py and the resize
// of GeneralizedRCNNTransform). Boxes are (x1, y1, x2, y2) in pixel edges: a box spanning columns
// 3..7 has x1 = 3, x2 = 8, and the whole image is (0, 0, W, H).

import { Tensor } from "../tensor/tensor.js";
import { tensor } from "../tensor/creation.js";
import { tidy } from "../tensor/scope.js";
import type { Generator } from "../tensor/random.js";
import { formatShape } from "../core/shape.js";
import { checkOptions, describe, optionNames } from "../core/options.js";
import { flip } from "../ops/indexing.js";
import { contiguous, narrow, squeeze, unsqueeze } from "../ops/view.js";
import { interpolate } from "../ops/interpolate.js";
import { checkProbability, generatorOf, sizePair } from "../transforms/image.js";
import type { DetectionSample, DetectionTarget } from "../data/detection-batches.js";

export interface DetectionTransform {
  apply(sample: DetectionSample): DetectionSample;
}

export interface RandomDetectionTransformOptions {
  /** Draws come from this generator (default: the global one, nb.manualSeed). */
  generator?: Generator;
}
const RANDOM_OPTIONS = optionNames<RandomDetectionTransformOptions>({ generator: 1 });

/** The sample's image sizes and boxes on the host; errors name the transform. */
function readSample(op: string, sample: unknown): { image: Tensor; target: DetectionTarget; boxes: Float32Array; c: number; h: number; w: number } {
  if (!Array.isArray(sample) || sample.length !== 2) throw new TypeError(`${op}: expected a sample [image, {boxes, labels}], got ${describe(sample)}`);
  const [image, target] = sample as [unknown, DetectionTarget];
  if (!(image instanceof Tensor) || image.ndim !== 3) {
    throw new RangeError(`${op}: image must be a tensor [C, H, W], got ${image instanceof Tensor ? formatShape(image.shape) : describe(image)}`);
  }
  if (target === null || typeof target !== "object" || !(target.boxes instanceof Tensor) || !(target.labels instanceof Tensor)) {
    throw new TypeError(`${op}: target must be {boxes: Tensor [K, 4], labels: Tensor [K]}, got ${describe(target)}`);
  }
  const { boxes, labels } = target;
  if (boxes.ndim !== 2 || boxes.shape[1] !== 4 || labels.ndim !== 1 || labels.shape[0] !== boxes.shape[0]) {
    throw new RangeError(`${op}: target boxes must be [K, 4] and labels [K], got boxes ${formatShape(boxes.shape)} and labels ${formatShape(labels.shape)}`);
  }
  const b = Float32Array.from(boxes.dataSync());
  for (let k = 0; k < b.length; k += 4) {
    if (!(b[k + 2] >= b[k] && b[k + 3] >= b[k + 1])) {
      throw new RangeError(`${op}: boxes[${k / 4}] = (${Array.from(b.subarray(k, k + 4)).join(", ")}) has x2 < x1 or y2 < y1`);
    }
  }
  const [c, h, w] = image.shape;
  return { image, target, boxes: b, c, h, w };
}

function withBoxes(target: DetectionTarget, boxes: Float32Array, keep?: number[]): DetectionTarget {
  if (keep === undefined) return { ...target, boxes: tensor(boxes, { shape: [boxes.length / 4, 4] }) };
  const kept = new Float32Array(keep.length * 4);
  keep.forEach((k, i) => kept.set(boxes.subarray(4 * k, 4 * k + 4), 4 * i));
  const labels = target.labels.dataSync();
  return {
    ...target,
    boxes: tensor(kept, { shape: [keep.length, 4] }),
    labels: tensor(Int32Array.from(keep, (k) => labels[k]), { shape: [keep.length], dtype: "int32" }),
  };
}

/** Mirror image and boxes left-right with probability p: x1' = W − x2, x2' = W − x1. */
export class RandomHorizontalFlip implements DetectionTransform {
  readonly p: number;
  private readonly generator?: Generator;
  constructor(p = 0.5, opts: RandomDetectionTransformOptions = {}) {
    checkOptions("RandomHorizontalFlip", opts, RANDOM_OPTIONS);
    this.p = checkProbability("RandomHorizontalFlip", "p", p);
    this.generator = opts.generator;
  }
  apply(sample: DetectionSample): DetectionSample {
    const op = "RandomHorizontalFlip";
    const { image, target, boxes, w } = readSample(op, sample);
    if (!(generatorOf(op, this.generator).hostUniform(1)[0] < this.p)) return sample;
    for (let k = 0; k < boxes.length; k += 4) {
      const x1 = boxes[k];
      boxes[k] = w - boxes[k + 2];
      boxes[k + 2] = w - x1;
    }
    return [flip(image, [2]), withBoxes(target, boxes)];
  }
}

export interface DetectionResizeOptions {
  /** Exact output [height, width] (or one number for a square). */
  size?: number | readonly number[];
  /** Scale so the shorter side is minSize, unless the longer side would exceed maxSize (GeneralizedRCNNTransform). */
  minSize?: number;
  maxSize?: number;
}
const RESIZE_OPTIONS = optionNames<DetectionResizeOptions>({ size: 1, minSize: 1, maxSize: 1 });

/**
 * Resize bilinearly (alignCorners false) and scale the boxes by the same ratios. With minSize and
 * maxSize the scale is min(minSize/shorter, maxSize/longer) and each side floor(side·scale), as
 * torchvision's GeneralizedRCNNTransform; with size the output is that size.
 */
export class Resize implements DetectionTransform {
  readonly size: [number, number] | null;
  readonly minSize: number;
  readonly maxSize: number;
  constructor(opts: DetectionResizeOptions) {
    const op = "Resize";
    checkOptions(op, opts, RESIZE_OPTIONS);
    if ((opts.size === undefined) === (opts.minSize === undefined)) {
      throw new RangeError(`${op}: give either size ([height, width]) or minSize (with maxSize), got ${describe(opts)}`);
    }
    this.size = opts.size === undefined ? null : sizePair(op, "size", opts.size);
    this.minSize = opts.minSize ?? 0;
    this.maxSize = opts.maxSize ?? Infinity;
    if (this.size === null && (!(this.minSize > 0) || !(this.maxSize >= this.minSize))) {
      throw new RangeError(`${op}: need 0 < minSize <= maxSize, got minSize ${String(opts.minSize)}, maxSize ${String(opts.maxSize)}`);
    }
  }
  /** The output [height, width] for an input of h × w. */
  outputSize(h: number, w: number): [number, number] {
    if (this.size) return this.size;
    const scale = Math.min(this.minSize / Math.min(h, w), this.maxSize / Math.max(h, w));
    return [Math.max(1, Math.floor(h * scale)), Math.max(1, Math.floor(w * scale))];
  }
  apply(sample: DetectionSample): DetectionSample {
    const { image, target, boxes, h, w } = readSample("Resize", sample);
    const [oh, ow] = this.outputSize(h, w);
    const sx = ow / w, sy = oh / h;
    for (let k = 0; k < boxes.length; k += 4) {
      boxes[k] *= sx;
      boxes[k + 1] *= sy;
      boxes[k + 2] *= sx;
      boxes[k + 3] *= sy;
    }
    const resized = tidy(() => squeeze(interpolate(unsqueeze(image, 0), { size: [oh, ow], mode: "bilinear", alignCorners: false }), 0));
    return [resized, withBoxes(target, boxes)];
  }
}

export interface DetectionRandomCropOptions extends RandomDetectionTransformOptions {
  /** A box is kept when at least this fraction of its area lies inside the crop. Default 0 (any part). */
  minVisible?: number;
}
const CROP_OPTIONS = optionNames<DetectionRandomCropOptions>({ generator: 1, minVisible: 1 });

/**
 * Cut a random window of `size` ([height, width]) out of the image: boxes move by the window's
 * corner and are clipped to it; boxes with nothing left inside (or less than minVisible of their
 * area) are dropped with their labels. An image no larger than the window is returned as it is.
 */
export class RandomCrop implements DetectionTransform {
  readonly size: [number, number];
  readonly minVisible: number;
  private readonly generator?: Generator;
  constructor(size: number | readonly number[], opts: DetectionRandomCropOptions = {}) {
    checkOptions("RandomCrop", opts, CROP_OPTIONS);
    this.size = sizePair("RandomCrop", "size", size);
    this.minVisible = checkProbability("RandomCrop", "minVisible", opts.minVisible ?? 0);
    this.generator = opts.generator;
  }
  apply(sample: DetectionSample): DetectionSample {
    const op = "RandomCrop";
    const { image, target, boxes, h, w } = readSample(op, sample);
    const ch = Math.min(this.size[0], h), cw = Math.min(this.size[1], w);
    const [u, v] = generatorOf(op, this.generator).hostUniform(2);
    const top = Math.floor(u * (h - ch + 1)), left = Math.floor(v * (w - cw + 1));
    const keep: number[] = [];
    for (let k = 0; k < boxes.length; k += 4) {
      const area = (boxes[k + 2] - boxes[k]) * (boxes[k + 3] - boxes[k + 1]);
      const x1 = clip(boxes[k] - left, cw), y1 = clip(boxes[k + 1] - top, ch);
      const x2 = clip(boxes[k + 2] - left, cw), y2 = clip(boxes[k + 3] - top, ch);
      boxes.set([x1, y1, x2, y2], k);
      const visible = (x2 - x1) * (y2 - y1);
      if (x2 > x1 && y2 > y1 && visible >= this.minVisible * area) keep.push(k / 4);
    }
    const cropped = tidy(() => contiguous(narrow(narrow(image, 1, top, ch), 2, left, cw)));
    return [cropped, withBoxes(target, boxes, keep)];
  }
}

const clip = (v: number, hi: number): number => (v < 0 ? 0 : v > hi ? hi : v);

/** A detection transform object, or a function of the sample. */
export type DetectionTransformLike = DetectionTransform | ((sample: DetectionSample) => DetectionSample);

/** Run detection transforms (objects with apply, or functions of [image, target]) one after another. */
export class Compose implements DetectionTransform {
  readonly transforms: readonly DetectionTransformLike[];
  constructor(transforms: readonly DetectionTransformLike[]) {
    if (!Array.isArray(transforms)) throw new TypeError(`Compose: expected an array of detection transforms, got ${describe(transforms)}`);
    transforms.forEach((t, i) => {
      if (typeof t !== "function" && (t === null || typeof t !== "object" || typeof (t as DetectionTransform).apply !== "function")) {
        throw new TypeError(`Compose: element ${i} is not a detection transform (an object with apply([image, target]) or a function), got ${describe(t)}`);
      }
    });
    this.transforms = [...transforms];
  }
  apply(sample: DetectionSample): DetectionSample {
    let s = sample;
    for (const t of this.transforms) s = typeof t === "function" ? t(s) : t.apply(s);
    return s;
  }
}
