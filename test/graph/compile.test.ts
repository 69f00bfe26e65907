// nb.compile (src/graph/compile.ts): a traced function replays to the same numbers as eager —
// a whole training step with dropout and Adam, and zoo models' forwards — guards retrace when
// what the plan specialised on changes, and graph breaks fall back to eager (or throw with fullGraph).

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";

const F = nb.nn.functional;

function bits(t: nb.Tensor): number[] {
  return Array.from(t.dataSync());
}

/** Calls served from a trace: op replays, kernel captures (eager) and kernel replays. */
function served(s: nb.CompileStats): number {
  return s.replays + s.captures + s.kernelReplays;
}

/** A typical CNN, its Adam optimizer and a step function, from a fixed seed. */
function cnnSetup() {
  nb.manualSeed(7);
  const model = nb.models.typicalCnn();
  const opt = new nb.optim.Adam(model.parameters(), { lr: 1e-3 });
  const step = (x: nb.Tensor, y: nb.Tensor) => {
    opt.zeroGrad();
    const loss = F.crossEntropy(model.forward(x), y);
    loss.backward();
    opt.step();
    return loss;
  };
  return { model, step };
}

test("compile: 20 training steps of the typical CNN with dropout and Adam equal eager bit for bit", () => {
  nb.manualSeed(1);
  const batches = Array.from({ length: 4 }, () => ({
    x: nb.randn([6, 1, 28, 28]),
    y: nb.randint(0, 10, [6]),
  }));
  const eager = cnnSetup();
  const compiled = cnnSetup();
  const step = nb.compile(compiled.step);
  nb.manualSeed(99);
  const eagerLosses = Array.from({ length: 20 }, (_, i) => eager.step(batches[i % 4].x, batches[i % 4].y).item());
  nb.manualSeed(99);
  const compiledLosses = Array.from({ length: 20 }, (_, i) => step(batches[i % 4].x, batches[i % 4].y).item());
  assert.deepEqual(compiledLosses, eagerLosses);
  assert.equal(step.stats.traces, 1);
  assert.equal(served(step.stats), 19);
  const pe = eager.model.parameters(), pc = compiled.model.parameters();
  pe.forEach((p, i) => assert.deepEqual(bits(pc[i]), bits(p), `parameter ${i}`));
  // The dropout draws happened (a different seed gives other losses), so equality is not vacuous.
  assert.ok(step.plan!.graph.nodes.some((n) => n.op === "dropout"));
  assert.deepEqual(step.plan!.graph.nodes.filter((n) => n.effect).map((n) => n.op), ["optimizer.zeroGrad", "backward", "optimizer.step"]);
});

test("compile: replaying a model's forward (LeNet-5, ResNet-18 in eval) equals eager", () => {
  nb.manualSeed(3);
  for (const [model, shape] of [[nb.models.lenet5(), [2, 1, 28, 28]], [nb.models.resnet18({ numClasses: 10 }), [1, 3, 32, 32]]] as const) {
    model.eval();
    const forward = nb.compile((x: nb.Tensor) => nb.noGrad(() => model.forward(x)));
    const a = nb.randn([...shape]), b = nb.randn([...shape]);
    const traced = forward(a), replayed = forward(b);
    assert.deepEqual(bits(traced), bits(nb.noGrad(() => model.forward(a))));
    assert.deepEqual(bits(replayed), bits(nb.noGrad(() => model.forward(b))));
    assert.equal(replayed.requiresGrad, false, "grad mode inside the function is replayed");
    assert.equal(forward.stats.traces, 1);
    assert.equal(served(forward.stats), 1);
  }
});

