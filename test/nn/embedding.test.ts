// nn.Embedding and F.embedding against PyTorch (test/fixtures/embedding.json, from
// scripts/fixtures/embedding.py): outputs, weight gradients (paddingIdx, repeated indices,
// scaleGradByFreq) and maxNorm's in-place renormalisation, on cpu and native. Plus the backward's
// determinism (bit-identical runs on the multi-threaded native backend, and the rounds path that
// an atomic-add backend takes equal to the plain one), the layer's initialisation, fromPretrained
// and the errors.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as nb from "../../src/index.js";
import { indexAddRowsInOrder } from "../../src/ops/ordered-index-add.js";
import { assertClose, assertThrowsMatching } from "../helpers/assert.js";
import { decodeFixture, type Enc } from "../helpers/fixture-tensor.js";

const F = nb.nn.functional;

interface Case {
  name: string;
  weight: Enc;
  indices: Enc;
  opts: nb.nn.EmbeddingOptions;
  output: Enc;
  gy: Enc;
  grad: Enc;
  weightAfter: Enc;
}
const fixture = JSON.parse(readFileSync(new URL("../fixtures/embedding.json", import.meta.url), "utf8")) as {
  cases: Case[];
  fromPretrained: { weight: Enc; indices: Enc; output: Enc; requiresGrad: boolean };
};

const devices = nb.backendUnavailableReason("native") === undefined ? ["cpu", "native"] : ["cpu"];

function decode(e: Enc, device: string): nb.Tensor {
  return decodeFixture(e, { device });
}

/** Equal bit for bit (same float32 values, NaN payloads aside). */
function assertBits(t: nb.Tensor, expected: nb.Tensor, msg: string): void {
  assert.deepEqual(t.shape, expected.shape, `${msg}: shape`);
  const a = new Uint32Array(Float32Array.from(t.dataSync()).buffer), e = new Uint32Array(Float32Array.from(expected.dataSync()).buffer);
  for (let i = 0; i < e.length; i++) if (a[i] !== e[i]) assert.fail(`${msg}: element ${i} is ${t.dataSync()[i]}, expected ${expected.dataSync()[i]}`);
}

for (const device of devices) {
  for (const c of fixture.cases) {
    test(`F.embedding matches torch on ${device}: ${c.name}`, () => {
      const w = decode(c.weight, device).requiresGrad_();
      const idx = decode(c.indices, device);
      const opts = { ...c.opts, normType: (c.opts.normType as unknown) === "Infinity" ? Infinity : c.opts.normType };
      const y = F.embedding(idx, w, opts);
      const renorm = c.opts.maxNorm !== undefined;
      // A lookup copies rows: exact, and so is the gradient where torch adds in position order.
      if (renorm) assertClose(y, decode(c.output, device), { rtol: 1e-6, atol: 1e-7, msg: "output" });
      else assertBits(y, decode(c.output, device), "output");
      y.backward(decode(c.gy, device));
      if (c.opts.scaleGradByFreq) assertClose(w.grad!, decode(c.grad, device), { rtol: 1e-6, atol: 1e-7, msg: "weight gradient" });
      else assertBits(w.grad!, decode(c.grad, device), "weight gradient");
      assertClose(w, decode(c.weightAfter, device), { rtol: 1e-6, atol: 1e-7, msg: "weight after the call" });
    });
  }
}

test("Embedding: weight [num, dim] from N(0, 1), the paddingIdx row zeroed; a negative paddingIdx counts from the end", () => {
  nb.manualSeed(3);
  const e = new nb.nn.Embedding(400, 50, { paddingIdx: -2 });
  assert.deepEqual(e.weight.shape, [400, 50]);
  assert.equal(e.paddingIdx, 398);
  assert.equal(e.weight.requiresGrad, true);
  assert.deepEqual([...e.stateDict().keys()], ["weight"]);
  const w = Array.from(e.weight.dataSync());
  assert.ok(w.slice(398 * 50, 399 * 50).every((v) => v === 0), "padding row is zero");
  const rest = w.filter((_, i) => Math.floor(i / 50) !== 398);
  const mean = rest.reduce((a, b) => a + b, 0) / rest.length;
  const std = Math.sqrt(rest.reduce((a, b) => a + (b - mean) ** 2, 0) / rest.length);
  assert.ok(Math.abs(mean) < 0.02 && Math.abs(std - 1) < 0.02, `mean ${mean}, std ${std}`);
  assert.equal(String(e), "Embedding(400, 50, paddingIdx=398)");
});

