// fit, evaluate, predict, crossValidate and the callbacks reject option names they do not know,
// with Keras' spellings pointed to ours — before any training starts.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertThrowsMatching } from "../helpers/assert.js";

const data = { x: nb.randn([8, 2], { generator: new nb.Generator(1) }), y: nb.tensor([0, 1, 0, 1, 0, 1, 0, 1], { dtype: "int32" }) };

function model(): nb.nn.Module {
  return new nb.nn.Sequential(new nb.nn.Linear(2, 4), new nb.nn.ReLU(), new nb.nn.Linear(4, 2));
}

async function rejects(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof TypeError, "a TypeError");
    assert.match(e.message, pattern);
    return true;
  });
}

test("fit with epoch: 3 throws naming epochs, before training", async () => {
  const m = model();
  const optimizer = new nb.optim.SGD(m.parameters(), { lr: 0.1 });
  const before = m.stateDict().get("0.weight")!.dataSync().slice();
  // @ts-expect-error epoch is not an option (and epochs is missing)
  await rejects(nb.fit(m, { train: data, epoch: 3, optimizer, loss: "crossEntropy", verbose: 0 }),
    /^fit: unknown option "epoch" \(did you mean "epochs"\?\); the options are train, validation, validationSplit, epochs, batchSize, /);
  assert.deepEqual(m.stateDict().get("0.weight")!.dataSync(), before, "nothing was trained");
  // Keras' spellings.
  // @ts-expect-error
  await rejects(nb.fit(m, { train: data, epochs: 1, optimizer, loss: "crossEntropy", batch_size: 4 }), /^fit: unknown option "batch_size" \(did you mean "batchSize"\?\)/);
  // @ts-expect-error
  await rejects(nb.fit(m, { train: data, epochs: 1, optimizer, loss: "crossEntropy", validation_data: data }), /^fit: unknown option "validation_data" \(use validation\)/);
  // @ts-expect-error
  await rejects(nb.fit(m, { x: data.x, y: data.y, epochs: 1, optimizer, loss: "crossEntropy" }), /^fit: unknown option "x" \(use train: \{ x, y \} \(or a Dataset or DataLoader\)\)/);
  // @ts-expect-error the learning rate belongs to the optimizer
  await rejects(nb.fit(m, { train: data, epochs: 1, optimizer, loss: "crossEntropy", lr: 0.1 }), /^fit: unknown option "lr" \(use the optimizer's lr/);
});

test("evaluate and predict: unknown options are errors", async () => {
  const m = model();
  // @ts-expect-error
  await rejects(nb.evaluate(m, data, { metric: ["accuracy"] }), /^evaluate: unknown option "metric" \(did you mean "metrics"\?\); the options are loss, metrics, batchSize$/);
  // @ts-expect-error
  assertThrowsMatching(() => nb.predict(m, data.x, { batch_size: 4 }), /^predict: unknown option "batch_size" \(did you mean "batchSize"\?\); the options are batchSize$/);
  assert.deepEqual(nb.predict(m, data.x, { batchSize: 4 }).shape, [8, 2]);
});

test("callbacks: unknown options are errors", () => {
  const cb = nb.callbacks;
  // @ts-expect-error Keras' min_delta is fine as minDelta
  assertThrowsMatching(() => new cb.EarlyStopping({ patience: 2, min_delta: 0.01 }), /^EarlyStopping: unknown option "min_delta" \(did you mean "minDelta"\?\)/);
  // @ts-expect-error
  assertThrowsMatching(() => new cb.EarlyStopping({ patiance: 2 }), /^EarlyStopping: unknown option "patiance" \(did you mean "patience"\?\); the options are monitor, minDelta, patience, mode, restoreBestWeights, baseline$/);
  // @ts-expect-error Keras' ModelCheckpoint(filepath=..., save_weights_only=...)
  assertThrowsMatching(() => new cb.ModelCheckpoint({ path: "a.safetensors", save_weights_only: true }), /^ModelCheckpoint: unknown option "save_weights_only" \(use weightsOnly\)/);
  // @ts-expect-error
  assertThrowsMatching(() => new cb.ModelCheckpoint({ filepath: "a.safetensors" }), /^ModelCheckpoint: unknown option "filepath" \(use path\)/);
  // @ts-expect-error
  assertThrowsMatching(() => new cb.ReduceLROnPlateau({ min_lr: 1e-5, min_delta: 0.1 }), /^ReduceLROnPlateau: unknown option "min_lr" \(did you mean "minLr"\?\)/);
  // @ts-expect-error
  assertThrowsMatching(() => new cb.CSVLogger("log.csv", { sep: ";" }), /^CSVLogger: unknown option "sep"; the options are separator, append$/);
  // @ts-expect-error
  assertThrowsMatching(() => new cb.ProgressBar({ verbose: 1 }), /^ProgressBar: unknown option "verbose"; the options are live, stream$/);
});

test("crossValidate checks its options and fitOptions", async () => {
  const fitOptions = { epochs: 1, loss: "crossEntropy" as const, optimizer: (mm: nb.nn.Module) => new nb.optim.SGD(mm.parameters(), { lr: 0.1 }), verbose: 0 as const };
  // @ts-expect-error scikit-learn's n_splits
  await rejects(nb.crossValidate(model, data, { n_splits: 2, fitOptions }), /^crossValidate: unknown option "n_splits" \(use k\)/);
  // @ts-expect-error
  await rejects(nb.crossValidate(model, data, { k: 2, fitOptions: { ...fitOptions, epoch: 2 } }), /^crossValidate: fitOptions: unknown option "epoch" \(did you mean "epochs"\?\)/);
  // @ts-expect-error crossValidate supplies the data
  await rejects(nb.crossValidate(model, data, { k: 2, fitOptions: { ...fitOptions, train: data } }), /^crossValidate: fitOptions: unknown option "train" \(use the data argument/);
});
