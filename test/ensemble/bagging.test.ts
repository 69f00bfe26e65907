import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertClose, assertThrowsMatching } from "../helpers/assert.js";

function blobs(n: number, seed: number, spread = 0.7): { x: nb.Tensor; y: nb.Tensor } {
  const g = new nb.Generator(seed);
  const y = nb.randint(0, 2, [n], { generator: g });
  const x = nb.indexSelect(nb.tensor([[-1, -1], [1, 1]]), 0, y).add(nb.randn([n, 2], { generator: g }).mul(spread));
  return { x, y };
}

/** A stub member whose output for input row [i] is row i of a fixed table. */
class Fixed extends nb.nn.Module {
  declare table: nb.Tensor;
  constructor(rows: number[][]) {
    super();
    this.registerBuffer("table", nb.tensor(rows));
  }
  forward(x: nb.Tensor): nb.Tensor {
    return nb.indexSelect(this.table, 0, x.reshape([-1]).to("int32"));
  }
}

const rowIds = (n: number) => nb.arange(n).reshape([n, 1]).to("float32");

// Three members' class probabilities for three samples.
const P = [
  [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]],
  [[0.4, 0.6], [0.3, 0.7], [0.3, 0.7]],
  [[0.45, 0.55], [0.6, 0.4], [0.4, 0.6]],
];

test("soft voting averages the members' probabilities; hard voting counts their classes", () => {
  const ens = new nb.ensemble.Ensemble(P.map((p) => new Fixed(p)), { outputs: "probabilities" });
  const x = rowIds(3);
  // Means by hand: [0.5833, 0.4167], [0.3667, 0.6333], [0.4333, 0.5667].
  assertClose(ens.predictProba(x), [[1.75 / 3, 1.25 / 3], [1.1 / 3, 1.9 / 3], [1.3 / 3, 1.7 / 3]], { atol: 1e-6 });
  assert.deepEqual(Array.from(ens.predict(x).dataSync()), [0, 1, 1]);
  assert.equal(ens.predict(x).dtype, "int32");
  // Votes: sample 0 → 0, 1, 1 (class 1 wins the vote though soft voting picked 0); 1 → 1, 1, 0; 2 → 0, 1, 1.
  assert.deepEqual(Array.from(ens.predict(x, { vote: "hard" }).dataSync()), [1, 1, 1]);
  const hard = new nb.ensemble.Ensemble(P.map((p) => new Fixed(p)), { outputs: "probabilities", vote: "hard" });
  assert.deepEqual(Array.from(hard.predict(x).dataSync()), [1, 1, 1], "the ensemble's default vote");
  // A 1–1 tie between two members goes to the lower class.
  const tie = new nb.ensemble.Ensemble([new Fixed([[0.1, 0.9]]), new Fixed([[0.8, 0.2]])], { outputs: "probabilities" });
  assert.deepEqual(Array.from(tie.predict(rowIds(1), { vote: "hard" }).dataSync()), [0]);
  assert.deepEqual(Array.from(tie.predict(rowIds(1)).dataSync()), [1], "soft: mean [0.45, 0.55]");
  assert.deepEqual(tie.memberProbabilities(rowIds(1)).shape, [2, 1, 2]);
});

test("logits go through softmax (or a sigmoid for one binary logit) before averaging", () => {
  const ln3 = Math.log(3);
  // softmax([0, ln 3]) = [0.25, 0.75]; softmax([ln 3, 0]) = [0.75, 0.25]; softmax([0, 0]) = [0.5, 0.5].
  const ens = new nb.ensemble.Ensemble([new Fixed([[0, ln3], [0, 0]]), new Fixed([[0, 0], [ln3, 0]])]);
  assertClose(ens.predictProba(rowIds(2)), [[0.375, 0.625], [0.625, 0.375]], { atol: 1e-6 });
  // Binary logits [N, 1]: sigmoid(ln 3) = 0.75, sigmoid(−ln 3) = 0.25, mean 0.5 and 0.75.
  const binary = new nb.ensemble.Ensemble([new Fixed([[ln3], [ln3]]), new Fixed([[-ln3], [ln3]])]);
  assertClose(binary.predictProba(rowIds(2)), [[0.5, 0.5], [0.25, 0.75]], { atol: 1e-6 });
});

test("Ensemble.evaluate scores the voted predictions with the given metrics", async () => {
  const ens = new nb.ensemble.Ensemble(P.map((p) => new Fixed(p)), { outputs: "probabilities" });
  const data = { x: rowIds(3), y: nb.tensor([0, 1, 0], { dtype: "int32" }) };
  // Soft predictions [0, 1, 1]: 2 of 3 right; hard [1, 1, 1]: 1 of 3.
  const soft = await ens.evaluate(data, { metrics: ["accuracy", "topk:2"], batchSize: 2 });
  assert.ok(Math.abs(soft.accuracy - 2 / 3) < 1e-12);
  assert.equal(soft.top2_accuracy, 1);
  const hard = await ens.evaluate(data, { vote: "hard" });
  assert.deepEqual(Object.keys(hard), ["accuracy"]);
  assert.ok(Math.abs(hard.accuracy - 1 / 3) < 1e-12);
});

