import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertThrowsMatching } from "../helpers/assert.js";

function blobs(n: number, seed: number): { x: nb.Tensor; y: nb.Tensor } {
  const g = new nb.Generator(seed);
  const y = nb.randint(0, 2, [n], { generator: g });
  const x = nb.indexSelect(nb.tensor([[-2, -2], [2, 2]]), 0, y).add(nb.randn([n, 2], { generator: g }).mul(0.7));
  return { x, y };
}

test("grid enumerates the product of the space in nested-loop order, fixed values included", () => {
  const combos = nb.tune.grid({ a: [1, 2, 3], b: ["x", "y"], c: true, d: nb.tune.choice([0, 0.5]) });
  assert.equal(combos.length, 12);
  assert.deepEqual(combos.slice(0, 5), [
    { a: 1, b: "x", c: true, d: 0 }, { a: 1, b: "x", c: true, d: 0.5 }, { a: 1, b: "y", c: true, d: 0 },
    { a: 1, b: "y", c: true, d: 0.5 }, { a: 2, b: "x", c: true, d: 0 },
  ]);
  assert.equal(new Set(combos.map((c) => JSON.stringify(c))).size, 12, "all distinct");
  assert.deepEqual(nb.tune.grid({ n: nb.tune.intRange(3, 5) }), [{ n: 3 }, { n: 4 }, { n: 5 }]);
});

test("gridSearch scores every combination exactly once and ranks them best first", async () => {
  const seen: string[] = [];
  const space = { lr: [1e-3, 1e-2, 1e-1], batchSize: [32, 64], optimizer: ["adam", "sgd"] };
  // A deterministic score: higher for lr closer to 1e-2, then for batch 32, then for adam.
  const score = (p: { lr: number; batchSize: number; optimizer: string }) => -Math.abs(Math.log10(p.lr) + 2) * 10 + (p.batchSize === 32 ? 2 : 0) + (p.optimizer === "adam" ? 1 : 0);
  const result = await nb.tune.gridSearch(space, (p, info) => {
    seen.push(`${info.index}:${p.lr}/${p.batchSize}/${p.optimizer}`);
    return score(p);
  }, { verbose: 0 });
  assert.equal(seen.length, 12);
  assert.equal(seen[0], "0:0.001/32/adam");
  assert.equal(seen[11], "11:0.1/64/sgd");
  assert.equal(result.mode, "max");
  assert.deepEqual(result.best.params, { lr: 1e-2, batchSize: 32, optimizer: "adam" });
  assert.equal(result.best.score, 3);
  const scores = result.trials.map((t) => t.score);
  assert.deepEqual(scores, [...scores].sort((p, q) => q - p), "ranked best first");
  assert.deepEqual(scores.slice(0, 4), [3, 2, 1, 0]);
  for (const t of result.trials) assert.equal(t.score, score(t.params), "each trial keeps its own params and score");
  assert.equal(result.trials.length, 12);

  const low = await nb.tune.gridSearch(space, (p) => score(p), { mode: "min", verbose: 0 });
  assert.deepEqual(low.trials.map((t) => t.score), [...scores].reverse(), "mode min ranks the other way");
  assert.equal(low.trials[0].score, -10 + 0 + 0);
});

test("ties keep the order trials ran in, NaN scores rank last, and the table lists the trials best first", async () => {
  const result = await nb.tune.gridSearch({ v: [1, 2, 3, 4] }, (p) => ({ 1: 5, 2: NaN, 3: 7, 4: 5 })[p.v]!, { mode: "min", verbose: 0 });
  assert.deepEqual(result.trials.map((t) => t.params.v), [1, 4, 3, 2]);
  const lines = String(result).split("\n");
  assert.match(lines[0], /rank\s+v\s+score/);
  assert.match(lines[1], /^\s*1\s+1\s+5\.0000$/);
  assert.match(lines[4], /^\s*4\s+2\s+NaN$/);
});

