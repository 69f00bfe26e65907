// nb.compile's kernel plans (src/graph/kernel-plan.ts): a whole training step — forward, backward,
// optimizer — replayed as its backend kernel calls equals eager bit for bit on every typed-array
// backend, allocates nothing in the steady state, picks up what changes between steps (Adam's step
// count, a scheduler's lr, the dropout generator), and falls back or recaptures when it cannot.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { planMemory } from "../../src/graph/memory-plan.js";
import { hostPool } from "../../src/backend/host-pool.js";

/** Arrays the shared host pool handed out (reused or new) while fn ran. */
function poolTraffic(fn: () => void): number {
  const a = hostPool.stats();
  fn();
  const b = hostPool.stats();
  return b.hits - a.hits + b.misses - a.misses;
}

const F = nb.nn.functional;
const BACKENDS = ["cpu", "native"].filter((b) => nb.backends().includes(b));

function bits(t: nb.Tensor): number[] {
  return Array.from(t.dataSync());
}

/** Run fn with `name` as the active backend, restoring the previous one. */
function on<T>(name: string, fn: () => T): T {
  const before = nb.getBackend();
  nb.setBackend(name);
  try {
    return fn();
  } finally {
    nb.setBackend(before);
  }
}

type Step = (x: nb.Tensor, y: nb.Tensor) => nb.Tensor;

/** A model, its optimizer and a training step, from a fixed seed. */
function trainer(makeModel: () => nb.nn.Module, makeOpt: (m: nb.nn.Module) => nb.optim.Optimizer, after?: (o: nb.optim.Optimizer) => () => void) {
  nb.manualSeed(7);
  const model = makeModel();
  const opt = makeOpt(model);
  const sched = after?.(opt);
  const step: Step = (x, y) => {
    opt.zeroGrad();
    const loss = F.crossEntropy(model.forward(x) as nb.Tensor, y);
    loss.backward();
    opt.step();
    sched?.();
    return loss;
  };
  return { model, opt, step };
}

/** Losses (read right after each call: a kernel replay's result is overwritten by the next) of `steps` calls over the batches. */
function losses(step: Step, batches: { x: nb.Tensor; y: nb.Tensor }[], steps: number, between?: (i: number) => void): number[][] {
  nb.manualSeed(99);
  return Array.from({ length: steps }, (_, i) => {
    const out = bits(step(batches[i % batches.length].x, batches[i % batches.length].y));
    between?.(i);
    return out;
  });
}

/** Every parameter and buffer bit-identical (compared as bytes: ResNet-18 has 11M values). */
function assertSameState(a: nb.nn.Module, b: nb.nn.Module): void {
  const sa = a.stateDict(), sb = b.stateDict();
  assert.deepEqual([...sb.keys()], [...sa.keys()]);
  const bytes = (t: nb.Tensor) => {
    const d = t.dataSync();
    return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  };
  for (const [k, v] of sa) assert.ok(bytes(sb.get(k)!).equals(bytes(v)), `${k} differs`);
}

function mnistBatches(n: number, batch: number) {
  nb.manualSeed(1);
  return Array.from({ length: n }, () => ({ x: nb.randn([batch, 1, 28, 28]), y: nb.randint(0, 10, [batch]) }));
}

