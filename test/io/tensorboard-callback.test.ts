// nb.callbacks.TensorBoard and `nabla train --tensorboard`: the files they write, read back with
// the independent reader of test/helpers/tfevents-reader.ts, hold Keras' tags and the history's values.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as nb from "../../src/index.js";
import { runCli } from "../helpers/cli.js";
import { eventFiles, readEventFile, scalarsIn } from "../helpers/tfevents-reader.js";
import { extractBlocks, runModule, writeModule } from "../docs/snippets.js";

const tmp = () => mkdtempSync(join(tmpdir(), "nabla-tb-cb-"));
const f32 = (x: number) => Math.fround(x);

function blobs(n: number, seed: number): { x: nb.Tensor; y: nb.Tensor } {
  const g = new nb.Generator(seed);
  const y = nb.randint(0, 2, [n], { generator: g });
  const x = nb.indexSelect(nb.tensor([[-2, -2], [2, 2]]), 0, y).add(nb.randn([n, 2], { generator: g }).mul(0.7));
  return { x, y };
}

/** Histogram tags (with steps) in a run folder. */
function histogramsIn(dir: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const f of eventFiles(dir)) {
    for (const e of readEventFile(f)) {
      for (const v of e.values) {
        if (!v.histo) continue;
        assert.equal(v.histo.bucket.reduce((a, b) => a + b, 0), v.histo.num, `${v.tag}: bucket counts sum to num`);
        (out.get(v.tag) ?? out.set(v.tag, []).get(v.tag)!).push(e.step);
      }
    }
  }
  return out;
}

test("TensorBoard callback: Keras' epoch_ scalars under train/ and validation/, learning rate, weight histograms", async () => {
  const dir = tmp();
  nb.manualSeed(1);
  const model = new nb.nn.Sequential(new nb.nn.Linear(2, 8), new nb.nn.ReLU(), new nb.nn.Linear(8, 2));
  const history = await nb.fit(model, {
    train: blobs(64, 1), validation: blobs(32, 2), epochs: 3, batchSize: 16, optimizer: new nb.optim.SGD(model.parameters(), { lr: 0.05 }),
    loss: "crossEntropy", metrics: ["accuracy"], verbose: 0,
    callbacks: [new nb.callbacks.TensorBoard({ logDir: dir, histogramFreq: 2 })],
  });
  assert.deepEqual(readdirSync(dir).sort(), ["train", "validation"]);
  const train = scalarsIn(join(dir, "train"));
  const val = scalarsIn(join(dir, "validation"));
  assert.deepEqual([...train.keys()].sort(), ["epoch_accuracy", "epoch_learning_rate", "epoch_loss"]);
  assert.deepEqual([...val.keys()].sort(), ["epoch_accuracy", "epoch_loss"]);
  assert.deepEqual(train.get("epoch_loss"), history.loss.map((v, i) => [i, f32(v)]));
  assert.deepEqual(train.get("epoch_accuracy"), history.accuracy.map((v, i) => [i, f32(v)]));
  assert.deepEqual(train.get("epoch_learning_rate"), [[0, f32(0.05)], [1, f32(0.05)], [2, f32(0.05)]]);
  assert.deepEqual(val.get("epoch_loss"), history.val_loss.map((v, i) => [i, f32(v)]));
  assert.deepEqual(val.get("epoch_accuracy"), history.val_accuracy.map((v, i) => [i, f32(v)]));
  // histogramFreq 2: epochs 0 and 2, one histogram per parameter, named by its path.
  const histos = histogramsIn(join(dir, "train"));
  assert.deepEqual([...histos.keys()].sort(), ["0/bias", "0/weight", "2/bias", "2/weight"]);
  for (const steps of histos.values()) assert.deepEqual(steps, [0, 2]);
});

