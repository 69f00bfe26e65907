// torchvision's Conv2dNormActivation as the detection models use it (no norm layer): a Sequential
// of the convolution (with bias, "same" padding) and optionally a ReLU, so state-dict keys read
// `conv.0.0.weight` / `inner_blocks.0.0.weight` as torchvision 0.14's do.

import { Sequential } from "../nn/containers.js";
import { Conv2d } from "../nn/conv.js";
import { ReLU } from "../nn/activation.js";

export function convBlock(inChannels: number, outChannels: number, kernelSize: number, relu: boolean): Sequential {
  const conv = new Conv2d(inChannels, outChannels, kernelSize, { padding: (kernelSize - 1) >> 1, bias: true });
  return relu ? new Sequential(conv, new ReLU()) : new Sequential(conv);
}