for (const backend of BACKENDS) {
  test(`kernel plan (${backend}): 20 steps of the typical CNN with dropout and Adam equal eager bit for bit`, () => on(backend, () => {
    const batches = mnistBatches(4, 6);
    const make = () => trainer(() => nb.models.typicalCnn(), (m) => new nb.optim.Adam(m.parameters(), { lr: 1e-3 }));
    const eager = make(), comp = make();
    const step = nb.compile(comp.step);
    const want = losses(eager.step, batches, 20);
    const got = losses(step, batches, 20);
    assert.deepEqual(got, want);
    assertSameState(eager.model, comp.model);
    const pe = eager.model.parameters(), pc = comp.model.parameters();
    pc.forEach((p, i) => assert.equal(comp.opt.state.get(p)!.step, eager.opt.state.get(pe[i])!.step, "Adam's step counts advanced as eagerly"));
    // Adam's per-step scalars come from argument providers: the fused kernel's options (native),
    // the composite update's fill values (cpu).
    assert.deepEqual([step.stats.traces, step.stats.captures, step.stats.kernelReplays], [1, 2, 17], step.plan!.kernelFallback ?? "");
    assert.equal(step.stats.allocationsLastCall, 0, "no allocation in the steady state");
    assert.equal(poolTraffic(() => bits(step(batches[0].x, batches[0].y))), 0, "nor from the host pool");
    const k = step.plan!.kernels!;
    assert.equal(k.providers, 9, "8 Adam updates and 1 dropout draw");
    assert.ok(k.arenaBytes < k.naiveBytes, `arena ${k.arenaBytes} B < ${k.naiveBytes} B`);
    assert.match(step.graph, /kernel plan: \d+ kernel calls, 9 argument providers/);
  }));

  test(`kernel plan (${backend}): SGD with momentum and a StepLR schedule (stepped outside and inside the function) equals eager`, () => on(backend, () => {
    const batches = mnistBatches(2, 4);
    const model = () => new nb.nn.Sequential(new nb.nn.Flatten(), new nb.nn.Linear(784, 32), new nb.nn.ReLU(), new nb.nn.Linear(32, 10));
    const sgd = (m: nb.nn.Module) => new nb.optim.SGD(m.parameters(), { lr: 0.1, momentum: 0.9 });
    // Outside: the lr changes between calls.
    const make = () => {
      const t = trainer(model, sgd);
      return { ...t, sched: new nb.optim.lrScheduler.StepLR(t.opt, { stepSize: 3, gamma: 0.5 }) };
    };
    const eager = make(), comp = make();
    const step = nb.compile(comp.step);
    assert.deepEqual(losses(step, batches, 12, () => comp.sched.step()), losses(eager.step, batches, 12, () => eager.sched.step()));
    assertSameState(eager.model, comp.model);
    assert.equal(comp.opt.paramGroups[0].lr, eager.opt.paramGroups[0].lr);
    assert.ok(step.stats.kernelReplays >= (backend === "native" ? 9 : 3), JSON.stringify(step.stats));
    // Fused SGD (native) reads lr through its provider; composite SGD (cpu) baked it in, so an lr change recaptures.
    if (backend === "native") assert.equal(step.stats.captures, 2);
    else assert.ok(step.stats.captures > 2);
    // Inside: the scheduler's step is replayed as JavaScript after the kernels.
    const withSched = () => trainer(model, sgd, (o) => {
      const s = new nb.optim.lrScheduler.StepLR(o, { stepSize: 2, gamma: 0.5 });
      return () => s.step();
    });
    const e2 = withSched(), c2 = withSched();
    const step2 = nb.compile(c2.step);
    assert.deepEqual(losses(step2, batches, 9), losses(e2.step, batches, 9));
    assertSameState(e2.model, c2.model);
    assert.equal(c2.opt.paramGroups[0].lr, 0.1 / 16);
    if (backend === "native") {
      assert.equal(step2.plan!.kernels!.effects, 1, "scheduler.step replays as JavaScript");
      assert.equal(step2.stats.kernelReplays, 6);
    } else assert.match(step2.plan!.kernelFallback!, /lr scheduler steps inside the function/);
  }));
}

test("kernel plan: ResNet-18 (batch norm, residual adds) trains as eager on a small input", () => {
  nb.manualSeed(12);
  const batches = [{ x: nb.randn([2, 3, 16, 16]), y: nb.randint(0, 10, [2]) }];
  const make = () => trainer(() => nb.models.resnet18({ numClasses: 10 }), (m) => new nb.optim.SGD(m.parameters(), { lr: 0.01, momentum: 0.9 }));
  const eager = make(), comp = make();
  const step = nb.compile(comp.step);
  assert.deepEqual(losses(step, batches, 4), losses(eager.step, batches, 4));
  assertSameState(eager.model, comp.model);
  assert.equal(step.stats.kernelReplays, 1, step.plan?.kernelFallback ?? "");
  assert.equal(step.stats.allocationsLastCall, 0);
});

