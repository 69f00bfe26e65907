import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as nb from "../../src/index.js";
import { assertClose, assertThrowsMatching, gradcheck } from "../helpers/assert.js";

interface Data { shape: number[]; data: number[] }
interface OpCase {
  op: "convTranspose1d" | "convTranspose2d" | "convTranspose3d";
  opts: nb.ConvTransposeOptions;
  x: Data; w: Data; b?: number[]; y: Data;
  gy: number[]; gx: number[]; gw: number[]; gb?: number[];
}
interface LayerCase {
  nd: 1 | 2 | 3; inChannels: number; outChannels: number; kernelSize: number | number[];
  opts: nb.nn.ConvTransposeOptions; stateDict: Record<string, Data>; x: Data; outputSize: number[] | null; y: Data;
}
const fixtures = JSON.parse(readFileSync(new URL("../fixtures/conv_transpose.json", import.meta.url), "utf8")) as { ops: OpCase[]; layers: LayerCase[] };
const fns = { convTranspose1d: nb.convTranspose1d, convTranspose2d: nb.convTranspose2d, convTranspose3d: nb.convTranspose3d };
const layers = [nb.nn.ConvTranspose1d, nb.nn.ConvTranspose2d, nb.nn.ConvTranspose3d];
const f64 = (d: Data | number[], requiresGrad = false): nb.Tensor =>
  Array.isArray(d) ? nb.tensor(Float64Array.from(d), { dtype: "float64", requiresGrad })
    : nb.tensor(Float64Array.from(d.data), { shape: d.shape, dtype: "float64", requiresGrad });

/** Run on the native backend (when it loads) and on cpu: the op is composed from each one's conv kernels. */
function onBackends(body: (backend: string) => void): void {
  const before = nb.getBackend();
  const names = ["cpu", ...(nb.backendUnavailableReason("native") === undefined ? ["native"] : [])];
  try {
    for (const name of names) {
      nb.setBackend(name);
      body(name);
    }
  } finally {
    nb.setBackend(before);
  }
}

test("convTranspose1d/2d/3d values and gradients match PyTorch in float64, on cpu and native", () => {
  assert.ok(fixtures.ops.length >= 14);
  onBackends((backend) => fixtures.ops.forEach((c, i) => {
    const name = `${backend}: ${c.op} case ${i} ${JSON.stringify(c.opts)}`;
    const x = f64(c.x, true), w = f64(c.w, true), b = c.b ? f64(c.b, true) : null;
    const y = fns[c.op](x, w, b, c.opts);
    assert.deepEqual(y.shape, c.y.shape, `${name}: output shape`);
    assertClose(y, Float64Array.from(c.y.data), { rtol: 1e-9, atol: 1e-9, msg: `${name}: output` });
    y.backward(nb.tensor(Float64Array.from(c.gy), { shape: c.y.shape, dtype: "float64" }));
    assertClose(x.grad!, Float64Array.from(c.gx), { rtol: 1e-9, atol: 1e-9, msg: `${name}: input gradient` });
    assertClose(w.grad!, Float64Array.from(c.gw), { rtol: 1e-9, atol: 1e-9, msg: `${name}: weight gradient` });
    if (b) assertClose(b.grad!, Float64Array.from(c.gb!), { rtol: 1e-9, atol: 1e-9, msg: `${name}: bias gradient` });
  }));
});

test("float32 transposed convolution matches PyTorch to float32 accuracy", () => {
  onBackends(() => fixtures.ops.slice(0, 8).forEach((c) => {
    const b = c.b ? nb.tensor(Float32Array.from(c.b)) : null;
    const y = fns[c.op](nb.tensor(Float32Array.from(c.x.data), { shape: c.x.shape }), nb.tensor(Float32Array.from(c.w.data), { shape: c.w.shape }), b, c.opts);
    assert.equal(y.dtype, "float32");
    assertClose(y, Float64Array.from(c.y.data), { rtol: 1e-4, atol: 1e-4 });
  }));
});

test("gradients match finite differences with stride, padding, outputPadding past the padding, groups and dilation", () => {
  onBackends(() => {
    const x = nb.randn([2, 4, 3, 4], { dtype: "float64" }), w = nb.randn([4, 1, 2, 3], { dtype: "float64" }), b = nb.randn([2], { dtype: "float64" });
    gradcheck((x, w, b) => nb.convTranspose2d(x, w, b, { stride: [3, 1], padding: [0, 1], outputPadding: [2, 1], groups: 2, dilation: [1, 2] }), [x, w, b]);
  });
});

test("ConvTranspose layers load a torch state dict and reproduce torch's output, outputSize included", () => {
  onBackends((backend) => fixtures.layers.forEach((c, i) => {
    // The layer's parameters are float32; loadStateDict copies torch's float64 values into them.
    const layer = new layers[c.nd - 1](c.inChannels, c.outChannels, c.kernelSize, c.opts);
    const result = layer.loadStateDict(Object.fromEntries(Object.entries(c.stateDict).map(([k, v]) => [k, f64(v)])));
    assert.deepEqual(result, { missingKeys: [], unexpectedKeys: [] });
    const y = layer.forward(nb.tensor(Float32Array.from(c.x.data), { shape: c.x.shape }), c.outputSize ?? undefined);
    assert.deepEqual(y.shape, c.y.shape, `${backend} layer ${i}: shape`);
    assertClose(y, Float64Array.from(c.y.data), { rtol: 1e-4, atol: 1e-4, msg: `${backend} layer ${i}` });
  }));
});

