// Compose: run transforms one after another, freeing the intermediate tensors.

import type { Tensor } from "../tensor/tensor.js";
import { tidy } from "../tensor/scope.js";
import { Transform, isTransformLike, type TransformLike } from "./transform.js";

export class Compose extends Transform {
  readonly transforms: readonly TransformLike[];

  constructor(transforms: readonly TransformLike[]) {
    super();
    if (!Array.isArray(transforms)) throw new TypeError(`Compose: expected an array of transforms, got ${typeof transforms}`);
    transforms.forEach((t, i) => {
      if (!isTransformLike(t)) {
        throw new TypeError(`Compose: element ${i} is not a transform (an object with apply(x) or a function), got ${t === null ? "null" : typeof t}`);
      }
    });
    this.transforms = [...transforms];
  }

  apply(x: Tensor): Tensor {
    return tidy(() => {
      let y = x;
      for (const t of this.transforms) y = typeof t === "function" ? t(y) : t.apply(y);
      return y;
    });
  }
}
