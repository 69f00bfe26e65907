// `nabla train` for the generative models (task "generate"): autoencoders and the VAE learn to
// rebuild their input, the DCGAN's generator learns to fool its discriminator. None of them fits
// nb.fit's one-loss shape, so each has its short loop here, as PyTorch's examples have:
//   vae          examples/vae: Adam 1e-3, BCE + KL per image, test loss each epoch, samples from
//                the prior and test reconstructions after each epoch;
//   autoencoder  MSE against the clean image (--noise std: a denoising autoencoder);
//   dcgan        examples/dcgan through nb.trainGan: images scaled to [-1, 1], padded 28 → 32 (or
//                resized to --image-size), a fixed-noise grid after each epoch, D/G loss curves.
// Everything goes into --out: PNG grids, weights (.safetensors), history (JSON, CSV), curves.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Tensor } from "../tensor/tensor.js";
import { manualSeed } from "../tensor/random.js";
import { randn, tensor } from "../tensor/creation.js";
import { tidy } from "../tensor/scope.js";
import { noGrad } from "../autograd/grad-mode.js";
import { setBackend, getBackend } from "../backend/registry.js";
import { DataLoader } from "../data/dataloader.js";
import { TensorDataset, type Dataset } from "../data/dataset.js";
import * as optim from "../optim/index.js";
import type { Module } from "../nn/module.js";
import { mseLoss } from "../nn/loss.js";
import { cat, pad } from "../ops/indexing.js";
import { interpolate } from "../ops/interpolate.js";
import { GaussianNoise } from "../transforms/noise.js";
import { save } from "../io/save-load.js";
import { trainGan, type GanHistory, type GanLogs } from "../train/gan.js";
import { ModuleDict } from "../nn/containers.js";
import { optimizerPair } from "./optimizer-pair.js";
import * as models from "../models/index.js";
import { saveImageGrid } from "../viz/save-image.js";
import { lineChartPng, lineChartSvg } from "../viz/line-chart.js";
import { checkModelDataset, loadDataset, resolveModelName } from "./registry.js";
import { describeOptimizer, optimizerOptions, type OptimizerArgs } from "./optimizer-flags.js";
import { UsageError } from "./usage-error.js";
import { LoopRun } from "./run-folder.js";
import { watchInterrupts } from "./interrupts.js";

export interface GenerateArgs extends OptimizerArgs {
  model: string;
  dataset: string;
  root?: string;
  epochs: number;
  batchSize: number;
  seed: number;
  device?: string;
  out?: string;
  limit?: number;
  testLimit?: number;
  /** Latent size: the DCGAN's noise length (default 100), the VAE's z (20), the autoencoder's code (32). */
  nz?: number;
  ngf?: number;
  ndf?: number;
  /** DCGAN image side, 32 or 64 (default 32). */
  imageSize?: number;
  /** Autoencoders: std of the Gaussian noise added to the inputs (a denoising autoencoder). */
  noise?: number;
  /** Flags of `nabla train` given on the command line that a generative model does not take. */
  classifierFlags?: string[];
  /** VAE and autoencoders: continue the run in `out` from its last epoch's checkpoint (`nabla train --resume`). */
  resume?: boolean;
  verbose: 0 | 1 | 2;
}

/** What each generative model takes beyond the common flags. */
const MODEL_FLAGS: Record<string, { flag: string; key: keyof GenerateArgs }[]> = {
  dcgan: [{ flag: "--nz", key: "nz" }, { flag: "--ngf", key: "ngf" }, { flag: "--ndf", key: "ndf" }, { flag: "--image-size", key: "imageSize" }],
  vae: [{ flag: "--nz", key: "nz" }],
  autoencoder: [{ flag: "--nz", key: "nz" }, { flag: "--noise", key: "noise" }],
  "conv-autoencoder": [{ flag: "--nz", key: "nz" }, { flag: "--noise", key: "noise" }],
};
const ALL_MODEL_FLAGS = [...new Map(Object.values(MODEL_FLAGS).flat().map((f) => [f.flag, f])).values()];

/** The flags only the generative models take, for the classify path to refuse. */
export const GENERATIVE_FLAGS: readonly { flag: string; key: keyof GenerateArgs }[] = ALL_MODEL_FLAGS;

/** Images per grid: 64 samples (8x8), as PyTorch's examples. */
const SAMPLES = 64;

