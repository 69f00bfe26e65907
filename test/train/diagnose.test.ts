// nb.diagnose reads learning curves from trends with noise margins (issue 14, item 7): the
// README's own runs must not be called "unrepresentative" or "overfitting", a clear long
// overfitting run must be, and every verdict says how sure it is.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { HISTORY_INFO, trainingInfo } from "../../src/train/diagnose.js";

// The README's ten lines: the typical CNN (dropout 0.25) on MNIST, Adam, 3 epochs, validationSplit
// 0.1. The training loss is the mean over each epoch in training mode (dropout on), so the
// validation loss sits well below it.
const README_RUN = { loss: [0.4121, 0.1674, 0.1297], val_loss: [0.0912, 0.0664, 0.0571], accuracy: [0.875, 0.949, 0.961], val_accuracy: [0.972, 0.98, 0.983] };
// The same run where the last epoch's validation loss ticked up, still below the training loss.
const README_UPTICK = { loss: [0.4121, 0.1674, 0.1297], val_loss: [0.0912, 0.0664, 0.0689] };

/** A long run that overfits: training loss falls to ~0, validation loss turns up after epoch 6. */
function overfittingRun(epochs = 20): { loss: number[]; val_loss: number[] } {
  const loss: number[] = [], val: number[] = [];
  for (let i = 0; i < epochs; i++) {
    loss.push(1.5 * Math.exp(-i / 3) + 0.01);
    val.push(0.4 + 0.01 * (i - 5) ** 2 + 0.2 * Math.exp(-i) + 0.004 * Math.sin(7 * i));
  }
  return { loss, val_loss: val };
}

test("the README's 3-epoch run is too early to tell, not an unrepresentative validation set", () => {
  const d = nb.diagnose(README_RUN);
  assert.equal(d.verdict, "too-few-epochs");
  assert.match(d.explanation, /^Too early to tell: after 3 epochs, training and validation loss are both still falling/);
  assert.doesNotMatch(d.explanation, /Unrepresentative/);
  assert.ok(["low", "medium", "high"].includes(d.confidence));
  // Told about the dropout (or given the model), it says why the validation loss is lower.
  const withModel = nb.diagnose(README_RUN, { model: nb.models.typicalCnn() });
  assert.equal(withModel.verdict, "too-few-epochs");
  assert.equal(withModel.evidence.regularized, true);
  assert.match(withModel.notes.join(" "), /below the training loss, as expected: the training loss is measured with dropout on/);
  // Even told there is no dropout, 3 epochs are not enough to call the validation set easy.
  assert.notEqual(nb.diagnose(README_RUN, { regularized: false }).verdict, "unrepresentative-easy-validation");
});

test("3 epochs with one uptick while validation loss is below training loss is not overfitting", () => {
  for (const o of [undefined, { dropout: true }, { regularized: false }]) {
    const d = nb.diagnose(README_UPTICK, o);
    assert.notEqual(d.verdict, "overfit", JSON.stringify(o));
    assert.equal(d.verdict, "too-few-epochs");
  }
  assert.match(nb.diagnose(README_UPTICK).explanation, /rose in the last epoch, but one uptick is not a trend, and it is still below the training loss/);
});

test("a longer dropout run with validation loss below training loss is not called unrepresentative", () => {
  // 10 epochs of a dropout-0.5 model: training loss (dropout on, epoch mean) about twice the validation loss.
  const h = {
    loss: [0.62, 0.31, 0.24, 0.2, 0.18, 0.165, 0.155, 0.148, 0.142, 0.138],
    val_loss: [0.14, 0.1, 0.085, 0.077, 0.072, 0.069, 0.067, 0.066, 0.0655, 0.065],
  };
  for (const o of [undefined, { dropout: true }, { model: nb.models.typicalCnn({ dropout: 0.5 }) }]) {
    const d = nb.diagnose(h, o);
    assert.ok(!d.verdict.startsWith("unrepresentative"), `${JSON.stringify(o)}: ${d.verdict}`);
    assert.match(d.notes.join(" "), /validation loss is below the training loss/);
  }
  // Only a run known to have no dropout, augmentation or penalty reads as an easy validation set.
  const plain = nb.diagnose(h, { regularized: false });
  assert.equal(plain.verdict, "unrepresentative-easy-validation");
  assert.match(plain.explanation, /^Unrepresentative validation set: the validation loss stays well below the training loss/);
  assert.equal(nb.diagnose(h, { model: nb.models.lenet5() }).verdict, "unrepresentative-easy-validation", "lenet5 has no dropout");
});

