// Every optimizer against torch.optim on the fixture problem: parameters after each of 20 steps.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { buildOptimizer, buildScheduler, freshParams, optimFixture, trainStep } from "./problem.js";

// float32 on both sides; the gradients come from nabla's autograd and differ from torch's in the
// last bits, which the updates carry forward for 20 steps. Observed worst case: see the report.
const RTOL = 1e-5, ATOL = 1e-6;

for (const c of optimFixture.cases) {
  test(`${c.name}: 20 steps equal torch.optim's`, () => {
    const p = freshParams();
    const opt = buildOptimizer(c, p);
    const sched = c.scheduler ? buildScheduler(opt, c.scheduler) : null;
    let worst = 0;
    c.trajectory.forEach((expected, step) => {
      trainStep(opt, p);
      if (sched) (sched as nb.optim.lrScheduler.LRScheduler).step();
      [p.W, p.b, p.s].forEach((t, k) => {
        const got = t.dataSync();
        expected[k].forEach((e, i) => {
          const err = Math.abs(got[i] - e);
          worst = Math.max(worst, err / (ATOL + RTOL * Math.abs(e)));
          assert.ok(err <= ATOL + RTOL * Math.abs(e), `step ${step + 1}, ${["W", "b", "s"][k]}[${i}]: got ${got[i]}, torch ${e}`);
        });
      });
    });
    if (process.env.OPTIM_REPORT) console.log(`${c.name}: worst error ${worst.toFixed(3)} of tolerance`);
  });
}