test("kernel plan: an LSTM classifier trains as eager", () => {
  class Classifier extends nb.nn.Module {
    lstm = new nb.nn.LSTM(5, 8, { batchFirst: true });
    head = new nb.nn.Linear(8, 3);
    forward(x: nb.Tensor): nb.Tensor {
      const [, [h]] = this.lstm.forward(x);
      return this.head.forward(nb.squeeze(h, 0));
    }
  }
  nb.manualSeed(5);
  const batches = [0, 1].map(() => ({ x: nb.randn([4, 6, 5]), y: nb.randint(0, 3, [4]) }));
  const make = () => trainer(() => new Classifier(), (m) => new nb.optim.Adam(m.parameters(), { lr: 1e-2 }));
  const eager = make(), comp = make();
  const step = nb.compile(comp.step);
  assert.deepEqual(losses(step, batches, 8), losses(eager.step, batches, 8));
  assertSameState(eager.model, comp.model);
  if (nb.getBackend() === "native") assert.equal(step.stats.kernelReplays, 5, step.plan?.kernelFallback ?? "");
});

test("kernel plan: guards recapture when a parameter, a gradient or the input shape is replaced, and stay equal to eager", () => {
  const batches = mnistBatches(1, 3);
  const model = () => new nb.nn.Sequential(new nb.nn.Flatten(), new nb.nn.Linear(784, 10));
  const make = () => trainer(model, (m) => new nb.optim.SGD(m.parameters(), { lr: 0.1 }));
  const eager = make(), comp = make();
  const step = nb.compile(comp.step);
  const disturb = (t: typeof eager) => (i: number) => {
    const lin = t.model.modules()[2] as nb.nn.Linear;
    if (i === 4) nb.noGrad(() => lin.weight.setData(nb.mul(lin.weight, 0.5))); // a new buffer behind the same parameter
    if (i === 7) t.opt.zeroGrad(); // the persistent gradients are disposed outside the step
  };
  assert.deepEqual(losses(step, batches, 11, disturb(comp)), losses(eager.step, batches, 11, disturb(eager)));
  assertSameState(eager.model, comp.model);
  // Captured twice at the start and after the new weight; after the outside zeroGrad the first
  // capture finds no gradient to clear (unlike the steady state), so it takes a third.
  assert.deepEqual([step.stats.captures, step.stats.kernelReplays], [7, 3]);
  const wide = mnistBatches(1, 5)[0];
  assert.deepEqual(bits(step(wide.x, wide.y)), bits(eager.step(wide.x, wide.y)));
  assert.equal(step.stats.traces, 2, "a new input shape traces again");
});

test("kernel plan: an eval forward replays with no allocation; its output buffer is the plan's, overwritten by the next call", () => {
  nb.manualSeed(3);
  const model = nb.models.lenet5().eval();
  const forward = (x: nb.Tensor) => nb.noGrad(() => model.forward(x) as nb.Tensor);
  const f = nb.compile(forward);
  const xs = Array.from({ length: 5 }, () => nb.randn([2, 1, 28, 28]));
  for (const x of xs) assert.deepEqual(bits(f(x)), bits(forward(x)));
  assert.equal(f.stats.kernelReplays, 2);
  assert.equal(f.stats.allocationsLastCall, 0);
  const a = f(xs[0]);
  const first = bits(a);
  f(xs[1]);
  assert.notDeepEqual(bits(a), first, "a replay's result aliases the plan's output buffer");
  assert.deepEqual(bits(a), bits(forward(xs[1])));
});