test("gridSearch with an nb.fit objective: the params set the optimizer, lr and batch size; the score is the best val_loss", async () => {
  const train = blobs(128, 1), validation = blobs(64, 2);
  const built: unknown[] = [];
  const runs: string[] = [];
  const spy = { onTrainBegin: (_logs: unknown, ctx: nb.callbacks.FitContext) => { runs.push(`${ctx.optimizer.constructor.name} ${ctx.stepsPerEpoch}`); } };
  const result = await nb.tune.gridSearch(
    { lr: [1e-4, 0.05], optimizer: ["adam"], batchSize: [32] },
    {
      build: (p) => { built.push(p); return new nb.nn.Sequential(new nb.nn.Linear(2, 8), new nb.nn.ReLU(), new nb.nn.Linear(8, 2)); },
      train, validation, epochs: 3, loss: "crossEntropy", metrics: ["accuracy"], fitOptions: { callbacks: [spy] },
    },
    { seed: 4, verbose: 0 },
  );
  assert.equal(built.length, 2);
  assert.deepEqual(runs, ["Adam 4", "Adam 4"], "Adam, and batches of 32 over 128 samples: 4 steps an epoch");
  const sgdRuns: string[] = [];
  await nb.tune.gridSearch({ optimizer: ["sgd"], batchSize: [64] }, {
    build: () => new nb.nn.Linear(2, 2), train, validation, epochs: 1, loss: "crossEntropy",
    fitOptions: { callbacks: [{ onTrainBegin: (_l, ctx) => { sgdRuns.push(`${ctx.optimizer.constructor.name} ${ctx.stepsPerEpoch} ${ctx.optimizer.paramGroups[0].lr}`); } }] },
  }, { verbose: 0 });
  assert.deepEqual(sgdRuns, ["SGD 2 0.001"], "SGD with torch's default lr (nb.optim's registry), batches of 64");
  assert.equal(result.metric, "val_loss");
  assert.equal(result.mode, "min", "a loss is minimised");
  assert.equal(result.best.params.lr, 0.05, "in 3 epochs the larger lr gets further");
  for (const t of result.trials) {
    assert.deepEqual(Object.keys(t.history!).sort(), ["accuracy", "epoch", "loss", "lr", "val_accuracy", "val_loss"]);
    assert.equal(t.score, Math.min(...t.history!.val_loss));
    assert.equal(t.history!.lr[0], t.params.lr, "the optimizer got the trial's lr");
    assert.equal(t.history!.loss.length, 3);
  }
  // Seeded trials repeat exactly.
  const again = await nb.tune.gridSearch({ lr: [1e-4, 0.05], optimizer: ["adam"], batchSize: [32] },
    { build: () => new nb.nn.Sequential(new nb.nn.Linear(2, 8), new nb.nn.ReLU(), new nb.nn.Linear(8, 2)), train, validation, epochs: 3, loss: "crossEntropy", metrics: ["accuracy"] },
    { seed: 4, verbose: 0 });
  assert.deepEqual(again.trials.map((t) => t.score), result.trials.map((t) => t.score));

  const acc = await nb.tune.gridSearch({ lr: [0.05] }, {
    build: () => { const m = new nb.nn.Linear(2, 2); return { model: m, optimizer: new nb.optim.SGD(m.parameters(), { lr: 0.1 }) }; },
    train, validation, epochs: 2, loss: "crossEntropy", metrics: ["accuracy"], metric: "val_accuracy", scoreEpoch: "last",
  }, { verbose: 0 });
  assert.equal(acc.mode, "max");
  assert.equal(acc.best.score, acc.best.history!.val_accuracy[1]);
  assert.equal(acc.best.history!.lr[0], 0.1, "the builder's own optimizer wins over the params");
});

test("gridSearch errors name the function: empty space, empty list, continuous or unknown distribution, bad objective, missing metric", async () => {
  const f = () => 0;
  await assert.rejects(nb.tune.gridSearch({}, f), /^RangeError: gridSearch: the search space is empty/);
  await assert.rejects(nb.tune.gridSearch({ lr: [] }, f), /gridSearch: space\.lr is an empty list/);
  await assert.rejects(nb.tune.gridSearch({ lr: nb.tune.uniform(0, 1) }, f), /gridSearch: space\.lr is uniform\(0, 1\), a continuous distribution; grid search needs a list/);
  await assert.rejects(nb.tune.gridSearch({ lr: { kind: "normal", mean: 0 } } as never, f), /gridSearch: space\.lr is an unknown distribution.*got \{kind, mean\}/);
  await assert.rejects(nb.tune.gridSearch([1, 2] as never, f), /gridSearch: the search space must be an object/);
  await assert.rejects(nb.tune.gridSearch({ a: [1] }, 5 as never), /gridSearch: the objective must be a function/);
  await assert.rejects(nb.tune.gridSearch({ a: [1] }, () => "good" as never, { verbose: 0 }), /gridSearch: the objective must return a number/);
  await assert.rejects(nb.tune.gridSearch({ a: [1] }, f, { mode: "up" as never }), /gridSearch: mode must be "min" or "max"/);
  await assert.rejects(nb.tune.gridSearch({ a: [1, 2] }, (p) => { if (p.a === 2) throw new Error("out of memory"); return 1; }, { verbose: 0 }),
    /^Error: gridSearch: trial 1 \{ a: 2 \} failed: out of memory/);
  const data = blobs(16, 3);
  const build = () => new nb.nn.Linear(2, 2);
  await assert.rejects(nb.tune.gridSearch({ a: [1] }, { build, train: data, epochs: 1, loss: "crossEntropy" }), /gridSearch: metric "val_loss" is measured on validation data; give validation or validationSplit/);
  await assert.rejects(nb.tune.gridSearch({ a: [1] }, { build, train: data, validation: data, epochs: 1, loss: "crossEntropy", metric: "val_accuracy" }, { verbose: 0 }),
    /gridSearch: metric "val_accuracy" is not in the training history \(it has loss, val_loss, lr\)/);
  await assert.rejects(nb.tune.gridSearch({ optimizer: ["lion"] }, { build, train: data, validation: data, epochs: 1, loss: "crossEntropy" }, { verbose: 0 }),
    /gridSearch: unknown optimizer "lion"/);
  await assert.rejects(nb.tune.gridSearch({ a: [1] }, { build, train: data, validation: data, loss: "crossEntropy" } as never, { verbose: 0 }), /gridSearch: give epochs/);
  assertThrowsMatching(() => nb.tune.grid({ x: nb.tune.logUniform(1e-3, 1) }), /grid: space\.x is logUniform\(0\.001, 1\), a continuous distribution/);
});
