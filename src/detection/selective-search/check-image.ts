// The image check of selective search and its segmentation: a floating [C, H, W] tensor with
// finite values in [0, 1], read to the host as one Float32Array per channel.

import { Tensor } from "../../tensor/tensor.js";
import { formatShape } from "../../core/shape.js";
import { describe } from "../../core/options.js";

export interface HostImage {
  channels: Float32Array[];
  width: number;
  height: number;
}

/** `channels`: the required channel count, or null for any. */
export function checkImage(op: string, image: unknown, channels: number | null): HostImage {
  if (!(image instanceof Tensor)) throw new TypeError(`${op}: image must be a Tensor [${channels ?? "C"}, H, W], got ${describe(image)}`);
  const s = image.shape;
  if (s.length !== 3 || (channels !== null && s[0] !== channels) || s[0] === 0 || s[1] === 0 || s[2] === 0) {
    throw new RangeError(`${op}: image must have shape [${channels ?? "C"}, H, W] with H, W > 0 (channels first, one image), got ${formatShape(s)}`);
  }
  if (image.dtype !== "float32" && image.dtype !== "float64") {
    throw new TypeError(`${op}: image must be float32 or float64 with values in [0, 1], got ${image.dtype} (divide uint8 pixels by 255)`);
  }
  const [c, height, width] = s;
  const data = image.dataSync();
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!(v >= 0 && v <= 1)) {
      throw new RangeError(`${op}: image values must be finite and in [0, 1], found ${v} at flat index ${i} of shape ${formatShape(s)}`);
    }
  }
  const plane = height * width;
  const out: Float32Array[] = [];
  for (let ch = 0; ch < c; ch++) out.push(Float32Array.from(data.subarray(ch * plane, (ch + 1) * plane)));
  return { channels: out, width, height };
}
