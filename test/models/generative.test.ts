// nb.models.autoencoder, vae (with vaeLoss) and dcgan (with dcganWeightsInit): module names and
// values as PyTorch's examples (fixtures: scripts/fixtures/generative_models.py), shapes, errors,
// and training on a slice of MNIST.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as nb from "../../src/index.js";
import { assertClose } from "../helpers/assert.js";
import { decodeFixture, type Enc } from "../helpers/fixture-tensor.js";

interface DcganCase {
  nz: number; ngf: number; ndf: number; nc: number; imageSize: number;
  generator: Record<string, Enc>; discriminator: Record<string, Enc>;
  z: Enc; dReal: Enc; fakeEvery3: Enc; dFake: Enc; loss: number;
  gradsG: Record<string, Enc>; gradsD: Record<string, Enc>;
  buffersG: Record<string, Enc>; buffersD: Record<string, Enc>;
  dRealEval: Enc; fakeEvalEvery3?: Enc;
}
interface VaeCase {
  inputShape: number[]; hidden: number; latentDim: number; stateDict: Record<string, Enc>; x: Enc;
  mu: Enc; logvar: Enc; reconEval: Enc; lossEval: number;
  eps: Enc; reconTrain: Enc; lossTrain: number; grads: Record<string, Enc>;
}
const fixture = JSON.parse(readFileSync(new URL("../fixtures/generative_models.json", import.meta.url), "utf8")) as {
  keys: { vae: string[]; generator: string[]; discriminator: string[] };
  dcgan: DcganCase[];
  vae: VaeCase;
};

const keyList = (m: nb.nn.Module): string[] => [...m.stateDict()].map(([k, t]) => `${k}:${t.shape.join(",")}`);
const stateOf = (sd: Record<string, Enc>): Map<string, nb.Tensor> => new Map(Object.entries(sd).map(([k, e]) => [k, decodeFixture(e)]));
const every3 = (t: nb.Tensor): nb.Tensor => nb.slice(nb.slice(t, 2, 0, Infinity, 3), 3, 0, Infinity, 3);
/** The fixture's real images: 0.9·sin(0.37·i + phase) over the flat index, float64 then float32. */
function formulaImages(shape: number[], phase: number): nb.Tensor {
  const v = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < v.length; i++) v[i] = Math.sin(0.37 * i + phase) * 0.9;
  return nb.tensor(v, { shape });
}
const paramOf = (m: nb.nn.Module, name: string): nb.nn.Parameter => {
  const p = m.namedParameters().find(([k]) => k === name);
  assert.ok(p, `parameter ${name}`);
  return p[1];
};

test("full-size vae() and dcgan({}) have the state-dict keys and shapes of PyTorch's examples, in order", () => {
  assert.deepEqual(keyList(nb.models.vae()), fixture.keys.vae);
  const { generator, discriminator } = nb.models.dcgan({});
  assert.deepEqual(keyList(generator), fixture.keys.generator);
  assert.deepEqual(keyList(discriminator), fixture.keys.discriminator);
  // num_batches_tracked is an int 0-d buffer, as torch's int64 one (saved and loaded with the rest).
  assert.equal(generator.stateDict().get("main.1.num_batches_tracked")!.dtype, "int32");
  assert.ok(fixture.keys.generator.includes("main.1.num_batches_tracked:"));
});