test("Embedding layer: output shape idx.shape + [dim], the paddingIdx row gets no gradient, maxNorm renormalises the layer's weight", () => {
  const e = new nb.nn.Embedding(5, 3, { paddingIdx: 1, maxNorm: 1 });
  const idx = nb.tensor([[1, 2], [1, 4], [2, 2]], { dtype: "int32" });
  const y = e.forward(idx);
  assert.deepEqual(y.shape, [3, 2, 3]);
  y.sum().backward();
  assertClose(e.weight.grad!, [[0, 0, 0], [0, 0, 0], [3, 3, 3], [0, 0, 0], [1, 1, 1]]);
  const norms = (e.weight.toArray() as number[][]).map((r) => Math.hypot(...r));
  for (const row of [2, 4]) assert.ok(norms[row] <= 1 + 1e-6, `row ${row} renormalised (norm ${norms[row]})`);
  assert.equal(norms[1], 0, "the zero padding row stays zero");
});

test("Embedding.fromPretrained: freeze (default) leaves the weight without gradient; it shares the given tensor", () => {
  const fp = fixture.fromPretrained;
  // Everything on cpu: the pretrained tensor keeps its device.
  const pretrained = decode(fp.weight, "cpu");
  const frozen = nb.nn.Embedding.fromPretrained(pretrained);
  assert.equal(frozen.weight.requiresGrad, fp.requiresGrad);
  assert.equal(frozen.numEmbeddings, 2);
  assert.equal(frozen.embeddingDim, 3);
  assertBits(frozen.forward(decode(fp.indices, "cpu")), decode(fp.output, "cpu"), "output");
  assert.deepEqual(frozen.parameters().filter((p) => p.requiresGrad), []);
  assert.equal(frozen.weight.storage, pretrained.storage, "shares the storage, as torch's from_pretrained");

  const trained = nb.nn.Embedding.fromPretrained(pretrained, { freeze: false, paddingIdx: 0 });
  assert.equal(trained.weight.requiresGrad, true);
  assertClose(trained.weight.narrow(0, 0, 1), [[1, 2.3, 3]], { msg: "the padding row is kept as given" });
  trained.forward(nb.tensor([0, 1, 1], { dtype: "int32", device: "cpu" })).sum().backward();
  assertClose(trained.weight.grad!, [[0, 0, 0], [2, 2, 2]]);

  assertThrowsMatching(() => nb.nn.Embedding.fromPretrained(nb.tensor([1, 2], { device: "cpu" })), /Embedding\.fromPretrained: embeddings must be 2-D .* got shape \[2\]/);
  assertThrowsMatching(() => nb.nn.Embedding.fromPretrained(pretrained, { freez: true } as never), /fromPretrained: unknown option "freez" \(did you mean "freeze"\?\)/);
  assertThrowsMatching(() => nb.nn.Embedding.fromPretrained(pretrained, { paddingIdx: 2 }), /fromPretrained: paddingIdx must be an integer in \[-2, 1\] for 2 embeddings, got 2/);
});

test("embedding backward is deterministic: five runs on native give the same bits, equal to cpu's", { skip: devices.includes("native") ? false : "native backend unavailable" }, () => {
  // Many positions over few rows (every row repeated hundreds of times). The native kernel splits
  // an embedding gradient's work over its threads only for rows of ≥ 8192 elements (indexing.cc),
  // so the second shape is there to take that path.
  for (const [num, dim, n] of [[40, 600, 24000], [6, 8200, 600]]) {
    const gen = new nb.Generator(7);
    const idx = nb.randint(0, num, [n], { generator: gen, dtype: "int32", device: "cpu" });
    const gy = nb.randn([n, dim], { generator: gen, device: "cpu" });
    const w0 = nb.randn([num, dim], { generator: gen, device: "cpu" }).dataSync();
    const gradOn = (device: string): nb.Tensor => {
      const w = nb.tensor(w0, { shape: [num, dim], device }).requiresGrad_();
      F.embedding(idx.to(device), w).backward(gy.to(device));
      return w.grad!.to("cpu");
    };
    const reference = gradOn("cpu");
    for (let run = 0; run < 5; run++) assertBits(gradOn("native"), reference, `[${num}, ${dim}], ${n} positions: native run ${run}`);
  }
});

