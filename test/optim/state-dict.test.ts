// stateDict / loadStateDict: 10 steps, save, a new optimizer (and new parameter tensors) loads the
// state, 10 more steps: bit for bit the parameters of 20 uninterrupted steps.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { buildOptimizer, buildScheduler, freshParams, optimFixture, trainStep } from "./problem.js";
import { assertThrowsMatching } from "../helpers/assert.js";

type Params = ReturnType<typeof freshParams>;
const values = (p: Params): number[][] => [p.W, p.b, p.s].map((t) => Array.from(t.dataSync()));
const stepAll = (opt: nb.optim.Optimizer<any>, p: Params, sched: unknown, n: number): void => {
  for (let i = 0; i < n; i++) {
    trainStep(opt, p);
    if (sched) (sched as nb.optim.lrScheduler.LRScheduler).step();
  }
};

optimFixture.cases.forEach((c, k) => {
  const viaJSON = k % 2 === 0;
  test(`${c.name}: resume after 10 steps${viaJSON ? " (through JSON)" : ""} equals 20 straight steps exactly`, () => {
    const straight = freshParams();
    const optS = buildOptimizer(c, straight);
    const schedS = c.scheduler ? buildScheduler(optS, c.scheduler) : null;
    stepAll(optS, straight, schedS, 20);

    const first = freshParams();
    const optA = buildOptimizer(c, first);
    const schedA = c.scheduler ? buildScheduler(optA, c.scheduler) : null;
    stepAll(optA, first, schedA, 10);
    let saved: unknown = { opt: optA.stateDict(), sched: schedA?.stateDict() };
    if (viaJSON) saved = JSON.parse(JSON.stringify(nb.optim.stateDictToJSON(saved)));
    const [w, b, s] = values(first);
    // The saved copy must not move with the live optimizer.
    stepAll(optA, first, schedA, 1);

    // New parameter tensors holding the values after 10 steps (a reloaded model).
    const resumed = freshParams();
    nb.noGrad(() => {
      resumed.W.copy_(nb.tensor(Float32Array.from(w), { shape: [5, 3] }));
      resumed.b.copy_(nb.tensor(Float32Array.from(b)));
      resumed.s.copy_(nb.tensor(Float32Array.from(s)));
    });
    // Built with another lr: loading restores the saved one.
    const optB = buildOptimizer({ ...c, options: { ...c.options, lr: 0.123 } }, resumed);
    const schedB = c.scheduler ? buildScheduler(optB, c.scheduler) : null;
    const { opt, sched } = saved as { opt: nb.optim.OptimizerStateDict; sched?: Record<string, unknown> };
    optB.loadStateDict(opt);
    if (schedB && sched) schedB.loadStateDict(sched);
    stepAll(optB, resumed, schedB, 10);
    assert.deepEqual(values(resumed), values(straight));
    assert.deepEqual(optB.paramGroups.map((g) => g.lr), optS.paramGroups.map((g) => g.lr));
  });
});

test("stateDict has torch's layout: state by parameter index, groups with indices and options", () => {
  const p = freshParams();
  const opt = new nb.optim.Adam([{ params: [p.W] }, { params: [p.b, p.s], lr: 0.1, amsgrad: true }], { lr: 0.01 });
  trainStep(opt, p);
  const sd = opt.stateDict();
  assert.deepEqual(sd.paramGroups.map((g) => g.params), [[0], [1, 2]]);
  assert.deepEqual(sd.paramGroups[1], { lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: true, maximize: false, params: [1, 2] });
  assert.deepEqual(Object.keys(sd.state), ["0", "1", "2"]);
  assert.deepEqual(Object.keys(sd.state[0]), ["step", "expAvg", "expAvgSq"]);
  assert.deepEqual(Object.keys(sd.state[2]), ["step", "expAvg", "expAvgSq", "maxExpAvgSq"]);
  assert.equal(sd.state[0].step, 1);
  assert.deepEqual((sd.state[1].expAvg as nb.Tensor).shape, [3]);
  const json = nb.optim.stateDictToJSON(sd) as { state: Record<string, Record<string, unknown>> };
  assert.deepEqual(Object.keys(json.state[2].maxExpAvgSq as object), ["shape", "dtype", "data"]);
});

test("loadStateDict rejects a state dict that does not fit, naming what differs", () => {
  const p = freshParams();
  const adam = new nb.optim.Adam([p.W, p.b, p.s]);
  trainStep(adam, p);
  const sd = adam.stateDict();
  const q = freshParams();
  assertThrowsMatching(() => new nb.optim.Adam([{ params: [q.W] }, { params: [q.b, q.s] }]).loadStateDict(sd),
    /^Adam.loadStateDict: the state dict has 1 parameter groups, this optimizer has 2/);
  assertThrowsMatching(() => new nb.optim.Adam([q.W, q.b]).loadStateDict(sd),
    /^Adam.loadStateDict: parameter group 0 has 3 parameters in the state dict, 2 here/);
  assertThrowsMatching(() => new nb.optim.Adam([q.b, q.W, q.s]).loadStateDict(sd),
    /^Adam.loadStateDict: state "expAvg" of parameter 0 has shape \[5, 3\], but the parameter has shape \[3\]/);
  assertThrowsMatching(() => new nb.optim.SGD([q.W, q.b, q.s]).loadStateDict(sd),
    /^SGD.loadStateDict: parameter group 0 lacks the options momentum, dampening, nesterov \(is it the state of another kind of optimizer\?\)/);
  assertThrowsMatching(() => new nb.optim.Adam([q.W, q.b, q.s]).loadStateDict({ nonsense: true }),
    /^Adam.loadStateDict: expected an object \{ state, paramGroups \}/);
  // A failed load leaves the optimizer as it was.
  const target = new nb.optim.Adam([q.W, q.b, q.s], { lr: 0.5 });
  assert.throws(() => target.loadStateDict({ ...sd, state: { ...sd.state, 7: {} } }), /state for parameter 7/);
  assert.equal(target.paramGroups[0].lr, 0.5);
  assert.equal(target.state.size, 0);
});