test("compile: guards retrace on a new input shape, dtype, train/eval switch and grad mode", () => {
  nb.manualSeed(4);
  const model = new nb.nn.Sequential(new nb.nn.Linear(3, 4), new nb.nn.Dropout(0.5));
  const f = nb.compile((x: nb.Tensor) => model.forward(x));
  f(nb.randn([2, 3]));
  f(nb.randn([2, 3]));
  assert.equal(f.stats.traces, 1);
  const wide = f(nb.randn([5, 3]));
  assert.deepEqual(wide.shape, [5, 4]);
  assert.equal(f.stats.traces, 2);
  f(nb.randn([2, 3])); // the first specialisation is still cached
  assert.equal(f.stats.traces, 2);
  model.eval();
  const x = nb.randn([2, 3]);
  assert.deepEqual(bits(f(x)), bits(model.forward(x)), "eval: no dropout after the retrace");
  assert.equal(f.stats.traces, 3);
  assert.ok(!f.plan!.graph.nodes.some((n) => n.op === "dropout"));
  nb.noGrad(() => f(x));
  assert.equal(f.stats.traces, 4);
  // New data of the same shape in a captured parameter (setData, loadStateDict) replays with that data.
  const before = f.stats.traces;
  const lin = model.modules()[1] as nb.nn.Linear;
  nb.noGrad(() => lin.bias!.setData(nb.zeros([4])));
  f(x);
  assert.equal(f.stats.traces, before, "same shape: replays with the new data");
  assert.deepEqual(bits(f(x)), bits(model.forward(x)));
  const inc = nb.compile((t: nb.Tensor) => nb.add(t, 1));
  inc(nb.zeros([2]));
  assert.deepEqual(bits(inc(nb.zeros([2], { dtype: "int32" }))), [1, 1]);
  assert.equal(inc.stats.traces, 2, "a new dtype retraces");
});

test("compile: seeded random ops draw as eager; a function's non-tensor arguments are guarded by value", () => {
  const g = nb.compile((x: nb.Tensor, p: number) => F.dropout(x, p));
  const x = nb.ones([64]);
  nb.manualSeed(5);
  const eager = [F.dropout(x, 0.5), F.dropout(x, 0.5), F.dropout(x, 0.2)].map(bits);
  nb.manualSeed(5);
  const compiled = [g(x, 0.5), g(x, 0.5), g(x, 0.2)].map(bits);
  assert.deepEqual(compiled, eager);
  assert.equal(g.stats.traces, 2);
  assert.equal(served(g.stats), 1);
});

test("compile: dead-code elimination drops unused results but keeps random ops and effects", () => {
  const f = nb.compile((x: nb.Tensor) => {
    nb.exp(x); // unused
    F.dropout(x, 0.5); // unused, but it advances the generator
    return nb.add(x, 1);
  });
  const x = nb.randn([3]);
  f(x);
  assert.deepEqual(f.plan!.graph.nodes.map((n) => n.op), ["dropout", "add"]);
  assert.deepEqual(f.plan!.removed.map((n) => n.op), ["exp"]);
  assert.deepEqual(bits(f(x)), bits(nb.add(x, 1)));
  assert.match(f.graph, /compiled graph: 2 nodes \(1 removed as dead code\)/);
  assert.match(f.graph, /dropout\s+%in0\[3\]\s+\[3\] float32/);
});

test("compile: a host read mid-function is a graph break (eager from then on); fullGraph makes it an error", () => {
  const w = nb.randn([3]);
  const fn = (x: nb.Tensor) => {
    const s = nb.sum(nb.mul(x, w)).item();
    return s > 0 ? nb.mul(x, 2) : nb.mul(x, -1);
  };
  const f = nb.compile(fn);
  const pos = nb.ones([3]), neg = nb.mul(nb.ones([3]), -1);
  const expectPos = bits(fn(pos)), expectNeg = bits(fn(neg));
  assert.deepEqual(bits(f(pos)), expectPos);
  assert.deepEqual(bits(f(neg)), expectNeg, "the data-dependent branch is taken eagerly");
  assert.equal(f.breaks.length, 1);
  assert.equal(f.breaks[0].op, "item");
  assert.match(f.breaks[0].reason, /item\(\) reads a tensor of shape \[\] on the host/);
  assert.match(f.breaks[0].where, /compile\.test\.ts/);
  assert.deepEqual([f.stats.traces, served(f.stats), f.stats.eager], [1, 0, 1]);
  assert.throws(() => nb.compile(fn, { fullGraph: true })(pos), /compile \(fullGraph\): graph break: item\(\) reads .* at .*compile\.test\.ts/);
  assert.throws(() => nb.compile(fn, { fullGrph: true } as never), /compile.*fullGrph/);
});