test("the rounds path (taken by a backend with unorderedAdds, e.g. cuda's atomics) gives the same bits as the ordered indexAdd", () => {
  const gen = new nb.Generator(11);
  for (const device of devices) {
    const idx = nb.randint(0, 9, [700], { generator: gen, dtype: "int32" }).to(device);
    const src = nb.randn([700, 5], { generator: gen }).to(device);
    const plain = nb.zeros([9, 5], { device }), rounds = nb.zeros([9, 5], { device });
    indexAddRowsInOrder(plain, idx, src);
    indexAddRowsInOrder(rounds, idx, src, { rounds: true });
    assertBits(rounds, plain, `${device}: rounds vs plain`);
  }
});

test("embedding errors: indices out of range or negative, non-int32 indices, bad weight, unknown options — one error naming the op or layer", () => {
  for (const device of devices) {
    const e = new nb.nn.Embedding(10, 3).to(device);
    const at = (v: number[]): nb.Tensor => nb.tensor(v, { dtype: "int32", device });
    assertThrowsMatching(() => e.forward(at([1, 12, 3])), /^Embedding: index 12 is out of range: indices must be in \[0, 9\] for 10 embeddings$/);
    assertThrowsMatching(() => e.forward(at([1, -1])), /^Embedding: index -1 is out of range: indices must be in \[0, 9\]/);
    assertThrowsMatching(() => F.embedding(at([10]), e.weight), /^embedding: index 10 is out of range: indices must be in \[0, 9\] for 10 embeddings$/);
    assertThrowsMatching(() => e.forward(nb.tensor([1, 2], { device })), /^Embedding: indices must be an int32 tensor, got float32/);
    // maxNorm reads the indices on the host: the same check.
    assertThrowsMatching(() => F.embedding(at([3, 99]), e.weight, { maxNorm: 1 }), /^embedding: index 99 is out of range/);
  }
  const w = nb.randn([4, 2]);
  assertThrowsMatching(() => F.embedding(nb.tensor([0], { dtype: "int32" }), nb.randn([4])), /embedding: weight must be 2-D \[numEmbeddings, embeddingDim\], got shape \[4\]/);
  assertThrowsMatching(() => F.embedding(nb.tensor([0], { dtype: "int32" }), w, { paddingIdx: 4 }), /embedding: paddingIdx must be an integer in \[-4, 3\] for 4 embeddings, got 4/);
  assertThrowsMatching(() => F.embedding(nb.tensor([0], { dtype: "int32" }), w, { maxNorm: -1 }), /embedding: maxNorm must be a non-negative finite number, got -1/);
  assertThrowsMatching(() => F.embedding(nb.tensor([0], { dtype: "int32" }), w, { normType: 0 }), /embedding: normType must be a positive number/);
  assertThrowsMatching(() => new nb.nn.Embedding(4, 2, { sparse: true } as never), /Embedding: unknown option "sparse" \(use dense gradients, the only kind: nabla has no sparse tensors\)/);
  assertThrowsMatching(() => new nb.nn.Embedding(4, 2, { max_norm: 1 } as never), /Embedding: unknown option "max_norm" \(did you mean "maxNorm"\?\)/);
  assertThrowsMatching(() => new nb.nn.Embedding(-1, 2), /Embedding: numEmbeddings must be a non-negative integer, got -1/);
  // The layer checks its options when built, not at its first forward.
  assertThrowsMatching(() => new nb.nn.Embedding(4, 2, { maxNorm: -1 }), /^Embedding: maxNorm must be a non-negative finite number, got -1$/);
  assertThrowsMatching(() => new nb.nn.Embedding(4, 2, { paddingIdx: -5 }), /^Embedding: paddingIdx must be an integer in \[-4, 3\] for 4 embeddings, got -5$/);
  const named = new nb.nn.Sequential(new nb.nn.Embedding(4, 2));
  named.namedModules();
  assertThrowsMatching(() => named.forward(nb.tensor([7], { dtype: "int32" })), /^Embedding "0": index 7 is out of range: indices must be in \[0, 3\] for 4 embeddings$/);
});

test("embedding of an empty index tensor is empty; its gradient is zero", () => {
  const w = nb.randn([3, 2]).requiresGrad_();
  const y = F.embedding(nb.tensor(new Int32Array(0), { shape: [0, 4] }), w);
  assert.deepEqual(y.shape, [0, 4, 2]);
  y.sum().backward();
  assertClose(w.grad!, [[0, 0], [0, 0], [0, 0]]);
});
