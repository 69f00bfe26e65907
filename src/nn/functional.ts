// nb.nn.functional: the stateless forms of the layers under torch.nn.functional's names in
// camelCase (F.conv2d → conv2d, F.max_pool2d → maxPool2d, F.cross_entropy → crossEntropy).
// Everything here is defined elsewhere (ops/ and the layer files); this file only gathers it.

export {
  maxPool1d, maxPool2d, maxPool3d, maxPool1dWithIndices, maxPool2dWithIndices, maxPool3dWithIndices,
  reluMaxPool1d, reluMaxPool2d, reluMaxPool3d, minPool1d, minPool2d, minPool3d, avgPool1d, avgPool2d, avgPool3d, lpPool1d, lpPool2d,
  adaptiveAvgPool1d, adaptiveAvgPool2d, adaptiveAvgPool3d, adaptiveMaxPool1d, adaptiveMaxPool2d, adaptiveMaxPool3d,
  adaptiveMaxPool1dWithIndices, adaptiveMaxPool2dWithIndices, adaptiveMaxPool3dWithIndices, globalAvgPool2d,
} from "../ops/pool.js";
export { dropout, dropout1d, dropout2d, dropout3d, alphaDropout, featureAlphaDropout } from "../ops/dropout.js";
export { batchNorm, layerNorm, groupNorm, instanceNorm, localResponseNorm } from "../ops/norm.js";
export { pad, oneHot } from "../ops/indexing.js";
export { embedding } from "../ops/embedding.js";
export { interpolate } from "../ops/interpolate.js";
export { pixelShuffle, pixelUnshuffle } from "../ops/pixel-shuffle.js";
export { softmax, logSoftmax } from "../ops/softmax.js";
export {
  relu, leakyRelu, elu, selu, gelu, sigmoid, tanh, softsign, hardtanh, binaryStep, atan,
} from "../ops/elementwise.js";
export { prelu, rrelu, softplus, maxout } from "./activation.js";

export { linear } from "../ops/linalg.js";
export { rnnCell, lstmCell, gruCell, recurrentSequence, type RecurrentWeights } from "../ops/recurrent.js";
export { conv1d, conv2d, conv3d } from "../ops/conv.js";
export { convTranspose1d, convTranspose2d, convTranspose3d } from "../ops/conv-transpose.js";
export { conv2dReluMaxPool2d } from "../ops/conv-relu-pool.js";

export {
  mseLoss, l1Loss, huberLoss, smoothL1Loss, crossEntropy, nllLoss, binaryCrossEntropy, binaryCrossEntropyWithLogits,
  multiMarginLoss, hingeEmbeddingLoss,
} from "./loss.js";