for (const c of fixture.dcgan) {
  test(`dcgan imageSize ${c.imageSize} (nz ${c.nz}, ngf ${c.ngf}, ndf ${c.ndf}, nc ${c.nc}): torch's weights load key for key and give its outputs, gradients and running statistics`, () => {
    const { generator: g, discriminator: d } = nb.models.dcgan({ nz: c.nz, ngf: c.ngf, ndf: c.ndf, nc: c.nc, imageSize: c.imageSize });
    assert.deepEqual(g.loadStateDict(stateOf(c.generator)), { missingKeys: [], unexpectedKeys: [] });
    assert.deepEqual(d.loadStateDict(stateOf(c.discriminator)), { missingKeys: [], unexpectedKeys: [] });
    const z = decodeFixture(c.z);
    const n = z.shape[0];
    const x = formulaImages([n, c.nc, c.imageSize, c.imageSize], c.imageSize === 64 ? 1 : 2);

    const dReal = d.forward(x);
    const fake = g.forward(z);
    assert.deepEqual(fake.shape, [n, c.nc, c.imageSize, c.imageSize]);
    const dFake = d.forward(fake);
    assert.deepEqual(dFake.shape, [n]);
    const loss = nb.nn.functional.binaryCrossEntropy(dFake, nb.ones([n]));
    loss.backward();
    assertClose(dReal, decodeFixture(c.dReal), { rtol: 1e-4, atol: 1e-6, msg: "D(x)" });
    assertClose(every3(fake), decodeFixture(c.fakeEvery3), { rtol: 1e-4, atol: 2e-6, msg: "G(z)" });
    assertClose(dFake, decodeFixture(c.dFake), { rtol: 1e-4, atol: 1e-6, msg: "D(G(z))" });
    assertClose(loss.item(), c.loss, { rtol: 1e-4 });
    for (const [name, e] of Object.entries(c.gradsG)) assertClose(paramOf(g, name).grad!, decodeFixture(e), { rtol: 1e-3, atol: 1e-6, msg: `G ${name}.grad` });
    for (const [name, e] of Object.entries(c.gradsD)) assertClose(paramOf(d, name).grad!, decodeFixture(e), { rtol: 1e-3, atol: 1e-6, msg: `D ${name}.grad` });
    const gs = g.stateDict(), ds = d.stateDict();
    for (const [name, e] of Object.entries(c.buffersG)) assertClose(gs.get(name)!, decodeFixture(e), { rtol: 1e-4, atol: 1e-6, msg: `G ${name}` });
    for (const [name, e] of Object.entries(c.buffersD)) assertClose(ds.get(name)!, decodeFixture(e), { rtol: 1e-4, atol: 1e-6, msg: `D ${name}` });

    g.eval();
    d.eval();
    nb.noGrad(() => {
      assertClose(d.forward(x), decodeFixture(c.dRealEval), { rtol: 1e-4, atol: 1e-6, msg: "eval D(x)" });
      const fakeEval = g.forward(z);
      if (c.fakeEvalEvery3) assertClose(every3(fakeEval), decodeFixture(c.fakeEvalEvery3), { rtol: 1e-4, atol: 2e-6, msg: "eval G(z)" });
      // Noise as [N, nz] is the same draw as [N, nz, 1, 1].
      assertClose(g.forward(z.reshape([n, c.nz])), fakeEval, { rtol: 0, atol: 0 });
    });
  });
}

