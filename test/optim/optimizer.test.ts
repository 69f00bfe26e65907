// The Optimizer base: parameter groups, zeroGrad, skipped parameters, closures, hand-worked
// updates, and every construction-time validation error.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertClose, assertThrowsMatching } from "../helpers/assert.js";
import { OPTIMIZERS, freshParams, loss, trainStep } from "./problem.js";

const leaf = (values: number[]): nb.Tensor => nb.tensor(values).requiresGrad_();
const setGrad = (p: nb.Tensor, g: number[]): void => {
  p.grad = nb.keep(nb.tensor(g));
};

test("hand-worked first steps: SGD, momentum, Adam, Adagrad", () => {
  const p = leaf([1, -2]);
  const sgd = new nb.optim.SGD([p], { lr: 0.1 });
  setGrad(p, [2, -4]);
  sgd.step();
  assertClose(p, [0.8, -1.6]);

  const q = leaf([1]);
  const mom = new nb.optim.SGD([q], { lr: 0.1, momentum: 0.9 });
  setGrad(q, [1]);
  mom.step(); // buffer = g = 1
  mom.step(); // buffer = 0.9 + 1 = 1.9
  assertClose(q, [1 - 0.1 - 0.19]);

  // Adam's first step moves every weight by lr·g/(|g| + eps·...) ≈ lr·sign(g).
  const r = leaf([0.5, 0.5]);
  const adam = new nb.optim.Adam([r], { lr: 0.01 });
  setGrad(r, [3, -0.002]);
  adam.step();
  assertClose(r, [0.49, 0.51], { rtol: 1e-5 });

  // Adagrad: sum = g², θ − lr·g/(|g| + eps).
  const a = leaf([0]);
  const ada = new nb.optim.Adagrad([a], { lr: 0.5, initialAccumulatorValue: 3 });
  setGrad(a, [1]);
  ada.step();
  assertClose(a, [-0.5 / 2], { rtol: 1e-6 });
});

test("parameters without a gradient are skipped and get no state", () => {
  for (const [name, Cls] of Object.entries(OPTIMIZERS)) {
    const used = leaf([1, 2]), unused = leaf([3, 4]);
    const opt = new Cls([used, unused], name === "SGD" ? { lr: 0.1, momentum: 0.9 } : {});
    setGrad(used, [1, 1]);
    opt.step();
    assert.deepEqual(Array.from(unused.dataSync()), [3, 4], name);
    assert.notDeepEqual(Array.from(used.dataSync()), [1, 2], name);
    // Adagrad creates its state at construction, like torch; the others on the first update.
    assert.equal(opt.state.has(unused), name === "Adagrad", name);
    assert.equal(opt.state.get(unused)?.step ?? 0, 0, name);
  }
});

test("zeroGrad sets gradients to null (torch's set_to_none), or to zeros when asked", () => {
  const p = freshParams();
  const opt = new nb.optim.SGD([p.W, p.b, p.s], { lr: 0.1 });
  loss(p.W, p.b, p.s).backward();
  assert.ok(p.W.grad !== null);
  opt.zeroGrad(false);
  assert.deepEqual(Array.from((p.W.grad as nb.Tensor).dataSync()), new Array(15).fill(0));
  opt.zeroGrad();
  assert.equal(p.W.grad, null);
  assert.equal(p.s.grad, null);
});

test("groups keep their own lr and options; lr is a mutable field schedulers (and you) can write", () => {
  const base = leaf([1, 1]), head = leaf([1, 1]);
  const opt = new nb.optim.SGD([{ params: [base], lr: 0.001 }, { params: [head] }], { lr: 0.1, momentum: 0.5 });
  assert.equal(opt.paramGroups[0].lr, 0.001);
  assert.equal(opt.paramGroups[0].momentum, 0.5);
  assert.equal(opt.paramGroups[1].lr, 0.1);
  setGrad(base, [1, 1]);
  setGrad(head, [1, 1]);
  opt.step();
  assertClose(base, [0.999, 0.999]);
  assertClose(head, [0.9, 0.9]);
  opt.paramGroups[1].lr = 0;
  opt.step();
  assertClose(head, [0.9, 0.9]);
  // Layers unfrozen later join with their own group.
  const extra = leaf([5]);
  opt.addParamGroup({ params: [extra], lr: 1, momentum: 0 });
  setGrad(extra, [2]);
  opt.step();
  assertClose(extra, [3]);
  assertThrowsMatching(() => opt.addParamGroup({ params: [head] }), /^SGD: some parameters appear in more than one parameter group \(groups 1 and 3\)/);
});