test("bagging trains n members, each on its own bootstrap sample drawn with replacement", async () => {
  const { x, y } = blobs(40, 1);
  const reads: number[][] = [];
  const inner = new nb.data.TensorDataset(x, y);
  const recording: nb.data.Dataset = {
    get length() { return inner.length; },
    get: (i) => { reads[reads.length - 1].push(i); return inner.get(i); },
    getBatch: (idx) => { reads[reads.length - 1].push(...idx); return inner.getBatch(idx); },
  };
  const built: number[] = [];
  const make = (i: number) => {
    built.push(i);
    reads.push([]);
    return new nb.nn.Sequential(new nb.nn.Linear(2, 4), new nb.nn.ReLU(), new nb.nn.Linear(4, 2));
  };
  const fitOptions = { epochs: 1, batchSize: 8, loss: "crossEntropy", optimizer: (m: nb.nn.Module) => new nb.optim.SGD(m.parameters(), { lr: 0.1 }) };
  const ens = await nb.ensemble.bagging(make, recording, { n: 4, sampleFraction: 0.5, seed: 3, verbose: 0, fitOptions });
  assert.deepEqual(built, [0, 1, 2, 3]);
  assert.equal(ens.models.length, 4);
  assert.equal(ens.histories.length, 4);
  for (let i = 0; i < 4; i++) {
    const s = ens.samples[i];
    assert.equal(s.length, 20, "half the dataset's size");
    assert.ok(s.every((j) => Number.isInteger(j) && j >= 0 && j < 40));
    const sortedReads = [...reads[i]].sort((a, b) => a - b);
    assert.deepEqual(sortedReads, [...s].sort((a, b) => a - b), `member ${i} trained on exactly its bootstrap sample, repeats included`);
  }
  const full = await nb.ensemble.bagging(make, { x, y }, { n: 3, seed: 3, verbose: 0, fitOptions });
  for (const s of full.samples) {
    assert.equal(s.length, 40);
    // With replacement: P(40 draws all distinct) = 40!/40^40 ≈ 1e-16, and about 1 − 1/e ≈ 63% are distinct.
    const distinct = new Set(s).size;
    assert.ok(distinct < 40 && distinct > 15, `${distinct} distinct of 40`);
  }
  const again = await nb.ensemble.bagging(make, { x, y }, { n: 3, seed: 3, verbose: 0, fitOptions });
  assert.deepEqual(again.samples, full.samples, "same seed, same samples");
  assert.deepEqual(again.histories, full.histories, "and the same training");
  const other = await nb.ensemble.bagging(make, { x, y }, { n: 3, seed: 4, verbose: 0, fitOptions });
  assert.notDeepEqual(other.samples, full.samples);
});

test("a bagged ensemble of small MLPs scores at least as well as its average member", async () => {
  const train = blobs(300, 5, 1.2), testSet = blobs(400, 6, 1.2);
  const ens = await nb.ensemble.bagging(
    () => new nb.nn.Sequential(new nb.nn.Linear(2, 16), new nb.nn.ReLU(), new nb.nn.Linear(16, 2)),
    train,
    { n: 5, seed: 7, verbose: 0, fitOptions: { epochs: 2, batchSize: 32, loss: "crossEntropy", optimizer: (m) => new nb.optim.SGD(m.parameters(), { lr: 0.05 }) } },
  );
  const members = await Promise.all(ens.models.map((m) => nb.evaluate(m, testSet, { metrics: ["accuracy"] })));
  const memberMean = members.reduce((a, l) => a + l.accuracy, 0) / members.length;
  const soft = await ens.evaluate(testSet);
  const hard = await ens.evaluate(testSet, { vote: "hard" });
  assert.ok(soft.accuracy >= memberMean, `soft ${soft.accuracy} vs members' mean ${memberMean} (${members.map((l) => l.accuracy).join(", ")})`);
  assert.ok(hard.accuracy >= memberMean, `hard ${hard.accuracy} vs members' mean ${memberMean}`);
  assert.ok(soft.accuracy > 0.75, `soft ${soft.accuracy}`);
});

test("bagging and Ensemble reject bad arguments with messages naming them", async () => {
  const data = blobs(10, 8);
  const fitOptions = { epochs: 1, loss: "crossEntropy", optimizer: (m: nb.nn.Module) => new nb.optim.SGD(m.parameters(), { lr: 0.1 }) };
  const make = () => new nb.nn.Linear(2, 2);
  await assert.rejects(nb.ensemble.bagging(make, data, { n: 0, fitOptions }), /^RangeError: bagging: n \(the number of models\) must be an integer >= 1, got number 0/);
  await assert.rejects(nb.ensemble.bagging(make, data, { n: 2.5, fitOptions }), /bagging: n \(the number of models\) must be an integer >= 1/);
  await assert.rejects(nb.ensemble.bagging(make, data, { n: 2, sampleFraction: 0, fitOptions }), /bagging: sampleFraction must be a positive number, got number 0/);
  await assert.rejects(nb.ensemble.bagging(make, data, { n: 1, verbose: 0, fitOptions: { epochs: 1, loss: "crossEntropy" } }), /bagging: the builder returned a Module without an optimizer/);
  await assert.rejects(nb.ensemble.bagging(make, data, { n: 1 } as never), /bagging: options \{ n, fitOptions/);
  assertThrowsMatching(() => new nb.ensemble.Ensemble([]), /Ensemble: needs at least one model/);
  assertThrowsMatching(() => new nb.ensemble.Ensemble([make(), 3 as never]), /Ensemble: models\[1\] is not an nb.nn.Module/);
  assertThrowsMatching(() => new nb.ensemble.Ensemble([make()], { vote: "majority" as never }), /Ensemble: vote must be "soft" or "hard"/);
  assertThrowsMatching(() => new nb.ensemble.Ensemble([make()]).predict(data.x, { vote: "x" as never }), /Ensemble.predict: vote must be "soft" or "hard"/);
  const conv = new nb.ensemble.Ensemble([new nb.nn.Conv2d(1, 2, 1)]);
  assertThrowsMatching(() => conv.predictProba(nb.zeros([1, 1, 2, 2])), /Ensemble: models\[0\] output has shape \[1, 2, 2, 2\]; expected \[N, C\]/);
});