test("dcgan: the 64 and 32 layouts (layer indices as documented), and the example's weights_init by default", () => {
  nb.manualSeed(11);
  const { generator: g, discriminator: d } = nb.models.dcgan({});
  const kinds = (s: nb.nn.Sequential): string => [...s].map((m) => m.constructor.name.replace(/[123]d$/, "")).join(" ");
  assert.equal(kinds(g.main), "ConvTranspose BatchNorm ReLU ConvTranspose BatchNorm ReLU ConvTranspose BatchNorm ReLU ConvTranspose BatchNorm ReLU ConvTranspose Tanh");
  assert.equal(kinds(d.main), "Conv LeakyReLU Conv BatchNorm LeakyReLU Conv BatchNorm LeakyReLU Conv BatchNorm LeakyReLU Conv Sigmoid");
  const small = nb.models.dcgan({ imageSize: 32, ngf: 8, ndf: 8 });
  assert.equal(kinds(small.generator.main), "ConvTranspose BatchNorm ReLU ConvTranspose BatchNorm ReLU ConvTranspose BatchNorm ReLU ConvTranspose Tanh");
  assert.equal(kinds(small.discriminator.main), "Conv LeakyReLU Conv BatchNorm LeakyReLU Conv BatchNorm LeakyReLU Conv Sigmoid");
  assert.deepEqual(small.generator.stateDict().get("main.0.weight")!.shape, [100, 32, 4, 4]);
  assert.deepEqual(small.discriminator.stateDict().get("main.8.weight")!.shape, [1, 32, 4, 4]);
  assert.deepEqual(small.generator.forward(nb.randn([2, 100])).shape, [2, 1, 32, 32]);

  // weights_init: conv weights ~ N(0, 0.02), batch-norm weights ~ N(1, 0.02), batch-norm biases 0.
  const stats = (t: nb.Tensor): [number, number] => [nb.mean(t).item(), nb.std(t).item()];
  for (const [name, t] of [...g.stateDict(), ...d.stateDict()]) {
    if (t.ndim === 4 && t.numel() > 1000) {
      const [m, s] = stats(t);
      assert.ok(Math.abs(m) < 0.002 && Math.abs(s - 0.02) < 0.002, `${name}: mean ${m}, std ${s}`);
    } else if (name.endsWith(".weight") && t.ndim === 1) {
      const [m, s] = stats(t);
      assert.ok(Math.abs(m - 1) < 0.005 && Math.abs(s - 0.02) < 0.005, `${name}: mean ${m}, std ${s}`);
    } else if (name.endsWith(".bias")) assert.equal(nb.max(nb.abs(t)).item(), 0, name);
  }
  // weightsInit: false keeps the layers' own defaults (batch-norm weight 1; conv kaiming-uniform).
  const plain = nb.models.dcgan({ weightsInit: false, imageSize: 32 }).generator;
  assert.equal(nb.std(plain.stateDict().get("main.1.weight")!).item(), 0);
  // dcganWeightsInit works on any module (and leaves non-conv layers alone).
  const lin = new nb.nn.Linear(3, 2);
  const before = lin.weight.clone();
  const seq = nb.models.dcganWeightsInit(new nb.nn.Sequential(new nb.nn.Conv2d(2, 300, 3), lin));
  assertClose(lin.weight, before, { rtol: 0, atol: 0 });
  assert.ok(Math.abs(nb.std((seq.at(0) as nb.nn.Conv2d).weight).item() - 0.02) < 0.001);
});

test("dcgan: bad sizes, options and inputs are one clear error", () => {
  assert.throws(() => nb.models.dcgan({ imageSize: 28 }), /^RangeError: dcgan: imageSize must be one of 32, 64 .*got 28; resize or pad the images/);
  assert.throws(() => nb.models.dcgan({ ngf: 0 }), /dcgan: ngf must be a positive integer, got 0/);
  assert.throws(() => nb.models.dcgan({ image_size: 32 } as never), /dcgan: unknown option "image_size" \(use imageSize\)/);
  assert.throws(() => new nb.models.DCGANGenerator({ ndf: 3 } as never), /DCGANGenerator: unknown option "ndf"/);
  const { generator: g, discriminator: d } = nb.models.dcgan({ nz: 10, ngf: 2, ndf: 2, imageSize: 32 });
  assert.throws(() => g.forward(nb.randn([2, 100, 1, 1])), /DCGANGenerator: expected noise \[N, 10, 1, 1\] or \[N, 10\] \(nz = 10\), got \[2, 100, 1, 1\]/);
  assert.throws(() => g.forward(nb.randn([2, 10, 2, 2])), /got \[2, 10, 2, 2\]/);
  assert.throws(() => d.forward(nb.rand([2, 1, 28, 28])), /DCGANDiscriminator: expected images \[N, 1, 32, 32\] \(nc = 1, imageSize = 32\), got \[2, 1, 28, 28\]/);
  assert.throws(() => d.forward(nb.rand([1, 32, 32])), /DCGANDiscriminator: expected a 4D input/);
});

