// Layers, initialisers and helpers reject option names they do not know (Keras' spellings get
// pointed to ours); the check runs when a layer is built, never in forward.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertThrowsMatching } from "../helpers/assert.js";

test("new nb.nn.Linear(2, 3, { bais: false }) throws instead of keeping the bias", () => {
  // @ts-expect-error misspelt
  assertThrowsMatching(() => new nb.nn.Linear(2, 3, { bais: false }), /^Linear: unknown option "bais" \(did you mean "bias"\?\); the options are bias$/);
  // @ts-expect-error Keras' Dense(use_bias=False)
  assertThrowsMatching(() => new nb.nn.Linear(2, 3, { use_bias: false }), /^Linear: unknown option "use_bias" \(use bias\); the options are bias$/);
  assert.equal(new nb.nn.Linear(2, 3, { bias: false }).bias, null);
  // @ts-expect-error
  assertThrowsMatching(() => new nb.nn.Maxout(2, 3, 2, { useBias: false }), /^Maxout: unknown option "useBias" \(use bias\)/);
});

test("normalization layers: unknown options are errors, Keras' epsilon / center / scale pointed to ours", () => {
  // @ts-expect-error Keras' BatchNormalization(epsilon=...)
  assertThrowsMatching(() => new nb.nn.BatchNorm2d(8, { epsilon: 1e-3 }), /^BatchNorm2d: unknown option "epsilon" \(use eps\); the options are eps, momentum, affine, trackRunningStats$/);
  // @ts-expect-error snake case
  assertThrowsMatching(() => new nb.nn.BatchNorm1d(8, { track_running_stats: false }), /^BatchNorm1d: unknown option "track_running_stats" \(did you mean "trackRunningStats"\?\)/);
  // @ts-expect-error
  assertThrowsMatching(() => new nb.nn.InstanceNorm2d(8, { center: false }), /^InstanceNorm2d: unknown option "center" \(use affine\)/);
  // @ts-expect-error torch's elementwise_affine
  assertThrowsMatching(() => new nb.nn.LayerNorm(8, { elementwise_affine: false }), /^LayerNorm: unknown option "elementwise_affine" \(did you mean "elementwiseAffine"\?\); the options are eps, elementwiseAffine, bias$/);
  // @ts-expect-error
  assertThrowsMatching(() => new nb.nn.GroupNorm(2, 8, { esp: 1e-5 }), /^GroupNorm: unknown option "esp" \(did you mean "eps"\?\); the options are eps, affine$/);
  // @ts-expect-error
  assertThrowsMatching(() => new nb.nn.LocalResponseNorm(5, { size: 5 }), /^LocalResponseNorm: unknown option "size"; the options are alpha, beta, k$/);
});

test("dropout and activation layers: unknown options are errors", () => {
  // @ts-expect-error Keras' Dropout(seed=...)
  assertThrowsMatching(() => new nb.nn.Dropout(0.5, { seed: 1 }), /^Dropout: unknown option "seed" \(use generator: new nb\.Generator\(seed\)\); the options are generator$/);
  // @ts-expect-error
  assertThrowsMatching(() => new nb.nn.Dropout2d(0.5, { inplace: true }), /^Dropout2d: unknown option "inplace"; the options are generator$/);
  // @ts-expect-error
  assertThrowsMatching(() => new nb.nn.GELU({ approximation: "tanh" }), /^GELU: unknown option "approximation" \(did you mean "approximate"\?\)/);
  // @ts-expect-error
  assertThrowsMatching(() => new nb.nn.Softplus({ treshold: 10 }), /^Softplus: unknown option "treshold" \(did you mean "threshold"\?\); the options are beta, threshold$/);
});

test("init and clipGradNorm: unknown options are errors", () => {
  const w = nb.zeros([4, 3]);
  // @ts-expect-error torch's fan mode is `mode`
  assertThrowsMatching(() => nb.nn.init.kaimingUniform(w, { nonlinerity: "relu" }), /^init\.kaimingUniform: unknown option "nonlinerity" \(did you mean "nonlinearity"\?\); the options are a, mode, nonlinearity, generator$/);
  // @ts-expect-error
  assertThrowsMatching(() => nb.nn.init.uniform(w, 0, 1, { seed: 1 }), /^init\.uniform: unknown option "seed"; the options are generator$/);
  nb.nn.init.kaimingNormal(w, { mode: "fanOut", nonlinearity: "relu", generator: new nb.Generator(1) });
  const p = nb.ones([2]);
  p.requiresGrad = true;
  // @ts-expect-error snake case
  assertThrowsMatching(() => nb.nn.utils.clipGradNorm([p], 1, { norm_type: 2 }), /^clipGradNorm: unknown option "norm_type" \(did you mean "normType"\?\)/);
  // @ts-expect-error
  assertThrowsMatching(() => nb.regularizers.l2(new nb.nn.Linear(2, 2), 1e-4, { exclude_bias: true }), /^l2: unknown option "exclude_bias"; the options are exclude$/);
});

test("pooling layers and loss modules reject unknown options, pointing to the name to use", () => {
  assertThrowsMatching(() => new nb.nn.MaxPool2d(2, { strides: 2 } as never), /^MaxPool2d: unknown option "strides" \(did you mean "stride"\?\); the options are stride, padding, ceilMode, dilation/);
  assertThrowsMatching(() => new nb.nn.AvgPool2d(2, { count_include_pad: false } as never), /^AvgPool2d: unknown option "count_include_pad" \(did you mean "countIncludePad"\?\)/);
  assertThrowsMatching(() => new nb.nn.LPPool2d(2, 2, { padding: 1 } as never), /^LPPool2d: unknown option "padding"; the options are stride, ceilMode/);
  assertThrowsMatching(() => new nb.nn.CrossEntropyLoss({ label_smoothing: 0.1 } as never), /^CrossEntropyLoss: unknown option "label_smoothing" \(did you mean "labelSmoothing"\?\)/);
  assertThrowsMatching(() => new nb.nn.MSELoss({ size_average: false } as never), /^MSELoss: unknown option "size_average" \(use reduction: "mean" or "sum"\)/);
  assertThrowsMatching(() => new nb.nn.Conv2d(1, 2, 3, { strides: 2 } as never), /^Conv2d: unknown option "strides" \(did you mean "stride"\?\)/);
  // Given options still work.
  assert.equal(new nb.nn.CrossEntropyLoss({ labelSmoothing: 0.1, reduction: "sum" }).labelSmoothing, 0.1);
  assert.deepEqual(new nb.nn.MaxPool2d(3, { stride: 2, padding: 1 }).stride, [2, 2]);
});