test("step(closure) runs the closure with gradients on and returns its loss", () => {
  const p = freshParams();
  const opt = new nb.optim.Adam([p.W, p.b, p.s], { lr: 0.01 });
  const closure = (): nb.Tensor => {
    opt.zeroGrad();
    const l = loss(p.W, p.b, p.s);
    l.backward();
    return l;
  };
  const first = nb.noGrad(() => opt.step(closure)) as nb.Tensor;
  const second = opt.step(closure) as nb.Tensor;
  assert.ok(second.item() < first.item());
  assert.equal(opt.step(), undefined);
});

test("optimizer state lives outside tidy scopes; temporaries do not", () => {
  const p = freshParams();
  const opt = new nb.optim.RMSprop([p.W, p.b, p.s], { momentum: 0.9, centered: true });
  for (let i = 0; i < 3; i++) trainStep(opt, p);
  for (const s of opt.state.values()) {
    for (const v of Object.values(s)) if (v instanceof nb.Tensor) assert.equal(v.isDisposed, false);
  }
  assert.deepEqual(Object.keys(opt.state.get(p.W) ?? {}), ["step", "squareAvg", "momentumBuffer", "gradAvg"]);
});

test("toString lists each group's options like torch's repr", () => {
  const p = freshParams();
  const opt = new nb.optim.SGD([{ params: [p.W] }, { params: [p.b], lr: 0.5 }], { lr: 0.1 });
  assert.equal(
    opt.toString(),
    ["SGD (", "Parameter Group 0", "    dampening: 0", "    lr: 0.1", "    maximize: false", "    momentum: 0", "    nesterov: false",
      "    weightDecay: 0", "Parameter Group 1", "    dampening: 0", "    lr: 0.5", "    maximize: false", "    momentum: 0",
      "    nesterov: false", "    weightDecay: 0", ")"].join("\n"),
  );
});

test("defaults match torch.optim's", () => {
  const p = [leaf([1])];
  const strip = (o: nb.optim.Optimizer<any>): Record<string, unknown> => ({ ...o.defaults });
  assert.deepEqual(strip(new nb.optim.SGD(p)), { lr: 1e-3, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, maximize: false });
  assert.deepEqual(strip(new nb.optim.Adam(p)), { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false });
  assert.deepEqual(strip(new nb.optim.AdamW(p)), { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false });
  assert.deepEqual(strip(new nb.optim.NAdam(p)), { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, momentumDecay: 4e-3, maximize: false });
  assert.deepEqual(strip(new nb.optim.RMSprop(p)), { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false });
  assert.deepEqual(strip(new nb.optim.Adagrad(p)), { lr: 1e-2, lrDecay: 0, weightDecay: 0, eps: 1e-10, initialAccumulatorValue: 0, maximize: false });
  assert.deepEqual(strip(new nb.optim.Adadelta(p)), { lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false });
});