test("vae: torch's weights load key for key; encode, eval reconstruction (z = mu), training path, vaeLoss and gradients as torch", () => {
  const c = fixture.vae;
  const model = nb.models.vae({ inputShape: c.inputShape, hidden: c.hidden, latentDim: c.latentDim });
  assert.deepEqual(model.loadStateDict(stateOf(c.stateDict)), { missingKeys: [], unexpectedKeys: [] });
  const x = decodeFixture(c.x);
  const n = x.shape[0];

  model.eval();
  nb.noGrad(() => {
    const [mu, logvar] = model.encode(x);
    assertClose(mu, decodeFixture(c.mu), { rtol: 1e-4, atol: 1e-6, msg: "mu" });
    assertClose(logvar, decodeFixture(c.logvar), { rtol: 1e-4, atol: 1e-6, msg: "logvar" });
    const [recon, mu2, logvar2] = model.forward(x);
    assertClose(recon, decodeFixture(c.reconEval), { rtol: 1e-4, atol: 1e-6, msg: "eval reconstruction" });
    assertClose(nb.models.vaeLoss(recon, x, mu2, logvar2), c.lossEval, { rtol: 1e-5 });
    assertClose(nb.models.vaeLoss(recon, x, mu2, logvar2, { reduction: "batchmean" }), c.lossEval / n, { rtol: 1e-5 });
    const perImage = nb.models.vaeLoss(recon, x, mu2, logvar2, { reduction: "none" });
    assert.deepEqual(perImage.shape, [n]);
    assertClose(nb.sum(perImage), c.lossEval, { rtol: 1e-5 });
    // Flat [N, features] input is the same as images.
    assertClose(model.forward(x.reshape([n, -1]))[0], recon, { rtol: 0, atol: 0 });
  });

  // Training: z = mu + eps·exp(logvar / 2) with torch's recorded eps.
  model.train();
  const [mu, logvar] = model.encode(x);
  const eps = decodeFixture(c.eps);
  const recon = model.decode(nb.add(mu, nb.mul(eps, nb.exp(nb.mul(logvar, 0.5)))));
  assertClose(recon, decodeFixture(c.reconTrain), { rtol: 1e-4, atol: 1e-6, msg: "training reconstruction" });
  const loss = nb.models.vaeLoss(recon, x, mu, logvar);
  assertClose(loss.item(), c.lossTrain, { rtol: 1e-5 });
  loss.backward();
  for (const [name, e] of Object.entries(c.grads)) assertClose(paramOf(model, name).grad!, decodeFixture(e), { rtol: 1e-3, atol: 1e-5, msg: `${name}.grad` });

  // reparameterize draws eps from the generator it is given; eval mode (or sample: false) gives mu.
  nb.noGrad(() => {
    const z = model.reparameterize(mu, logvar, { generator: new nb.Generator(5) });
    const e = nb.randn(mu.shape, { generator: new nb.Generator(5) });
    assertClose(z, nb.add(mu, nb.mul(e, nb.exp(nb.mul(logvar, 0.5)))), { rtol: 1e-6, atol: 1e-7 });
    assert.equal(model.reparameterize(mu, logvar, { sample: false }), mu);
    model.eval();
    assert.equal(model.reparameterize(mu, logvar), mu);
    assert.notEqual(model.reparameterize(mu, logvar, { sample: true }), mu);
  });
});

test("vae and vaeLoss: bad shapes and options are one clear error", () => {
  const model = nb.models.vae({ hidden: 8, latentDim: 2 });
  assert.throws(() => model.forward(nb.rand([2, 1, 32, 32])), /VAE: expected images \[N, 1, 28, 28\] or flat \[N, 784\] \(its inputShape\), got \[2, 1, 32, 32\]/);
  assert.throws(() => model.decode(nb.randn([2, 3])), /VAE: expected z of shape \[N, 2\] \(its latentDim\), got \[2, 3\]/);
  assert.throws(() => nb.models.vae({ latent: 2 } as never), /vae: unknown option "latent" \(use latentDim\); the options are inputShape, latentDim, hidden$/);
  assert.throws(() => nb.models.vae({ inputShape: [28, 0] }), /vae: inputShape must be a non-empty array of positive integers such as \[1, 28, 28\], got \[28,0\]/);
  const x = nb.rand([2, 1, 28, 28]);
  const [recon, mu, logvar] = model.forward(x);
  assert.throws(() => nb.models.vaeLoss(recon, nb.rand([3, 1, 28, 28]), mu, logvar), /vaeLoss: recon and x must hold the same images .*got recon \[2, 1, 28, 28\] and x \[3, 1, 28, 28\]/);
  assert.throws(() => nb.models.vaeLoss(recon, x, mu, nb.randn([2, 3])), /vaeLoss: mu and logvar must both be \[N, latentDim\] with the N of recon \(2\); got mu \[2, 2\] and logvar \[2, 3\]/);
  assert.throws(() => nb.models.vaeLoss(recon, x, mu, logvar, { reduction: "mean" as never }), /vaeLoss: reduction must be one of "sum", "batchmean", "none", got "mean"/);
  assert.throws(() => nb.models.vaeLoss(nb.mul(recon, 2), x, mu, logvar), /binaryCrossEntropy/);
});

