// The one convention every transform follows: an object with `apply(x)` returning a new tensor,
// and `fn`, the same thing as a plain function for places that take only `(x: Tensor) => Tensor`.
// Everything that takes a transform (Compose, DataLoader's `transform` and `batchTransform`)
// takes either, like PyTorch's callables:
//   new nb.data.DataLoader(ds, { transform: new nb.transforms.RandomHorizontalFlip() })

import type { Tensor } from "../tensor/tensor.js";

export abstract class Transform {
  abstract apply(x: Tensor): Tensor;

  /** This transform as a plain function (bound, so it can be passed around freely). */
  get fn(): (x: Tensor) => Tensor {
    return (x: Tensor) => this.apply(x);
  }
}

/**
 * What Compose and DataLoader accept: a transform object (anything with `apply(x)`, e.g. every
 * class here) or a plain function. The same type as nb.data.Transform (written out in both
 * places because data/ and transforms/ are sibling layers; test/data checks they agree).
 */
export type TransformLike = ((x: Tensor) => Tensor) | { apply(x: Tensor): Tensor };

/** Whether `t` is a TransformLike. */
export function isTransformLike(t: unknown): t is TransformLike {
  return typeof t === "function" || (t !== null && typeof t === "object" && typeof (t as { apply?: unknown }).apply === "function");
}