test("invalid hyper-parameters are rejected at construction, naming the parameter", () => {
  const p = [leaf([1])];
  const O = nb.optim;
  assertThrowsMatching(() => new O.SGD(p, { lr: -0.1 }), /^SGD: invalid learning rate: -0.1 \(expected a number >= 0\)$/);
  assertThrowsMatching(() => new O.SGD(p, { momentum: -1 }), /^SGD: invalid momentum value: -1/);
  assertThrowsMatching(() => new O.SGD(p, { weightDecay: -1e-4 }), /^SGD: invalid weightDecay value: -0.0001/);
  assertThrowsMatching(() => new O.SGD(p, { nesterov: true }), /^SGD: Nesterov momentum requires a momentum > 0 and zero dampening \(got momentum 0, dampening 0\)/);
  assertThrowsMatching(() => new O.SGD(p, { nesterov: true, momentum: 0.9, dampening: 0.1 }), /^SGD: Nesterov momentum requires .*dampening 0.1/);
  assertThrowsMatching(() => new O.SGD(p, { nesterov: "yes" as any }), /^SGD: nesterov must be true or false, got "yes"/);
  assertThrowsMatching(() => new O.SGD(p, { lr: NaN }), /^SGD: invalid learning rate: NaN/);
  assertThrowsMatching(() => new O.Adam(p, { betas: [1.2, 0.999] }), /^Adam: invalid beta parameter at index 0: 1.2 \(expected 0 <= beta < 1\)$/);
  assertThrowsMatching(() => new O.Adam(p, { betas: [0.9, 1] }), /^Adam: invalid beta parameter at index 1: 1 \(expected 0 <= beta < 1\)$/);
  assertThrowsMatching(() => new O.Adam(p, { betas: [0.9] as any }), /^Adam: betas must be an array of two numbers \[beta1, beta2\], got \[0.9\]/);
  assertThrowsMatching(() => new O.Adam(p, { eps: -1 }), /^Adam: invalid epsilon value: -1/);
  assertThrowsMatching(() => new O.Adam(p, { amsgrad: 1 as any }), /^Adam: amsgrad must be true or false, got 1/);
  assertThrowsMatching(() => new O.AdamW(p, { weightDecay: -0.01 }), /^AdamW: invalid weightDecay value: -0.01/);
  assertThrowsMatching(() => new O.AdamW(p, { betas: [-0.1, 0.9] }), /^AdamW: invalid beta parameter at index 0: -0.1/);
  assertThrowsMatching(() => new O.NAdam(p, { momentumDecay: -1 }), /^NAdam: invalid momentumDecay value: -1/);
  assertThrowsMatching(() => new O.NAdam(p, { betas: [0.9, 1.5] }), /^NAdam: invalid beta parameter at index 1: 1.5/);
  assertThrowsMatching(() => new O.RMSprop(p, { alpha: -0.5 }), /^RMSprop: invalid alpha value: -0.5/);
  assertThrowsMatching(() => new O.RMSprop(p, { momentum: -0.5 }), /^RMSprop: invalid momentum value: -0.5/);
  assertThrowsMatching(() => new O.RMSprop(p, { centered: null as any }), /^RMSprop: centered must be true or false, got null/);
  assertThrowsMatching(() => new O.Adagrad(p, { lrDecay: -1 }), /^Adagrad: invalid lrDecay value: -1/);
  assertThrowsMatching(() => new O.Adagrad(p, { initialAccumulatorValue: -1 }), /^Adagrad: invalid initialAccumulatorValue value: -1/);
  assertThrowsMatching(() => new O.Adadelta(p, { rho: 1.1 }), /^Adadelta: invalid rho value: 1.1 \(expected 0 <= rho <= 1\)/);
  assertThrowsMatching(() => new O.Adadelta(p, { lr: -1 }), /^Adadelta: invalid learning rate: -1/);
  // A group's own options are checked too, and the group is named.
  assertThrowsMatching(() => new O.Adam([{ params: p }, { params: [leaf([2])], betas: [0.9, 2] }]),
    /^Adam: invalid beta parameter at index 1: 2 \(expected 0 <= beta < 1\) \(parameter group 1\)/);
  // Options spelled the PyTorch way, or unknown, are errors rather than silently ignored.
  assertThrowsMatching(() => new O.SGD(p, { weight_decay: 0.1 } as any), /^SGD: unknown option "weight_decay" \(did you mean "weightDecay"\?\); the options are lr, momentum/);
  assertThrowsMatching(() => new O.Adam(p, { momentum: 0.9 } as any), /^Adam: unknown option "momentum"; the options are lr, betas, eps/);
  assertThrowsMatching(() => new O.Adam([{ params: p, weight_decay: 0.1 }]), /^Adam: parameter group 0: unknown option "weight_decay" \(did you mean "weightDecay"\?\)/);
  assertThrowsMatching(() => new O.SGD(p, 0.1 as any), /^SGD: options must be an object like \{ lr: 0.01 \}, got 0.1/);
});

