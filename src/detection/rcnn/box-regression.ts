// R-CNN's bounding-box regression parameterisation (Girshick et al. 2014, appendix C): a proposal
// P (centre px, py, size pw, ph) is moved toward a box G by
//   t = ((gx − px)/pw, (gy − py)/ph, log(gw/pw), log(gh/ph)),
// scale-invariant shifts of the centre and log-space changes of the size. Fast R-CNN regresses the
// same t divided by its standard deviations (weights (10, 10, 5, 5), torchvision's BoxCoder).
// Boxes are (x1, y1, x2, y2) in pixel edges, so a box's width is x2 − x1. Both directions are
// detection's one BoxCoder (float32 arithmetic as torchvision's); this file adds R-CNN's names and checks.

import { Tensor } from "../../tensor/tensor.js";
import { formatShape } from "../../core/shape.js";
import { reshape } from "../../ops/view.js";
import { BoxCoder } from "../box-coder.js";

export type BoxWeights = readonly [number, number, number, number];

/** Largest log-size change applied when decoding (torchvision's log(1000/16)): keeps exp finite. */
export const BOX_DELTA_CLIP = Math.log(1000 / 16);

function checkRows(op: string, name: string, boxes: Tensor): void {
  if (!(boxes instanceof Tensor) || boxes.ndim !== 2 || boxes.shape[1] !== 4) {
    throw new RangeError(`${op}: ${name} must be [K, 4] (x1, y1, x2, y2), got ${boxes instanceof Tensor ? formatShape(boxes.shape) : typeof boxes}`);
  }
}

function coder(op: string, weights: BoxWeights): BoxCoder {
  if (!Array.isArray(weights) || weights.length !== 4 || !weights.every((v) => typeof v === "number" && v > 0 && Number.isFinite(v))) {
    throw new RangeError(`${op}: weights must be four positive numbers, got ${JSON.stringify(weights)}`);
  }
  return new BoxCoder({ weights: weights as [number, number, number, number], bboxXformClip: BOX_DELTA_CLIP });
}

/** Refuse a row with no area, naming it: its log-size target would be infinite. */
function checkAreas(op: string, name: string, boxes: Tensor): void {
  const v = boxes.contiguous().dataSync();
  for (let k = 0; k < boxes.shape[0]; k++) {
    if (!(v[4 * k + 2] - v[4 * k] > 0 && v[4 * k + 3] - v[4 * k + 1] > 0)) {
      throw new RangeError(`${op}: ${name} ${k} (${Array.from(v.subarray(4 * k, 4 * k + 4)).join(", ")}) has no area`);
    }
  }
}

/**
 * Regression targets [K, 4] that move `proposals` [K, 4] onto `boxes` [K, 4] (row k onto row k),
 * each coordinate multiplied by its weight: torchvision's BoxCoder.encode, with the boxes checked.
 */
export function boxRegressionTargets(proposals: Tensor, boxes: Tensor, weights: BoxWeights = [1, 1, 1, 1]): Tensor {
  const op = "boxRegressionTargets";
  checkRows(op, "proposals", proposals);
  checkRows(op, "boxes", boxes);
  const c = coder(op, weights);
  if (boxes.shape[0] !== proposals.shape[0]) throw new RangeError(`${op}: proposals ${formatShape(proposals.shape)} and boxes ${formatShape(boxes.shape)} must have the same number of rows`);
  checkAreas(op, "proposal", proposals);
  checkAreas(op, "box", boxes);
  return c.encode(boxes, proposals);
}

/**
 * The inverse: `proposals` [K, 4] moved by `deltas` [K, 4] (divided by the weights; log-size
 * changes clipped at log(1000/16)) → boxes [K, 4]: BoxCoder.decode with one class.
 */
export function applyBoxRegression(proposals: Tensor, deltas: Tensor, weights: BoxWeights = [1, 1, 1, 1]): Tensor {
  const op = "applyBoxRegression";
  checkRows(op, "proposals", proposals);
  checkRows(op, "deltas", deltas);
  const c = coder(op, weights);
  if (deltas.shape[0] !== proposals.shape[0]) throw new RangeError(`${op}: proposals ${formatShape(proposals.shape)} and deltas ${formatShape(deltas.shape)} must have the same number of rows`);
  return reshape(c.decode(deltas, proposals), [proposals.shape[0], 4]);
}