test("kernel plan: seeded dropout draws as eager and leaves the generator where eager leaves it", () => {
  const w = nb.randn([16, 16]);
  const fn = (x: nb.Tensor) => nb.noGrad(() => F.dropout(nb.matmul(x, w), 0.5));
  const f = nb.compile(fn);
  const x = nb.randn([4, 16]);
  nb.manualSeed(21);
  const want = Array.from({ length: 6 }, () => bits(fn(x)));
  const eagerState = nb.defaultGenerator.getState();
  nb.manualSeed(21);
  const got = Array.from({ length: 6 }, () => bits(f(x)));
  assert.deepEqual(got, want);
  assert.equal(f.stats.kernelReplays, 3);
  assert.deepEqual(nb.defaultGenerator.getState(), eagerState);
});

test("kernel plan: a scalar that changes every step with no provider (Adagrad's lr decay) falls back to op replay, equal to eager", () => {
  const batches = mnistBatches(1, 3);
  const make = () => trainer(() => new nb.nn.Sequential(new nb.nn.Flatten(), new nb.nn.Linear(784, 10)), (m) => new nb.optim.Adagrad(m.parameters(), { lrDecay: 0.1 }));
  const eager = make(), comp = make();
  const step = nb.compile(comp.step);
  assert.deepEqual(losses(step, batches, 8), losses(eager.step, batches, 8));
  assertSameState(eager.model, comp.model);
  assert.match(step.plan!.kernelFallback!, /^call \d+ \(kernel fill\): scalar argument 1 changed between steps \(-0\.\d+ then -0\.\d+\) and nothing recomputes it$/);
  assert.match(step.graph, /kernel plan: none, replaying ops \(call \d+ \(kernel fill\)/);
  assert.deepEqual([step.stats.captures, step.stats.kernelReplays], [4, 0], "three comparisons, then op replay");
});

test("kernel plan: replay 'ops' keeps the op-level replay; a bad replay mode is an error", () => {
  const f = nb.compile((x: nb.Tensor) => nb.add(x, 1), { replay: "ops" });
  for (let i = 0; i < 4; i++) f(nb.zeros([2]));
  assert.deepEqual([f.stats.replays, f.stats.captures, f.stats.kernelReplays], [3, 0, 0]);
  assert.throws(() => nb.compile((x: nb.Tensor) => x, { replay: "fast" as never }), /compile: replay must be "kernels" or "ops", got "fast"/);
});

test("memory plan: overlapping lifetimes get distinct slots, disjoint ones share; a kernel's input and output never share", () => {
  const plan = planMemory([
    { bytes: 100, start: 0, end: 2 },
    { bytes: 50, start: 1, end: 3 },
    { bytes: 80, start: 3, end: 4 }, // starts where #1 ends: conflicts with it, reuses #0's slot
    { bytes: 200, start: 5, end: 6 }, // nothing live: grows the largest free slot
  ]);
  assert.equal(plan.slotOf[2], plan.slotOf[0]);
  assert.notEqual(plan.slotOf[1], plan.slotOf[0]);
  assert.notEqual(plan.slotOf[2], plan.slotOf[1]);
  assert.equal(plan.slotBytes.length, 2);
  assert.equal(plan.naiveBytes, 430);
  assert.equal(plan.slotBytes.reduce((a, b) => a + b, 0), 250);
  assert.throws(() => planMemory([{ bytes: 1, start: 2, end: 1 }]), /planMemory: lifetime 0 ends \(1\) before it starts \(2\)/);
});

test("nb.fit({ compile: true }) trains as fit does, bit for bit", async () => {
  nb.manualSeed(4);
  const x = nb.randn([40, 1, 28, 28]), y = nb.randint(0, 10, [40]);
  const run = async (compile: boolean) => {
    nb.manualSeed(8);
    const model = nb.models.typicalCnn();
    const history = await nb.fit(model, {
      train: { x, y }, epochs: 2, batchSize: 5, seed: 3, verbose: 0, compile,
      optimizer: new nb.optim.Adam(model.parameters(), { lr: 1e-3 }), loss: "crossEntropy", metrics: ["accuracy"],
    });
    return { model, history };
  };
  const eager = await run(false), compiled = await run(true);
  assert.deepEqual(compiled.history, eager.history);
  assertSameState(eager.model, compiled.model);
  await assert.rejects(nb.fit(eager.model, { train: { x, y }, epochs: 1, optimizer: new nb.optim.SGD(eager.model.parameters()), loss: "crossEntropy", compile: 1 as never }), /fit: compile must be true or false, got 1/);
});

test("kernel plan: a compiled function called inside another's capture runs eagerly and is captured with it", () => {
  nb.manualSeed(6);
  const w = nb.randn([4, 4]);
  const innerFn = (x: nb.Tensor) => nb.relu(nb.matmul(x, w));
  const inner = nb.compile(innerFn);
  const outer = nb.compile((x: nb.Tensor) => nb.noGrad(() => nb.add(inner(x), 1)));
  for (let i = 0; i < 5; i++) {
    const x = nb.randn([2, 4]);
    assert.deepEqual(bits(outer(x)), bits(nb.add(innerFn(x), 1)));
    assert.deepEqual(bits(inner(x)), bits(innerFn(x)));
  }
  assert.equal(outer.stats.kernelReplays, 2);
  assert.equal(inner.stats.kernelReplays, 2);
});

test("nabla train --compile trains through nb.compile", async () => {
  const { runCli } = await import("../helpers/cli.js");
  const r = await runCli("train", "--model", "typical-cnn", "--limit", "200", "--test-limit", "100", "--epochs", "1", "--compile", "--quiet");
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /trained 1 epoch\(s\)/);
});

