// Checkpoints between two steps (ModelCheckpoint saveFreq) resume the epoch where it stopped, and
// TerminateOnNaN ends training at the first non-finite loss.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as nb from "../../src/index.js";

function blobs(n: number, seed: number): { x: nb.Tensor; y: nb.Tensor } {
  const g = new nb.Generator(seed);
  const y = nb.randint(0, 2, [n], { generator: g });
  const x = nb.add(nb.randn([n, 2], { generator: g }), nb.mul(y.reshape([n, 1]).float(), 3));
  return { x, y };
}

const make = () => {
  const model = new nb.nn.Sequential(new nb.nn.Linear(2, 8), new nb.nn.ReLU(), new nb.nn.Dropout(0.3), new nb.nn.Linear(8, 2));
  return { model, optimizer: new nb.optim.Adam(model.parameters(), { lr: 0.02 }) };
};

test("a checkpoint written between two steps (saveFreq) resumes mid-epoch to exactly the weights and losses of an uninterrupted run", async () => {
  const data = blobs(96, 5); // 6 steps an epoch
  const opts = { train: data, epochs: 3, batchSize: 16, seed: 3, loss: "crossEntropy" as const, verbose: 0 as const };
  nb.manualSeed(11);
  const a = make();
  const full = await nb.fit(a.model, { ...opts, optimizer: a.optimizer });

  nb.manualSeed(11);
  const b = make();
  const path = join(mkdtempSync(join(tmpdir(), "nabla-step-")), "ckpt.safetensors");
  // The crash after step 10: the last checkpoint is that of step 8, the 2nd batch of the 2nd epoch.
  const crash = { onBatchEnd: (batch: number, _l: nb.callbacks.Logs, ctx: nb.callbacks.FitContext) => {
    if (ctx.history.epoch?.length === 1 && batch === 3) throw new Error("crash");
  } };
  await assert.rejects(nb.fit(b.model, { ...opts, optimizer: b.optimizer, callbacks: [new nb.callbacks.ModelCheckpoint({ path, saveFreq: 4 }), crash] }), /crash/);

  nb.manualSeed(999);
  const c = make();
  let resumedAt: unknown = null;
  const history = await nb.fit(c.model, { ...opts, optimizer: c.optimizer, resumeFrom: path, callbacks: [{ onTrainBegin: (_l, ctx) => { resumedAt = { epoch: ctx.initialEpoch, batch: ctx.position?.batch }; } }] });
  assert.deepEqual(resumedAt, { epoch: 1, batch: 2 });
  assert.deepEqual(history.loss, full.loss, "the epochs' mean losses, the interrupted one included");
  const pa = a.model.parameters(), pc = c.model.parameters();
  for (let i = 0; i < pa.length; i++) assert.deepEqual(pc[i].dataSync(), pa[i].dataSync(), `parameter ${i}`);
});

test("ModelCheckpoint saveFreq: a positive integer or \"epoch\", not with saveBestOnly", () => {
  assert.throws(() => new nb.callbacks.ModelCheckpoint({ path: "x.safetensors", saveFreq: 0 }), /^RangeError: ModelCheckpoint: saveFreq must be "epoch" or a positive integer \(steps\), got 0$/);
  assert.throws(() => new nb.callbacks.ModelCheckpoint({ path: "x.safetensors", saveFreq: 10, saveBestOnly: true }), /saveBestOnly compares epochs' values/);
});

test("TerminateOnNaN stops at the first NaN loss, naming epoch, batch, step and the last finite loss", async () => {
  const data = blobs(64, 2); // 4 steps an epoch
  const { model, optimizer } = make();
  let calls = 0;
  // Finite for 5 batches (the whole first epoch and one more), then NaN.
  const loss = (out: nb.Tensor, y: nb.Tensor) => {
    const l = nb.nn.functional.crossEntropy(out, y);
    return ++calls > 5 ? nb.mul(l, NaN) : l;
  };
  let finite = NaN;
  const spy = { onBatchEnd: (_b: number, _l: nb.callbacks.Logs, ctx: nb.callbacks.FitContext) => { if (Number.isFinite(ctx.position!.batchLoss)) finite = ctx.position!.batchLoss; } };
  const err = await nb.fit(model, { train: data, epochs: 3, batchSize: 16, optimizer, loss, verbose: 0, callbacks: [spy, new nb.callbacks.TerminateOnNaN()] }).catch((e: unknown) => e);
  assert.ok(err instanceof nb.callbacks.NonFiniteLossError, String(err));
  assert.equal(err.message, `TerminateOnNaN: the loss became NaN at epoch 2, batch 2 (step 6); the last finite batch loss was ${finite.toPrecision(5)}. ` +
    "Usual causes: a learning rate too high (try one 10x lower), or exploding gradients (clip them: clipGradNorm, e.g. 1.0)");
  assert.equal(calls, 6, "no step after the NaN one");
});
