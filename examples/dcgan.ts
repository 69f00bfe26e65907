// DCGAN on MNIST at 32x32: two networks compete. The generator G turns noise into images, the
// discriminator D tells real images from G's; each trains with its own Adam (lr 2e-4, β1 0.5),
// in the order of PyTorch's examples/dcgan/main.py — D on a real batch (label 1) and on a fake
// batch (label 0, detached so D's loss leaves G alone), then G on the same fake batch with the
// real label (the non-saturating loss). The loop is written out by hand with the public API (it
// is docs/guide.md's; nb.trainGan runs the same loop). After each epoch it writes a grid of 64
// samples from the same fixed noise, so the grids show G learning; at the end the D/G losses.
// Run: node --import tsx examples/dcgan.ts [--epochs 5] [--limit 12800] [--ngf 32] [--ndf 32]
//        [--batch-size 64] [--out runs/dcgan] [--seed 0]
// (the defaults are the run docs/generative-models.md shows: 1,000 iterations on 12,800 digits)

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as nb from "../src/index.js";

const { values: args } = parseArgs({
  options: {
    epochs: { type: "string", default: "5" }, limit: { type: "string", default: "12800" }, ngf: { type: "string", default: "32" },
    ndf: { type: "string", default: "32" }, "batch-size": { type: "string", default: "64" }, out: { type: "string", default: "runs/dcgan" },
    seed: { type: "string", default: "0" },
  },
});
const epochs = Number(args.epochs), batchSize = Number(args["batch-size"]), nz = 100;
mkdirSync(args.out, { recursive: true });
nb.manualSeed(Number(args.seed));

const mnist = nb.datasets.mnist({ split: "train", limit: Number(args.limit) });
const loader = new nb.data.DataLoader(mnist, { batchSize, shuffle: true, seed: Number(args.seed) });
// 28x28 in [0, 1] → 32x32 in [-1, 1], the range of the generator's tanh (padding is black, -1).
const toGan = (x: nb.Tensor) => nb.nn.functional.pad(x, [2, 2, 2, 2]).mul(2).sub(1);

const { generator, discriminator } = nb.models.dcgan({ nz, ngf: Number(args.ngf), ndf: Number(args.ndf), nc: 1, imageSize: 32 });
const criterion = new nb.nn.BCELoss();
const optimizerD = new nb.optim.Adam(discriminator.parameters(), { lr: 2e-4, betas: [0.5, 0.999] });
const optimizerG = new nb.optim.Adam(generator.parameters(), { lr: 2e-4, betas: [0.5, 0.999] });
const fixedNoise = nb.randn([64, nz, 1, 1]);
const lossD: number[] = [], lossG: number[] = [];
console.log(`DCGAN on ${mnist.length} MNIST digits at 32x32: ngf ${args.ngf}, ndf ${args.ndf}, batch ${batchSize}, backend ${nb.getBackend()}`);

for (let epoch = 1; epoch <= epochs; epoch++) {
  const started = performance.now();
  generator.train();
  discriminator.train();
  for (const [images] of loader) {
    nb.tidy(() => {
      const real = toGan(images);
      const n = real.shape[0];
      const realLabel = nb.full([n], 1), fakeLabel = nb.full([n], 0);
      // (1) Update D: maximise log D(x) + log(1 − D(G(z))).
      optimizerD.zeroGrad();
      const errReal = criterion.forward(discriminator.forward(real), realLabel);
      errReal.backward();
      const fake = generator.forward(nb.randn([n, nz, 1, 1]));
      const errFake = criterion.forward(discriminator.forward(fake.detach()), fakeLabel);
      errFake.backward();
      optimizerD.step();
      // (2) Update G: maximise log D(G(z)), i.e. fake images labelled real.
      optimizerG.zeroGrad();
      const errG = criterion.forward(discriminator.forward(fake), realLabel);
      errG.backward();
      optimizerG.step();
      lossD.push(errReal.item() + errFake.item());
      lossG.push(errG.item());
    });
  }
  const seconds = (performance.now() - started) / 1000;
  const last = loader.length;
  const mean = (xs: number[]) => xs.slice(-last).reduce((a, b) => a + b, 0) / Math.min(last, xs.length);
  console.log(`epoch ${epoch}/${epochs}: Loss_D ${mean(lossD).toFixed(3)}, Loss_G ${mean(lossG).toFixed(3)} (${seconds.toFixed(1)} s)`);
  // Samples from the same noise after each epoch. Like PyTorch's example, G stays in training
  // mode: batch norm normalizes by this batch's statistics (early on, its running averages lag).
  nb.noGrad(() => nb.viz.saveImageGrid(generator.forward(fixedNoise), join(args.out, `samples-epoch-${epoch}.png`), { normalize: true, valueRange: [-1, 1] }));
  // The curves so far (rewritten each epoch, so a long run stopped early still has them).
  writeFileSync(join(args.out, "loss-curves.png"), nb.viz.lineChartPng({ D: lossD, G: lossG }, { title: "Generator and discriminator loss during training", xLabel: "iteration" }));
}
await nb.save(generator, join(args.out, "generator.safetensors"));
await nb.save(discriminator, join(args.out, "discriminator.safetensors"));
console.log(`wrote ${args.out}: samples-epoch-1..${epochs}.png, loss-curves.png, generator.safetensors, discriminator.safetensors`);