test("ConvTranspose parameters have torch's names, shapes and default init bounds", () => {
  const layer = new nb.nn.ConvTranspose2d(4, 6, [3, 2], { groups: 2 });
  assert.deepEqual(layer.namedParameters().map(([n, p]) => [n, p.shape]), [["weight", [4, 3, 3, 2]], ["bias", [6]]]);
  // fan-in is weight.size(1)·∏k = 3·3·2 = 18: kaiming-uniform (a = √5) gives bound 1/√18, as the bias.
  const bound = 1 / Math.sqrt(18);
  const wmax = Math.max(...Array.from(layer.weight.dataSync(), (v) => Math.abs(Number(v))));
  const bmax = Math.max(...Array.from(layer.bias!.dataSync(), (v) => Math.abs(Number(v))));
  assert.ok(wmax <= bound && wmax > bound * 0.5, `weight bound ${wmax} vs ${bound}`);
  assert.ok(bmax <= bound, `bias bound ${bmax} vs ${bound}`);
  assert.equal(new nb.nn.ConvTranspose1d(2, 3, 3, { bias: false }).bias, null);
  assert.match(layer.toString(), /ConvTranspose2d\(4, 6, kernelSize=\[3, 2\], stride=\[1, 1\], groups=2\)/);
});

test("unbatched input gives the batched result without its batch dim", () => {
  onBackends(() => {
    const x = nb.randn([3, 5, 4]), w = nb.randn([3, 2, 3, 3]);
    const opts = { stride: 2, padding: 1, outputPadding: 1 };
    assertClose(nb.convTranspose2d(x, w, null, opts), nb.convTranspose2d(x.unsqueeze(0), w, null, opts).squeeze(0));
  });
});

test("transposed convolution errors name the op and the numbers", () => {
  const x = nb.zeros([1, 2, 4, 4]), w = nb.zeros([2, 3, 3, 3]);
  assertThrowsMatching(() => nb.convTranspose2d(x, w, null, { stride: 2, outputPadding: 2 }),
    /^convTranspose2d: outputPadding must be smaller than either stride or dilation in each dim, got outputPadding \[2, 2\], stride \[2, 2\], dilation \[1, 1\]/);
  assertThrowsMatching(() => nb.convTranspose2d(nb.zeros([1, 3, 4, 4]), w), /^convTranspose2d: expected input with 2 channels \(weight \[2, 3, 3, 3\]\), got input of shape \[1, 3, 4, 4\]/);
  assertThrowsMatching(() => nb.convTranspose2d(x, w, nb.zeros([2])), /^convTranspose2d: bias must have shape \[3\]/);
  assertThrowsMatching(() => nb.convTranspose2d(x, w, null, { groups: 3 }), /^convTranspose2d: groups 3 must divide the 2 input channels/);
  assertThrowsMatching(() => nb.convTranspose1d(x, w), /^convTranspose1d: expected 2-D \(unbatched \[C, L\]\) or 3-D/);
  assertThrowsMatching(() => nb.convTranspose2d(x, w, null, { padding: 4 }), /^convTranspose2d: output size \[-2, -2\] is too small/);
  assertThrowsMatching(() => nb.convTranspose2d(x, w, null, { outputpadding: 1 } as never), /^convTranspose2d: unknown option "outputpadding"/);
  assertThrowsMatching(() => new nb.nn.ConvTranspose2d(2, 3, 3, { paddingMode: "zeros" } as never), /^ConvTranspose2d: unknown option "paddingMode"/);
  assertThrowsMatching(() => new nb.nn.ConvTranspose2d(2, 3, 3, { groups: 2 }), /^ConvTranspose2d: groups=2 must divide outChannels=3/);
  const layer = new nb.nn.ConvTranspose2d(2, 3, 3, { stride: 2, padding: 1 });
  assertThrowsMatching(() => layer.forward(x, [9, 9]), /^ConvTranspose2d: requested an output size of \[9, 9\], but valid sizes range from \[7, 7\] to \[8, 8\] \(for an input of \[4, 4\]\)/);
  assertThrowsMatching(() => layer.forward(nb.zeros([1, 3, 4, 4])), /^ConvTranspose2d: expected input with 2 channels \(dim 1\)/);
  assert.deepEqual(layer.forward(x, [1, 3, 8, 7]).shape, [1, 3, 8, 7]);
});

test("nb.explain fills in the transposed conv's output-size formula, parameters and multiply-adds", () => {
  const model = new nb.nn.Sequential(
    new nb.nn.Conv2d(1, 4, 3, { stride: 2, padding: 1 }),
    new nb.nn.ConvTranspose2d(4, 2, 3, { stride: 2, padding: 1, outputPadding: 1 }),
  );
  const e = nb.explain(model, [1, 8, 8], { print: false });
  const row = e.rows[1];
  assert.equal(row.type, "ConvTranspose2d");
  assert.deepEqual(row.outputShape, [-1, 2, 8, 8]);
  assert.deepEqual(row.outputSize, ["(4−1)·2 − 2·1 + (3−1) + 1 + 1 = 8", "(4−1)·2 − 2·1 + (3−1) + 1 + 1 = 8"]);
  assert.equal(row.paramFormula, "3·3·4·2 + 2 = 74");
  assert.equal(row.params, 74);
  assert.equal(row.macs, 4 * 4 * 4 * 2 * 9);
  // The conv sees 3 pixels 2 apart; each transposed output gathers ⌈3/2⌉ = 2 of them: 3 + 2 = 5.
  assert.deepEqual(row.receptiveField, [5, 5]);
  assert.match(e.toString(), /output size, dim 1: \(4−1\)·2 − 2·1 \+ \(3−1\) \+ 1 \+ 1 = 8/);
});