test("kernel plan: an op that picks its kernels from values it reads on the host (embedding's maxNorm) is not replayed as kernels", () => {
  nb.manualSeed(9);
  const emb = new nb.nn.Embedding(10, 4, { maxNorm: 1 });
  const fn = (idx: nb.Tensor) => nb.noGrad(() => emb.forward(idx));
  const f = nb.compile(fn);
  const batches = [[1, 2], [3, 3], [7, 0], [5, 9], [4, 8]].map((v) => nb.tensor(v, { dtype: "int32" }));
  const shadow = new nb.nn.Embedding(10, 4, { maxNorm: 1 });
  nb.noGrad(() => shadow.weight.copy_(emb.weight));
  for (const b of batches) assert.deepEqual(bits(f(b)), bits(nb.noGrad(() => shadow.forward(b))));
  assert.match(f.plan!.kernelFallback!, /an op reads 2 int32 values on the host and chooses its kernels by them/);
  assert.equal(f.stats.kernelReplays, 0);
});

test("cpu crossEntropy under kernel replay counts ignored targets per batch, not from the capture", () => {
  const previous = nb.getBackend();
  nb.setBackend("cpu");
  try {
    nb.manualSeed(3);
    const lin = new nb.nn.Linear(4, 3);
    const loss = (x: nb.Tensor, y: nb.Tensor) => nb.nn.functional.crossEntropy(lin.forward(x), y, { ignoreIndex: 1 });
    const step = nb.compile((x: nb.Tensor, y: nb.Tensor) => nb.noGrad(() => loss(x, y)));
    const x = nb.randn([6, 4]);
    const plain = nb.tensor([0, 2, 0, 2, 0, 2], { dtype: "int32" });
    for (let i = 0; i < 4; i++) step(x, plain);
    assert.ok(step.stats.kernelReplays > 0, `the step replays kernels (${step.plan?.kernelFallback})`);
    const withIgnored = nb.tensor([0, 1, 1, 2, 1, 0], { dtype: "int32" });
    const expected = nb.noGrad(() => loss(x, withIgnored).item());
    assert.equal(step(x, withIgnored).item(), expected);
    assert.equal(step(x, plain).item(), nb.noGrad(() => loss(x, plain).item()));
  } finally {
    nb.setBackend(previous);
  }
});