test("autoencoder: dense and conv shapes, 28x28 and 32x32 round-trip exactly, outputs in (0, 1), errors", () => {
  nb.manualSeed(4);
  const dense = nb.models.autoencoder();
  assert.equal(dense.kind, "dense");
  assert.deepEqual(keyList(dense), [
    "encoder.1.weight:256,784", "encoder.1.bias:256", "encoder.3.weight:128,256", "encoder.3.bias:128", "encoder.5.weight:32,128", "encoder.5.bias:32",
    "decoder.0.weight:128,32", "decoder.0.bias:128", "decoder.2.weight:256,128", "decoder.2.bias:256", "decoder.4.weight:784,256", "decoder.4.bias:784",
  ]);
  const conv = nb.models.autoencoder({ kind: "conv", latentDim: 16 });
  assert.deepEqual(keyList(conv).filter((k) => k.endsWith("weight:" + k.split(":")[1])).map((k) => k.split(".").slice(0, 2).join(".") + ":" + k.split(":")[1]), [
    "encoder.0:16,1,3,3", "encoder.2:32,16,3,3", "encoder.5:16,1568", "decoder.0:1568,16", "decoder.3:32,16,3,3", "decoder.5:16,1,3,3",
  ]);
  for (const [kind, shape] of [["dense", [1, 28, 28]], ["conv", [1, 28, 28]], ["conv", [3, 32, 32]], ["dense", [5]], ["conv", [2, 16, 24]]] as const) {
    const m = nb.models.autoencoder({ kind, inputShape: shape, latentDim: 8, hidden: kind === "dense" ? [12] : [4, 6] });
    const x = nb.rand([3, ...shape]);
    const code = m.encode(x);
    assert.deepEqual(code.shape, [3, 8]);
    const y = m.forward(x);
    assert.deepEqual(y.shape, [3, ...shape], `${kind} ${shape}`);
    assert.ok(nb.min(y).item() > 0 && nb.max(y).item() < 1);
    assertClose(m.decode(code), y, { rtol: 0, atol: 0 });
  }
  assert.throws(() => nb.models.autoencoder({ kind: "conv", inputShape: [1, 30, 30] }),
    /^RangeError: autoencoder: kind "conv" halves H and W 2 times \(once per hidden entry\), so both must be multiples of 4; got 30x30 \(pad or resize the images, e.g. to 32x32, or use fewer hidden entries\)/);
  assert.throws(() => nb.models.autoencoder({ kind: "conv", inputShape: [784] }), /autoencoder: kind "conv" needs inputShape \[C, H, W\], got \[784\]/);
  assert.throws(() => nb.models.autoencoder({ kind: "lstm" as never }), /autoencoder: kind must be one of "dense", "conv", got "lstm"/);
  assert.throws(() => nb.models.autoencoder({ latent_dim: 3 } as never), /autoencoder: unknown option "latent_dim" \(use latentDim\)/);
  assert.throws(() => nb.models.autoencoder({ hidden: [] }), /autoencoder: hidden must be a non-empty array of positive integers such as \[256, 128\], got \[\]/);
  assert.throws(() => dense.forward(nb.rand([2, 784])), /Autoencoder: expected a 4D input \(\[N, 1, 28, 28\]\), got shape \[2, 784\]/);
  assert.throws(() => conv.forward(nb.rand([2, 1, 32, 32])), /Autoencoder: expected images \[N, 1, 28, 28\] \(its inputShape\), got \[2, 1, 32, 32\]/);
  assert.throws(() => conv.decode(nb.rand([2, 32])), /Autoencoder: expected codes \[N, 16\] \(its latentDim\), got \[2, 32\]/);
});

