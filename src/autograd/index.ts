// The autograd surface: the engine (which also installs Tensor.backward), grad mode and graph nodes.

export { backward, type BackwardOptions } from "./engine.js";
export { noGrad, enableGrad, isGradEnabled, setGradEnabled } from "./grad-mode.js";
export { record, saveForBackward, needsGrad, type BackwardFn, Node } from "./node.js";
export { registerPostAccumulateGradHook, type PostAccumulateGradHook } from "./grad-hooks.js";
