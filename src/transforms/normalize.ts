// Normalize(mean, std): (x - mean[c]) / std[c] per channel, torchvision's transforms.Normalize.
// Built from nabla ops, so it is differentiable too.

import { tensor } from "../tensor/creation.js";
import type { Tensor } from "../tensor/tensor.js";
import { tidy } from "../tensor/scope.js";
import { sub, div } from "../ops/elementwise.js";
import { checkImageTensor } from "./image.js";
import { Transform } from "./transform.js";

export class Normalize extends Transform {
  readonly mean: readonly number[];
  readonly std: readonly number[];

  constructor(mean: readonly number[] | number, std: readonly number[] | number) {
    super();
    const m = typeof mean === "number" ? [mean] : mean, s = typeof std === "number" ? [std] : std;
    if (!Array.isArray(m) || m.length === 0 || m.some((v) => typeof v !== "number" || !Number.isFinite(v))) {
      throw new TypeError(`Normalize: mean must be a non-empty array of finite numbers (one per channel), got ${JSON.stringify(mean)}`);
    }
    if (!Array.isArray(s) || s.length === 0 || s.some((v) => typeof v !== "number" || !Number.isFinite(v))) {
      throw new TypeError(`Normalize: std must be a non-empty array of finite numbers (one per channel), got ${JSON.stringify(std)}`);
    }
    if (s.some((v) => v <= 0)) throw new RangeError(`Normalize: std must be positive, got [${s.join(", ")}]`);
    this.mean = [...m];
    this.std = [...s];
  }

  apply(x: Tensor): Tensor {
    const img = checkImageTensor("Normalize", x);
    const c = img.shape[img.ndim - 3];
    for (const [name, v] of [["mean", this.mean], ["std", this.std]] as const) {
      if (v.length !== 1 && v.length !== c) {
        throw new RangeError(`Normalize: ${name} has ${v.length} values but the image has ${c} channels (shape [${img.shape.join(", ")}])`);
      }
    }
    return tidy(() => {
      const perChannel = (v: readonly number[]) => tensor([...v], { dtype: img.dtype, device: img.device, shape: [v.length, 1, 1] });
      return div(sub(img, perChannel(this.mean)), perChannel(this.std));
    });
  }
}
