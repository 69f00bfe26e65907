// ops/recurrent's fused path — the backend's recurrentForward/recurrentBackward behind ONE autograd
// node — driven by a cpu backend that has reference versions of the two entries
// (test/helpers/recurrent-reference-backend.ts). Every PyTorch fixture case runs through it, and
// fused and composite paths are compared on the same inputs, including losses that use only hN or
// only cN (their gradients reach the recurrence through side nodes), packed batches, reverse, and
// the switches that force the composite path.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { cpuBackend } from "../../src/backend/cpu/index.js";
import { registerBackend } from "../../src/backend/registry.js";
import { setRecurrentComposite, recurrentSequence, type RecurrentCell } from "../../src/ops/recurrent.js";
import { withReferenceRecurrent } from "../helpers/recurrent-reference-backend.js";
import { fixture, checkRecurrentCase } from "../helpers/recurrent-fixture.js";
import { assertClose } from "../helpers/assert.js";

const calls = { forward: 0, backward: 0 };
registerBackend("fused-ref", -1000, () => withReferenceRecurrent(cpuBackend, "fused-ref", { calls }));
registerBackend("fused-decline", -1000, () => withReferenceRecurrent(cpuBackend, "fused-decline", { decline: true }));
const DEVICE = "fused-ref";

for (const [name, c] of Object.entries(fixture.layers)) {
  test(`fused path matches PyTorch: ${name}`, () => {
    const before = { ...calls };
    checkRecurrentCase(name, c, DEVICE);
    // LSTM projections are not the fused entry's; everything else must have gone through it.
    if (!c.opts.proj_size) {
      assert.ok(calls.forward > before.forward, `${name}: recurrentForward was called`);
      assert.ok(calls.backward > before.backward, `${name}: recurrentBackward was called`);
    } else assert.equal(calls.forward, before.forward, `${name}: a projection takes the composite path`);
  });
}

type Use = "all" | "hN" | "cN" | "output";

/** Values and gradients of one direction on device, with the loss picked by `use`. */
function runSequence(cell: RecurrentCell, device: string, batchSizes: number[], reverse: boolean, use: Use) {
  const g = new nb.Generator(7);
  const inF = 3, H = 5, G = cell === "lstm" ? 4 : cell === "gru" ? 3 : 1, N = batchSizes[0];
  const rows = batchSizes.reduce((a, b) => a + b, 0);
  const leaf = (shape: number[], scale = 0.5) => nb.randn(shape, { generator: g, device }).mul(scale).detach().requiresGrad_();
  const x = leaf([rows, inF], 1), wIh = leaf([G * H, inF]), wHh = leaf([G * H, H]), bIh = leaf([G * H]), bHh = leaf([G * H]);
  const h0 = leaf([N, H]), c0 = cell === "lstm" ? leaf([N, H]) : null;
  const r = recurrentSequence(cell, x, batchSizes, { weightIh: wIh, weightHh: wHh, biasIh: bIh, biasHh: bHh }, h0, c0, reverse);
  const proj = (t: nb.Tensor, seed: number) => t.mul(nb.randn(t.shape, { generator: new nb.Generator(seed), device })).sum();
  const terms: nb.Tensor[] = [];
  if (use === "all" || use === "output") terms.push(proj(r.output, 1));
  if (use === "all" || use === "hN") terms.push(proj(r.hN, 2));
  if ((use === "all" || use === "cN") && r.cN) terms.push(proj(r.cN, 3));
  terms.reduce((a, b) => a.add(b)).backward();
  const leaves = [x, wIh, wHh, bIh, bHh, h0, ...(c0 ? [c0] : [])];
  return { values: [r.output, r.hN, ...(r.cN ? [r.cN] : [])], grads: leaves.map((t) => t.grad) };
}

const CELLS: RecurrentCell[] = ["rnnTanh", "rnnRelu", "lstm", "gru"];
const BATCHES: Record<string, number[]> = { padded: [3, 3, 3, 3], packed: [4, 4, 3, 1, 1] };