/** Mean of fn over the images in batches of 128 (fn returns a per-batch sum). */
function perImage(x: nb.Tensor, fn: (xb: nb.Tensor) => nb.Tensor): number {
  let total = 0;
  nb.noGrad(() => {
    for (let s = 0; s < x.shape[0]; s += 128) total += nb.tidy(() => fn(nb.narrow(x, 0, s, Math.min(128, x.shape[0] - s))).item());
  });
  return total / x.shape[0];
}

/** Epochs of Adam over x in order; `loss` returns the batch's loss. */
function trainEpochs(model: nb.nn.Module, x: nb.Tensor, opts: { epochs: number; batchSize: number; lr: number }, loss: (xb: nb.Tensor) => nb.Tensor): void {
  const opt = new nb.optim.Adam(model.parameters(), { lr: opts.lr });
  model.train();
  for (let e = 0; e < opts.epochs; e++) {
    for (let s = 0; s < x.shape[0]; s += opts.batchSize) {
      nb.tidy(() => {
        opt.zeroGrad();
        loss(nb.narrow(x, 0, s, Math.min(opts.batchSize, x.shape[0] - s))).backward();
        opt.step();
      });
    }
  }
}

test("autoencoder trained 4 epochs on 1,000 MNIST digits: held-out BCE per pixel ~0.69 → below the mean image's 0.256 (dense < 0.235, conv < 0.2)", (t) => {
  const train = nb.datasets.mnist({ limit: 1000 }).x;
  const test = nb.datasets.mnist({ split: "test", limit: 300 }).x;
  const bceSum = (y: nb.Tensor, x: nb.Tensor): nb.Tensor => nb.nn.functional.binaryCrossEntropy(y, x, { reduction: "sum" });
  // The baseline any autoencoder must beat: every test digit "reconstructed" as the mean training digit.
  const meanImage = nb.clamp(nb.mean(train, 0, true), 1e-4, 1 - 1e-4);
  const baseline = perImage(test, (xb) => bceSum(nb.mul(nb.onesLike(xb), meanImage), xb)) / 784;
  assert.ok(Math.abs(baseline - 0.2555) < 1e-3, `mean-image BCE ${baseline}`);
  for (const [kind, bound] of [["dense", 0.235], ["conv", 0.2]] as const) {
    nb.manualSeed(7);
    const m = nb.models.autoencoder({ kind });
    const bce = (xb: nb.Tensor): nb.Tensor => bceSum(m.forward(xb), xb);
    m.eval();
    const before = perImage(test, bce) / 784;
    trainEpochs(m, train, { epochs: 4, batchSize: 32, lr: 1e-2 }, (xb) => nb.div(bce(xb), xb.numel()));
    m.eval();
    const after = perImage(test, bce) / 784;
    t.diagnostic(`${kind}: ${before.toFixed(4)} → ${after.toFixed(4)} (mean image ${baseline.toFixed(4)})`);
    assert.ok(before > 0.6 && after < bound, `${kind}: ${before.toFixed(4)} → ${after.toFixed(4)}`);
  }
});

test("vae (784-400-20, PyTorch's example) trained 8 epochs on 2,000 MNIST digits (Adam 1e-3, batch 128): test loss per image ~550 → below 185", (t) => {
  nb.manualSeed(0);
  const train = nb.datasets.mnist({ limit: 2000 }).x;
  const test = nb.datasets.mnist({ split: "test", limit: 500 }).x;
  const model = nb.models.vae();
  // Scored the example's way: z sampled in evaluation too, BCE + KLD summed, divided by the images.
  const score = (xb: nb.Tensor): nb.Tensor => {
    const [mu, logvar] = model.encode(xb);
    return nb.models.vaeLoss(model.decode(model.reparameterize(mu, logvar, { sample: true })), xb, mu, logvar);
  };
  model.eval();
  const before = perImage(test, score);
  trainEpochs(model, train, { epochs: 8, batchSize: 128, lr: 1e-3 }, (xb) => {
    const [recon, mu, logvar] = model.forward(xb);
    return nb.models.vaeLoss(recon, xb, mu, logvar);
  });
  model.eval();
  const after = perImage(test, score);
  t.diagnostic(`test loss per image ${before.toFixed(1)} → ${after.toFixed(1)}`);
  assert.ok(before > 500 && after < 185, `test loss per image ${before.toFixed(1)} → ${after.toFixed(1)}`);
});
