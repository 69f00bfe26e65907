// The surface both package entries share: everything that runs without Node's file system or
// addons. src/index.ts (Node) and src/index.browser.ts (browsers) each register their backends
// first, then add what differs: Node the addons' nb.cuda, files and their formats (nb.io, nb.save,
// nb.load of paths, nb.datasets, nb.viz, the file-writing callbacks) and nb.distributed; the
// browser nb.load of bytes and the in-memory callbacks.

import "./autograd/index.js";

export { Tensor } from "./tensor/tensor.js";
export type { DType, TypedArray } from "./core/dtype.js";
export {
  tensor, zeros, ones, full, empty, zerosLike, onesLike, fullLike, arange, linspace, eye, rand, randn, randint,
  type TensorOptions, type RandomOptions,
} from "./tensor/creation.js";
export { Generator, manualSeed, defaultGenerator } from "./tensor/random.js";
export { tidy, keep } from "./tensor/scope.js";
export { noGrad, enableGrad, isGradEnabled } from "./autograd/index.js";
export { backends, backendsReady, setBackend, getBackend, backendUnavailableReason } from "./backend/registry.js";
export type { Backend, View } from "./backend/backend.js";

export * from "./ops/elementwise.js";
export * from "./ops/reduce.js";
// `var` is a reserved word for declarations but a valid export name: nb.var(x) as in torch.var.
export { variance as var } from "./ops/reduce.js";
export {
  reshape, view, flatten, unflatten, permute, transpose, squeeze, unsqueeze, expand, expandAs, contiguous, clone,
  slice, narrow, to, viewAs, reshapeAs,
} from "./ops/view.js";
export type { TensorLike } from "./ops/util.js";
export * from "./ops/linalg.js";
export * from "./ops/conv.js";
export { convTranspose1d, convTranspose2d, convTranspose3d, type ConvTransposeOptions } from "./ops/conv-transpose.js";
export * from "./ops/pool.js";
export * from "./ops/softmax.js";
export * from "./ops/norm.js";
export * from "./ops/dropout.js";
export * from "./ops/indexing.js";
export { interpolate, type InterpolateOptions, type InterpolateMode } from "./ops/interpolate.js";
export * from "./ops/pixel-shuffle.js";
export { compile, formatPlan, type CompileOptions, type CompiledFunction, type CompiledPlan, type GraphBreak, type CompileStats } from "./graph/compile.js";
export type { KernelPlanSummary } from "./graph/kernel-plan.js";
export * as nn from "./nn/index.js";
export * as losses from "./losses/index.js";
export * as optim from "./optim/index.js";
export * as regularizers from "./regularizers.js";
export * as data from "./data/index.js";
export * as transforms from "./transforms/index.js";
export * as metrics from "./metrics/index.js";
export * as safetensors from "./io/safetensors.js";
export { trainGan, type TrainGanOptions, type GanHistory, type GanLogs } from "./train/gan.js";
export { summary, explain, type Summary, type SummaryRow, type Explanation, type ExplainRow } from "./summary/index.js";
export * as detection from "./detection/index.js";
export * as models from "./models/index.js";
export { crossValidate, type CrossValidationResult } from "./train/cross-validate.js";
export * as tune from "./tune/index.js";
export * as ensemble from "./ensemble/index.js";
export * as transfer from "./transfer/index.js";
