// PyTorch's examples/vae/main.py in nabla: a variational autoencoder (784-400-20) trained on MNIST
// for 10 epochs with Adam (lr 1e-3) and batch 128, printing the average training loss and the test
// set loss per image after each epoch (the example's figures; about 106 after 10 epochs), and, as
// it does, writing reconstructions of 8 test digits and 64 samples from the prior N(0, I) as PNG
// grids each epoch. With --latent 2 it also writes a 2-D latent walk: the decoder's image at each
// point of a 20x20 grid of z over the normal distribution's 5%–95% quantiles.
//
// Run: node --import tsx examples/vae.ts [--epochs 10] [--latent 20] [--limit N] [--test-limit N] [--out runs/vae] [--seed 1]
//
// The test loss is scored the example's way: z is sampled (mu + eps·σ) for the test images too,
// BCE + KLD summed over the test set and divided by its size; the loss with z = mu (nb's eval-mode
// choice, a deterministic reconstruction) is printed beside it.

import { cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as nb from "../src/index.js";

const { values: args } = parseArgs({
  options: {
    epochs: { type: "string", default: "10" },
    latent: { type: "string", default: "20" },
    limit: { type: "string" },
    "test-limit": { type: "string" },
    out: { type: "string", default: "runs/vae" },
    seed: { type: "string", default: "1" },
  },
});
const epochs = Number(args.epochs);
const latentDim = Number(args.latent);
const out = args.out!;
nb.manualSeed(Number(args.seed)); // the example's --seed default

const train = nb.datasets.mnist({ split: "train", limit: args.limit === undefined ? undefined : Number(args.limit) });
const test = nb.datasets.mnist({ split: "test", limit: args["test-limit"] === undefined ? undefined : Number(args["test-limit"]) });
const model = nb.models.vae({ latentDim });
const optimizer = new nb.optim.Adam(model.parameters(), { lr: 1e-3 });
const loader = new nb.data.DataLoader(train, { batchSize: 128, shuffle: true, seed: Number(args.seed) });
console.log(`VAE 784-400-${latentDim}: ${model.parameters().reduce((s, p) => s + p.numel(), 0).toLocaleString("en-US")} parameters; ` +
  `${train.length} training and ${test.length} test images; ${cpus()[0]?.model ?? "unknown CPU"}, backend ${nb.getBackend()}`);

/** Sum over the test set of the loss with z sampled (the example's) and with z = mu, each divided by the images. */
function testLoss(): { sampled: number; mean: number } {
  model.eval();
  let sampled = 0, mean = 0;
  nb.noGrad(() => {
    for (let s = 0; s < test.length; s += 128) {
      nb.tidy(() => {
        const x = test.x.narrow(0, s, Math.min(128, test.length - s));
        const [mu, logvar] = model.encode(x);
        sampled += nb.models.vaeLoss(model.decode(model.reparameterize(mu, logvar, { sample: true })), x, mu, logvar).item();
        mean += nb.models.vaeLoss(model.decode(mu), x, mu, logvar).item();
      });
    }
  });
  model.train();
  return { sampled: sampled / test.length, mean: mean / test.length };
}

/** The example's pictures: 8 test digits over their reconstructions, and 64 digits decoded from prior samples. */
function writePictures(epoch: number, priorZ: nb.Tensor): void {
  model.eval();
  nb.noGrad(() => nb.tidy(() => {
    const x = test.x.narrow(0, 0, 8);
    const [recon] = model.forward(x);
    nb.viz.saveImageGrid(nb.cat([x, recon], 0), join(out, `reconstruction_${epoch}.png`), { nrow: 8, scale: 2 });
    nb.viz.saveImageGrid(model.decode(priorZ), join(out, `sample_${epoch}.png`), { nrow: 8, scale: 2 });
  }));
  model.train();
}

/** Φ⁻¹(p), the standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9). */
function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number): number => (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** With a 2-D code: the decoded digit at each point of a side x side grid of normal quantiles (z2 grows downwards). */
function writeLatentWalk(side = 20): void {
  const q = Array.from({ length: side }, (_, i) => normalQuantile(0.05 + (0.9 * i) / (side - 1)));
  const z = new Float32Array(side * side * 2);
  for (let row = 0; row < side; row++) {
    for (let col = 0; col < side; col++) [z[(row * side + col) * 2], z[(row * side + col) * 2 + 1]] = [q[col], q[row]];
  }
  model.eval();
  nb.noGrad(() => nb.tidy(() => {
    nb.viz.saveImageGrid(model.decode(nb.tensor(z, { shape: [side * side, 2] })), join(out, "latent_walk.png"), { nrow: side, padding: 0 });
  }));
  model.train();
}

const priorZ = nb.randn([64, latentDim]); // one fixed draw, so the epochs' sample grids compare
const started = performance.now();
const perEpoch: { epoch: number; train: number; test: number; testMean: number; seconds: number }[] = [];
for (let epoch = 1; epoch <= epochs; epoch++) {
  let total = 0;
  for (const [x, labels] of loader) {
    total += nb.tidy(() => {
      optimizer.zeroGrad();
      const [recon, mu, logvar] = model.forward(x);
      const loss = nb.models.vaeLoss(recon, x, mu, logvar);
      loss.backward();
      optimizer.step();
      return loss.item();
    });
    x.dispose();
    labels.dispose();
  }
  const t = testLoss();
  const seconds = (performance.now() - started) / 1000;
  perEpoch.push({ epoch, train: total / train.length, test: t.sampled, testMean: t.mean, seconds });
  console.log(`====> Epoch: ${epoch} Average loss: ${(total / train.length).toFixed(4)}  ====> Test set loss: ${t.sampled.toFixed(4)} ` +
    `(z = mu: ${t.mean.toFixed(4)})  ${seconds.toFixed(0)} s`);
  writePictures(epoch, priorZ);
}
if (latentDim === 2) writeLatentWalk();
const last = perEpoch[perEpoch.length - 1];
if (last) {
  console.log(`final: test loss per image ${last.test.toFixed(2)} after ${epochs} epoch${epochs === 1 ? "" : "s"} (PyTorch's example: about 106 after 10), ` +
    `${last.seconds.toFixed(0)} s (${(process.cpuUsage().user / 1e6).toFixed(0)} s of CPU); pictures in ${out}/ (reconstruction_N.png, sample_N.png${latentDim === 2 ? ", latent_walk.png" : ""})`);
}
