// Box utilities of torchvision.ops on [K, 4] tensors. They are built from tensor ops, so the
// ones torchvision differentiates (areas, IoU, generalized IoU, format conversion, clipping)
// carry gradients: the box-regression losses need them.

import { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../core/shape.js";
import { assertTensor } from "../ops/util.js";
import { add, clamp, div, minimum, maximum, mul, sub } from "../ops/elementwise.js";
import { narrow, unsqueeze } from "../ops/view.js";
import { stack } from "../ops/indexing.js";
import { tensor } from "../tensor/creation.js";

export type BoxFormat = "xyxy" | "xywh" | "cxcywh";
const FORMATS: readonly BoxFormat[] = ["xyxy", "xywh", "cxcywh"];

/** Check `boxes` is a floating [K, 4] tensor (errors name the op and the argument). */
export function assertBoxes(op: string, boxes: unknown, name = "boxes"): Tensor {
  const b = assertTensor(op, boxes, name);
  if (b.ndim !== 2 || b.shape[1] !== 4) throw new RangeError(`${op}: ${name} must be [K, 4], got shape ${formatShape(b.shape)}`);
  if (b.dtype !== "float32" && b.dtype !== "float64") throw new TypeError(`${op}: ${name} must be float32 or float64, got ${b.dtype}`);
  return b;
}

/** Throw when some box has x2 < x1 or y2 < y1, naming the first one (degenerate boxes make gIoU NaN). */
export function assertOrderedBoxes(op: string, boxes: Tensor, name = "boxes"): void {
  const d = boxes.contiguous().dataSync();
  for (let k = 0; k < boxes.shape[0]; k++) {
    const [x1, y1, x2, y2] = [d[4 * k], d[4 * k + 1], d[4 * k + 2], d[4 * k + 3]];
    if (!(x2 >= x1) || !(y2 >= y1)) {
      throw new RangeError(`${op}: ${name}[${k}] = (${x1}, ${y1}, ${x2}, ${y2}) has x2 < x1 or y2 < y1; boxes must be (x1, y1, x2, y2) with x1 <= x2 and y1 <= y2`);
    }
  }
}

/** Column c of [K, 4] boxes as a [K] tensor (a view). */
const col = (b: Tensor, c: number): Tensor => narrow(b, 1, c, 1).reshape([b.shape[0]]);

/** (x2 − x1)·(y2 − y1) of each box: [K]. */
export function boxArea(boxes: Tensor): Tensor {
  const b = assertBoxes("boxArea", boxes);
  return mul(sub(col(b, 2), col(b, 0)), sub(col(b, 3), col(b, 1)));
}

/** Intersections [A, B] and unions [A, B] of every pair (torchvision's _box_inter_union). */
function interUnion(a: Tensor, b: Tensor): { inter: Tensor; union: Tensor } {
  const areaA = boxArea(a), areaB = boxArea(b);
  const lt = maximum(unsqueeze(narrow(a, 1, 0, 2), 1), narrow(b, 1, 0, 2)); // [A, B, 2]
  const rb = minimum(unsqueeze(narrow(a, 1, 2, 2), 1), narrow(b, 1, 2, 2));
  const wh = clamp(sub(rb, lt), 0);
  const inter = mul(narrow(wh, 2, 0, 1), narrow(wh, 2, 1, 1)).reshape([a.shape[0], b.shape[0]]);
  const union = sub(add(unsqueeze(areaA, 1), areaB), inter);
  return { inter, union };
}

/** Intersection over union of every pair: [A, B]. */
export function boxIou(a: Tensor, b: Tensor): Tensor {
  const A = assertBoxes("boxIou", a, "boxes1"), B = assertBoxes("boxIou", b, "boxes2");
  const { inter, union } = interUnion(A, B);
  return div(inter, union);
}

/** Generalized IoU (Rezatofighi et al.): IoU − (enclosing area − union) / enclosing area, [A, B]. */
export function generalizedBoxIou(a: Tensor, b: Tensor): Tensor {
  const A = assertBoxes("generalizedBoxIou", a, "boxes1"), B = assertBoxes("generalizedBoxIou", b, "boxes2");
  assertOrderedBoxes("generalizedBoxIou", A, "boxes1");
  assertOrderedBoxes("generalizedBoxIou", B, "boxes2");
  const { inter, union } = interUnion(A, B);
  const iou = div(inter, union);
  const lti = minimum(unsqueeze(narrow(A, 1, 0, 2), 1), narrow(B, 1, 0, 2));
  const rbi = maximum(unsqueeze(narrow(A, 1, 2, 2), 1), narrow(B, 1, 2, 2));
  const whi = clamp(sub(rbi, lti), 0);
  const areai = mul(narrow(whi, 2, 0, 1), narrow(whi, 2, 1, 1)).reshape([A.shape[0], B.shape[0]]);
  return sub(iou, div(sub(areai, union), areai));
}

function toXyxy(b: Tensor, fmt: BoxFormat): Tensor {
  if (fmt === "xyxy") return b;
  const [p, q, r, s] = [0, 1, 2, 3].map((c) => col(b, c));
  if (fmt === "xywh") return stack([p, q, add(p, r), add(q, s)], 1);
  // cxcywh: torchvision writes cx − 0.5·w, which rounds as it does here.
  return stack([sub(p, mul(r, 0.5)), sub(q, mul(s, 0.5)), add(p, mul(r, 0.5)), add(q, mul(s, 0.5))], 1);
}

function fromXyxy(b: Tensor, fmt: BoxFormat): Tensor {
  if (fmt === "xyxy") return b;
  const [x1, y1, x2, y2] = [0, 1, 2, 3].map((c) => col(b, c));
  if (fmt === "xywh") return stack([x1, y1, sub(x2, x1), sub(y2, y1)], 1);
  return stack([div(add(x1, x2), 2), div(add(y1, y2), 2), sub(x2, x1), sub(y2, y1)], 1);
}

/** Convert [K, 4] boxes between "xyxy", "xywh" (top-left, size) and "cxcywh" (centre, size). */
export function boxConvert(boxes: Tensor, inFmt: BoxFormat, outFmt: BoxFormat): Tensor {
  const b = assertBoxes("boxConvert", boxes);
  for (const [name, f] of [["inFmt", inFmt], ["outFmt", outFmt]] as const) {
    if (!FORMATS.includes(f)) throw new RangeError(`boxConvert: ${name} must be one of ${FORMATS.join(", ")}, got ${JSON.stringify(f)}`);
  }
  if (inFmt === outFmt) return b.clone();
  return fromXyxy(toXyxy(b, inFmt), outFmt);
}

/** Clamp x into [0, w] and y into [0, h]; `size` is [h, w] as in torchvision. */
export function clipBoxesToImage(boxes: Tensor, size: readonly [number, number]): Tensor {
  const b = assertBoxes("clipBoxesToImage", boxes);
  if (!Array.isArray(size) || size.length !== 2 || !size.every((v) => Number.isFinite(v) && v >= 0)) {
    throw new RangeError(`clipBoxesToImage: size must be [height, width] with non-negative numbers, got ${JSON.stringify(size)}`);
  }
  const [h, w] = size;
  const [x1, y1, x2, y2] = [0, 1, 2, 3].map((c) => col(b, c));
  return stack([clamp(x1, 0, w), clamp(y1, 0, h), clamp(x2, 0, w), clamp(y2, 0, h)], 1);
}

/** Indices (int32, ascending) of the boxes whose width and height are both at least minSize. */
export function removeSmallBoxes(boxes: Tensor, minSize: number): Tensor {
  const b = assertBoxes("removeSmallBoxes", boxes);
  if (typeof minSize !== "number" || Number.isNaN(minSize)) throw new TypeError(`removeSmallBoxes: minSize must be a number, got ${String(minSize)}`);
  const d = b.contiguous().dataSync();
  const keep: number[] = [];
  for (let k = 0; k < b.shape[0]; k++) {
    // torchvision subtracts in the boxes' dtype before comparing.
    const ws = b.dtype === "float32" ? Math.fround(d[4 * k + 2] - d[4 * k]) : d[4 * k + 2] - d[4 * k];
    const hs = b.dtype === "float32" ? Math.fround(d[4 * k + 3] - d[4 * k + 1]) : d[4 * k + 3] - d[4 * k + 1];
    if (ws >= minSize && hs >= minSize) keep.push(k);
  }
  return tensor(Int32Array.from(keep), { dtype: "int32", device: b.backend.name });
}
