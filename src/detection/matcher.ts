// Matcher (torchvision.models.detection._utils): each prediction (anchor, proposal) gets the
// ground-truth box it overlaps most, or BELOW_LOW_THRESHOLD (−1: background) when that IoU is
// under the low threshold, or BETWEEN_THRESHOLDS (−2: ignored) when it falls between the two.
// allowLowQualityMatches (the RPN's) also matches, for each ground-truth box, the predictions of
// its highest IoU (ties included) whatever that IoU is, so no object is left without an anchor.

import { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../core/shape.js";

export const BELOW_LOW_THRESHOLD = -1;
export const BETWEEN_THRESHOLDS = -2;

export class Matcher {
  readonly highThreshold: number;
  readonly lowThreshold: number;
  readonly allowLowQualityMatches: boolean;

  constructor(highThreshold: number, lowThreshold: number, allowLowQualityMatches = false) {
    if (!(lowThreshold <= highThreshold)) throw new RangeError(`Matcher: lowThreshold (${lowThreshold}) must be <= highThreshold (${highThreshold})`);
    this.highThreshold = highThreshold;
    this.lowThreshold = lowThreshold;
    this.allowLowQualityMatches = allowLowQualityMatches;
  }

  /** Matches of the N predictions from the [M, N] quality (IoU) matrix of M ground-truth boxes: int32 [N]. */
  matchFlat(quality: ArrayLike<number>, M: number, N: number): Int32Array {
    if (M === 0) throw new RangeError("Matcher: no ground-truth boxes available for one of the images during training");
    if (N === 0) throw new RangeError("Matcher: no proposal boxes available for one of the images during training");
    const matches = new Int32Array(N);
    const best = new Float64Array(N);
    for (let n = 0; n < N; n++) {
      let m0 = 0, v0 = quality[n];
      for (let m = 1; m < M; m++) {
        const v = quality[m * N + n];
        if (v > v0) [m0, v0] = [m, v];
      }
      best[n] = v0;
      matches[n] = v0 < this.lowThreshold ? BELOW_LOW_THRESHOLD : v0 < this.highThreshold ? BETWEEN_THRESHOLDS : m0;
    }
    if (this.allowLowQualityMatches) {
      for (let m = 0; m < M; m++) {
        let top = -Infinity;
        for (let n = 0; n < N; n++) top = Math.max(top, quality[m * N + n]);
        for (let n = 0; n < N; n++) {
          if (quality[m * N + n] !== top) continue;
          // The prediction's own best ground truth, as torchvision restores it (not necessarily m).
          let m0 = 0;
          for (let j = 1; j < M; j++) if (quality[j * N + n] > quality[m0 * N + n]) m0 = j;
          matches[n] = m0;
        }
      }
    }
    return matches;
  }

  match(quality: Tensor): Int32Array {
    if (!(quality instanceof Tensor) || quality.ndim !== 2) {
      throw new RangeError(`Matcher: the match quality matrix must be a [M, N] tensor, got ${quality instanceof Tensor ? formatShape(quality.shape) : typeof quality}`);
    }
    const [M, N] = quality.shape;
    return this.matchFlat(quality.detach().contiguous().dataSync() as ArrayLike<number>, M, N);
  }
}