export async function generativeCommand(a: GenerateArgs, log: (line: string) => void = console.log): Promise<void> {
  // Every flag is checked before the data is read.
  const model = resolveModelName(a.model);
  checkModelDataset(model, a.dataset);
  if (a.classifierFlags?.length) {
    throw new UsageError(`${a.classifierFlags.join(", ")}: for classifiers (nb.fit's validation split, early stopping, schedules, augmentation, dropout); ${model} trains on the whole training split${model === "dcgan" ? "" : " and reports the test split each epoch"}`);
  }
  const takes = MODEL_FLAGS[model];
  const wrong = ALL_MODEL_FLAGS.filter((f) => a[f.key] !== undefined && !takes.some((t) => t.flag === f.flag)).map((f) => f.flag);
  if (wrong.length) throw new UsageError(`${wrong.join(", ")}: not a flag of --model ${model} (it takes ${takes.map((t) => t.flag).join(", ")})`);
  if (a.imageSize !== undefined && !models.DCGAN_IMAGE_SIZES.includes(a.imageSize)) {
    throw new UsageError(`--image-size must be ${models.DCGAN_IMAGE_SIZES.join(" or ")} (the DCGAN's layouts), got ${a.imageSize}`);
  }
  const { name: optimizerName, options: optimizerFlags } = optimizerOptions(a);
  if (a.device) setBackend(a.device);
  manualSeed(a.seed);
  const data = loadDataset(a.dataset, a.root, { train: a.limit, test: a.testLimit });
  const train = imagesOf(data.train);
  const test = data.test ? imagesOf(data.test) : null;
  if (a.out) mkdirSync(a.out, { recursive: true });
  const context = { a, model, train, test, log, optimizerName, optimizerFlags };
  if (model === "dcgan") await trainDcgan(context);
  else await trainReconstruction(context);
}

interface Context {
  a: GenerateArgs;
  model: string;
  train: Tensor;
  test: Tensor | null;
  log: (line: string) => void;
  optimizerName: ReturnType<typeof optimizerOptions>["name"];
  optimizerFlags: Record<string, number>;
}

/** All images of a dataset as one [N, C, H, W] tensor (the built-in datasets hold them so already). */
function imagesOf(ds: Dataset): Tensor {
  if (ds instanceof TensorDataset) return ds.x;
  return ds.getBatch!(Array.from({ length: ds.length }, (_, i) => i))[0];
}

const shapeOf = (x: Tensor): [number, number, number] => [x.shape[1], x.shape[2], x.shape[3]];

// ---- VAE and autoencoders ------------------------------------------------------------------------

