// DCGAN (Radford, Metz & Chintala, 2015) as PyTorch's examples/dcgan/main.py builds it, with its
// module names (`main.0.weight`, `main.1.running_mean`, ...) so its checkpoints load key for key.
// Every convolution is 4x4 without bias; batch norm follows all but the generator's last and the
// discriminator's first and last convolutions.
//
// imageSize 64 (the example's):
//   Generator.main       0 ConvT(nz → 8g, stride 1, pad 0) 1x1→4x4   1 BN  2 ReLU
//                        3 ConvT(8g → 4g) →8    4 BN  5 ReLU     6 ConvT(4g → 2g) →16   7 BN  8 ReLU
//                        9 ConvT(2g → g) →32   10 BN 11 ReLU    12 ConvT(g → nc) →64  13 Tanh
//   Discriminator.main   0 Conv(nc → d) →32     1 LeakyReLU(0.2)
//                        2 Conv(d → 2d) →16     3 BN  4 LeakyReLU   5 Conv(2d → 4d) →8   6 BN  7 LeakyReLU
//                        8 Conv(4d → 8d) →4     9 BN 10 LeakyReLU  11 Conv(8d → 1, stride 1, pad 0) →1  12 Sigmoid
// imageSize 32 (e.g. MNIST padded to 32) drops the widest block of each, so channels top out at
// 4g / 4d and every index after the dropped block moves down by 3:
//   Generator.main       0 ConvT(nz → 4g) →4  1 BN 2 ReLU  3 ConvT(4g → 2g) →8  4 BN 5 ReLU
//                        6 ConvT(2g → g) →16  7 BN 8 ReLU  9 ConvT(g → nc) →32  10 Tanh
//   Discriminator.main   0 Conv(nc → d) →16  1 LeakyReLU  2 Conv(d → 2d) →8  3 BN 4 LeakyReLU
//                        5 Conv(2d → 4d) →4  6 BN 7 LeakyReLU  8 Conv(4d → 1) →1  9 Sigmoid
// (g = ngf, d = ndf; stride 2 and padding 1 unless said.)

