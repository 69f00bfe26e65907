// Installs backward() on tensors and re-exports the autograd surface.

import { Tensor } from "../tensor/tensor.js";
import { backward, type BackwardOptions } from "./engine.js";

declare module "../tensor/tensor.js" {
  interface Tensor {
    /** Accumulate d(this)/d(leaf) into every leaf's .grad (grad defaults to 1 for scalars). */
    backward(grad?: Tensor | number | BackwardOptions, opts?: BackwardOptions): void;
  }
}

Tensor.prototype.backward = function (grad?: Tensor | number | BackwardOptions, opts?: BackwardOptions) {
  // backward({ retainGraph: true }) is accepted as shorthand for backward(undefined, {...}).
  if (grad !== undefined && typeof grad === "object" && !(grad instanceof Tensor)) backward(this, undefined, grad);
  else backward(this, grad, opts);
};

export { backward, type BackwardOptions } from "./engine.js";
export { noGrad, enableGrad, isGradEnabled, setGradEnabled } from "./grad-mode.js";
export { record, saveForBackward, needsGrad, type BackwardFn, Node } from "./node.js";
