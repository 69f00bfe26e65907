// nb.optim: optimizers and learning-rate schedulers with torch.optim's numerics.

export {
  Optimizer, type OptimizerOptions, type OptimizerStateDict, type ParamGroup, type ParamGroupInput, type ParamState, type ParamsInput,
} from "./optimizer.js";
export { SGD, type SGDOptions } from "./sgd.js";
export { Adam, type AdamOptions } from "./adam.js";
export { AdamW, type AdamWOptions } from "./adamw.js";
export { NAdam, type NAdamOptions } from "./nadam.js";
export { RMSprop, type RMSpropOptions } from "./rmsprop.js";
export { Adagrad, type AdagradOptions } from "./adagrad.js";
export { Adadelta, type AdadeltaOptions } from "./adadelta.js";
export { OptionCheck } from "./checks.js";
export { stateDictToJSON, stateDictFromJSON, type SerializedTensor } from "./serialize.js";
export * as lrScheduler from "./lr-scheduler/index.js";
export { create, names, defaults, hasOption, resolveName, optimizerClass, type OptimizerName } from "./registry.js";
