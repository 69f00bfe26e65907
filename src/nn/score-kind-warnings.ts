// One-shot warnings for a loss fed the wrong kind of scores: probabilities where it expects
// logits (a model ending in Softmax given to crossEntropy applies softmax twice and trains badly,
// with no error), or logits where it expects probabilities (a bare Linear output given to a Keras
// probability loss). Loss modules run the check on their first call only and read just the first
// rows, so it costs one small host read per loss instance, never a per-step cost.

import type { Tensor } from "../tensor/tensor.js";
import { tidy } from "../tensor/scope.js";
import { noGrad } from "../autograd/grad-mode.js";
import { slice, to } from "../ops/view.js";
import { hostCheck } from "../graph/host-check.js";

/** How many leading samples the checks read, and leading positions of each spatial dimension. */
const SAMPLE_ROWS = 32;
const SAMPLE_POSITIONS = 4;
/** A float32 softmax row sums to 1 within a few ulps; anything this close is a probability row. */
const SUM_TOLERANCE = 1e-3;

export const LOGITS_LOOK_LIKE_PROBABILITIES = "NABLA_LOGITS_LOOK_LIKE_PROBABILITIES";
export const PROBABILITIES_LOOK_LIKE_LOGITS = "NABLA_PROBABILITIES_LOOK_LIKE_LOGITS";

/**
 * A corner of x as host numbers (any backend), plus its shape: every class of the first samples
 * at the first few positions of any other dimension, so a segmentation map costs no more than a
 * batch of rows.
 */
function leadingSample(x: Tensor, classDim: number): { values: ArrayLike<number>; shape: number[] } {
  return tidy(() => noGrad(() => {
    let head = x;
    for (let d = 0; d < x.ndim; d++) {
      const keep = d === 0 && x.ndim >= 2 ? SAMPLE_ROWS : SAMPLE_POSITIONS;
      if (d !== classDim && head.shape[d] > keep) head = slice(head, d, 0, keep);
    }
    const host = head.backend.syncReadable ? head : to(head, "cpu");
    // A copy: the sample may be a view whose storage the scope releases.
    // hostCheck: the values only decide a warning, so a compiled step may keep this read.
    return { values: Float64Array.from(hostCheck(() => host.dataSync())), shape: [...head.shape] };
  }));
}

/** Whether every sampled value is >= 0 and every sampled row along classDim sums to 1. */
export function rowsAreProbabilities(x: Tensor, classDim: number): boolean {
  if (x.numel() === 0 || x.ndim === 0) return false;
  const { values, shape } = leadingSample(x, classDim);
  const classes = shape[classDim];
  if (classes < 2) return false;
  let outer = 1, inner = 1;
  for (let d = 0; d < classDim; d++) outer *= shape[d];
  for (let d = classDim + 1; d < shape.length; d++) inner *= shape[d];
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let total = 0;
      for (let c = 0; c < classes; c++) {
        const v = values[(o * classes + c) * inner + i];
        if (!(v >= 0)) return false;
        total += v;
      }
      if (Math.abs(total - 1) > SUM_TOLERANCE) return false;
    }
  }
  return true;
}

/** The first sampled value outside [0, upper], or null (classDim: the dimension read whole). */
export function firstNonProbability(x: Tensor, upper: number, classDim: number): number | null {
  if (x.numel() === 0) return null;
  const { values } = leadingSample(x, classDim);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < 0 || v > upper) return v; // NaN says nothing about the kind of scores
  }
  return null;
}

function warn(message: string, code: string): void {
  if (typeof process !== "undefined" && typeof process.emitWarning === "function") process.emitWarning(message, { code });
  else console.warn(`${code}: ${message}`);
}

/**
 * Warns when a loss that takes logits (or log-probabilities, `expects`) got rows that are
 * already probabilities: non-negative and summing to 1 along classDim.
 */
export function warnIfProbabilities(loss: string, input: Tensor, classDim: number, expects: "logits" | "log-probabilities" = "logits"): void {
  if (!rowsAreProbabilities(input, classDim)) return;
  const fix = expects === "logits"
    ? "If the model ends in a Softmax layer, remove it (the loss applies log-softmax itself), " +
      'or keep it and use a probability loss: "categorical_crossentropy" (one-hot targets) or "sparse_categorical_crossentropy" (class indices), which mean what they mean in Keras.'
    : "If the model ends in Softmax, use LogSoftmax instead, or use crossEntropy on the logits.";
  warn(
    `${loss} expects ${expects}, but the rows of its first input are non-negative and sum to 1, as probabilities do; ` +
      `treating them as ${expects} gives a wrong loss and weak gradients. ${fix}`,
    LOGITS_LOOK_LIKE_PROBABILITIES,
  );
}

/**
 * Warns when a loss that takes probabilities (Keras' default, fromLogits: false) got values
 * outside [0, upper]: logits, which the loss would clip to nonsense.
 */
export function warnIfNotProbabilities(loss: string, input: Tensor, upper: number): void {
  const bad = firstNonProbability(input, upper, input.ndim - 1);
  if (bad === null) return;
  const range = upper === 1 ? "[0, 1]" : "[0, ∞)";
  warn(
    `${loss} expects probabilities (fromLogits: false, as in Keras), but its first input holds ${bad}, outside ${range}, as logits do. ` +
      `End the model in ${upper === 1 ? "Sigmoid" : "Softmax"}, or pass the logits with { fromLogits: true } ` +
      `(e.g. new nb.losses.${upper === 1 ? "BinaryCrossentropy" : "CategoricalCrossentropy"}({ fromLogits: true })).`,
    PROBABILITIES_LOOK_LIKE_LOGITS,
  );
}