async function trainReconstruction(c: Context): Promise<void> {
  const { a, model: name, train, test, log } = c;
  const inputShape = shapeOf(train);
  const vae = name === "vae";
  const model: Module = vae
    ? models.vae({ inputShape, latentDim: a.nz ?? 20 })
    : models.autoencoder({ inputShape, latentDim: a.nz ?? 32, kind: name === "conv-autoencoder" ? "conv" : "dense" });
  const optimizer = optim.create(c.optimizerName, model.parameters(), c.optimizerFlags);
  const noise = a.noise ? new GaussianNoise(a.noise, { clip: true }) : null;
  const loader = new DataLoader(new TensorDataset(train, train), { batchSize: a.batchSize, shuffle: true, seed: a.seed });
  // The VAE's loss is the example's: BCE + KL summed, reported per image; the autoencoder's MSE per pixel.
  const lossOf = (x: Tensor, target: Tensor, sample: boolean): Tensor => {
    if (model instanceof models.VAE) {
      const [mu, logvar] = model.encode(x);
      const recon = model.decode(model.reparameterize(mu, logvar, { sample }));
      return models.vaeLoss(recon, target, mu, logvar, { reduction: "batchmean" });
    }
    return mseLoss(model.forward(x) as Tensor, target);
  };
  const what = `${train.shape[0]} training, ${test?.shape[0] ?? 0} test images`;
  log(`nabla train: ${name} on ${a.dataset} (${what}${noise ? `, inputs with Gaussian noise std ${a.noise}` : ""}), ${describeOptimizer(optimizer)}, batch ${a.batchSize}, backend ${getBackend()}`);
  const lossName = vae ? "BCE + KL per image" : "MSE";
  let history: { loss: number[]; test_loss: number[]; seconds: number[] } = { loss: [], test_loss: [], seconds: [] };
  const fixedZ = vae ? randn([SAMPLES, a.nz ?? 20]) : null;
  // Long runs: a checkpoint at every epoch's end, --resume, Ctrl-C at a step boundary, NaN losses.
  const resumeCommand = `nabla train --resume ${a.out}`;
  const interrupts = watchInterrupts((signal) => process.stderr.write(`\nnabla: ${signal}: stopping after the current step (again: at once)\n`), a.out ? resumeCommand : undefined);
  try {
    const run = new LoopRun(a.out ?? null, resumeCommand, interrupts, { model, optimizer, loader, epochs: a.epochs, history });
    const first = await run.start(a.resume ?? false);
    history = run.ctx.history as typeof history;
    if (first > 0) log(`resuming ${a.out} from its checkpoint: epoch ${first + 1} of ${a.epochs}`);

    for (let epoch = first + 1; epoch <= a.epochs; epoch++) {
      const started = performance.now();
      model.train();
      let sum = 0, seen = 0, batch = 0;
      for (const [x, y] of loader) {
        const n = x.shape[0];
        const loss = tidy(() => {
          optimizer.zeroGrad();
          const loss = lossOf(noise ? noise.apply(x) : x, y, true);
          loss.backward();
          optimizer.step();
          return loss.item();
        });
        sum += loss * n;
        seen += n;
        x.dispose();
        y.dispose();
        await run.step(epoch - 1, batch++, loss);
      }
      history.loss.push(sum / seen);
      history.seconds.push((performance.now() - started) / 1000);
      model.eval();
      // PyTorch's example samples z for the test loss too; the pictures show the most likely code.
      const testLoss = test ? evaluateLoss(test, a.batchSize, (x) => lossOf(noise ? noise.apply(x) : x, x, true)) : NaN;
      history.test_loss.push(testLoss);
      log(`epoch ${epoch}/${a.epochs}: loss ${fmt(history.loss[epoch - 1])}${test ? `, test_loss ${fmt(testLoss)}` : ""} (${lossName}, ${history.seconds[epoch - 1].toFixed(1)} s)`);
      if (a.out) {
        const shown = (test ?? train).narrow(0, 0, Math.min(8, (test ?? train).shape[0]));
        writeReconstructions(model, shown, noise, join(a.out, vae ? `reconstruction-epoch-${epoch}.png` : "reconstructions.png"));
        if (model instanceof models.VAE) noGrad(() => saveImageGrid(model.decode(fixedZ!), join(a.out!, `samples-epoch-${epoch}.png`)));
      }
      await run.endEpoch(epoch - 1);
    }
    run.finish();
  } finally {
    interrupts.dispose();
  }
  if (!a.out) return;
  const weights = vae ? "vae.safetensors" : "autoencoder.safetensors";
  await save(model, join(a.out, weights));
  writeFileSync(join(a.out, "history.json"), JSON.stringify(history, null, 2) + "\n");
  writeFileSync(join(a.out, "history.csv"), ["epoch,loss,test_loss", ...history.loss.map((l, i) => `${i},${l},${history.test_loss[i]}`)].join("\n") + "\n");
  const curves: Record<string, number[]> = { train: history.loss };
  if (test) curves.test = history.test_loss;
  writeCurves(a.out, curves, { title: `${name}: ${lossName}`, xLabel: "epoch", yLabel: vae ? "loss per image" : "MSE" });
  const walk = model instanceof models.VAE && model.latentDim === 2;
  if (walk) writeLatentWalk(model as models.VAE, join(a.out, "latent-walk.png"));
  const pictures = vae ? `reconstruction-epoch-N.png, samples-epoch-N.png${walk ? ", latent-walk.png" : ""}` : "reconstructions.png";
  log(`wrote ${a.out}: ${weights}, history.json, history.csv, loss-curves.png, loss-curves.svg, ${pictures}`);
}

/** A 2-D latent space walked on a 20x20 grid from −2 to 2 standard deviations per axis, each code decoded: how the digits morph into each other. */
function writeLatentWalk(model: models.VAE, path: string, steps = 20): void {
  const codes: number[] = [];
  for (let row = 0; row < steps; row++) {
    for (let col = 0; col < steps; col++) codes.push(-2 + (4 * col) / (steps - 1), 2 - (4 * row) / (steps - 1));
  }
  tidy(() => noGrad(() => saveImageGrid(model.decode(tensor(codes, { shape: [steps * steps, 2] })), path, { nrow: steps, padding: 0 })));
}

