// Model factories and classes reject option names they do not know; torchvision's
// `weights` / `pretrained` point to nb.transfer.loadPretrained.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertThrowsMatching } from "../helpers/assert.js";

const M = nb.models;

test("model factories: unknown options are errors (checked before anything is built)", () => {
  // @ts-expect-error torchvision's num_classes is fine as numClasses; its weights are not an option
  assertThrowsMatching(() => M.resnet18({ weights: "IMAGENET1K_V1" }), /^resnet18: unknown option "weights" \(use nb\.transfer\.loadPretrained\(model, stateDict\) after building it with initWeights: false \(nothing is downloaded\)\)/);
  // @ts-expect-error
  assertThrowsMatching(() => M.resnet50({ num_classes: 10 }), /^resnet50: unknown option "num_classes" \(did you mean "numClasses"\?\); the options are numClasses, inChannels, zeroInitResidual, groups, widthPerGroup, initWeights$/);
  // @ts-expect-error
  assertThrowsMatching(() => M.wideResnet50_2({ pretrained: true }), /^wideResnet50_2: unknown option "pretrained" \(use nb\.transfer\.loadPretrained/);
  // @ts-expect-error
  assertThrowsMatching(() => M.seResnet50({ zero_init_residual: true }), /^seResnet50: unknown option "zero_init_residual" \(did you mean "zeroInitResidual"\?\)/);
  // @ts-expect-error torchvision's vgg16_bn
  assertThrowsMatching(() => M.vgg16({ batch_norm: true }), /^vgg16: unknown option "batch_norm" \(use batchNorm/);
  // @ts-expect-error
  assertThrowsMatching(() => M.alexnet({ numClass: 10 }), /^alexnet: unknown option "numClass" \(did you mean "numClasses"\?\); the options are numClasses, variant, inChannels, dropout, initWeights$/);
  // @ts-expect-error
  assertThrowsMatching(() => M.zfnet({ dropOut: 0.2 }), /^zfnet: unknown option "dropOut" \(did you mean "dropout"\?\)/);
  // @ts-expect-error
  assertThrowsMatching(() => M.googlenet({ aux_logits: false }), /^googlenet: unknown option "aux_logits" \(did you mean "auxLogits"\?\)/);
  // @ts-expect-error
  assertThrowsMatching(() => M.inceptionV3({ transform_input: true }), /^inceptionV3: unknown option "transform_input" \(did you mean "transformInput"\?\)/);
  // @ts-expect-error
  assertThrowsMatching(() => M.fashionCnn({ classes: 10 }), /^fashionCnn: unknown option "classes"; the options are numClasses, inChannels$/);
  // @ts-expect-error output belongs to the 1998 form
  assertThrowsMatching(() => M.lenet5({ output: "linear" }), /^lenet5: unknown option "output" \(use variant: "1998"/);
  assertThrowsMatching(() => M.lenet5Original({ variant: "1998" } as never), /^LeNet5Original: unknown option "variant"; the options are numClasses, inChannels, output$/);
  // The right names still build.
  assert.ok(M.lenet5({ variant: "1998", output: "linear", numClasses: 4 }) instanceof M.LeNet5Original);
  assert.ok(M.lenet5({ numClasses: 4, inChannels: 3 }) instanceof M.LeNet5);
  assert.equal(M.resnet18({ numClasses: 3, zeroInitResidual: true, initWeights: false }).fc.outFeatures, 3);
});

test("model classes take the architecture options only (initWeights belongs to the factories)", () => {
  // @ts-expect-error
  assertThrowsMatching(() => new M.AlexNet({ initWeights: false }), /^AlexNet: unknown option "initWeights"; the options are numClasses, variant, inChannels, dropout$/);
  // @ts-expect-error
  assertThrowsMatching(() => new M.ResNet(M.BasicBlock, [1, 1, 1, 1], { zeroInitResidual: true }), /^ResNet: unknown option "zeroInitResidual" \(use the factories/);
  // @ts-expect-error
  assertThrowsMatching(() => new M.BasicBlock(64, 64, { strides: 2 }), /^BasicBlock: unknown option "strides" \(did you mean "stride"\?\)/);
  // @ts-expect-error
  assertThrowsMatching(() => M.vggFeatures([8, "M"], { batchnorm: true }), /^vggFeatures: unknown option "batchnorm" \(did you mean "batchNorm"\?\)/);
  // @ts-expect-error
  assertThrowsMatching(() => new M.FashionCNN({ num_classes: 3 }), /^FashionCNN: unknown option "num_classes" \(did you mean "numClasses"\?\)/);
});
