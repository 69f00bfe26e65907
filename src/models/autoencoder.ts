// Autoencoders: an encoder squeezes an image into a small code (the latent vector) and a decoder
// rebuilds the image from it; trained to reproduce their input (e.g. BCE or MSE against x), they
// learn what the images have in common. Images are in [0, 1], so the decoder ends in a sigmoid.
//   dense: Flatten → Linear/ReLU per hidden width → Linear(latent); the decoder mirrors it and
//          Unflattens to the input's shape.
//   conv:  a stride-2 Conv2d(3x3, padding 1)/ReLU per hidden channel count (each halves H and W)
//          → Flatten → Linear(latent); the decoder is Linear → Unflatten → ConvTranspose2d(3x3,
//          stride 2, padding 1, outputPadding 1)/ReLU per stage (each doubles H and W exactly), so
//          28 → 14 → 7 → 14 → 28 and 32 → 16 → 8 → 16 → 32 round-trip.

import type { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../core/shape.js";
import { checkOptions, optionNames } from "../core/options.js";
import { Module } from "../nn/module.js";
import { Sequential } from "../nn/containers.js";
import { Flatten, Linear, Unflatten } from "../nn/linear.js";
import { Conv2d } from "../nn/conv.js";
import { ConvTranspose2d } from "../nn/conv-transpose.js";
import { ReLU, Sigmoid } from "../nn/activation.js";
import { checkChoice, checkInput, checkInt } from "../nn/checks.js";

export type AutoencoderKind = "dense" | "conv";

export interface AutoencoderOptions {
  /** One image without the batch dim (default [1, 28, 28]); conv needs [C, H, W]. */
  inputShape?: readonly number[];
  /** Size of the code (default 32). */
  latentDim?: number;
  /** "dense" (default) or "conv". */
  kind?: AutoencoderKind;
  /**
   * dense: the encoder's hidden widths (default [256, 128]); conv: the channels of its stride-2
   * convolutions (default [16, 32]; H and W must divide by 2 per entry).
   */
  hidden?: readonly number[];
}

export const AUTOENCODER_OPTIONS = optionNames<AutoencoderOptions>({ inputShape: 1, latentDim: 1, kind: 1, hidden: 1 });
const KINDS: readonly AutoencoderKind[] = ["dense", "conv"];
const DEFAULT_HIDDEN: Record<AutoencoderKind, number[]> = { dense: [256, 128], conv: [16, 32] };

export class Autoencoder extends Module {
  readonly encoder: Sequential;
  readonly decoder: Sequential;
  readonly inputShape: readonly number[];
  readonly latentDim: number;
  readonly kind: AutoencoderKind;

  constructor(opts: AutoencoderOptions = {}) {
    super();
    const where = "autoencoder";
    checkOptions(where, opts, AUTOENCODER_OPTIONS, { latent: "latentDim", latent_dim: "latentDim", input_shape: "inputShape" });
    this.kind = checkChoice(where, "kind", opts.kind ?? "dense", KINDS);
    this.inputShape = checkSizes(where, "inputShape", opts.inputShape ?? [1, 28, 28], "[1, 28, 28]");
    this.latentDim = checkInt(where, "latentDim", opts.latentDim ?? 32);
    const hidden = checkSizes(where, "hidden", opts.hidden ?? DEFAULT_HIDDEN[this.kind], `[${DEFAULT_HIDDEN[this.kind].join(", ")}]`);
    [this.encoder, this.decoder] = this.kind === "dense"
      ? denseHalves(this.inputShape, hidden, this.latentDim)
      : convHalves(where, this.inputShape, hidden, this.latentDim);
  }

  /** x: [N, ...inputShape] → codes [N, latentDim]. */
  encode(x: Tensor): Tensor {
    checkInput(this, x, [this.inputShape.length + 1], `[N, ${this.inputShape.join(", ")}]`);
    if (x.shape.slice(1).some((s, i) => s !== this.inputShape[i])) {
      throw this.layerError(`expected images [N, ${this.inputShape.join(", ")}] (its inputShape), got ${formatShape(x.shape)}`);
    }
    return this.encoder.forward(x);
  }

  /** codes [N, latentDim] → reconstructions [N, ...inputShape] in (0, 1). */
  decode(z: Tensor): Tensor {
    checkInput(this, z, [2], "[N, latentDim]");
    if (z.shape[1] !== this.latentDim) throw this.layerError(`expected codes [N, ${this.latentDim}] (its latentDim), got ${formatShape(z.shape)}`);
    return this.decoder.forward(z);
  }

  forward(x: Tensor): Tensor {
    return this.decode(this.encode(x));
  }

  override extraRepr(): string {
    return `kind=${this.kind}, inputShape=[${this.inputShape.join(", ")}], latentDim=${this.latentDim}`;
  }
}

function denseHalves(shape: readonly number[], widths: number[], latent: number): [Sequential, Sequential] {
  const features = shape.reduce((a, b) => a * b, 1);
  const sizes = [features, ...widths];
  const enc: Module[] = [new Flatten()];
  for (let i = 1; i < sizes.length; i++) enc.push(new Linear(sizes[i - 1], sizes[i]), new ReLU());
  enc.push(new Linear(sizes[sizes.length - 1], latent));
  const dec: Module[] = [];
  let from = latent;
  for (let i = sizes.length - 1; i >= 1; i--) {
    dec.push(new Linear(from, sizes[i]), new ReLU());
    from = sizes[i];
  }
  dec.push(new Linear(from, features), new Sigmoid(), new Unflatten(1, [...shape]));
  return [new Sequential(...enc), new Sequential(...dec)];
}

function convHalves(where: string, shape: readonly number[], channels: number[], latent: number): [Sequential, Sequential] {
  if (shape.length !== 3) throw new RangeError(`${where}: kind "conv" needs inputShape [C, H, W], got [${shape.join(", ")}]`);
  const [c, h, w] = shape;
  const factor = 2 ** channels.length;
  if (h % factor !== 0 || w % factor !== 0) {
    throw new RangeError(
      `${where}: kind "conv" halves H and W ${channels.length} times (once per hidden entry), so both must be multiples of ${factor}; ` +
      `got ${h}x${w} (pad or resize the images, e.g. to ${Math.ceil(h / factor) * factor}x${Math.ceil(w / factor) * factor}, or use fewer hidden entries)`,
    );
  }
  const [bh, bw] = [h / factor, w / factor];
  const last = channels[channels.length - 1];
  const sizes = [c, ...channels];
  const enc: Module[] = [];
  for (let i = 1; i < sizes.length; i++) enc.push(new Conv2d(sizes[i - 1], sizes[i], 3, { stride: 2, padding: 1 }), new ReLU());
  enc.push(new Flatten(), new Linear(last * bh * bw, latent));
  const dec: Module[] = [new Linear(latent, last * bh * bw), new ReLU(), new Unflatten(1, [last, bh, bw])];
  for (let i = sizes.length - 1; i >= 1; i--) {
    dec.push(new ConvTranspose2d(sizes[i], sizes[i - 1], 3, { stride: 2, padding: 1, outputPadding: 1 }));
    dec.push(i > 1 ? new ReLU() : new Sigmoid());
  }
  return [new Sequential(...enc), new Sequential(...dec)];
}

/** A non-empty list of positive integers (an image shape without the batch, layer sizes). */
export function checkSizes(where: string, name: string, v: unknown, example: string): number[] {
  if (!Array.isArray(v) || v.length === 0 || v.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new RangeError(`${where}: ${name} must be a non-empty array of positive integers such as ${example}, got ${JSON.stringify(v)}`);
  }
  return [...v];
}

export const autoencoder = (opts: AutoencoderOptions = {}): Autoencoder => new Autoencoder(opts);
