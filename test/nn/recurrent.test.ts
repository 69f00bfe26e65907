// Recurrent layers (RNN, LSTM, GRU and their cells) against PyTorch (test/fixtures/recurrent.json,
// from scripts/fixtures/recurrent.py): each case loads torch's state dict key for key and compares
// output, hN, cN and every gradient. On cpu this is the composite path, the reference; the fused
// path is tested in test/ops/recurrent-fused.test.ts. Plus float64 gradchecks of the cells and of
// packed/reverse sequences, packing with packPaddedSequence, dropout between layers, the input
// errors, initialisation, memory through backpropagation in time, summary and explain.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { cpuBackend } from "../../src/backend/cpu/index.js";
import { registerBackend } from "../../src/backend/registry.js";
import type { Backend } from "../../src/backend/backend.js";
import { recurrentSequence, type RecurrentCell } from "../../src/ops/recurrent.js";
import { assertClose, assertThrowsMatching, gradcheck, randomInput } from "../helpers/assert.js";
import { checkRecurrentCase, decode, fixture, optionsOf } from "../helpers/recurrent-fixture.js";

const nn = nb.nn;
const F = nb.nn.functional;

for (const [name, c] of Object.entries(fixture.layers)) {
  test(`${c.kind} matches PyTorch: ${name}`, () => checkRecurrentCase(name, c));
}
for (const [name, c] of Object.entries(fixture.cells)) {
  test(`${c.kind} matches PyTorch: ${name}`, () => checkRecurrentCase(name, c));
}

test("packPaddedSequence (unsorted lengths) → layer → padPackedSequence matches PyTorch, gradient of the padded input too", () => {
  for (const name of ["lstmPacked", "gruPacked", "rnnPackedBatchFirst", "lstmProjPacked"]) {
    const c = fixture.layers[name];
    const o = optionsOf(c.opts);
    const m = c.kind === "LSTM" ? new nn.LSTM(c.args[0], c.args[1], o) : c.kind === "GRU" ? new nn.GRU(c.args[0], c.args[1], o) : new nn.RNN(c.args[0], c.args[1], o);
    m.loadStateDict(new Map(Object.entries(c.state).map(([k, v]) => [k, decode(v)])));
    const x = decode(c.padded!).requiresGrad_();
    const batchFirst = Boolean(o.batchFirst);
    const packed = nn.utils.rnn.packPaddedSequence(x, c.lengths!, { batchFirst, enforceSorted: false });
    const h0 = decode(c.h0!), c0 = c.c0 ? decode(c.c0) : null;
    const [out, hN, cN] = m instanceof nn.LSTM
      ? (([o1, [h, cc]]) => [o1, h, cc])(m.forward(packed, [h0, c0!]))
      : (([o1, h]) => [o1, h, null])((m as nb.nn.GRU).forward(packed, h0));
    assert.ok(out instanceof nn.utils.rnn.PackedSequence, `${name}: a PackedSequence in, a PackedSequence out`);
    assert.deepEqual(out.batchSizes, c.input && "batchSizes" in c.input ? c.input.batchSizes : null);
    const [padded, lengths] = nn.utils.rnn.padPackedSequence(out, { batchFirst });
    assertClose(padded, decode(c.outputPadded!), { rtol: 1e-4, atol: 2e-5, msg: `${name} padded output (zeros past each end)` });
    assert.deepEqual([...lengths.dataSync()], c.lengths);
    assertClose(hN!, decode(c.hN), { rtol: 1e-4, atol: 2e-5, msg: `${name} hN in the caller's batch order` });
    if (c.cN) assertClose(cN!, decode(c.cN), { rtol: 1e-4, atol: 2e-5, msg: `${name} cN` });
    let loss = out.data.mul(decode(c.gradOutput!)).sum().add(hN!.mul(decode(c.gradH)).sum());
    if (cN) loss = loss.add(cN.mul(decode(c.gradC!)).sum());
    loss.backward();
    assertClose(x.grad!, decode(c.gradPadded!), { rtol: 1e-4, atol: 2e-5, msg: `${name} gradient of the padded input` });
  }
});

// ---- gradchecks in float64 ------------------------------------------------------------------

