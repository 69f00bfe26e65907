// The RoI argument shared by roiAlign, roiPool and their modules: a [K, 5] tensor (batch index,
// x1, y1, x2, y2) or one [L, 4] box tensor per image (torchvision's two forms), turned into one
// contiguous [K, 5] tensor of the feature map's dtype, with every batch index checked.

import { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../core/shape.js";
import { assertFloating, assertTensor } from "../ops/util.js";
import { cat } from "../ops/indexing.js";
import { full } from "../tensor/creation.js";
import { contiguous } from "../ops/view.js";
import { cast } from "../ops/elementwise.js";

/** Check x is a floating [N, C, H, W] feature map. */
export function assertFeatureMap(op: string, x: unknown): Tensor {
  const t = assertTensor(op, x);
  assertFloating(op, t);
  if (t.ndim !== 4) throw new RangeError(`${op}: input must be [N, C, H, W], got shape ${formatShape(t.shape)}`);
  return t;
}

/** Output size as [height, width] from an int or a pair of positive ints. */
export function pooledSize(op: string, outputSize: unknown): [number, number] {
  const ok = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 1;
  if (ok(outputSize)) return [outputSize, outputSize];
  if (Array.isArray(outputSize) && outputSize.length === 2 && outputSize.every(ok)) return [outputSize[0], outputSize[1]];
  throw new RangeError(`${op}: outputSize must be a positive integer or [height, width], got ${JSON.stringify(outputSize)}`);
}

/** The RoIs as a contiguous, detached [K, 5] tensor of x's dtype, batch indices checked against x's N. */
export function toRois(op: string, boxes: Tensor | readonly Tensor[], x: Tensor): Tensor {
  let rois: Tensor;
  if (Array.isArray(boxes)) {
    const parts = boxes.map((b, i) => {
      const t = assertTensor(op, b, `boxes[${i}]`);
      if (t.ndim !== 2 || t.shape[1] !== 4) throw new RangeError(`${op}: boxes[${i}] must be [L, 4], got shape ${formatShape(t.shape)}`);
      const bt = cast(t.detach(), x.dtype);
      return cat([full([t.shape[0], 1], i, { dtype: x.dtype, device: x.device }), bt], 1);
    });
    rois = parts.length > 0 ? cat(parts, 0) : full([0, 5], 0, { dtype: x.dtype, device: x.device });
  } else {
    const t = assertTensor(op, boxes, "boxes");
    if (t.ndim !== 2 || t.shape[1] !== 5) {
      throw new RangeError(`${op}: boxes must be [K, 5] (batch index, x1, y1, x2, y2) or an array of [L, 4] tensors, got shape ${formatShape(t.shape)}`);
    }
    rois = cast(t.detach(), x.dtype);
  }
  rois = contiguous(rois);
  const d = rois.dataSync();
  const n = x.shape[0];
  for (let k = 0; k < rois.shape[0]; k++) {
    const v = d[5 * k];
    if (!(v > -1 && Math.trunc(v) < n)) {
      throw new RangeError(`${op}: box ${k} has batch index ${v}, out of range for an input of N = ${n} images`);
    }
  }
  return rois;
}