test("fit's history info (a symbol, not a key) tells diagnose about dropout", () => {
  const h = { loss: [0.62, 0.31, 0.24, 0.2, 0.18, 0.165, 0.155, 0.148, 0.142, 0.138], val_loss: [0.14, 0.1, 0.085, 0.077, 0.072, 0.069, 0.067, 0.066, 0.0655, 0.065] };
  Object.defineProperty(h, HISTORY_INFO, { value: trainingInfo(nb.models.typicalCnn()), enumerable: false });
  assert.equal(nb.diagnose(h).evidence.regularized, true);
  assert.notEqual(nb.diagnose(h).verdict, "unrepresentative-easy-validation");
  assert.deepEqual(Object.keys(h), ["loss", "val_loss"]);
});

test("a clear, long overfitting run is overfitting with high confidence and the turning epoch", () => {
  const d = nb.diagnose(overfittingRun());
  assert.equal(d.verdict, "overfit");
  assert.equal(d.confidence, "high");
  assert.equal(d.turnEpoch, 6);
  assert.match(d.explanation, /^Overfitting: the training loss keeps falling while the validation loss turned up after epoch 6 and rose over the 14 epochs since/);
  assert.match(d.remedies[0], /^Stop at the turning point/);
});

test("one uptick at the end of a long run is a note, not a verdict", () => {
  const h = {
    loss: [1, 0.5, 0.35, 0.3, 0.28, 0.27, 0.26, 0.25],
    val_loss: [0.6, 0.4, 0.34, 0.31, 0.3, 0.295, 0.29, 0.33],
  };
  const d = nb.diagnose(h);
  assert.notEqual(d.verdict, "overfit");
  assert.match(d.notes.join(" "), /one uptick is not a trend/);
  // Two more epochs of rising validation loss make it a trend.
  const more = { loss: [...h.loss, 0.24, 0.23], val_loss: [...h.val_loss, 0.36, 0.4] };
  assert.equal(nb.diagnose(more).verdict, "overfit");
  assert.equal(nb.diagnose(more).turnEpoch, 7);
});

test("a rise within the epoch-to-epoch noise is not overfitting", () => {
  // A converged run whose validation loss wobbles by ±0.01 around 0.3.
  const wobble = [0, 0.01, -0.008, 0.009, -0.01, 0.008, -0.009, 0.01, -0.007, 0.009, -0.008, 0.01];
  const h = {
    loss: wobble.map((_, i) => 0.25 + 0.75 * Math.exp(-i)),
    val_loss: wobble.map((w, i) => 0.3 + 0.5 * Math.exp(-i) + w),
  };
  const d = nb.diagnose(h);
  assert.notEqual(d.verdict, "overfit");
});

test("overfitting that is only starting, below the training loss, is worded with less confidence", () => {
  const h = {
    loss: [0.9, 0.5, 0.4, 0.35, 0.32, 0.3, 0.29, 0.28],
    val_loss: [0.3, 0.22, 0.2, 0.19, 0.185, 0.195, 0.205, 0.215],
  };
  const d = nb.diagnose(h, { dropout: true });
  assert.equal(d.verdict, "overfit");
  assert.notEqual(d.confidence, "high");
  assert.match(d.explanation, /still below the training loss \(measured with dropout\), so this is at most the start of overfitting/);
});