const IN = 3, H = 4;
function cellWeights(G: number, seed: number, bias = true): nb.Tensor[] {
  const ws = [randomInput([G * H, IN], seed, { scale: 0.5 }), randomInput([G * H, H], seed + 1, { scale: 0.5 })];
  if (bias) ws.push(randomInput([G * H], seed + 2, { scale: 0.5 }), randomInput([G * H], seed + 3, { scale: 0.5 }));
  return ws;
}
const weights = (ws: nb.Tensor[]): nb.nn.functional.RecurrentWeights => ({ weightIh: ws[0], weightHh: ws[1], biasIh: ws[2] ?? null, biasHh: ws[3] ?? null });

test("gradcheck (float64): RNNCell tanh and relu, batched and unbatched", () => {
  for (const nonlinearity of ["tanh", "relu"] as const) {
    const x = randomInput([2, IN], 1), h = randomInput([2, H], 2, { scale: 0.5 });
    gradcheck((xx, hh, ...ws) => F.rnnCell(xx, hh, weights(ws), nonlinearity), [x, h, ...cellWeights(1, 10)], { name: `rnnCell ${nonlinearity}` });
  }
  gradcheck((xx, hh, ...ws) => F.rnnCell(xx, hh, weights(ws)), [randomInput([IN], 3), randomInput([H], 4), ...cellWeights(1, 20, false)], { name: "rnnCell unbatched, no bias" });
});

test("gradcheck (float64): LSTMCell (h and c)", () => {
  const x = randomInput([2, IN], 5), h = randomInput([2, H], 6, { scale: 0.5 }), c = randomInput([2, H], 7, { scale: 0.5 });
  gradcheck((xx, hh, cc, ...ws) => nb.cat(F.lstmCell(xx, [hh, cc], weights(ws)), 1), [x, h, c, ...cellWeights(4, 30)], { name: "lstmCell" });
});

test("gradcheck (float64): GRUCell", () => {
  const x = randomInput([2, IN], 8), h = randomInput([2, H], 9, { scale: 0.5 });
  gradcheck((xx, hh, ...ws) => F.gruCell(xx, hh, weights(ws)), [x, h, ...cellWeights(3, 40)], { name: "gruCell" });
});

test("gradcheck (float64): whole sequences, packed batches, both directions, every cell", () => {
  const batchSizes = [3, 2, 2, 1];
  for (const cell of ["rnnTanh", "lstm", "gru"] as RecurrentCell[]) {
    const G = cell === "lstm" ? 4 : cell === "gru" ? 3 : 1;
    for (const reverse of [false, true]) {
      const x = randomInput([8, IN], 50), h0 = randomInput([3, H], 51, { scale: 0.5 });
      const c0 = randomInput([3, H], 52, { scale: 0.5 });
      gradcheck((xx, hh, cc, ...ws) => {
        const r = recurrentSequence(cell, xx, batchSizes, weights(ws), hh, cell === "lstm" ? cc : null, reverse);
        return nb.cat([r.output, r.hN, ...(r.cN ? [r.cN] : [])], 0);
      }, [x, h0, c0, ...cellWeights(G, 60)], { name: `${cell} ${reverse ? "reverse" : "forward"} packed` });
    }
  }
});

// ---- behaviour --------------------------------------------------------------------------------

test("dropout acts between layers in training only", () => {
  nb.manualSeed(3);
  const m = new nn.LSTM(IN, H, { numLayers: 3, dropout: 0.5 });
  const x = nb.randn([5, 2, IN]);
  const reference = new nn.LSTM(IN, H, { numLayers: 3 });
  reference.loadStateDict(m.stateDict());
  m.eval();
  assertClose(m.forward(x)[0], reference.forward(x)[0], { msg: "eval: no dropout" });
  m.train();
  const [yTrain] = m.forward(x);
  const [yRef] = reference.forward(x);
  assert.ok(Math.abs(yTrain.sub(yRef).abs().sum().item()) > 1e-3, "training: dropout changes the output");
  // One layer: nothing lies between layers, so dropout does nothing (as torch, which warns).
  const single = new nn.GRU(IN, H, { dropout: 0.5 });
  assertClose(single.forward(x)[0], single.eval().forward(x)[0]);
});