for (const cell of CELLS) {
  for (const [batchName, batchSizes] of Object.entries(BATCHES)) {
    for (const reverse of [false, true]) {
      const uses: Use[] = ["all", "hN", "output", ...(cell === "lstm" ? ["cN" as const] : [])];
      for (const use of uses) {
        test(`fused = composite: ${cell}, ${batchName}, ${reverse ? "reverse" : "forward"}, loss on ${use}`, () => {
          const fused = runSequence(cell, DEVICE, batchSizes, reverse, use);
          const before = setRecurrentComposite(true);
          let composite;
          try {
            composite = runSequence(cell, DEVICE, batchSizes, reverse, use);
          } finally {
            setRecurrentComposite(before);
          }
          fused.values.forEach((v, i) => assertClose(v, composite.values[i], { rtol: 1e-5, atol: 1e-6, msg: `value ${i}` }));
          fused.grads.forEach((g, i) => {
            const want = composite.grads[i];
            if (want === null) assert.equal(g, null, `gradient ${i} is absent on both paths`);
            else assertClose(g!, want, { rtol: 1e-4, atol: 1e-5, msg: `gradient ${i}` });
          });
        });
      }
    }
  }
}

test("setRecurrentComposite(true) and NABLA_RECURRENT_COMPOSITE=1 keep a backend's fused entries unused", () => {
  const lstm = new nb.nn.LSTM(3, 4).to(DEVICE);
  const x = nb.randn([6, 2, 3], { device: DEVICE });
  const run = () => {
    const before = calls.forward;
    lstm.forward(x);
    return calls.forward - before;
  };
  assert.equal(run(), 1);
  const previous = setRecurrentComposite(true);
  try {
    assert.equal(run(), 0);
  } finally {
    setRecurrentComposite(previous);
  }
  process.env.NABLA_RECURRENT_COMPOSITE = "1";
  try {
    assert.equal(run(), 0);
  } finally {
    delete process.env.NABLA_RECURRENT_COMPOSITE;
  }
  assert.equal(run(), 1);
});

test("float64 operands take the composite path", () => {
  const before = calls.forward;
  const y = recurrentSequence("gru", nb.randn([4, 2], { device: DEVICE, dtype: "float64" }), [2, 2],
    { weightIh: nb.randn([9, 2], { device: DEVICE, dtype: "float64" }), weightHh: nb.randn([9, 3], { device: DEVICE, dtype: "float64" }), biasIh: null, biasHh: null },
    nb.zeros([2, 3], { device: DEVICE, dtype: "float64" }), null);
  assert.equal(y.output.dtype, "float64");
  assert.equal(calls.forward, before);
});

test("a backend that declines the operands gets the composite path, with the same values", () => {
  const c = fixture.layers.gru2bi;
  checkRecurrentCase("gru2bi on a declining backend", c, "fused-decline");
});

test("backward through the fused node twice with retainGraph gives twice the gradient", () => {
  const lstm = new nb.nn.LSTM(3, 4).to(DEVICE);
  const x = nb.randn([5, 2, 3], { device: DEVICE }).requiresGrad_();
  const [y, [h, c]] = lstm.forward(x);
  const loss = y.sum().add(h.sum()).add(c.mul(2).sum());
  loss.backward({ retainGraph: true });
  const once = x.grad!.clone();
  loss.backward();
  assertClose(x.grad!, once.mul(2), { rtol: 1e-5, atol: 1e-6 });
});

test("the fused node frees what it saved once backward has run (and hN/cN's hand-over too)", () => {
  let live = 0;
  const counting = withReferenceRecurrent({
    ...cpuBackend,
    alloc: (dtype, size, uninitialized) => { live++; return cpuBackend.alloc(dtype, size, uninitialized); },
    fromHost: (data) => { live++; return cpuBackend.fromHost(data); },
    free: (buf) => { live--; cpuBackend.free(buf); },
  }, "fused-counting");
  registerBackend("fused-counting", -1000, () => counting);
  const device = "fused-counting";
  const m = nb.tidy(() => new nb.nn.LSTM(4, 8, { numLayers: 2, bidirectional: true }).to(device));
  const x = nb.tidy(() => nb.randn([50, 3, 4], { device }));
  const step = () => nb.tidy(() => {
    const loss = nb.tidy(() => {
      const [y, [h, c]] = m.forward(x);
      return y.pow(2).mean().add(h.sum()).add(c.sum());
    });
    loss.backward();
  });
  step();
  for (const p of m.parameters()) p.zeroGrad();
  const baseline = live;
  for (let i = 0; i < 3; i++) {
    step();
    assert.equal(live - baseline, m.parameters().length, `step ${i}: only the gradients remain`);
    for (const p of m.parameters()) p.zeroGrad();
  }
});