import type { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../core/shape.js";
import { checkOptions, optionNames } from "../core/options.js";
import { noGrad } from "../autograd/grad-mode.js";
import type { Generator } from "../tensor/random.js";
import { reshape } from "../ops/view.js";
import { Module } from "../nn/module.js";
import { Sequential } from "../nn/containers.js";
import { Conv2d } from "../nn/conv.js";
import { ConvTranspose2d } from "../nn/conv-transpose.js";
import { BatchNorm2d } from "../nn/normalization.js";
import { LeakyReLU, ReLU, Sigmoid, Tanh } from "../nn/activation.js";
import { Parameter } from "../nn/parameter.js";
import { checkBool, checkInput, checkInt } from "../nn/checks.js";
import * as init from "../nn/init.js";

/** The image sizes the layouts above exist for. */
export const DCGAN_IMAGE_SIZES: readonly number[] = [32, 64];

export interface DcganOptions {
  /** Length of the noise vector z (default 100). */
  nz?: number;
  /** Generator width: channels of its last hidden block (default 64). */
  ngf?: number;
  /** Discriminator width: channels of its first block (default 64). */
  ndf?: number;
  /** Image channels (default 1; the example's 3 for colour). */
  nc?: number;
  /** 64 (default, the example's) or 32. */
  imageSize?: number;
  /** Apply dcganWeightsInit (default true, as the example does); false keeps torch's default layer init. */
  weightsInit?: boolean;
}

export const DCGAN_OPTIONS = optionNames<DcganOptions>({ nz: 1, ngf: 1, ndf: 1, nc: 1, imageSize: 1, weightsInit: 1 });
const DCGAN_ADVICE: Readonly<Record<string, string>> = { image_size: "imageSize", ngpu: "nothing (nabla picks the device with .to(device))" };

export type DcganGeneratorOptions = Omit<DcganOptions, "ndf">;
export type DcganDiscriminatorOptions = Omit<DcganOptions, "nz" | "ngf">;
const GENERATOR_OPTIONS = optionNames<DcganGeneratorOptions>({ nz: 1, ngf: 1, nc: 1, imageSize: 1, weightsInit: 1 });
const DISCRIMINATOR_OPTIONS = optionNames<DcganDiscriminatorOptions>({ ndf: 1, nc: 1, imageSize: 1, weightsInit: 1 });

interface Resolved { nz: number; ngf: number; ndf: number; nc: number; imageSize: number; weightsInit: boolean }

function resolve(where: string, opts: DcganOptions): Resolved {
  const imageSize = opts.imageSize ?? 64;
  if (!DCGAN_IMAGE_SIZES.includes(imageSize)) {
    throw new RangeError(`${where}: imageSize must be one of ${DCGAN_IMAGE_SIZES.join(", ")} (the layouts of 4x4 stride-2 blocks it builds), got ${JSON.stringify(imageSize)}; resize or pad the images to one of them`);
  }
  return {
    nz: checkInt(where, "nz", opts.nz ?? 100),
    ngf: checkInt(where, "ngf", opts.ngf ?? 64),
    ndf: checkInt(where, "ndf", opts.ndf ?? 64),
    nc: checkInt(where, "nc", opts.nc ?? 1),
    imageSize,
    weightsInit: checkBool(where, "weightsInit", opts.weightsInit ?? true),
  };
}

/** Stride-2 doublings between the 4x4 first feature map and the full image, less the last one: 3 at 64, 2 at 32. */
const middleBlocks = (imageSize: number): number => Math.log2(imageSize) - 3;

const CONV = { stride: 2, padding: 1, bias: false } as const;

/** Noise [N, nz, 1, 1] (or [N, nz]) → images [N, nc, imageSize, imageSize] in (−1, 1). */
export class DCGANGenerator extends Module {
  readonly main: Sequential;
  readonly nz: number;
  readonly nc: number;
  readonly imageSize: number;

  constructor(opts: DcganGeneratorOptions = {}) {
    super();
    checkOptions("DCGANGenerator", opts, GENERATOR_OPTIONS, DCGAN_ADVICE);
    const { nz, ngf, nc, imageSize, weightsInit } = resolve("DCGANGenerator", opts);
    const top = 2 ** middleBlocks(imageSize);
    const layers: Module[] = [new ConvTranspose2d(nz, ngf * top, 4, { stride: 1, padding: 0, bias: false }), new BatchNorm2d(ngf * top), new ReLU()];
    for (let m = top; m > 1; m /= 2) layers.push(new ConvTranspose2d(ngf * m, ngf * (m / 2), 4, CONV), new BatchNorm2d(ngf * (m / 2)), new ReLU());
    layers.push(new ConvTranspose2d(ngf, nc, 4, CONV), new Tanh());
    this.main = new Sequential(...layers);
    [this.nz, this.nc, this.imageSize] = [nz, nc, imageSize];
    if (weightsInit) dcganWeightsInit(this);
  }

  forward(z: Tensor): Tensor {
    checkInput(this, z, [2, 4], `noise [N, ${this.nz}, 1, 1] or [N, ${this.nz}]`);
    const ok = z.shape[1] === this.nz && (z.ndim === 2 || (z.shape[2] === 1 && z.shape[3] === 1));
    if (!ok) throw this.layerError(`expected noise [N, ${this.nz}, 1, 1] or [N, ${this.nz}] (nz = ${this.nz}), got ${formatShape(z.shape)}`);
    return this.main.forward(z.ndim === 2 ? reshape(z, [z.shape[0], this.nz, 1, 1]) : z);
  }

  override extraRepr(): string {
    return `nz=${this.nz}, nc=${this.nc}, imageSize=${this.imageSize}`;
  }
}

/** Images [N, nc, imageSize, imageSize] → the probability [N] that each is real. */
export class DCGANDiscriminator extends Module {
  readonly main: Sequential;
  readonly nc: number;
  readonly imageSize: number;

  constructor(opts: DcganDiscriminatorOptions = {}) {
    super();
    checkOptions("DCGANDiscriminator", opts, DISCRIMINATOR_OPTIONS, DCGAN_ADVICE);
    const { ndf, nc, imageSize, weightsInit } = resolve("DCGANDiscriminator", opts);
    const top = 2 ** middleBlocks(imageSize);
    const layers: Module[] = [new Conv2d(nc, ndf, 4, CONV), new LeakyReLU(0.2)];
    for (let m = 2; m <= top; m *= 2) layers.push(new Conv2d(ndf * (m / 2), ndf * m, 4, CONV), new BatchNorm2d(ndf * m), new LeakyReLU(0.2));
    layers.push(new Conv2d(ndf * top, 1, 4, { stride: 1, padding: 0, bias: false }), new Sigmoid());
    this.main = new Sequential(...layers);
    [this.nc, this.imageSize] = [nc, imageSize];
    if (weightsInit) dcganWeightsInit(this);
  }

  forward(x: Tensor): Tensor {
    const s = this.imageSize;
    checkInput(this, x, [4], `images [N, ${this.nc}, ${s}, ${s}]`);
    if (x.shape[1] !== this.nc || x.shape[2] !== s || x.shape[3] !== s) {
      throw this.layerError(`expected images [N, ${this.nc}, ${s}, ${s}] (nc = ${this.nc}, imageSize = ${s}), got ${formatShape(x.shape)}`);
    }
    // [N, 1, 1, 1] → [N], as the example's output.view(-1, 1).squeeze(1).
    return reshape(this.main.forward(x), [x.shape[0]]);
  }

  override extraRepr(): string {
    return `nc=${this.nc}, imageSize=${this.imageSize}`;
  }
}

export interface DCGAN {
  generator: DCGANGenerator;
  discriminator: DCGANDiscriminator;
}

/** The example's pair: `const { generator, discriminator } = nb.models.dcgan({ nz: 100 })`. */
export function dcgan(opts: DcganOptions = {}): DCGAN {
  checkOptions("dcgan", opts, DCGAN_OPTIONS, DCGAN_ADVICE);
  const { nz, ngf, ndf, nc, imageSize, weightsInit } = resolve("dcgan", opts);
  return {
    generator: new DCGANGenerator({ nz, ngf, nc, imageSize, weightsInit }),
    discriminator: new DCGANDiscriminator({ ndf, nc, imageSize, weightsInit }),
  };
}

export interface DcganWeightsInitOptions {
  /** Where the normal draws come from (default: the global generator, see nb.manualSeed). */
  generator?: Generator;
}
const WEIGHTS_INIT_OPTIONS = optionNames<DcganWeightsInitOptions>({ generator: 1 });

/**
 * The example's weights_init, applied to every submodule: a layer whose class name contains
 * "Conv" gets weight ~ N(0, 0.02); one whose name contains "BatchNorm" gets weight ~ N(1, 0.02)
 * and bias 0. Other layers (and conv biases) are left as they are. Returns the module.
 */
export function dcganWeightsInit<M extends Module>(module: M, opts: DcganWeightsInitOptions = {}): M {
  checkOptions("dcganWeightsInit", opts, WEIGHTS_INIT_OPTIONS);
  noGrad(() => {
    module.apply((m) => {
      const name = m.constructor.name;
      const { weight, bias } = m as unknown as { weight?: unknown; bias?: unknown };
      if (name.includes("Conv") && weight instanceof Parameter) init.normal(weight, 0, 0.02, opts);
      else if (name.includes("BatchNorm") && weight instanceof Parameter) {
        init.normal(weight, 1, 0.02, opts);
        if (bias instanceof Parameter) init.zeros(bias);
      }
    });
  });
  return module;
}
