// R-CNN's region warping (Girshick et al. 2014, section 2.1 and appendix A): whatever a proposal's
// size or aspect ratio, its pixels are warped to the CNN's fixed input (227×227 there), after the
// box is dilated so that the warped crop has `padding` pixels of image context on every side (16
// there). Bilinear sampling through roiAlign (aligned: pixel-edge boxes map onto pixel centres);
// context beyond the image border reads as zero.

import { Tensor } from "../../tensor/tensor.js";
import { tensor } from "../../tensor/creation.js";
import { unsqueeze } from "../../ops/view.js";
import { formatShape } from "../../core/shape.js";
import { checkOptions, optionNames } from "../../core/options.js";
import { roiAlign } from "../roi-align.js";

export interface WarpRegionsOptions {
  /** Side of the square warped crops. Default 32 (R-CNN: 227). */
  size?: number;
  /** Context pixels around the box in the warped crop. Default the paper's 16 of 227, scaled to `size` (2 at 32). */
  padding?: number;
  /** Bilinear samples per output pixel side (1: one sample at each output pixel's centre). Default 2. */
  samplingRatio?: number;
}

export const WARP_REGIONS_OPTIONS = optionNames<WarpRegionsOptions>({ size: 1, padding: 1, samplingRatio: 1 });

/** The paper's context: 16 pixels of a 227-pixel warp, in proportion for other sizes. */
export const defaultWarpPadding = (size: number): number => Math.round((16 * size) / 227);

/**
 * Boxes [K, 4] dilated so that, warped to `size`, each has `padding` pixels of context per side:
 * the box fills the middle size − 2·padding pixels.
 */
export function dilateForContext(boxes: Tensor, size: number, padding: number): Tensor {
  const b = boxes.contiguous().dataSync();
  const K = boxes.shape[0], inner = size - 2 * padding;
  const out = new Float32Array(4 * K);
  for (let k = 0; k < K; k++) {
    const dx = (padding * (b[4 * k + 2] - b[4 * k])) / inner, dy = (padding * (b[4 * k + 3] - b[4 * k + 1])) / inner;
    out[4 * k] = b[4 * k] - dx;
    out[4 * k + 1] = b[4 * k + 1] - dy;
    out[4 * k + 2] = b[4 * k + 2] + dx;
    out[4 * k + 3] = b[4 * k + 3] + dy;
  }
  return tensor(out, { shape: [K, 4], device: boxes.device });
}

/**
 * The regions `boxes` [K, 4] (x1, y1, x2, y2, pixel edges) of `image` [C, H, W], each warped with
 * its context to [C, size, size] → [K, C, size, size]. Differentiable in the image.
 */
export function warpRegions(image: Tensor, boxes: Tensor, opts: WarpRegionsOptions = {}): Tensor {
  const op = "warpRegions";
  checkOptions(op, opts, WARP_REGIONS_OPTIONS);
  if (!(image instanceof Tensor) || image.ndim !== 3) {
    throw new RangeError(`${op}: image must be [C, H, W], got ${image instanceof Tensor ? formatShape(image.shape) : typeof image}`);
  }
  if (!(boxes instanceof Tensor) || boxes.ndim !== 2 || boxes.shape[1] !== 4) {
    throw new RangeError(`${op}: boxes must be [K, 4] (x1, y1, x2, y2), got ${boxes instanceof Tensor ? formatShape(boxes.shape) : typeof boxes}`);
  }
  const size = opts.size ?? 32;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`${op}: size must be a positive integer, got ${String(size)}`);
  const padding = opts.padding ?? defaultWarpPadding(size);
  if (!Number.isInteger(padding) || padding < 0 || 2 * padding >= size) {
    throw new RangeError(`${op}: padding must be an integer in [0, size/2) = [0, ${size / 2}), got ${String(padding)}`);
  }
  const b = boxes.contiguous().dataSync();
  for (let k = 0; k < boxes.shape[0]; k++) {
    if (!(b[4 * k + 2] > b[4 * k] && b[4 * k + 3] > b[4 * k + 1])) {
      throw new RangeError(`${op}: box ${k} (${Array.from(b.subarray(4 * k, 4 * k + 4)).join(", ")}) must have x2 > x1 and y2 > y1`);
    }
  }
  const regions = padding > 0 ? dilateForContext(boxes, size, padding) : boxes;
  return roiAlign(unsqueeze(image, 0), [regions], size, { aligned: true, samplingRatio: opts.samplingRatio ?? 2 });
}
