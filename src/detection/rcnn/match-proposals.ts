// Proposals labelled by their best-overlapping ground-truth box: what every stage of R-CNN and
// Fast R-CNN selects its training regions by (fine-tuning: IoU ≥ 0.5 is the object; SVMs: < 0.3
// is background; box regression: > 0.6).

import { Tensor } from "../../tensor/tensor.js";
import { boxIou } from "../boxes.js";

export interface ProposalMatch {
  /** Per proposal, the largest IoU with any ground-truth box (0 when there is none). */
  maxIou: Float32Array;
  /** Per proposal, the index of that box (−1 when there is none). */
  gtIndex: Int32Array;
  /** Per proposal, that box's label (0 when there is none). */
  label: Int32Array;
  /** [P, G] IoU of every proposal with every ground-truth box, row-major. */
  iou: Float32Array;
}

export function matchProposals(proposals: Tensor, gtBoxes: Tensor, gtLabels: Tensor): ProposalMatch {
  const P = proposals.shape[0], G = gtBoxes.shape[0];
  const iou = G > 0 && P > 0 ? Float32Array.from(boxIou(proposals, gtBoxes).dataSync()) : new Float32Array(0);
  const labels = gtLabels.dataSync();
  const maxIou = new Float32Array(P), gtIndex = new Int32Array(P).fill(-1), label = new Int32Array(P);
  for (let p = 0; p < P; p++) {
    for (let g = 0; g < G; g++) {
      if (iou[p * G + g] > maxIou[p]) {
        maxIou[p] = iou[p * G + g];
        gtIndex[p] = g;
        label[p] = Number(labels[g]);
      }
    }
  }
  return { maxIou, gtIndex, label, iou };
}
