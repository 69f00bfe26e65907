import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as nb from "../../src/index.js";
import { assertThrowsMatching } from "../helpers/assert.js";

/** Two Gaussian blobs in 2-d, labels 0/1 — separable, so a small MLP reaches ~100%. */
function blobs(n: number, seed: number): { x: nb.Tensor; y: nb.Tensor } {
  const g = new nb.Generator(seed);
  const y = nb.randint(0, 2, [n], { generator: g });
  const centers = nb.tensor([[-2, -2], [2, 2]]);
  const x = nb.indexSelect(centers, 0, y).add(nb.randn([n, 2], { generator: g }).mul(0.7));
  return { x, y };
}

function mlp(seed: number): nb.nn.Module {
  nb.manualSeed(seed);
  return new nb.nn.Sequential(new nb.nn.Linear(2, 16), new nb.nn.ReLU(), new nb.nn.Linear(16, 2));
}

test("fit trains, reports Keras-named history, and evaluate/predict agree", async () => {
  const model = mlp(1);
  const train = blobs(256, 1), val = blobs(128, 2);
  const history = await nb.fit(model, {
    train, validation: val, epochs: 5, batchSize: 32, optimizer: new nb.optim.Adam(model.parameters(), { lr: 0.01 }),
    loss: "crossEntropy", metrics: ["accuracy"], verbose: 0,
  });
  assert.deepEqual(Object.keys(history).sort(), ["accuracy", "epoch", "loss", "lr", "val_accuracy", "val_loss"]);
  assert.equal(history.loss.length, 5);
  assert.ok(history.loss[4] < history.loss[0], "training loss falls");
  assert.ok(history.val_accuracy[4] > 0.95, `val accuracy ${history.val_accuracy[4]}`);
  const logs = await nb.evaluate(model, val, { loss: "crossEntropy", metrics: ["accuracy"] });
  assert.ok(Math.abs(logs.accuracy - history.val_accuracy[4]) < 1e-12);
  const pred = nb.predict(model, val.x, { batchSize: 50 });
  assert.deepEqual(pred.shape, [128, 2]);
  assert.equal(nb.metrics.accuracy(pred, val.y), logs.accuracy);
  assert.equal(model.training, true, "fit leaves the model in train mode");
});

test("validationSplit holds out the last fraction; callbacks see every hook in order", async () => {
  const model = mlp(2);
  const events: string[] = [];
  const spy = {
    onTrainBegin: () => { events.push("trainBegin"); },
    onEpochBegin: (e: number) => { events.push(`epochBegin ${e}`); },
    onBatchEnd: (b: number) => { if (b === 0) events.push("batch0"); },
    onEpochEnd: (e: number, logs: Record<string, number>) => { events.push(`epochEnd ${e} ${"val_loss" in logs}`); },
    onTrainEnd: () => { events.push("trainEnd"); },
  };
  const data = blobs(100, 3);
  await nb.fit(model, { train: data, validationSplit: 0.2, epochs: 2, batchSize: 16, optimizer: new nb.optim.SGD(model.parameters(), { lr: 0.1 }), loss: "crossEntropy", callbacks: [spy], verbose: 0 });
  assert.deepEqual(events, ["trainBegin", "epochBegin 0", "batch0", "epochEnd 0 true", "epochBegin 1", "batch0", "epochEnd 1 true", "trainEnd"]);
});

