// nb.trainGan: the adversarial loop of PyTorch's DCGAN example (Radford et al., 2015). nb.fit
// trains one network with one loss; a GAN trains two that compete, each with its own optimizer:
//   1. the discriminator D learns to tell real images (label 1) from generated ones (label 0):
//      BCE(D(x), 1) + BCE(D(G(z).detach()), 0), one step of D's optimizer;
//   2. the generator G learns to fool it: BCE(D(G(z)), 1), one step of G's optimizer — the
//      "non-saturating" loss, whose gradient stays large while D still wins easily.
// The same fake batch serves both steps (detached for D's, so D's loss does not train G). The
// loop is short on purpose: docs/guide.md writes it out by hand with the same public API.

import { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../core/shape.js";
import { checkOptions, optionNames } from "../core/options.js";
import { full, randn } from "../tensor/creation.js";
import { tidy } from "../tensor/scope.js";
import { add } from "../ops/elementwise.js";
import { mean } from "../ops/reduce.js";
import { Module } from "../nn/module.js";
import { BCELoss } from "../nn/loss.js";
import { Adam } from "../optim/adam.js";
import type { Optimizer } from "../optim/optimizer.js";
import { DataLoader } from "../data/dataloader.js";
import { toLoader, type DataSource } from "./data-source.js";

/** What one iteration (or the mean over an epoch) measured, named after the DCGAN example's printout. */
export interface GanLogs {
  /** Loss_D: BCE on the real batch plus BCE on the fake one. */
  lossD: number;
  /** Loss_G: BCE(D(G(z)), 1). */
  lossG: number;
  /** D(x): the discriminator's mean output on real images (→ 0.5 as G catches up). */
  dReal: number;
  /** D(G(z)) before D's step (D_G_z1 of the example). */
  dFake: number;
  /** D(G(z)) after D's step, the output G was trained against (D_G_z2). */
  dFakeAfter: number;
}

export interface GanHistory {
  /** One entry per iteration (mini-batch). */
  iterations: { [K in keyof GanLogs]: number[] };
  /** The mean over each epoch's iterations. */
  epochs: { [K in keyof GanLogs]: number[] };
}

export interface TrainGanOptions {
  generator: Module;
  discriminator: Module;
  /** Real images, as a DataLoader (its batches' x), a Dataset or {x, y}; already scaled to G's output range (see transform). */
  data: DataSource;
  epochs: number;
  /** Length of the noise vector (default 100); noise is [N, nz, 1, 1], what a DCGAN generator takes. */
  nz?: number;
  /** Draws the noise for n images instead (e.g. n => nb.randn([n, 64]) for a dense generator). */
  noise?: (n: number) => Tensor;
  /** Mini-batch size when data is not a DataLoader (default 128, the DCGAN example's). */
  batchSize?: number;
  /** Applied to each real batch, e.g. x => x.mul(2).sub(1) to bring [0, 1] images to tanh's [-1, 1]. */
  transform?: (x: Tensor) => Tensor;
  /** Default Adam(lr, betas) on each network's parameters. */
  optimizerD?: Optimizer;
  optimizerG?: Optimizer;
  /** For the default optimizers: lr 2e-4 and betas [0.5, 0.999], the DCGAN paper's. */
  lr?: number;
  betas?: [number, number];
  /** Seed of the data order when data is not a DataLoader. */
  seed?: number;
  onBatchEnd?: (epoch: number, batch: number, logs: GanLogs) => void | Promise<void>;
  /** After each epoch (0-based), with the epoch's means: draw samples, save weights. */
  onEpochEnd?: (epoch: number, logs: GanLogs) => void | Promise<void>;
  /**
   * Continue a run from its checkpoint: the epoch (0-based) to start at and the history so far
   * (the caller restores the networks, optimizers and random generators first).
   */
  resume?: { initialEpoch: number; history: GanHistory };
}

export const TRAIN_GAN_OPTIONS = optionNames<TrainGanOptions>({
  generator: 1, discriminator: 1, data: 1, epochs: 1, nz: 1, noise: 1, batchSize: 1, transform: 1,
  optimizerD: 1, optimizerG: 1, lr: 1, betas: 1, seed: 1, onBatchEnd: 1, onEpochEnd: 1, resume: 1,
});

const KEYS: readonly (keyof GanLogs)[] = ["lossD", "lossG", "dReal", "dFake", "dFakeAfter"];

/** Train a generator against a discriminator (which returns probabilities, one per image); returns the losses. */
export async function trainGan(opts: TrainGanOptions): Promise<GanHistory> {
  const where = "trainGan";
  checkOptions(where, opts, TRAIN_GAN_OPTIONS, { netG: "generator", netD: "discriminator", dataloader: "data", num_epochs: "epochs" });
  const { generator: g, discriminator: d } = opts;
  if (!(g instanceof Module) || !(d instanceof Module)) throw new TypeError(`${where}: generator and discriminator must be nb.nn.Module instances`);
  if (!Number.isInteger(opts.epochs) || opts.epochs < 1) throw new RangeError(`${where}: epochs must be a positive integer, got ${String(opts.epochs)}`);
  const nz = opts.nz ?? 100;
  if (!Number.isInteger(nz) || nz < 1) throw new RangeError(`${where}: nz must be a positive integer, got ${String(nz)}`);
  if ((opts.lr !== undefined || opts.betas !== undefined) && opts.optimizerD && opts.optimizerG) {
    throw new RangeError(`${where}: lr and betas set the default Adam optimizers; both optimizerD and optimizerG are given`);
  }
  const adam = (m: Module) => new Adam(m.parameters(), { lr: opts.lr ?? 2e-4, betas: opts.betas ?? [0.5, 0.999] });
  const optD = opts.optimizerD ?? adam(d);
  const optG = opts.optimizerG ?? adam(g);
  const noise = opts.noise ?? ((n: number) => randn([n, nz, 1, 1]));
  const loader = opts.data instanceof DataLoader ? opts.data : toLoader(opts.data, { batchSize: opts.batchSize ?? 128, shuffle: true, seed: opts.seed }, where);
  const criterion = new BCELoss();

  const history: GanHistory = opts.resume?.history ?? { iterations: emptyLogs(), epochs: emptyLogs() };
  g.train();
  d.train();
  for (let epoch = opts.resume?.initialEpoch ?? 0; epoch < opts.epochs; epoch++) {
    const sums = Object.fromEntries(KEYS.map((k) => [k, 0])) as unknown as GanLogs;
    let batches = 0;
    for (const [x, y] of loader) {
      const logs = tidy(() => {
        const real = opts.transform ? opts.transform(x) : x;
        const n = real.shape[0];
        const ones = full([n], 1), zeros = full([n], 0);
        // (1) D: maximise log D(x) + log(1 − D(G(z))).
        optD.zeroGrad();
        const outReal = probabilities(where, d.forward(real) as Tensor, n);
        const lossReal = criterion.forward(outReal, ones);
        lossReal.backward();
        const fake = g.forward(noise(n)) as Tensor;
        const outFake = probabilities(where, d.forward(fake.detach()) as Tensor, n);
        const lossFake = criterion.forward(outFake, zeros);
        lossFake.backward();
        optD.step();
        // (2) G: maximise log D(G(z)) — fake images labelled real.
        optG.zeroGrad();
        const outAfter = probabilities(where, d.forward(fake) as Tensor, n);
        const lossG = criterion.forward(outAfter, ones);
        lossG.backward();
        optG.step();
        return {
          lossD: add(lossReal, lossFake).item(), lossG: lossG.item(),
          dReal: mean(outReal).item(), dFake: mean(outFake).item(), dFakeAfter: mean(outAfter).item(),
        };
      });
      x.dispose();
      y.dispose();
      for (const k of KEYS) {
        history.iterations[k].push(logs[k]);
        sums[k] += logs[k];
      }
      if (opts.onBatchEnd) await opts.onBatchEnd(epoch, batches, logs);
      batches++;
    }
    if (batches === 0) throw new RangeError(`${where}: the data gave no batches (an empty dataset, or dropLast with fewer images than a batch)`);
    const means = Object.fromEntries(KEYS.map((k) => [k, sums[k] / batches])) as unknown as GanLogs;
    for (const k of KEYS) history.epochs[k].push(means[k]);
    if (opts.onEpochEnd) await opts.onEpochEnd(epoch, means);
  }
  return history;
}

function emptyLogs(): { [K in keyof GanLogs]: number[] } {
  return { lossD: [], lossG: [], dReal: [], dFake: [], dFakeAfter: [] };
}

/** The discriminator's output as [N] probabilities ([N, 1] and [N, 1, 1, 1] are flattened). */
function probabilities(where: string, out: Tensor, n: number): Tensor {
  if (!(out instanceof Tensor) || out.numel() !== n || out.shape[0] !== n) {
    const shape = out instanceof Tensor ? formatShape(out.shape) : typeof out;
    throw new RangeError(`${where}: the discriminator must return one probability per image, [${n}] (or [${n}, 1]), got ${shape}`);
  }
  return out.ndim === 1 ? out : out.reshape([n]);
}
