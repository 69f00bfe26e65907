// CenterCrop: cut the central size window out of each image (torchvision's transforms.CenterCrop:
// offsets round((h - th) / 2) with Python's rounding; a crop larger than the image pads with 0).

import type { Tensor } from "../tensor/tensor.js";
import { allocImages, readImages, roundHalfEven, sizePair, toTensor } from "./image.js";
import { copyWindow, paddedAxis } from "./padding.js";
import { Transform } from "./transform.js";

export class CenterCrop extends Transform {
  readonly size: [number, number];

  /** size: [height, width], or one number for a square. */
  constructor(size: number | readonly [number, number]) {
    super();
    this.size = sizePair("CenterCrop", "size", size);
  }

  apply(x: Tensor): Tensor {
    const img = readImages("CenterCrop", x);
    const { n, c, h, w } = img;
    const [th, tw] = this.size;
    // Larger than the image: torchvision pads (th - h) // 2 before and the rest after, then crops at 0.
    const axis = (size: number, target: number): [Int32Array, number] => target > size
      ? [paddedAxis(size, (target - size) >> 1, (target - size + 1) >> 1, "constant"), 0]
      : [paddedAxis(size, 0, 0, "constant"), roundHalfEven((size - target) / 2)];
    const [rows, top] = axis(h, th), [cols, left] = axis(w, tw);
    const out = allocImages(img, c, th, tw);
    const zeros = new Array<number>(c).fill(0);
    for (let b = 0; b < n; b++) copyWindow(img.data, b * c * h * w, c, h, w, rows, cols, top, left, th, tw, out, b * c * th * tw, zeros);
    return toTensor(img, out, c, th, tw);
  }
}
