// pixelShuffle / pixelUnshuffle (torch.nn.functional.pixel_shuffle, pixel_unshuffle): sub-pixel
// rearrangement between channels and space. Pure views and one copy (reshape · permute · reshape),
// so the gradient is the inverse rearrangement, from autograd.

import { Tensor } from "../tensor/tensor.js";
import { describe } from "../core/options.js";
import { assertTensor } from "./util.js";
import { permute, reshape } from "./view.js";
import { traceable } from "../graph/recorder.js";

/** Rearranges [*, C·r², H, W] into [*, C, H·r, W·r] (torch.nn.functional.pixel_shuffle). */
export const pixelShuffle = traceable("pixelShuffle", function pixelShuffle(x: Tensor, upscaleFactor: number): Tensor {
  const op = "pixelShuffle";
  assertTensor(op, x);
  const r = upscaleFactor;
  if (!Number.isInteger(r) || r <= 0) throw new RangeError(`${op}: upscaleFactor must be a positive integer, got ${describe(r)}`);
  if (x.ndim < 3) throw new RangeError(`${op}: input must be at least 3-d [*, C·r², H, W], got ${x.ndim}-d shape [${x.shape.join(", ")}]`);
  const [c, h, w] = x.shape.slice(-3);
  if (c % (r * r) !== 0) throw new RangeError(`${op}: channels ${c} must be divisible by upscaleFactor² = ${r * r}`);
  const lead = x.shape.slice(0, -3);
  const n = lead.length;
  const oc = c / (r * r);
  // [*, oc, r, r, h, w] → [*, oc, h, r, w, r] → [*, oc, h·r, w·r]
  const split = reshape(x, [...lead, oc, r, r, h, w]);
  const perm = [...lead.map((_, i) => i), n, n + 3, n + 1, n + 4, n + 2];
  return reshape(permute(split, perm), [...lead, oc, h * r, w * r]);
});

/** The inverse of pixelShuffle: [*, C, H·r, W·r] into [*, C·r², H, W] (torch's pixel_unshuffle). */
export const pixelUnshuffle = traceable("pixelUnshuffle", function pixelUnshuffle(x: Tensor, downscaleFactor: number): Tensor {
  const op = "pixelUnshuffle";
  assertTensor(op, x);
  const r = downscaleFactor;
  if (!Number.isInteger(r) || r <= 0) throw new RangeError(`${op}: downscaleFactor must be a positive integer, got ${describe(r)}`);
  if (x.ndim < 3) throw new RangeError(`${op}: input must be at least 3-d [*, C, H·r, W·r], got ${x.ndim}-d shape [${x.shape.join(", ")}]`);
  const [c, h, w] = x.shape.slice(-3);
  if (h % r !== 0 || w % r !== 0) throw new RangeError(`${op}: height ${h} and width ${w} must be divisible by downscaleFactor ${r}`);
  const lead = x.shape.slice(0, -3);
  const n = lead.length;
  // [*, c, h/r, r, w/r, r] → [*, c, r, r, h/r, w/r]
  const split = reshape(x, [...lead, c, h / r, r, w / r, r]);
  const perm = [...lead.map((_, i) => i), n, n + 2, n + 4, n + 1, n + 3];
  return reshape(permute(split, perm), [...lead, c * r * r, h / r, w / r]);
});
