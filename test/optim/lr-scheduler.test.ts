// Every scheduler's lr (and OneCycleLR's momentum / beta1) sequence over 30 epochs against torch.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { type AnyScheduler, OPTIMIZERS, buildScheduler, schedulerFixture } from "./problem.js";
import { assertThrowsMatching } from "../helpers/assert.js";

// Both sides compute in float64 with the same formulas in the same order; only Math.cos/pow may
// differ from C's in the last bit.
const close = (got: number, want: number, what: string): void => {
  assert.ok(Math.abs(got - want) <= 1e-12 * Math.max(1, Math.abs(want)), `${what}: got ${got}, torch ${want}`);
};

function twoGroupOptimizer(name: string, options: Record<string, unknown>, lrs: number[]): nb.optim.Optimizer<any> {
  const groups = lrs.map((lr, i) => ({ params: [nb.zeros([i + 2]).requiresGrad_()], lr }));
  return new OPTIMIZERS[name](groups, options);
}

for (const c of schedulerFixture.cases) {
  test(`${c.name}: lr sequence equals torch's`, () => {
    const opt = twoGroupOptimizer(c.optimizer, c.options, c.groupLrs);
    const scheds = c.schedulers.map((s) => buildScheduler(opt, s));
    const record = (epoch: number): void => {
      opt.paramGroups.forEach((g, i) => {
        close(g.lr, c.lrs[epoch][i], `epoch ${epoch} group ${i} lr`);
        const m = "betas" in g ? (g.betas as number[])[0] : (g.momentum as number);
        close(m, c.momenta[epoch][i], `epoch ${epoch} group ${i} momentum`);
      });
    };
    record(0);
    for (let epoch = 0; epoch < c.lrs.length - 1; epoch++) {
      opt.step();
      for (const s of scheds) {
        if (s instanceof nb.optim.lrScheduler.ReduceLROnPlateau) s.step((c.metrics as number[])[epoch]);
        else s.step();
      }
      record(epoch + 1);
      const last = scheds[scheds.length - 1].getLastLr();
      last.forEach((lr, i) => close(lr, opt.paramGroups[i].lr, `epoch ${epoch + 1} getLastLr`));
    }
  });
}

test("constructing a scheduler records initialLr in every group, once", () => {
  const opt = twoGroupOptimizer("SGD", {}, [0.1, 0.5]);
  const S = nb.optim.lrScheduler;
  new S.LinearLR(opt, { startFactor: 0.5 });
  assert.deepEqual(opt.paramGroups.map((g) => g.initialLr), [0.1, 0.5]);
  assert.deepEqual(opt.paramGroups.map((g) => g.lr), [0.05, 0.25]);
  // A second scheduler keeps the first one's initialLr (torch's setdefault).
  const exp = new S.ExponentialLR(opt, { gamma: 0.5 });
  assert.deepEqual(exp.baseLrs, [0.1, 0.5]);
});

test("schedulers resume from their state dict exactly (SequentialLR and OneCycleLR included)", () => {
  const S = nb.optim.lrScheduler;
  const make = (opt: nb.optim.Optimizer<any>): AnyScheduler[] => [
    new S.SequentialLR(opt, { schedulers: [new S.LinearLR(opt, { startFactor: 0.2, totalIters: 4 }), new S.CosineAnnealingLR(opt, { tMax: 12 })], milestones: [4] }),
  ];
  const straight = twoGroupOptimizer("SGD", { momentum: 0.9 }, [0.1, 0.5]);
  const [s1] = make(straight);
  const first = twoGroupOptimizer("SGD", { momentum: 0.9 }, [0.1, 0.5]);
  const [s2] = make(first);
  for (let i = 0; i < 7; i++) {
    (s1 as nb.optim.lrScheduler.LRScheduler).step();
    (s2 as nb.optim.lrScheduler.LRScheduler).step();
  }
  const saved = JSON.parse(JSON.stringify(nb.optim.stateDictToJSON({ opt: first.stateDict(), sched: s2.stateDict() })));
  const resumed = twoGroupOptimizer("SGD", { momentum: 0.9 }, [0.3, 0.3]);
  const [s3] = make(resumed);
  resumed.loadStateDict(saved.opt);
  s3.loadStateDict(saved.sched);
  for (let i = 0; i < 10; i++) {
    (s1 as nb.optim.lrScheduler.LRScheduler).step();
    (s3 as nb.optim.lrScheduler.LRScheduler).step();
    assert.deepEqual(resumed.paramGroups.map((g) => g.lr), straight.paramGroups.map((g) => g.lr), `epoch ${8 + i}`);
  }

  const a = twoGroupOptimizer("Adam", {}, [0.1, 0.5]);
  const oneA = new S.OneCycleLR(a, { maxLr: 1, totalSteps: 30 });
  for (let i = 0; i < 9; i++) oneA.step();
  const b = twoGroupOptimizer("Adam", {}, [0.1, 0.5]);
  const oneB = new S.OneCycleLR(b, { maxLr: 3, totalSteps: 30, cycleMomentum: false });
  b.loadStateDict(a.stateDict());
  oneB.loadStateDict(oneA.stateDict());
  for (let i = 0; i < 10; i++) {
    oneA.step();
    oneB.step();
  }
  assert.deepEqual(b.paramGroups.map((g) => [g.lr, g.betas]), a.paramGroups.map((g) => [g.lr, g.betas]));
});

