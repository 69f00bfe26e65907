// BoxCoder (torchvision.models.detection._utils): boxes as offsets from reference boxes,
//   dx = wx·(gx − px)/pw, dy = wy·(gy − py)/ph, dw = ww·log(gw/pw), dh = wh·log(gh/ph)
// (centres and sizes), and back. Decoding clamps dw, dh at bboxXformClip = log(1000/16) so exp()
// cannot blow up a box. The coder needs no gradient (it makes regression targets and decodes
// detached deltas), so it runs on the host, rounding every step to float32 as torch does.

import { Tensor } from "../tensor/tensor.js";
import { tensor } from "../tensor/creation.js";
import { formatShape } from "../core/shape.js";
import { checkOptions, optionNames } from "../core/options.js";
import { f32 } from "./image-list.js";

export interface BoxCoderOptions {
  /** Weights of (dx, dy, dw, dh): the RPN uses (1, 1, 1, 1), the box head (10, 10, 5, 5). */
  weights?: readonly [number, number, number, number];
  /** Largest dw, dh decoded (default log(1000/16)). */
  bboxXformClip?: number;
}

export const BOX_CODER_OPTIONS = optionNames<BoxCoderOptions>({ weights: 1, bboxXformClip: 1 });

/** Host float32 values of a [K, 4]-shaped (or [K, 4·C]) tensor. */
function hostValues(op: string, name: string, t: Tensor, cols?: number): Float32Array {
  if (!(t instanceof Tensor)) throw new TypeError(`${op}: ${name} must be a Tensor`);
  if (t.ndim !== 2 || (cols !== undefined ? t.shape[1] !== cols : t.shape[1] % 4 !== 0)) {
    throw new RangeError(`${op}: ${name} must be [K, ${cols ?? "4·C"}], got shape ${formatShape(t.shape)}`);
  }
  const d = t.detach().contiguous().dataSync();
  return d instanceof Float32Array ? d : Float32Array.from(d as ArrayLike<number>);
}

export class BoxCoder {
  readonly weights: readonly [number, number, number, number];
  readonly bboxXformClip: number;

  constructor(opts: BoxCoderOptions = {}) {
    checkOptions("BoxCoder", opts, BOX_CODER_OPTIONS, { bbox_xform_clip: "bboxXformClip" });
    this.weights = opts.weights ?? [1, 1, 1, 1];
    this.bboxXformClip = opts.bboxXformClip ?? Math.log(1000 / 16);
    if (this.weights.length !== 4 || !this.weights.every((w) => Number.isFinite(w) && w > 0)) {
      throw new RangeError(`BoxCoder: weights must be 4 positive numbers, got ${JSON.stringify(this.weights)}`);
    }
  }

  /** Flat encode of `boxes` (targets) against `references` (anchors/proposals), both [K·4] float32. */
  encodeFlat(boxes: ArrayLike<number>, references: ArrayLike<number>): Float32Array {
    const [wx, wy, ww, wh] = this.weights.map(f32);
    const out = new Float32Array(references.length);
    for (let k = 0; k < references.length; k += 4) {
      const pw = f32(references[k + 2] - references[k]), ph = f32(references[k + 3] - references[k + 1]);
      const px = f32(references[k] + f32(0.5 * pw)), py = f32(references[k + 1] + f32(0.5 * ph));
      const gw = f32(boxes[k + 2] - boxes[k]), gh = f32(boxes[k + 3] - boxes[k + 1]);
      const gx = f32(boxes[k] + f32(0.5 * gw)), gy = f32(boxes[k + 1] + f32(0.5 * gh));
      out[k] = f32(f32(wx * f32(gx - px)) / pw);
      out[k + 1] = f32(f32(wy * f32(gy - py)) / ph);
      out[k + 2] = f32(ww * f32(Math.log(f32(gw / pw))));
      out[k + 3] = f32(wh * f32(Math.log(f32(gh / ph))));
    }
    return out;
  }

  /** Regression targets [K, 4] of `boxes` (matched ground truth) relative to `references` [K, 4]. */
  encode(boxes: Tensor, references: Tensor): Tensor {
    const b = hostValues("BoxCoder.encode", "boxes", boxes, 4), r = hostValues("BoxCoder.encode", "references", references, 4);
    if (b.length !== r.length) {
      throw new RangeError(`BoxCoder.encode: boxes ${formatShape(boxes.shape)} and references ${formatShape(references.shape)} must have the same number of rows`);
    }
    return tensor(this.encodeFlat(b, r), { shape: [r.length / 4, 4], device: references.device });
  }

  /** Flat decode: codes [K, 4·C] (row-major) against references [K, 4] → boxes [K, C, 4]. */
  decodeFlat(codes: ArrayLike<number>, references: ArrayLike<number>, perRow: number): Float32Array {
    const [wx, wy, ww, wh] = this.weights.map(f32);
    const clip = f32(this.bboxXformClip);
    const out = new Float32Array(codes.length);
    const K = references.length / 4;
    for (let k = 0; k < K; k++) {
      const r = 4 * k;
      const w = f32(references[r + 2] - references[r]), h = f32(references[r + 3] - references[r + 1]);
      const cx = f32(references[r] + f32(0.5 * w)), cy = f32(references[r + 1] + f32(0.5 * h));
      for (let c = 0; c < perRow; c++) {
        const o = k * perRow * 4 + 4 * c;
        const dx = f32(codes[o] / wx), dy = f32(codes[o + 1] / wy);
        const dw = Math.min(f32(codes[o + 2] / ww), clip), dh = Math.min(f32(codes[o + 3] / wh), clip);
        const pcx = f32(f32(dx * w) + cx), pcy = f32(f32(dy * h) + cy);
        const pw = f32(f32(Math.exp(dw)) * w), ph = f32(f32(Math.exp(dh)) * h);
        const hw = f32(0.5 * pw), hh = f32(0.5 * ph);
        out[o] = f32(pcx - hw);
        out[o + 1] = f32(pcy - hh);
        out[o + 2] = f32(pcx + hw);
        out[o + 3] = f32(pcy + hh);
      }
    }
    return out;
  }

  /** Boxes [K, C, 4] from codes [K, 4·C] relative to references [K, 4] (torchvision's decode). */
  decode(codes: Tensor, references: Tensor): Tensor {
    const c = hostValues("BoxCoder.decode", "codes", codes), r = hostValues("BoxCoder.decode", "references", references, 4);
    if (codes.shape[0] !== references.shape[0]) {
      throw new RangeError(`BoxCoder.decode: codes ${formatShape(codes.shape)} and references ${formatShape(references.shape)} must have the same number of rows`);
    }
    const perRow = codes.shape[1] / 4;
    return tensor(this.decodeFlat(c, r, perRow), { shape: [references.shape[0], perRow, 4], device: codes.device });
  }
}