test("bad parameter lists are rejected with what was wrong", () => {
  const O = nb.optim;
  const a = leaf([1]);
  assertThrowsMatching(() => new O.SGD([]), /^SGD: got an empty parameter list/);
  assertThrowsMatching(() => new O.SGD(a as any), /^SGD: params must be an array of tensors or of parameter groups, got a single Tensor/);
  assertThrowsMatching(() => new O.SGD(null as any), /^SGD: params must be an array of tensors/);
  assertThrowsMatching(() => new O.SGD([a, 3] as any), /^SGD: parameter group 0, params\[1\] must be a Tensor, got 3/);
  assertThrowsMatching(() => new O.SGD([nb.tensor([1], { dtype: "int32" })]), /^SGD: parameter group 0, params\[0\] has dtype int32; only floating-point tensors can be optimized/);
  assertThrowsMatching(() => new O.SGD([a.mul(2)]), /^SGD: parameter group 0, params\[0\] is not a leaf tensor/);
  assertThrowsMatching(() => new O.SGD([a, a]), /^SGD: parameter group 0, params\[1\] appears twice in the group/);
  assertThrowsMatching(() => new O.SGD([{ params: [a] }, { params: [a] }]), /^SGD: some parameters appear in more than one parameter group \(groups 0 and 1\)/);
  assertThrowsMatching(() => new O.SGD([{ params: [a] }, a] as any), /^SGD: params\[1\] is a Tensor, but params\[0\] is a parameter group/);
  assertThrowsMatching(() => new O.SGD([{ params: 5 }] as any), /^SGD: parameter group 0: params must be an array of tensors, got 5/);
  const gone = leaf([1]);
  gone.dispose();
  assertThrowsMatching(() => new O.SGD([gone]), /^SGD: parameter group 0, params\[0\] has been disposed/);
  // Module parameters, a generator, or a single tensor as a group's params are all fine.
  const lin = { *params() { yield leaf([1]); yield leaf([2]); } };
  assert.equal(new O.SGD(lin.params()).paramGroups[0].params.length, 2);
  assert.equal(new O.SGD([{ params: a }]).paramGroups[0].params.length, 1);
});

test("a custom optimizer needs only checkOptions and updateParam (the base does groups, state, state dicts)", () => {
  class SignSGD extends nb.optim.Optimizer<{ lr: number }> {
    constructor(params: nb.optim.ParamsInput<{ lr: number }>, lr = 0.1) {
      super(params, { lr });
    }
    protected checkOptions(o: { lr: number }, check: nb.optim.OptionCheck): void {
      check.lr(o.lr);
    }
    protected updateParam(p: nb.Tensor, grad: nb.Tensor, state: nb.optim.ParamState, g: nb.optim.ParamGroup): void {
      state.step = ((state.step as number | undefined) ?? 0) + 1;
      p.sub_(grad.sign(), { alpha: g.lr });
    }
  }
  const p = leaf([1, 1]);
  const opt = new SignSGD([p], 0.25);
  setGrad(p, [3, -0.1]);
  opt.step();
  opt.step();
  assertClose(p, [0.5, 1.5]);
  assert.deepEqual(opt.stateDict().state, { 0: { step: 2 } });
  assertThrowsMatching(() => new SignSGD([p], -1), /^SignSGD: invalid learning rate: -1/);
});

test("memory stays flat: 30 more training steps leave no buffer behind", () => {
  const backend = new nb.optim.SGD([leaf([0])]).paramGroups[0].params[0].backend;
  const orig = { alloc: backend.alloc, fromHost: backend.fromHost, free: backend.free };
  let live = 0, allocs = 0;
  const b = backend as unknown as Record<string, (...a: unknown[]) => unknown>;
  b.alloc = (...a) => { live++; allocs++; return orig.alloc.apply(backend, a as Parameters<typeof orig.alloc>); };
  b.fromHost = (...a) => { live++; return orig.fromHost.apply(backend, a as Parameters<typeof orig.fromHost>); };
  b.free = (...a) => { live--; return orig.free.apply(backend, a as Parameters<typeof orig.free>); };
  try {
    for (const [name, options] of [["Adam", { amsgrad: true }], ["RMSprop", { centered: true, momentum: 0.5 }], ["NAdam", {}], ["SGD", { momentum: 0.9, nesterov: true }]] as const) {
      const p = freshParams();
      const opt = new OPTIMIZERS[name]([p.W, p.b, p.s], options);
      trainStep(opt, p);
      trainStep(opt, p);
      const before = live, allocsBefore = allocs;
      for (let i = 0; i < 30; i++) trainStep(opt, p);
      assert.ok(allocs - allocsBefore > 30, `${name}: the counter sees the steps' temporaries`);
      assert.equal(live - before, 0, `${name}: buffers alive after 30 steps`);
    }
  } finally {
    Object.assign(backend, orig);
  }
});
