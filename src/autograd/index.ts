// Installs backward() on tensors and re-exports the autograd surface.

import { Tensor } from "../tensor/tensor.js";
import { backward, type BackwardOptions } from "./engine.js";

declare module "../tensor/tensor.js" {
  interface Tensor {
    /** Accumulate d(this)/d(leaf) into every leaf's .grad (grad defaults to 1 for scalars). */
    backward(grad?: Tensor | number, opts?: BackwardOptions): void;
  }
}

Tensor.prototype.backward = function (grad?: Tensor | number, opts?: BackwardOptions) {
  backward(this, grad, opts);
};

export { backward, type BackwardOptions } from "./engine.js";
export { noGrad, enableGrad, isGradEnabled, setGradEnabled } from "./grad-mode.js";
export { record, saveForBackward, needsGrad, type BackwardFn, Node } from "./node.js";