test("parameters: torch's names and shapes, U(±1/√hidden) from the global generator (nb.manualSeed reproduces them)", () => {
  nb.manualSeed(11);
  const a = new nn.LSTM(5, 6, { numLayers: 2, bidirectional: true, projSize: 3 });
  nb.manualSeed(11);
  const b = new nn.LSTM(5, 6, { numLayers: 2, bidirectional: true, projSize: 3 });
  const shapes = Object.fromEntries(a.namedParameters().map(([k, p]) => [k, p.shape]));
  assert.deepEqual(shapes, {
    weight_ih_l0: [24, 5], weight_hh_l0: [24, 3], bias_ih_l0: [24], bias_hh_l0: [24], weight_hr_l0: [3, 6],
    weight_ih_l0_reverse: [24, 5], weight_hh_l0_reverse: [24, 3], bias_ih_l0_reverse: [24], bias_hh_l0_reverse: [24], weight_hr_l0_reverse: [3, 6],
    weight_ih_l1: [24, 6], weight_hh_l1: [24, 3], bias_ih_l1: [24], bias_hh_l1: [24], weight_hr_l1: [3, 6],
    weight_ih_l1_reverse: [24, 6], weight_hh_l1_reverse: [24, 3], bias_ih_l1_reverse: [24], bias_hh_l1_reverse: [24], weight_hr_l1_reverse: [3, 6],
  });
  const bound = 1 / Math.sqrt(6);
  for (const [k, p] of a.namedParameters()) {
    const v = [...p.dataSync()];
    assert.ok(v.every((e) => Math.abs(e) <= bound), `${k} within ±1/√6`);
    assert.deepEqual(v, [...b.namedParameters().find(([n]) => n === k)![1].dataSync()], `${k} reproducible`);
  }
  const cell = new nn.GRUCell(5, 6, { bias: false });
  assert.deepEqual(cell.namedParameters().map(([k, p]) => [k, p.shape]), [["weight_ih", [18, 5]], ["weight_hh", [18, 6]]]);
  assert.equal(String(a), "LSTM(5, 6, projSize=3, numLayers=2, bidirectional=true)");
  assert.equal(String(new nn.RNN(2, 3, { nonlinearity: "relu", batchFirst: true })), `RNN(2, 3, nonlinearity="relu", batchFirst=true)`);
});

test("shapes: batchFirst output [N, T, D·H] with hN [L·D, N, H]; unbatched; default zero states equal explicit zeros", () => {
  const m = new nn.GRU(IN, H, { numLayers: 2, bidirectional: true, batchFirst: true });
  const x = nb.randn([2, 7, IN]);
  const [y, h] = m.forward(x);
  assert.deepEqual(y.shape, [2, 7, 2 * H]);
  assert.deepEqual(h.shape, [4, 2, H]);
  assertClose(m.forward(x, nb.zeros([4, 2, H]))[0], y);
  const [yu, hu] = m.forward(x.narrow(0, 1, 1).squeeze(0));
  assert.deepEqual(yu.shape, [7, 2 * H]);
  assert.deepEqual(hu.shape, [4, H]);
  assertClose(yu, y.narrow(0, 1, 1).squeeze(0), { atol: 1e-6 });
  const lstm = new nn.LSTMCell(IN, H);
  const [h1, c1] = lstm.forward(nb.randn([IN]));
  assert.deepEqual([h1.shape, c1.shape], [[H], [H]]);
});

test("hand-written loop with LSTMCell equals LSTM over the sequence", () => {
  const seq = new nn.LSTM(IN, H);
  const cell = new nn.LSTMCell(IN, H);
  cell.loadStateDict(new Map([...seq.stateDict()].map(([k, v]) => [k.replace(/_l0$/, ""), v])));
  const x = nb.randn([6, 2, IN]);
  const [y, [hN, cN]] = seq.forward(x);
  let state: [nb.Tensor, nb.Tensor] | undefined;
  const outs: nb.Tensor[] = [];
  for (let t = 0; t < 6; t++) {
    state = cell.forward(x.narrow(0, t, 1).squeeze(0), state);
    outs.push(state[0]);
  }
  assertClose(nb.stack(outs, 0), y, { atol: 1e-6 });
  assertClose(state![0], hN.squeeze(0), { atol: 1e-6 });
  assertClose(state![1], cN.squeeze(0), { atol: 1e-6 });
});

test("clipGradNorm works on gradients through time", () => {
  const m = new nn.RNN(IN, H, { numLayers: 2 });
  const [y] = m.forward(nb.randn([30, 2, IN]).mul(5));
  y.pow(2).sum().backward();
  const before = nn.utils.clipGradNorm(m.parameters(), 1).item();
  assert.ok(before > 1);
  const after = Math.sqrt(m.parameters().reduce((a, p) => a + p.grad!.pow(2).sum().item(), 0));
  assertClose(after, 1, { rtol: 1e-4 });
});

// ---- errors -----------------------------------------------------------------------------------