test("TensorBoard callback: updateFreq writes batch_ scalars at global batch steps; bad options are errors", async () => {
  const dir = tmp();
  nb.manualSeed(2);
  const model = new nb.nn.Sequential(new nb.nn.Linear(2, 2));
  await nb.fit(model, {
    train: blobs(48, 3), epochs: 2, batchSize: 16, optimizer: new nb.optim.SGD(model.parameters(), { lr: 0.1 }),
    loss: "crossEntropy", verbose: 0, callbacks: [new nb.callbacks.TensorBoard(dir, { updateFreq: 2 })],
  });
  const train = scalarsIn(join(dir, "train"));
  // 3 batches per epoch: global steps 0..5, every second one.
  assert.deepEqual(train.get("batch_loss")?.map(([s]) => s), [0, 2, 4]);
  assert.equal(train.get("epoch_loss")?.length, 2);
  assert.throws(() => new nb.callbacks.TensorBoard({ log_dir: dir } as never), /TensorBoard: unknown option "log_dir" \(did you mean "logDir"\?\)/);
  assert.throws(() => new nb.callbacks.TensorBoard({ logDir: dir, updateFreq: "step" as never }), /TensorBoard: updateFreq must be "epoch", "batch" or a positive number of batches, got "step"/);
  assert.throws(() => new nb.callbacks.TensorBoard({ logDir: dir, histogramFreq: -1 }), /TensorBoard: histogramFreq must be a whole number of epochs/);
});

test("nabla train --tensorboard writes event files with Keras' tags into <out>/tensorboard", async () => {
  const out = tmp();
  const r = await runCli("train", "--model", "typical-cnn", "--dataset", "mnist", "--limit", "60", "--test-limit", "20", "--epochs", "1", "--batch-size", "32", "--out", out, "--tensorboard", "--quiet");
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /tensorboard\/ \(view: tensorboard --logdir .*tensorboard\)/);
  const tb = join(out, "tensorboard");
  assert.deepEqual(readdirSync(tb).sort(), ["train", "validation"]);
  const train = scalarsIn(join(tb, "train"));
  assert.deepEqual([...train.keys()].sort(), ["epoch_accuracy", "epoch_learning_rate", "epoch_loss"]);
  assert.equal(train.get("epoch_loss")![0][0], 0);
  assert.ok(Number.isFinite(train.get("epoch_loss")![0][1]));
  assert.deepEqual([...scalarsIn(join(tb, "validation")).keys()].sort(), ["epoch_accuracy", "epoch_loss"]);
  assert.ok(histogramsIn(join(tb, "train")).size > 0, "weight histograms");
  const noOut = await runCli("train", "--model", "typical-cnn", "--tensorboard");
  assert.notEqual(noOut.code, 0);
  assert.match(noOut.err.trim(), /^nabla: --tensorboard: needs --out <dir>; the event files go into <dir>\/tensorboard$/);
});

test("docs/observability.md: its TypeScript snippets run and write the runs they describe", async () => {
  const root = resolve(import.meta.dirname, "../..");
  const blocks = extractBlocks(readFileSync(join(root, "docs/observability.md"), "utf8")).filter((b) => b.lang === "ts");
  assert.equal(blocks.length, 2);
  // The snippets write to runs/ relative to where they run: a scratch folder that can find tsx.
  const dir = tmp();
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
  for (const [i, b] of blocks.entries()) {
    const file = writeModule(dir, `snippet-${i}.mts`, b.code, join(root, "src/index.ts"));
    const r = await runModule(file, { cwd: dir, timeoutMs: 60_000 });
    assert.equal(r.code, 0, `docs/observability.md:${b.line}: ${r.stderr.split("\n").slice(-15).join("\n")}`);
  }
  const blobs = join(dir, "runs", "blobs");
  assert.deepEqual(readdirSync(blobs).sort(), ["train", "validation"]);
  assert.ok(scalarsIn(join(blobs, "train")).has("batch_loss"));
  assert.ok(histogramsIn(join(blobs, "train")).has("0/weight"));
  const byHand = join(dir, "runs", "by-hand");
  assert.equal(scalarsIn(byHand).get("loss")?.length, 100);
  assert.deepEqual(readdirSync(byHand).filter((n) => !n.startsWith("events.")).filter((n) => n.startsWith("lr_")).sort(), ["lr_base", "lr_head"]);
});