/** The mean per-batch loss over a whole split, without gradients, in eval mode. */
function evaluateLoss(images: Tensor, batchSize: number, lossOf: (x: Tensor) => Tensor): number {
  let sum = 0;
  const n = images.shape[0];
  for (let i = 0; i < n; i += batchSize) {
    const size = Math.min(batchSize, n - i);
    sum += tidy(() => noGrad(() => lossOf(images.narrow(0, i, size)).item())) * size;
  }
  return sum / n;
}

/** PyTorch's comparison picture: the originals in the first row, their reconstructions below (the noisy inputs between, for a denoising model). */
function writeReconstructions(model: Module, x: Tensor, noise: GaussianNoise | null, path: string): void {
  tidy(() => noGrad(() => {
    const input = noise ? noise.apply(x) : x;
    const recon = (model instanceof models.VAE ? model.decode(model.encode(input)[0]) : model.forward(input)) as Tensor;
    const rows = noise ? [x, input, recon.reshape(x.shape)] : [x, recon.reshape(x.shape)];
    saveImageGrid(cat(rows, 0), path, { nrow: x.shape[0] });
  }));
}

// ---- DCGAN ---------------------------------------------------------------------------------------

async function trainDcgan(c: Context): Promise<void> {
  const { a, train, log } = c;
  const [nc, h] = shapeOf(train);
  const imageSize = a.imageSize ?? 32;
  const nz = a.nz ?? 100;
  const { generator, discriminator } = models.dcgan({ nz, ngf: a.ngf ?? 64, ndf: a.ndf ?? 64, nc, imageSize });
  // Adam with the DCGAN paper's β1 = 0.5 and lr 2e-4 unless the flags say otherwise.
  const options = c.optimizerName === "adam" ? { lr: 2e-4, betas: [0.5, 0.999] as [number, number], ...c.optimizerFlags } : c.optimizerFlags;
  const optimizerD = optim.create(c.optimizerName, discriminator.parameters(), options);
  const optimizerG = optim.create(c.optimizerName, generator.parameters(), options);
  const fixedNoise = randn([SAMPLES, nz, 1, 1]);
  const loader = new DataLoader(new TensorDataset(train, train), { batchSize: a.batchSize, shuffle: true, seed: a.seed });
  const resize = h === imageSize ? "" : h === 28 && imageSize === 32 ? ", padded to 32x32" : `, resized to ${imageSize}x${imageSize}`;
  log(`nabla train: dcgan on ${a.dataset} (${train.shape[0]} training images${resize}, scaled to [-1, 1]), ${describeOptimizer(optimizerD)} for D and G, batch ${a.batchSize}, backend ${getBackend()}`);
  let started = performance.now();
  let seconds: number[] = [];
  // Long runs: one checkpoint of both networks and optimizers at every epoch's end, as for the VAE.
  const fresh = { iterations: emptyGanLogs(), epochs: emptyGanLogs() };
  const flat = (h: GanHistory, s: number[]) => ({ ...Object.fromEntries(GAN_KEYS.flatMap((k) => [[`iterations.${k}`, h.iterations[k]], [`epochs.${k}`, h.epochs[k]]])), seconds: s });
  const resumeCommand = `nabla train --resume ${a.out}`;
  const interrupts = watchInterrupts((signal) => process.stderr.write(`\nnabla: ${signal}: stopping after the current step (again: at once)\n`), a.out ? resumeCommand : undefined);
  let history: GanHistory;
  try {
    const run = new LoopRun(a.out ?? null, resumeCommand, interrupts, {
      model: new ModuleDict({ generator, discriminator }), optimizer: optimizerPair(optimizerD, optimizerG), loader, epochs: a.epochs, history: flat(fresh, seconds),
    });
    const first = await run.start(a.resume ?? false);
    const h = run.ctx.history;
    const resumed: GanHistory = {
      iterations: Object.fromEntries(GAN_KEYS.map((k) => [k, h[`iterations.${k}`]])) as GanHistory["iterations"],
      epochs: Object.fromEntries(GAN_KEYS.map((k) => [k, h[`epochs.${k}`]])) as GanHistory["epochs"],
    };
    seconds = h.seconds;
    if (first > 0) log(`resuming ${a.out} from its checkpoint: epoch ${first + 1} of ${a.epochs}`);
    history = await trainGan({
      generator, discriminator, data: loader, epochs: a.epochs, nz, optimizerD, optimizerG,
      transform: (x) => toGanRange(x, imageSize), resume: { initialEpoch: first, history: resumed },
      onBatchEnd: (epoch, batch, logs) => run.step(epoch, batch, logs.lossD + logs.lossG),
      onEpochEnd: async (epoch, logs) => {
        seconds.push((performance.now() - started) / 1000);
        log(`epoch ${epoch + 1}/${a.epochs}: Loss_D ${logs.lossD.toFixed(4)}, Loss_G ${logs.lossG.toFixed(4)}, D(x) ${logs.dReal.toFixed(4)}, D(G(z)) ${logs.dFake.toFixed(4)} / ${logs.dFakeAfter.toFixed(4)} (${seconds[epoch].toFixed(1)} s)`);
        if (a.out) {
          writeGanSamples(generator, fixedNoise, join(a.out, `samples-epoch-${epoch + 1}.png`), { batchStats: true });
          await save(generator, join(a.out, "generator.safetensors"));
          await save(discriminator, join(a.out, "discriminator.safetensors"));
        }
        await run.endEpoch(epoch);
        started = performance.now();
      },
    });
    run.finish();
  } finally {
    interrupts.dispose();
  }
  if (!a.out) return;
  writeFileSync(join(a.out, "history.json"), JSON.stringify({ ...history, seconds }, null, 2) + "\n");
  const it = history.iterations;
  const perEpoch = it.lossD.length / a.epochs;
  writeFileSync(join(a.out, "history.csv"), [
    "iteration,epoch,loss_d,loss_g,d_x,d_g_z1,d_g_z2",
    ...it.lossD.map((_, i) => [i, Math.floor(i / perEpoch), it.lossD[i], it.lossG[i], it.dReal[i], it.dFake[i], it.dFakeAfter[i]].join(",")),
  ].join("\n") + "\n");
  writeCurves(a.out, { D: it.lossD, G: it.lossG }, { title: "Generator and discriminator loss during training", xLabel: "iteration", yLabel: "loss" });
  log(`wrote ${a.out}: generator.safetensors, discriminator.safetensors, samples-epoch-1..${a.epochs}.png, history.json, history.csv, loss-curves.png, loss-curves.svg`);
}