test("the other categories keep the course's words", () => {
  const flat = nb.diagnose({ loss: [2.3, 2.302, 2.299, 2.301, 2.3, 2.302], val_loss: [2.3, 2.301, 2.3, 2.302, 2.301, 2.3] });
  assert.equal(flat.verdict, "underfit-capacity");
  assert.match(flat.explanation, /^Underfitting: the training loss is a flat line/);

  const still = nb.diagnose({ loss: [1, 0.8, 0.65, 0.55, 0.47, 0.41, 0.36], val_loss: [0.9, 0.75, 0.63, 0.54, 0.47, 0.42, 0.38] });
  assert.equal(still.verdict, "underfit-more-training");
  assert.equal(still.confidence, "high");
  assert.match(still.explanation, /^Underfitting that needs more training: training and validation loss were still decreasing/);

  const good = nb.diagnose({ loss: [1, 0.5, 0.35, 0.3, 0.28, 0.27, 0.268, 0.266, 0.265, 0.265], val_loss: [0.6, 0.4, 0.34, 0.31, 0.3, 0.295, 0.297, 0.294, 0.296, 0.295] });
  assert.equal(good.verdict, "good-fit");
  assert.match(good.explanation, /^A good fit: training and validation loss decrease to a point of stability/);

  const noisy = nb.diagnose({ loss: [1, 0.6, 0.45, 0.38, 0.34, 0.31, 0.29, 0.28, 0.27, 0.265], val_loss: [0.9, 0.5, 0.8, 0.45, 0.75, 0.4, 0.7, 0.42, 0.72, 0.41] });
  assert.equal(noisy.verdict, "unrepresentative-small-validation");
  assert.match(noisy.explanation, /^Unrepresentative validation set: the training curve looks like a fit, but the validation loss moves noisily around it/);

  const gap = nb.diagnose({ loss: [1, 0.5, 0.3, 0.2, 0.14, 0.1, 0.07], val_loss: [2.4, 2.0, 1.7, 1.45, 1.25, 1.1, 0.95] });
  assert.equal(gap.verdict, "unrepresentative-small-train");

  const two = nb.diagnose({ loss: [1, 0.5], val_loss: [0.6, 0.4] });
  assert.equal(two.verdict, "too-few-epochs");
  assert.match(two.explanation, /^Too early to tell: only 2 epochs/);
});

test("a low-confidence verdict is worded 'Possibly'", () => {
  // 3 epochs whose validation loss rises steeply above the training loss: a strong early sign.
  const d = nb.diagnose({ loss: [0.5, 0.2, 0.1], val_loss: [0.3, 0.4, 0.6] });
  assert.equal(d.verdict, "overfit");
  assert.equal(d.confidence, "low");
  assert.match(d.explanation, /^Possibly overfitting: /);
});

test("without validation data it judges the training curve only", () => {
  const d = nb.diagnose({ loss: [1, 0.5, 0.35, 0.3, 0.28, 0.27] });
  assert.equal(d.verdict, "underfit-more-training");
  assert.match(d.explanation, /no validation data/);
  assert.equal(d.evidence.valSlope, null);
});

test("bad input and unknown options are clear errors", () => {
  assert.throws(() => nb.diagnose({ loss: [] }), /diagnose: the history has no finite training loss/);
  assert.throws(() => nb.diagnose(README_RUN, { dropuot: true } as never), /diagnose: unknown option "dropuot" \(did you mean "dropout"\?\)/);
  assert.throws(() => nb.diagnose(README_RUN, { window: 2 }), /diagnose: window must be an integer >= 3/);
  const diverged = nb.diagnose({ loss: [1, 0.6, 0.5, 0.45, NaN], val_loss: [0.9, 0.6, 0.5, 0.46, NaN] });
  assert.match(diverged.notes.join(" "), /stopped being finite at epoch 5/);
});