test("bad input: one error naming the layer, the shapes and what was expected", () => {
  const lstm = new nn.LSTM(4, 6, { numLayers: 2 });
  assertThrowsMatching(() => lstm.forward(nb.randn([2, 3, 4, 5])), /^LSTM: expected a 3D input \[T, N, inputSize\] or a 2D unbatched input \[T, inputSize\], got shape \[2, 3, 4, 5\]/);
  assertThrowsMatching(() => lstm.forward(nb.randn([5, 3, 7])), /LSTM: expected input with 4 features \(inputSize, last dim\), got 7 in shape \[5, 3, 7\]/);
  assertThrowsMatching(() => lstm.forward(nb.randn([5, 3, 4]), [nb.zeros([1, 3, 6]), nb.zeros([2, 3, 6])]), /LSTM: expected h0 of shape \[2, 3, 6\] \(\[numLayers·directions, batch, size\]\), got \[1, 3, 6\]/);
  assertThrowsMatching(() => lstm.forward(nb.randn([5, 3, 4]), [nb.zeros([2, 3, 6]), nb.zeros([2, 2, 6])]), /LSTM: expected c0 of shape \[2, 3, 6\]/);
  assertThrowsMatching(() => lstm.forward(nb.randn([5, 4]), [nb.zeros([2, 1, 6]), nb.zeros([2, 1, 6])]), /expected h0 of shape \[2, 6\] \(\[numLayers·directions, size\] for an unbatched input\), got \[2, 1, 6\]/);
  assertThrowsMatching(() => lstm.forward(nb.randn([5, 3, 4]), nb.zeros([2, 3, 6]) as unknown as [nb.Tensor, nb.Tensor]), /LSTM: the initial state must be a pair \[h0, c0\], got one tensor of shape \[2, 3, 6\]/);
  const packed = new nn.utils.rnn.PackedSequence(nb.randn([6, 5]), [3, 2, 1]);
  assertThrowsMatching(() => lstm.forward(packed), /LSTM: expected a PackedSequence whose data is \[rows, 4\] \(inputSize 4\), got data of shape \[6, 5\]/);
  assertThrowsMatching(() => new nn.GRU(4, 6, { batchFirst: true }).forward(nb.randn([2, 3])), /GRU: expected input with 4 features.*got 3 in shape \[2, 3\]/);
  assertThrowsMatching(() => new nn.GRU(4, 6, { batchFirst: true }).forward(nb.randn([2])), /GRU: expected a 3D input \[N, T, inputSize\]/);
  assertThrowsMatching(() => new nn.RNN(4, 6).forward(nb.randn([5, 3, 4], { dtype: "float64" })), /RNN: input is float64 but the parameters are float32/);
  assertThrowsMatching(() => new nn.RNN(4, 6).forward(nb.randn([0, 3, 4])), /RNN: expected at least one step and one sequence, got input of shape \[0, 3, 4\]/);
  const cell = new nn.GRUCell(4, 6);
  assertThrowsMatching(() => cell.forward(nb.randn([3, 5])), /GRUCell: expected input with 4 features \(inputSize, last dim\), got 5 in shape \[3, 5\]/);
  assertThrowsMatching(() => cell.forward(nb.randn([3, 4]), nb.zeros([2, 6])), /GRUCell: expected h of shape \[3, 6\] for input of shape \[3, 4\], got \[2, 6\]/);
  assertThrowsMatching(() => new nn.LSTMCell(4, 6).forward(nb.randn([3, 4]), [nb.zeros([3, 6]), nb.zeros([3, 5])]), /LSTMCell: expected c of shape \[3, 6\]/);
  // The layer's dotted name inside a model.
  const model = new nn.Sequential(new nn.Linear(4, 4));
  model.addModule("rnn", new nn.RNN(4, 2));
  model.namedModules();
  assertThrowsMatching(() => (model as unknown as { rnn: nb.nn.RNN }).rnn.forward(nb.randn([2, 2, 3])), /^RNN "rnn": expected input with 4 features/);
});

test("bad hyper-parameters and unknown options", () => {
  assertThrowsMatching(() => new nn.LSTM(4, 6, { num_layer: 2 } as never), /LSTM/, /num_layer/, /numLayers/);
  assertThrowsMatching(() => new nn.GRU(4, 6, { projSize: 2 } as never), /GRU/, /projSize/);
  assertThrowsMatching(() => new nn.LSTM(4, 6, { projSize: 6 }), /LSTM: projSize must be smaller than hiddenSize \(6\), got 6/);
  assertThrowsMatching(() => new nn.RNN(4, 6, { nonlinearity: "sigmoid" as never }), /RNN: nonlinearity must be one of "tanh", "relu", got "sigmoid"/);
  assertThrowsMatching(() => new nn.RNN(4, 0), /RNN: hiddenSize must be a positive integer, got 0/);
  assertThrowsMatching(() => new nn.GRU(4, 6, { dropout: 1.5 }), /GRU: dropout must be a probability in \[0, 1\], got 1.5/);
  assertThrowsMatching(() => new nn.RNNCell(4, 6, { nonlinearity: "tanh", bais: false } as never), /RNNCell/, /bais/, /bias/);
});

