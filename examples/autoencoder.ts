// Denoising autoencoders on MNIST: the input is a digit with Gaussian noise added, the target the
// clean digit, so the network must learn what digits look like to remove the noise. A dense
// autoencoder (784 → 256 → 128 → 32 → … → 784) and a convolutional one (two stride-2
// convolutions down, two transposed convolutions up) train with Adam on the MSE; each prints its
// test MSE next to the noisy input's own, and writes a PNG grid: noisy inputs, reconstructions,
// clean digits, one row each.
// Run: node --import tsx examples/autoencoder.ts [--limit 10000] [--epochs 3] [--noise 0.5] [--out runs/autoencoder]

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as nb from "../src/index.js";

const { values: args } = parseArgs({
  options: {
    limit: { type: "string", default: "10000" }, epochs: { type: "string", default: "3" }, noise: { type: "string", default: "0.5" },
    out: { type: "string", default: "runs/autoencoder" }, seed: { type: "string", default: "0" },
  },
});
const epochs = Number(args.epochs), std = Number(args.noise);
mkdirSync(args.out, { recursive: true });
nb.manualSeed(Number(args.seed));
const train = nb.datasets.mnist({ split: "train", limit: Number(args.limit) });
const test = nb.datasets.mnist({ split: "test", limit: 1000 });
// Noise on the inputs only, clipped back to [0, 1]; the same noisy test set for both models.
const noise = new nb.transforms.GaussianNoise(std, { clip: true });
const noisyTest = noise.apply(test.x);
const mse = (a: nb.Tensor, b: nb.Tensor) => nb.nn.functional.mseLoss(a, b).item();
console.log(`denoising MNIST: ${train.length} training digits, noise std ${std}; the noisy test inputs' own MSE is ${mse(noisyTest, test.x).toFixed(4)}`);

for (const kind of ["dense", "conv"] as const) {
  nb.manualSeed(Number(args.seed));
  const model = nb.models.autoencoder({ inputShape: [1, 28, 28], latentDim: 32, kind });
  const optimizer = new nb.optim.Adam(model.parameters(), { lr: 1e-3 });
  const loader = new nb.data.DataLoader(train, { batchSize: 64, shuffle: true, seed: Number(args.seed) });
  const started = performance.now();
  model.train();
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (const [clean] of loader) {
      nb.tidy(() => {
        optimizer.zeroGrad();
        const loss = nb.nn.functional.mseLoss(model.forward(noise.apply(clean)), clean);
        loss.backward();
        optimizer.step();
      });
    }
  }
  const seconds = (performance.now() - started) / 1000;
  model.eval();
  const rebuilt = nb.noGrad(() => model.forward(noisyTest));
  const params = model.parameters().reduce((n, p) => n + p.numel(), 0);
  console.log(`${kind} autoencoder (${params.toLocaleString("en-US")} parameters): test MSE ${mse(rebuilt, test.x).toFixed(4)} after ${epochs} epoch(s), ${seconds.toFixed(1)} s`);
  // Rows: noisy inputs, reconstructions, clean digits (the first 10 test images).
  const rows = [noisyTest, rebuilt, test.x].map((t) => t.narrow(0, 0, 10));
  nb.viz.saveImageGrid(nb.cat(rows, 0), join(args.out, `denoising-${kind}.png`), { nrow: 10 });
}
console.log(`wrote ${args.out}: denoising-dense.png, denoising-conv.png`);
