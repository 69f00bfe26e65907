import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertThrowsMatching } from "../helpers/assert.js";

const space = {
  lr: nb.tune.logUniform(1e-4, 1e-1),
  dropout: nb.tune.uniform(0, 0.5),
  hidden: nb.tune.intRange(16, 18),
  optimizer: nb.tune.choice(["adam", "sgd"]),
  batchSize: [32, 64],
  epochs: 3,
};

test("random draws stay inside their distributions and follow their laws", () => {
  const draws = nb.tune.sampleSpace(space, { trials: 600, seed: 1 });
  assert.equal(draws.length, 600);
  for (const d of draws) {
    assert.ok(d.lr >= 1e-4 && d.lr <= 1e-1, `lr ${d.lr}`);
    assert.ok(d.dropout >= 0 && d.dropout < 0.5, `dropout ${d.dropout}`);
    assert.ok([16, 17, 18].includes(d.hidden), `hidden ${d.hidden}`);
    assert.ok(d.optimizer === "adam" || d.optimizer === "sgd");
    assert.ok(d.batchSize === 32 || d.batchSize === 64);
    assert.equal(d.epochs, 3);
  }
  const share = (pred: (d: (typeof draws)[number]) => boolean) => draws.filter(pred).length / draws.length;
  // Log-uniform: each decade equally likely, so 1e-4..1e-2 holds two thirds (uniform would give 1%).
  const belowCentiLr = share((d) => d.lr < 1e-2);
  assert.ok(belowCentiLr > 0.6 && belowCentiLr < 0.73, `P(lr < 1e-2) = ${belowCentiLr}`);
  const meanDropout = draws.reduce((a, d) => a + d.dropout, 0) / draws.length;
  assert.ok(Math.abs(meanDropout - 0.25) < 0.03, `mean dropout ${meanDropout}`);
  for (const h of [16, 17, 18]) {
    const p = share((d) => d.hidden === h);
    assert.ok(p > 0.27 && p < 0.4, `P(hidden = ${h}) = ${p}: both ends of intRange included`);
  }
  assert.ok(Math.abs(share((d) => d.optimizer === "adam") - 0.5) < 0.07);
  assert.ok(Math.abs(share((d) => d.batchSize === 64) - 0.5) < 0.07);
});

test("randomSearch is reproducible under a seed and differs across seeds", async () => {
  const run = (seed: number) => nb.tune.randomSearch(space, (p) => -Math.abs(Math.log10(p.lr) + 2), { trials: 8, seed, verbose: 0 });
  const a = await run(7), b = await run(7), c = await run(8);
  const byIndex = (r: typeof a) => [...r.trials].sort((p, q) => p.index - q.index).map((t) => t.params);
  assert.deepEqual(byIndex(a), byIndex(b));
  assert.notDeepEqual(byIndex(a), byIndex(c));
  assert.deepEqual(byIndex(a), nb.tune.sampleSpace(space, { trials: 8, seed: 7 }), "sampleSpace previews the same draws");
  assert.equal(a.trials.length, 8);
  assert.equal(a.best.score, Math.max(...a.trials.map((t) => t.score)));
  assert.deepEqual(a.trials.map((t) => t.score), a.trials.map((t) => t.score).sort((p, q) => q - p));
});

test("each trial gets its own seed and the global generator is seeded with it", async () => {
  const seen: { seed?: number; draw: number }[] = [];
  const trial = (_p: unknown, info: nb.tune.TrialInfo) => {
    seen.push({ seed: info.seed, draw: nb.rand([1]).item() });
    return 0;
  };
  await nb.tune.randomSearch({ a: nb.tune.uniform(0, 1) }, trial, { trials: 3, seed: 5, verbose: 0 });
  await nb.tune.randomSearch({ a: nb.tune.uniform(0, 1) }, trial, { trials: 3, seed: 5, verbose: 0 });
  assert.equal(new Set(seen.slice(0, 3).map((s) => s.seed)).size, 3, "distinct seeds per trial");
  assert.deepEqual(seen.slice(0, 3), seen.slice(3), "the same seeds and random draws in both runs");
  assert.equal(new Set(seen.slice(0, 3).map((s) => s.draw)).size, 3);
});

test("on an all-discrete space random search draws distinct combinations, at most the whole grid", async () => {
  const small = { a: [1, 2, 3], b: nb.tune.choice(["x", "y"]) };
  const five = await nb.tune.randomSearch(small, () => 0, { trials: 5, seed: 2, verbose: 0 });
  assert.equal(new Set(five.trials.map((t) => JSON.stringify(t.params))).size, 5, "no combination twice");
  const all = await nb.tune.randomSearch(small, () => 0, { trials: 50, seed: 2, verbose: 0 });
  assert.equal(all.trials.length, 6, "capped at the 6 combinations");
  assert.deepEqual(all.trials.map((t) => JSON.stringify(t.params)).sort(), nb.tune.grid(small).map((p) => JSON.stringify(p)).sort());
});

test("distributions and randomSearch reject bad arguments with messages naming the function", async () => {
  assertThrowsMatching(() => nb.tune.uniform(1, 1), /^uniform: the lower bound must be below the upper bound, got 1 and 1/);
  assertThrowsMatching(() => nb.tune.uniform(0, Infinity), /uniform: bounds must be finite numbers/);
  assertThrowsMatching(() => nb.tune.logUniform(0, 1), /logUniform: bounds must be positive, got 0 and 1/);
  assertThrowsMatching(() => nb.tune.intRange(1.5, 3), /intRange: bounds must be integers/);
  assertThrowsMatching(() => nb.tune.intRange(4, 3), /intRange: the lower bound must not exceed the upper bound/);
  assertThrowsMatching(() => nb.tune.choice([]), /choice: needs a non-empty array/);
  await assert.rejects(nb.tune.randomSearch({}, () => 0), /^RangeError: randomSearch: the search space is empty/);
  await assert.rejects(nb.tune.randomSearch({ lr: { low: 0, high: 1 } } as never, () => 0), /randomSearch: space\.lr is an unknown distribution: give a list of values, a fixed number\/string\/boolean, or nb\.tune\.uniform, logUniform, choice or intRange; got \{low, high\}/);
  await assert.rejects(nb.tune.randomSearch({ lr: null } as never, () => 0), /randomSearch: space\.lr is an unknown distribution.*got null/);
  await assert.rejects(nb.tune.randomSearch({ a: [1] }, () => 0, { trials: 0 }), /randomSearch: trials must be a positive integer, got 0/);
  await assert.rejects(nb.tune.randomSearch({ a: [1] }, () => 0, { seed: 0.5 }), /randomSearch: seed must be an integer/);
});
