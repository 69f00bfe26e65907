// Reading learning curves the way seed 004 teaches: underfitting (no capacity, or stopped too
// early), overfitting (with the epoch where validation loss turned up), a good fit, or an
// unrepresentative validation set — each with the remedies the course lists.

export type Verdict =
  | "underfit-capacity" | "underfit-more-training" | "overfit" | "good-fit"
  | "unrepresentative-small-train" | "unrepresentative-small-validation" | "unrepresentative-easy-validation"
  | "too-few-epochs";

export interface Diagnosis {
  verdict: Verdict;
  /** One or two sentences in the course's words. */
  explanation: string;
  remedies: string[];
  /** 1-based epoch with the lowest validation loss, when validation loss turned up afterwards. */
  turnEpoch?: number;
}

const REMEDIES: Record<Verdict, string[]> = {
  "underfit-capacity": [
    "Add more observations: there may not be enough data for the patterns to become strong signals.",
    "Add more features.",
    "Reduce any regularization on the model (dropout, weight penalties).",
    "Increase model capacity (more or wider layers).",
  ],
  "underfit-more-training": [
    "Increase the number of epochs until the validation curve has stopped improving, with an early-stopping callback (--patience).",
    "If the minimum takes long to reach, increase the learning rate and add a scheduler that adjusts it automatically (--schedule).",
  ],
  overfit: [
    "Stop at the turning point: early stopping with restored best weights (--patience).",
    "Reduce the learning rate, and reduce it automatically when validation loss plateaus (--schedule plateau).",
    "Reduce the number and/or size of the hidden layers.",
    "Regularize the weights (--weight-decay).",
    "Add dropout (--dropout), data augmentation (--augment) or batch normalization.",
    "Add more cases to the training set.",
  ],
  "good-fit": ["Nothing to fix: training and validation loss decrease to a point of stability with a small gap."],
  "unrepresentative-small-train": ["The training set may be too small relative to the validation set: add training data, or augment it (--augment)."],
  "unrepresentative-small-validation": ["The validation set may be too small to be representative: use a larger --validation-split, or k-fold cross-validation."],
  "unrepresentative-easy-validation": ["The validation set may be easier to predict than the training set: check how it was sampled (shuffle before splitting), or use k-fold cross-validation. Note that dropout raises the training loss, which is measured in training mode."],
  "too-few-epochs": ["Train for more epochs (at least 3) to see the shape of the learning curves."],
};

function finiteSeries(xs: readonly number[] | undefined): number[] {
  return (xs ?? []).filter((v) => Number.isFinite(v));
}

export function diagnose(history: Record<string, readonly number[]>): Diagnosis {
  const train = finiteSeries(history.loss);
  const val = finiteSeries(history.val_loss);
  const make = (verdict: Verdict, explanation: string, turnEpoch?: number): Diagnosis => ({ verdict, explanation, remedies: REMEDIES[verdict], turnEpoch });
  if (train.length === 0) throw new Error("diagnose: the history has no finite training loss");
  if (train.length < 3) {
    return make("too-few-epochs", `Only ${train.length} epoch${train.length === 1 ? "" : "s"}: too few points on the learning curves to tell underfitting from overfitting.`);
  }
  const first = train[0], last = train[train.length - 1];
  const trainDrop = (first - last) / Math.abs(first);
  const recentDrop = (train[train.length - 2] - last) / Math.abs(train[train.length - 2]);
  if (trainDrop < 0.1) {
    return make("underfit-capacity", "Underfitting: the training loss is a flat line or noisy at a relatively high value, so the model was unable to learn the training set; it lacks the capacity the problem needs.");
  }
  if (val.length === train.length) {
    const minIdx = val.indexOf(Math.min(...val));
    const lastVal = val[val.length - 1];
    const trainAfterMin = train.slice(minIdx);
    if (minIdx < val.length - 1 && lastVal > val[minIdx] * 1.02 && trainAfterMin[trainAfterMin.length - 1] < trainAfterMin[0]) {
      return make("overfit", `Overfitting: the training loss keeps falling while the validation loss turned up after epoch ${minIdx + 1}; that inflection point is where training could have been halted.`, minIdx + 1);
    }
    const diffs = val.slice(1).map((v, i) => v - val[i]);
    const signChanges = diffs.slice(1).filter((d, i) => Math.sign(d) !== Math.sign(diffs[i]) && d !== 0).length;
    if (signChanges >= Math.max(2, Math.floor(diffs.length / 2))) {
      return make("unrepresentative-small-validation", "Unrepresentative validation set: the training curve looks like a fit, but the validation loss moves noisily around it.");
    }
    if (lastVal < 0.7 * last) {
      return make("unrepresentative-easy-validation", "Unrepresentative validation set: the validation loss stays well below the training loss, so the validation data seems easier to predict than the training data.");
    }
    if (lastVal > 2 * last && recentDrop > 0 && val[val.length - 2] > lastVal) {
      return make("unrepresentative-small-train", "Unrepresentative training set: both losses improve, but a large gap remains between the curves.");
    }
    if (recentDrop > 0.01 && lastVal <= Math.min(...val) * 1.001) {
      return make("underfit-more-training", "Underfitting that needs more training: training and validation loss were still decreasing at the end, so training was halted prematurely.");
    }
    return make("good-fit", "A good fit: training and validation loss decrease to a point of stability with a small gap between them.");
  }
  if (recentDrop > 0.01) {
    return make("underfit-more-training", "Underfitting that needs more training: the training loss was still decreasing at the end (no validation data was given to check generalisation).");
  }
  return make("good-fit", "The training loss has converged; without validation data, generalisation cannot be judged.");
}