// ---- memory -----------------------------------------------------------------------------------

let live = 0;
const counting: Backend = {
  ...cpuBackend,
  name: "counting-recurrent",
  alloc: (dtype, size, uninitialized) => { live++; return cpuBackend.alloc(dtype, size, uninitialized); },
  fromHost: (data) => { live++; return cpuBackend.fromHost(data); },
  free: (buf) => { live--; cpuBackend.free(buf); },
};
registerBackend("counting-recurrent", -1000, () => counting);

test("backpropagation through a long sequence frees the saved activations; repeated steps do not grow memory", () => {
  const device = "counting-recurrent";
  const m = nb.tidy(() => new nn.LSTM(4, 8, { numLayers: 2 }).to(device));
  const x = nb.tidy(() => nb.randn([300, 2, 4], { device }));
  const step = () => nb.tidy(() => {
    const loss = nb.tidy(() => m.forward(x)[0].pow(2).mean());
    const held = live;
    loss.backward();
    return held;
  });
  step();
  for (const p of m.parameters()) p.zeroGrad();
  const baseline = live;
  for (let i = 0; i < 3; i++) {
    const whileHeld = step();
    // Forward keeps hundreds of per-step activations alive for backward...
    assert.ok(whileHeld - baseline > 300, `forward holds the saved activations (${whileHeld - baseline} buffers)`);
    // ...and after backward only the parameters' gradients remain.
    assert.equal(live - baseline, m.parameters().length, `step ${i}: ${live - baseline - m.parameters().length} buffers beyond the gradients`);
    for (const p of m.parameters()) p.zeroGrad();
    assert.equal(live, baseline);
  }
});

// ---- summary and explain ----------------------------------------------------------------------

class Classifier extends nn.Module {
  readonly lstm = new nn.LSTM(28, 128, { batchFirst: true });
  readonly fc = new nn.Linear(128, 10);
  forward(x: nb.Tensor): nb.Tensor {
    const [, [hN]] = this.lstm.forward(x);
    return this.fc.forward(hN.squeeze(0));
  }
}

test("summary and explain show recurrent layers: the output sequence's shape and the parameter arithmetic", () => {
  const s = nb.summary(new Classifier(), [28, 28], { print: false });
  assert.deepEqual(s.rows.map((r) => [r.name, r.type, r.outputShape, r.params]), [
    ["lstm", "LSTM", [-1, 28, 128], 80896],
    ["fc", "Linear", [-1, 10], 1290],
  ]);
  const e = nb.explain(new Classifier(), [28, 28], { print: false });
  const row = e.rows[0];
  assert.equal(row.paramFormula, "4·128·(28 + 128 + 2) = 80,896");
  assert.deepEqual(row.inputShape, [-1, 28, 28]);
  assert.equal(row.macs, 28 * 4 * 128 * (28 + 128));
  assert.equal(row.receptiveField, null);
  assert.equal(row.activationBytes, 28 * 128 * 4);
  const bi = nb.explain(new nn.Sequential(new nn.GRU(8, 16, { numLayers: 2, bidirectional: true, batchFirst: true })), [5, 8], { print: false }).rows[0];
  assert.equal(bi.paramFormula, "2·3·16·(8 + 16 + 2) + 2·3·16·(32 + 16 + 2) = 7,296");
  assert.deepEqual(bi.outputShape, [-1, 5, 32]);
  const proj = nb.explain(new nn.Sequential(new nn.LSTM(8, 16, { projSize: 4, bidirectional: true, batchFirst: true })), [5, 8], { print: false }).rows[0];
  assert.equal(proj.paramFormula, "2·(4·16·(8 + 4 + 2) + 4·16) = 1,920");
  const cell = nb.explain(new nn.Sequential(new nn.RNNCell(8, 16)), [8], { print: false }).rows[0];
  assert.equal(cell.paramFormula, "16·(8 + 16 + 2) = 416");
  assert.deepEqual(cell.outputShape, [-1, 16]);
});
