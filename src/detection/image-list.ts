// What the R-CNN stages pass each other: the padded batch with each image's size before padding
// (torchvision's ImageList), and a training target per image.

import type { Tensor } from "../tensor/tensor.js";

export interface ImageList {
  /** [N, C, H, W]: the images, zero-padded at the bottom and right to one size. */
  tensors: Tensor;
  /** [height, width] of each image inside the padded batch. */
  imageSizes: [number, number][];
}

/** One image's ground truth: boxes [K, 4] float (x1, y1, x2, y2) and labels [K] int32, 0 = background. */
export interface RCNNTarget {
  boxes: Tensor;
  labels: Tensor;
}

/** One image's detections: boxes [D, 4], labels [D] int32, scores [D], by descending score. */
export interface RCNNDetection {
  boxes: Tensor;
  labels: Tensor;
  scores: Tensor;
}

/** float32 rounding: the box arithmetic runs on the host but must round as torch's float32 ops. */
export const f32 = Math.fround;