test("EarlyStopping stops after patience epochs without improvement and restores the best weights", async () => {
  const model = mlp(3);
  const data = blobs(64, 4);
  // A monitored series that improves for 2 epochs then worsens: injected by a callback before EarlyStopping.
  const series = [1.0, 0.5, 0.6, 0.7, 0.8, 0.9];
  const snapshots: Float32Array[] = [];
  const inject = { onEpochEnd: (e: number, logs: Record<string, number>) => { logs.score = series[e]; snapshots.push(model.parameters()[0].dataSync() as Float32Array); } };
  const stopper = new nb.callbacks.EarlyStopping({ monitor: "score", patience: 2, restoreBestWeights: true });
  const history = await nb.fit(model, { train: data, epochs: 6, batchSize: 16, optimizer: new nb.optim.SGD(model.parameters(), { lr: 0.1 }), loss: "crossEntropy", callbacks: [inject, stopper], verbose: 0 });
  assert.equal(history.loss.length, 4, "epochs 0..3 ran; the 3rd without improvement stops");
  assert.equal(stopper.stoppedEpoch, 3);
  assert.equal(stopper.bestEpoch, 1);
  assert.deepEqual(model.parameters()[0].dataSync(), snapshots[1], "weights of epoch 1 are back");
});

test("a run interrupted and resumed from a checkpoint ends with exactly the weights of an uninterrupted run", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nabla-fit-"));
  const data = blobs(96, 5);
  const make = () => {
    const model = new nb.nn.Sequential(new nb.nn.Linear(2, 8), new nb.nn.ReLU(), new nb.nn.Dropout(0.3), new nb.nn.Linear(8, 2));
    return { model, optimizer: new nb.optim.Adam(model.parameters(), { lr: 0.02 }) };
  };
  nb.manualSeed(11);
  const a = make();
  await nb.fit(a.model, { train: data, epochs: 4, batchSize: 16, seed: 3, optimizer: a.optimizer, loss: "crossEntropy", verbose: 0 });

  nb.manualSeed(11);
  const b = make();
  const path = join(dir, "ckpt.safetensors");
  await nb.fit(b.model, { train: data, epochs: 2, batchSize: 16, seed: 3, optimizer: b.optimizer, loss: "crossEntropy", verbose: 0, callbacks: [new nb.callbacks.ModelCheckpoint({ path })] });
  nb.manualSeed(999); // whatever happens in between must not matter
  const c = make();
  const history = await nb.fit(c.model, { train: data, epochs: 4, batchSize: 16, seed: 3, optimizer: c.optimizer, loss: "crossEntropy", verbose: 0, resumeFrom: path });
  assert.equal(history.loss.length, 4, "history continues from the checkpoint");
  const pa = a.model.parameters(), pc = c.model.parameters();
  for (let i = 0; i < pa.length; i++) assert.deepEqual(pc[i].dataSync(), pa[i].dataSync(), `parameter ${i}`);
});

test("ModelCheckpoint saveBestOnly writes only on improvement; CSVLogger writes one row per epoch", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nabla-fit-"));
  const model = mlp(4);
  const series = [0.5, 0.7, 0.4];
  const inject = { onEpochEnd: (e: number, logs: Record<string, number>) => { logs.val_metric = series[e]; } };
  const ckpt = new nb.callbacks.ModelCheckpoint({ path: join(dir, "best-{epoch}.safetensors"), monitor: "val_metric", mode: "min", saveBestOnly: true, weightsOnly: true });
  const csv = join(dir, "log.csv");
  await nb.fit(model, { train: blobs(32, 6), epochs: 3, batchSize: 8, optimizer: new nb.optim.SGD(model.parameters(), { lr: 0.05 }), loss: "crossEntropy", callbacks: [inject, ckpt, new nb.callbacks.CSVLogger(csv)], verbose: 0 });
  assert.deepEqual(ckpt.saved.map((p) => p.slice(dir.length + 1)), ["best-1.safetensors", "best-3.safetensors"]);
  assert.ok(existsSync(join(dir, "best-3.safetensors")) && !existsSync(join(dir, "best-2.safetensors")));
  const loaded = await nb.load(join(dir, "best-3.safetensors"));
  assert.deepEqual([...loaded.keys()].sort(), ["0.bias", "0.weight", "2.bias", "2.weight"]);
  const lines = readFileSync(csv, "utf8").trim().split("\n");
  assert.equal(lines.length, 4);
  assert.deepEqual(lines[0].split(","), ["epoch", "loss", "lr", "val_metric"]);
});

