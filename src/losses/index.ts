// nb.losses: Keras' probability losses with Keras' meaning. yPred holds probabilities (a Softmax
// or Sigmoid output) unless { fromLogits: true }; Keras' clipping numerics; targets one-hot
// (categorical), class indices (sparse) or 0/1 (binary). Arguments keep nabla's order (yPred,
// yTrue). fit's loss names "categorical_crossentropy", "sparse_categorical_crossentropy" and
// "binary_crossentropy" are these; torch's logit losses (crossEntropy, CrossEntropyLoss, ...)
// live in nb.nn.
export { EPSILON, type KerasLossOptions, type SmoothableLossOptions, type KerasReduction, KerasLoss } from "./keras-loss.js";
export {
  categoricalCrossentropy, sparseCategoricalCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy,
} from "./categorical-crossentropy.js";
export { binaryCrossentropy, BinaryCrossentropy } from "./binary-crossentropy.js";