/** [0, 1] images to tanh's [-1, 1] at the generator's size: 28 → 32 by padding with black (as the digits' own border), other sizes by bilinear resizing. */
export function toGanRange(x: Tensor, imageSize: number): Tensor {
  return tidy(() => {
    const side = x.shape[2];
    let y = x;
    if (side === 28 && imageSize === 32) y = pad(x, [2, 2, 2, 2]);
    else if (side !== imageSize || x.shape[3] !== imageSize) y = interpolate(x, { size: [imageSize, imageSize], mode: "bilinear" });
    return y.mul(2).sub(1);
  });
}

/**
 * A grid of the generator's images for `noise`. During training it is drawn in training mode, as
 * PyTorch's example draws it (batch norm uses the batch's own statistics: its running averages lag
 * behind early on); `nabla sample` draws from saved weights in eval mode (the running averages).
 */
export function writeGanSamples(generator: Module, noise: Tensor, path: string, opts: { nrow?: number; batchStats: boolean }): void {
  const wasTraining = generator.training;
  generator.train(opts.batchStats);
  const nrow = opts.nrow ?? 8;
  try {
    tidy(() => noGrad(() => saveImageGrid(generator.forward(noise) as Tensor, path, { nrow, normalize: true, valueRange: [-1, 1] })));
  } finally {
    generator.train(wasTraining);
  }
}

function writeCurves(dir: string, series: Record<string, number[]>, opts: { title: string; xLabel: string; yLabel: string }): void {
  writeFileSync(join(dir, "loss-curves.svg"), lineChartSvg(series, opts));
  writeFileSync(join(dir, "loss-curves.png"), lineChartPng(series, opts));
}

const fmt = (v: number): string => (Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(4));

const GAN_KEYS: readonly (keyof GanLogs)[] = ["lossD", "lossG", "dReal", "dFake", "dFakeAfter"];
const emptyGanLogs = (): GanHistory["iterations"] => ({ lossD: [], lossG: [], dReal: [], dFake: [], dFakeAfter: [] });
