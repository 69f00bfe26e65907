// The variational autoencoder of PyTorch's examples/vae/main.py (Kingma & Welling, 2013), with its
// module names so its state dict loads key for key:
//   encode: h = relu(fc1(x)), mu = fc21(h), logvar = fc22(h)           784 → 400 → 20, 20
//   reparameterize: z = mu + eps·exp(logvar / 2), eps ~ N(0, I)        (the trick that lets the
//                   gradient reach mu and logvar through a random draw)
//   decode: sigmoid(fc4(relu(fc3(z))))                                 20 → 400 → 784
// vaeLoss is the example's loss_function: BCE summed over pixels and images plus the KL
// divergence of N(mu, σ²) from the prior N(0, I), −½·Σ(1 + logvar − mu² − exp(logvar)).

import type { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../core/shape.js";
import { checkOptions, optionNames } from "../core/options.js";
import { randn, type RandomOptions } from "../tensor/creation.js";
import { tidy } from "../tensor/scope.js";
import { add, exp, mul, relu, sigmoid, square, sub } from "../ops/elementwise.js";
import { sum } from "../ops/reduce.js";
import { reshape } from "../ops/view.js";
import { Module } from "../nn/module.js";
import { Linear } from "../nn/linear.js";
import { binaryCrossEntropy } from "../nn/loss.js";
import { checkChoice, checkInput, checkInt } from "../nn/checks.js";
import { checkSizes } from "./autoencoder.js";

export interface VaeOptions {
  /** One image without the batch dim (default [1, 28, 28]); it is flattened for fc1. */
  inputShape?: readonly number[];
  /** Size of z (default 20). */
  latentDim?: number;
  /** Width of fc1 and fc3 (default 400). */
  hidden?: number;
}

export const VAE_OPTIONS = optionNames<VaeOptions>({ inputShape: 1, latentDim: 1, hidden: 1 });

export interface ReparameterizeOptions {
  /**
   * Draw z = mu + eps·σ (default: in training mode) or return mu (default in eval mode).
   * PyTorch's example samples in evaluation too; pass sample: true to score a test set its way.
   */
  sample?: boolean;
  /** Where eps comes from (default: the global generator, see nb.manualSeed). */
  generator?: RandomOptions["generator"];
}

const REPARAMETERIZE_OPTIONS = optionNames<ReparameterizeOptions>({ sample: 1, generator: 1 });

export class VAE extends Module {
  readonly fc1: Linear;
  readonly fc21: Linear;
  readonly fc22: Linear;
  readonly fc3: Linear;
  readonly fc4: Linear;
  readonly inputShape: readonly number[];
  readonly latentDim: number;
  /** Pixels per image: fc1's input and fc4's output width. */
  readonly features: number;

  constructor(opts: VaeOptions = {}) {
    super();
    const where = "vae";
    checkOptions(where, opts, VAE_OPTIONS, { latent: "latentDim", latent_dim: "latentDim", input_shape: "inputShape", hiddenDim: "hidden" });
    this.inputShape = checkSizes(where, "inputShape", opts.inputShape ?? [1, 28, 28], "[1, 28, 28]");
    this.latentDim = checkInt(where, "latentDim", opts.latentDim ?? 20);
    const hidden = checkInt(where, "hidden", opts.hidden ?? 400);
    this.features = this.inputShape.reduce((a, b) => a * b, 1);
    this.fc1 = new Linear(this.features, hidden);
    this.fc21 = new Linear(hidden, this.latentDim);
    this.fc22 = new Linear(hidden, this.latentDim);
    this.fc3 = new Linear(this.latentDim, hidden);
    this.fc4 = new Linear(hidden, this.features);
  }

  /** x: [N, ...inputShape] (or already flat, [N, features]) → [mu, logvar], each [N, latentDim]. */
  encode(x: Tensor): [Tensor, Tensor] {
    const h = relu(this.fc1.forward(this.flat(x)));
    return [this.fc21.forward(h), this.fc22.forward(h)];
  }

  /**
   * z = mu + eps·exp(½·logvar) with eps ~ N(0, I) in training mode; mu itself in eval mode (the
   * most likely code, so reconstructions in eval are deterministic). `sample` overrides the mode.
   */
  reparameterize(mu: Tensor, logvar: Tensor, opts: ReparameterizeOptions = {}): Tensor {
    checkOptions("VAE.reparameterize", opts, REPARAMETERIZE_OPTIONS);
    this.checkCodes("mu", mu);
    this.checkCodes("logvar", logvar);
    if (!(opts.sample ?? this.training)) return mu;
    return tidy(() => {
      const std = exp(mul(logvar, 0.5));
      const eps = randn(std.shape, { device: std.device, generator: opts.generator });
      return add(mu, mul(eps, std));
    });
  }

  /** z: [N, latentDim] → images [N, ...inputShape] in (0, 1). */
  decode(z: Tensor): Tensor {
    this.checkCodes("z", z);
    const out = sigmoid(this.fc4.forward(relu(this.fc3.forward(z))));
    return reshape(out, [z.shape[0], ...this.inputShape]);
  }

  /** x → [reconstruction (x's image shape), mu, logvar]. */
  forward(x: Tensor): [Tensor, Tensor, Tensor] {
    const [mu, logvar] = this.encode(x);
    return [this.decode(this.reparameterize(mu, logvar)), mu, logvar];
  }

  private flat(x: Tensor): Tensor {
    checkInput(this, x, [2, this.inputShape.length + 1], `[N, ${this.inputShape.join(", ")}] or [N, ${this.features}]`);
    const image = x.ndim === this.inputShape.length + 1 && x.shape.slice(1).every((s, i) => s === this.inputShape[i]);
    const flat = x.ndim === 2 && x.shape[1] === this.features;
    if (!image && !flat) {
      throw this.layerError(`expected images [N, ${this.inputShape.join(", ")}] or flat [N, ${this.features}] (its inputShape), got ${formatShape(x.shape)}`);
    }
    return flat ? x : reshape(x, [x.shape[0], this.features]);
  }

  private checkCodes(name: string, t: Tensor): void {
    checkInput(this, t, [2], `${name}: [N, latentDim]`);
    if (t.shape[1] !== this.latentDim) throw this.layerError(`expected ${name} of shape [N, ${this.latentDim}] (its latentDim), got ${formatShape(t.shape)}`);
  }

  override extraRepr(): string {
    return `inputShape=[${this.inputShape.join(", ")}], latentDim=${this.latentDim}, hidden=${this.fc1.outFeatures}`;
  }
}

export const vae = (opts: VaeOptions = {}): VAE => new VAE(opts);

export interface VaeLossOptions {
  /**
   * "sum" (default, the example's: summed over pixels and images), "batchmean" (that sum divided
   * by the number of images: the per-image loss the example prints), or "none" (one loss per image, [N]).
   */
  reduction?: "sum" | "batchmean" | "none";
}

const VAE_LOSS_OPTIONS = optionNames<VaeLossOptions>({ reduction: 1 });
const REDUCTIONS = ["sum", "batchmean", "none"] as const;

/**
 * BCE(recon, x) + KL(N(mu, exp(logvar)) ‖ N(0, I)): recon and x hold the same N images (any shapes
 * with the same number of values per image), mu and logvar are [N, latentDim].
 */
export function vaeLoss(recon: Tensor, x: Tensor, mu: Tensor, logvar: Tensor, opts: VaeLossOptions = {}): Tensor {
  const where = "vaeLoss";
  checkOptions(where, opts, VAE_LOSS_OPTIONS);
  const reduction = checkChoice(where, "reduction", opts.reduction ?? "sum", REDUCTIONS);
  const n = recon.ndim > 0 ? recon.shape[0] : -1;
  if (recon.ndim < 2 || x.shape[0] !== n || x.numel() !== recon.numel()) {
    throw new RangeError(`${where}: recon and x must hold the same images [N, ...] (the same N and values per image); got recon ${formatShape(recon.shape)} and x ${formatShape(x.shape)}`);
  }
  if (mu.ndim !== 2 || mu.shape[0] !== n || logvar.ndim !== 2 || logvar.shape[0] !== n || logvar.shape[1] !== mu.shape[1]) {
    throw new RangeError(`${where}: mu and logvar must both be [N, latentDim] with the N of recon (${n}); got mu ${formatShape(mu.shape)} and logvar ${formatShape(logvar.shape)}`);
  }
  return tidy(() => {
    const target = reshape(x, recon.shape);
    // As the example: KLD = −½·Σ(1 + logvar − mu² − exp(logvar)), summed before the −½.
    const inner = sub(sub(add(logvar, 1), square(mu)), exp(logvar));
    if (reduction !== "none") {
      const total = add(binaryCrossEntropy(recon, target, { reduction: "sum" }), mul(sum(inner), -0.5));
      return reduction === "sum" ? total : mul(total, 1 / n);
    }
    const bce = binaryCrossEntropy(recon, target, { reduction: "none" });
    return add(sum(reshape(bce, [n, -1]), 1), mul(sum(inner, 1), -0.5));
  });
}
