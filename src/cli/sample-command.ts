// `nabla sample`: new images from saved weights — a DCGAN generator fed Gaussian noise, or a VAE's
// decoder fed codes from its prior N(0, I) — written as one PNG grid. The model's sizes are read
// off the weights' shapes (so a PyTorch DCGAN example's netG_epoch_N.pth loads as well as the
// generator.safetensors `nabla train --model dcgan` writes).

import { existsSync } from "node:fs";
import type { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../core/shape.js";
import { manualSeed } from "../tensor/random.js";
import { randn } from "../tensor/creation.js";
import { noGrad } from "../autograd/grad-mode.js";
import { setBackend } from "../backend/registry.js";
import { load } from "../io/save-load.js";
import * as models from "../models/index.js";
import { saveImageGrid } from "../viz/save-image.js";
import { writeGanSamples } from "./generative-command.js";
import { oneOf, UsageError } from "./usage-error.js";

export interface SampleArgs {
  model: string;
  weights: string;
  n: number;
  nrow?: number;
  out: string;
  seed: number;
  device?: string;
}

const SAMPLERS = ["dcgan", "vae"] as const;

export async function sampleCommand(a: SampleArgs, log: (line: string) => void = console.log): Promise<void> {
  const model = oneOf("--model", a.model, SAMPLERS);
  if (!existsSync(a.weights)) throw new UsageError(`--weights ${a.weights}: no such file`);
  if (a.device) setBackend(a.device);
  const state = await load(a.weights);
  manualSeed(a.seed);
  const nrow = a.nrow ?? Math.ceil(Math.sqrt(a.n));
  if (model === "dcgan") {
    const sizes = dcganSizes(a.weights, state);
    const generator = new models.DCGANGenerator({ ...sizes, weightsInit: false });
    loadInto(generator, state, a.weights, "a DCGAN generator");
    writeGanSamples(generator, randn([a.n, sizes.nz, 1, 1]), a.out, { nrow, batchStats: false });
    log(`wrote ${a.out}: ${a.n} samples of a DCGAN generator (nz ${sizes.nz}, ngf ${sizes.ngf}, ${sizes.nc} channel${sizes.nc > 1 ? "s" : ""}, ${sizes.imageSize}x${sizes.imageSize})`);
  } else {
    const sizes = vaeSizes(a.weights, state);
    const vae = new models.VAE(sizes);
    loadInto(vae, state, a.weights, "a VAE");
    vae.eval();
    noGrad(() => saveImageGrid(vae.decode(randn([a.n, sizes.latentDim])), a.out, { nrow }));
    log(`wrote ${a.out}: ${a.n} samples of a VAE from its prior N(0, I) (latent ${sizes.latentDim}, hidden ${sizes.hidden}, images ${sizes.inputShape.join("x")})`);
  }
}

function shapeOf(state: Map<string, Tensor>, key: string, rank: number, path: string, what: string): number[] {
  const t = state.get(key);
  if (!t || t.ndim !== rank) {
    const keys = [...state.keys()];
    const shown = keys.slice(0, 4).join(", ") + (keys.length > 4 ? `, … (${keys.length} keys)` : "");
    throw new UsageError(`--weights ${path}: not ${what}'s weights (${t ? `${key} is ${formatShape(t.shape)}` : `no ${key}`}; the file holds ${shown || "nothing"})`);
  }
  return t.shape;
}

/** nz, ngf, nc and imageSize of a DCGAN generator from its state dict: main.0 is ConvT(nz → ngf·2^k), the last ConvT(ngf → nc). */
function dcganSizes(path: string, state: Map<string, Tensor>): { nz: number; ngf: number; nc: number; imageSize: number } {
  const what = "a DCGAN generator";
  const [nz] = shapeOf(state, "main.0.weight", 4, path, what);
  // The generator's first convolution is followed by batch norm, the discriminator's by LeakyReLU.
  if (!state.has("main.1.running_mean")) {
    throw new UsageError(`--weights ${path}: not a DCGAN generator's weights (main.1 is no batch norm: a discriminator's? sample from generator.safetensors)`);
  }
  const convs = [...state.keys()].filter((k) => /^main\.\d+\.weight$/.test(k) && state.get(k)!.ndim === 4).sort((x, y) => Number(x.split(".")[1]) - Number(y.split(".")[1]));
  const imageSize = 2 ** (convs.length + 1);
  if (!models.DCGAN_IMAGE_SIZES.includes(imageSize)) {
    throw new UsageError(`--weights ${path}: ${convs.length} transposed convolutions make no DCGAN generator nabla builds (4 for 32x32 images, 5 for 64x64)`);
  }
  const [ngf, nc] = state.get(convs[convs.length - 1])!.shape;
  return { nz, ngf, nc, imageSize };
}

/** latentDim, hidden and the image shape of a VAE from fc1 [hidden, pixels] and fc21 [latent, hidden]. */
function vaeSizes(path: string, state: Map<string, Tensor>): { latentDim: number; hidden: number; inputShape: number[] } {
  const what = "a VAE";
  const [hidden, features] = shapeOf(state, "fc1.weight", 2, path, what);
  const [latentDim] = shapeOf(state, "fc21.weight", 2, path, what);
  for (const c of [1, 3]) {
    const side = Math.round(Math.sqrt(features / c));
    if (c * side * side === features) return { latentDim, hidden, inputShape: [c, side, side] };
  }
  throw new UsageError(`--weights ${path}: the VAE's images have ${features} pixels, not a square image with 1 or 3 channels`);
}

function loadInto(model: models.VAE | models.DCGANGenerator, state: Map<string, Tensor>, path: string, what: string): void {
  try {
    model.loadStateDict(state);
  } catch (e) {
    throw new UsageError(`--weights ${path} does not fit ${what}: ${(e as Error).message.replace(/^loadStateDict: /, "")}`);
  }
}