test("LearningRateScheduler and ReduceLROnPlateau change the optimizer's lr per epoch", async () => {
  const model = mlp(5);
  const opt = new nb.optim.SGD(model.parameters(), { lr: 0.1 });
  const history = await nb.fit(model, { train: blobs(16, 7), epochs: 3, batchSize: 8, optimizer: opt, loss: "crossEntropy", verbose: 0, callbacks: [new nb.callbacks.LearningRateScheduler((epoch) => 0.1 / (epoch + 1))] });
  assert.deepEqual(history.lr.map((v) => Number(v.toFixed(6))), [0.1, 0.05, 0.033333]);
  const opt2 = new nb.optim.SGD(model.parameters(), { lr: 0.1 });
  const flat = { onEpochEnd: (_e: number, logs: Record<string, number>) => { logs.val_loss = 1; } };
  const h2 = await nb.fit(model, { train: blobs(16, 7), epochs: 4, batchSize: 8, optimizer: opt2, loss: "crossEntropy", verbose: 0, callbacks: [flat, new nb.callbacks.ReduceLROnPlateau({ patience: 1, factor: 0.5 })] });
  // history.lr is the rate each epoch trained with: the cut after epoch 3 shows in epoch 4.
  assert.deepEqual(h2.lr, [0.1, 0.1, 0.1, 0.05]);
});

test("regularization and gradient clipping options are applied", async () => {
  const model = mlp(6);
  const data = blobs(32, 8);
  const before = model.parameters()[0].detach().clone();
  // A huge L2 penalty with plain SGD shrinks the weights towards zero.
  await nb.fit(model, { train: data, epochs: 3, batchSize: 32, optimizer: new nb.optim.SGD(model.parameters(), { lr: 0.05 }), loss: "crossEntropy", verbose: 0, regularization: { l2: 5 } });
  assert.ok(model.parameters()[0].abs().sum().item() < 0.5 * before.abs().sum().item());
  let maxNorm = 0;
  const probe = { onBatchEnd: () => { maxNorm = Math.max(maxNorm, nb.nn.utils.clipGradNorm(model.parameters(), Infinity).item()); } };
  await nb.fit(model, { train: data, epochs: 1, batchSize: 8, optimizer: new nb.optim.SGD(model.parameters(), { lr: 0.05 }), loss: "crossEntropy", verbose: 0, clipGradNorm: 0.01, callbacks: [probe] });
  assert.ok(maxNorm <= 0.0101, `clipped norm ${maxNorm}`);
});

test("fit rejects bad options with one clear error each", async () => {
  const model = mlp(7);
  const opt = new nb.optim.SGD(model.parameters(), { lr: 0.1 });
  const data = blobs(8, 9);
  await assert.rejects(nb.fit(model, { train: data, epochs: 0, optimizer: opt, loss: "crossEntropy" }), /fit: epochs must be a positive integer, got 0/);
  await assert.rejects(nb.fit(model, { train: data, epochs: 1, optimizer: {} as never, loss: "crossEntropy" }), /fit: optimizer must be an nb.optim optimizer/);
  await assert.rejects(nb.fit(model, { train: data, epochs: 1, optimizer: opt, loss: "hinge" }), /fit: unknown loss "hinge"/);
  await assert.rejects(nb.fit(model, { train: data, epochs: 1, optimizer: opt, loss: "crossEntropy", metrics: ["auc"], verbose: 0 }), /auc/);
  await assert.rejects(nb.fit(model, { train: data, epochs: 1, optimizer: opt, loss: "crossEntropy", validationSplit: 1.5 }), /validationSplit must be between 0 and 1/);
  await assert.rejects(nb.fit(model, { train: data, epochs: 1, optimizer: opt, loss: "crossEntropy", verbose: 0, resumeFrom: "/nonexistent/x.safetensors" }), /cannot read the checkpoint/);
  assertThrowsMatching(() => new nb.callbacks.EarlyStopping({ patience: -1 }), /patience must be a non-negative integer/);
});