test("compile: a tensor made inside the function outside the traced ops breaks the op graph (a kernel plan captures it)", () => {
  const fn = (x: nb.Tensor) => nb.add(x, nb.randn([3]));
  const f = nb.compile(fn, { replay: "ops" });
  f(nb.zeros([3]));
  const again = f(nb.zeros([3]));
  assert.equal(f.breaks[0].op, "untraced tensor");
  assert.match(f.breaks[0].reason, /shape \[3\] used by op 'add'/);
  assert.equal(f.stats.eager, 1);
  assert.equal(again.shape[0], 3);
  assert.throws(() => nb.compile(fn, { fullGraph: true })(nb.zeros([3])), /fullGraph.*shape \[3\] used by op 'add'/);
  f.reset();
  assert.equal(f.breaks.length, 0);
  // The kernel capture sees randn's fill and its draw: it replays, drawing as eager.
  const k = nb.compile(fn);
  nb.manualSeed(2);
  const want = Array.from({ length: 5 }, () => bits(fn(nb.zeros([3]))));
  nb.manualSeed(2);
  assert.deepEqual(Array.from({ length: 5 }, () => bits(k(nb.zeros([3])))), want);
  assert.deepEqual([k.breaks.length, k.stats.kernelReplays], [0, 2]);
  assert.match(k.graph, /op replay impossible: a tensor of shape \[3\] used by op 'add'/);
});

test("compile: in-place ops and scheduler steps inside the function are replayed", () => {
  const makeStep = () => {
    nb.manualSeed(8);
    const w = nb.zeros([3]);
    const p = nb.randn([3]).requiresGrad_();
    const opt = new nb.optim.SGD([p], { lr: 0.5 });
    const sched = new nb.optim.lrScheduler.StepLR(opt, { stepSize: 2, gamma: 0.5 });
    const step = (x: nb.Tensor) => {
      w.add_(x); // a running sum: written in place every call
      opt.zeroGrad();
      const loss = nb.sum(nb.mul(p, w));
      loss.backward();
      opt.step();
      sched.step();
      return loss;
    };
    return { w, p, opt, step };
  };
  const eager = makeStep(), comp = makeStep();
  const f = nb.compile(comp.step);
  const xs = [nb.ones([3]), nb.full([3], 2), nb.full([3], -1), nb.ones([3])];
  for (const x of xs) assert.deepEqual(bits(f(x)), bits(eager.step(x)));
  assert.deepEqual(bits(comp.w), bits(eager.w));
  assert.deepEqual(bits(comp.p), bits(eager.p));
  assert.equal(comp.opt.paramGroups[0].lr, eager.opt.paramGroups[0].lr);
  assert.equal(comp.opt.paramGroups[0].lr, 0.125);
  assert.deepEqual([f.stats.traces, served(f.stats), f.stats.eager], [1, 3, 0]);
  assert.ok(f.plan!.graph.nodes.some((n) => n.op === "add_" && n.inPlace));
});

test("compile: an in-place write the tracer does not see breaks the graph", async () => {
  const { sqrt_ } = await import("../../src/optim/inplace.js");
  const t = nb.full([2], 4);
  const f = nb.compile((x: nb.Tensor) => {
    sqrt_(t);
    return nb.add(x, t);
  }, { replay: "ops" });
  f(nb.zeros([2]));
  assert.equal(f.breaks[0].op, "in-place write");
  assert.match(f.breaks[0].reason, /shape \[2\] was written in place/);
});

test("compile: training steps of a fused CNN and of ResNet-18 (batch norm statistics updated inside the op) equal eager", () => {
  const cases = [
    { make: () => nb.nn.fuse(nb.models.typicalCnn()), shape: [4, 1, 28, 28], steps: 5 },
    { make: () => nb.models.resnet18({ numClasses: 10 }), shape: [2, 3, 16, 16], steps: 3 },
  ];
  for (const c of cases) {
    const setup = () => {
      nb.manualSeed(11);
      const model = c.make();
      const opt = new nb.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
      const step = (x: nb.Tensor, y: nb.Tensor) => {
        opt.zeroGrad();
        const loss = F.crossEntropy(model.forward(x) as nb.Tensor, y);
        loss.backward();
        opt.step();
        return loss;
      };
      return { model, step };
    };
    nb.manualSeed(12);
    const x = nb.randn(c.shape), y = nb.randint(0, 10, [c.shape[0]]);
    const eager = setup(), comp = setup();
    const f = nb.compile(comp.step);
    // Each run from the same generator state (the typical CNN's dropout draws from it).
    nb.manualSeed(13);
    const compiledLosses = Array.from({ length: c.steps }, () => bits(f(x, y)));
    nb.manualSeed(13);
    const eagerLosses = Array.from({ length: c.steps }, () => bits(eager.step(x, y)));
    assert.deepEqual(compiledLosses, eagerLosses);
    assert.equal(served(f.stats), c.steps - 1);
    const se = eager.model.stateDict(), sc = comp.model.stateDict();
    assert.deepEqual([...sc.keys()], [...se.keys()]);
    for (const [k, v] of se) assert.deepEqual(bits(sc.get(k)!), bits(v), k);
  }
});