test("ReduceLROnPlateau: state dict through JSON keeps best = Infinity; accepts a tensor metric", () => {
  const opt = twoGroupOptimizer("SGD", {}, [0.1, 0.5]);
  const r = new nb.optim.lrScheduler.ReduceLROnPlateau(opt, { patience: 0 });
  const json = JSON.parse(JSON.stringify(nb.optim.stateDictToJSON(r.stateDict())));
  assert.equal(json.best, "Infinity");
  const r2 = new nb.optim.lrScheduler.ReduceLROnPlateau(opt, { patience: 0 });
  r2.loadStateDict(json);
  assert.equal(r2.best, Infinity);
  r2.step(nb.tensor(2));
  assert.equal(r2.best, 2);
  r2.step(nb.tensor([3]));
  assert.deepEqual(r2.getLastLr(), [0.010000000000000002, 0.05]);
});

test("OneCycleLR refuses to step past totalSteps, like torch", () => {
  const opt = twoGroupOptimizer("SGD", { momentum: 0.9 }, [0.1, 0.5]);
  const s = new nb.optim.lrScheduler.OneCycleLR(opt, { maxLr: 1, totalSteps: 3 });
  for (let i = 0; i < 3; i++) s.step();
  assertThrowsMatching(() => s.step(), /^OneCycleLR: step\(\) called 4 times, more than totalSteps \(3\)/);
});

test("scheduler options are validated with the option named", () => {
  const opt = twoGroupOptimizer("SGD", {}, [0.1, 0.5]);
  const S = nb.optim.lrScheduler;
  assertThrowsMatching(() => new S.StepLR(opt, { stepSize: 0 }), /^StepLR: stepSize must be a positive integer, got 0/);
  assertThrowsMatching(() => new S.StepLR(opt, { stepSize: 2, step_size: 3 } as any), /^StepLR: unknown option "step_size" \(did you mean "stepSize"\?\)/);
  assertThrowsMatching(() => new S.StepLR({} as any, { stepSize: 2 }), /^StepLR: expected an optimizer/);
  assertThrowsMatching(() => new S.MultiStepLR(opt, { milestones: [3, -1] }), /^MultiStepLR: milestones must be an array of non-negative integers/);
  assertThrowsMatching(() => new S.ExponentialLR(opt, { gamma: NaN }), /^ExponentialLR: gamma must be a finite number >= 0, got NaN/);
  assertThrowsMatching(() => new S.CosineAnnealingLR(opt, { tMax: 0 }), /^CosineAnnealingLR: tMax must be a positive integer/);
  assertThrowsMatching(() => new S.LinearLR(opt, { startFactor: 0 }), /^LinearLR: startFactor must be in \(0, 1\], got 0/);
  assertThrowsMatching(() => new S.LinearLR(opt, { endFactor: 1.5 }), /^LinearLR: endFactor must be in \[0, 1\], got 1.5/);
  const other = twoGroupOptimizer("SGD", {}, [0.1, 0.5]);
  const a = new S.StepLR(opt, { stepSize: 2 });
  assertThrowsMatching(() => new S.SequentialLR(opt, { schedulers: [a, new S.StepLR(other, { stepSize: 2 })], milestones: [3] }),
    /^SequentialLR: the scheduler at index 1 belongs to another optimizer/);
  assertThrowsMatching(() => new S.SequentialLR(opt, { schedulers: [a, a], milestones: [] }), /^SequentialLR: expected 1 milestones/);
  assertThrowsMatching(() => new S.OneCycleLR(opt, { maxLr: 1 }), /^OneCycleLR: give totalSteps, or epochs and stepsPerEpoch/);
  assertThrowsMatching(() => new S.OneCycleLR(opt, { maxLr: [1, 2, 3], totalSteps: 10 }), /^OneCycleLR: expected 2 values for maxLr/);
  assertThrowsMatching(() => new S.OneCycleLR(opt, { maxLr: 1, totalSteps: 10, pctStart: 1.5 }), /^OneCycleLR: pctStart must be a number in \[0, 1\], got 1.5/);
  assertThrowsMatching(() => new S.OneCycleLR(opt, { maxLr: 1, totalSteps: 10, annealStrategy: "exp" as any }), /^OneCycleLR: annealStrategy must be "cos" or "linear"/);
  const adagrad = new nb.optim.Adagrad([nb.zeros([2]).requiresGrad_()]);
  assertThrowsMatching(() => new S.OneCycleLR(adagrad, { maxLr: 1, totalSteps: 10 }), /^OneCycleLR: cycleMomentum needs an optimizer with momentum .* Adagrad has neither/);
  assertThrowsMatching(() => new S.ReduceLROnPlateau(opt, { factor: 1 }), /^ReduceLROnPlateau: factor must be < 1/);
  assertThrowsMatching(() => new S.ReduceLROnPlateau(opt, { mode: "maximum" as any }), /^ReduceLROnPlateau: mode must be "min" or "max"/);
  assertThrowsMatching(() => new S.ReduceLROnPlateau(opt, { thresholdMode: "relative" as any }), /^ReduceLROnPlateau: thresholdMode must be "rel" or "abs"/);
  assertThrowsMatching(() => new S.ReduceLROnPlateau(opt, { minLr: [0.1] }), /^ReduceLROnPlateau: expected 2 values for minLr/);
  assertThrowsMatching(() => new S.ReduceLROnPlateau(opt, { patience: 1.5 }), /^ReduceLROnPlateau: patience must be a non-negative integer, got 1.5/);
  assertThrowsMatching(() => new S.StepLR(twoGroupOptimizer("SGD", {}, [0.1, 0.5]), { stepSize: 2, lastEpoch: 4 }),
    /^StepLR: parameter group 0 has no initialLr, needed to resume at lastEpoch 4/);
  assertThrowsMatching(() => a.loadStateDict({ stepSize: 2, nonsense: 1 }), /^StepLR.loadStateDict: unexpected keys nonsense/);
});
