// The one convention every transform follows: an object with `apply(x)` returning a new tensor,
// and `fn`, the same thing as a plain function for places that take `(x: Tensor) => Tensor`
// (DataLoader's `transform` and `batchTransform` options):
//   new nb.data.DataLoader(ds, { transform: new nb.transforms.RandomHorizontalFlip().fn })

import type { Tensor } from "../tensor/tensor.js";

export abstract class Transform {
  abstract apply(x: Tensor): Tensor;

  /** This transform as a plain function (bound, so it can be passed around freely). */
  get fn(): (x: Tensor) => Tensor {
    return (x: Tensor) => this.apply(x);
  }
}

/** What Compose and helpers accept: a transform object or a plain function. */
export type TransformLike = Transform | ((x: Tensor) => Tensor);
