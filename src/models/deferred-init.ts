// Construction of the model zoo with each weight drawn at most once. nn.Conv2d and nn.Linear draw
// PyTorch's default initialisation in their constructors; the ImageNet models then apply their
// own scheme (torchvision's), which would draw every weight twice — and a model about to load a
// checkpoint needs no draw at all. On the cpu backend one draw of VGG16's 138M weights takes over
// ten seconds, so the zoo builds its layers with initialisation deferred and runs exactly one
// scheme afterwards (or none, with `initWeights: false`).
//
// The layers below are nn.Conv2d and nn.Linear (instanceof holds, same names in summaries and
// reprs); they only skip their constructor's draw while a zoo model is being built.

import { noGrad } from "../autograd/grad-mode.js";
import type { Tensor } from "../tensor/tensor.js";
import type { Module } from "../nn/module.js";
import { Conv2d as NnConv2d } from "../nn/conv.js";
import { Linear as NnLinear } from "../nn/linear.js";
import * as init from "../nn/init.js";
import { optionNames } from "../core/options.js";

/** Nesting depth of constructModel calls in progress (construction is synchronous). */
let deferring = 0;

export class Conv2d extends NnConv2d {
  override resetParameters(): void {
    if (deferring === 0) super.resetParameters();
  }
}

export class Linear extends NnLinear {
  override resetParameters(): void {
    if (deferring === 0) super.resetParameters();
  }
}

/** Options every zoo model shares. */
export interface ZooInitOptions {
  /**
   * Draw random initial weights (default true, with the scheme of the model's reference
   * implementation). false leaves every weight zero and batch norms at their identity state —
   * for loading a state dict right after, like torch's skip_init: building VGG16 then takes a
   * fraction of a second instead of the draw of 138M random numbers.
   */
  initWeights?: boolean;
}

export const ZOO_INIT_OPTIONS = optionNames<ZooInitOptions>({ initWeights: 1 });

/** torchvision's ways of asking for trained weights, pointed to nabla's (unknown-option errors). */
export const ZOO_ADVICE: Readonly<Record<string, string>> = {
  weights: "nb.transfer.loadPretrained(model, stateDict) after building it with initWeights: false (nothing is downloaded)",
  pretrained: "nb.transfer.loadPretrained(model, stateDict) after building it with initWeights: false (nothing is downloaded)",
};

/** A zoo factory's option names less `omit` (initWeights and the like): what its class takes. */
export function classOptions(names: readonly string[], ...omit: string[]): readonly string[] {
  return names.filter((k) => k !== "initWeights" && !omit.includes(k));
}

/** A factory's options less initWeights, for the model's constructor. */
export function withoutInit<O extends ZooInitOptions>(opts: O): Omit<O, "initWeights"> {
  const { initWeights: _init, ...rest } = opts;
  return rest;
}

/**
 * Build a model with layer initialisation deferred, then run `scheme` once over it (skipped when
 * initWeights is false). Weights stay zero until the scheme writes them.
 */
export function constructModel<M extends Module>(build: () => M, scheme: (model: M) => void, opts: ZooInitOptions): M {
  deferring++;
  let model: M;
  try {
    model = build();
  } finally {
    deferring--;
  }
  if (opts.initWeights ?? true) noGrad(() => scheme(model));
  return model;
}

// ---- schemes and the pieces they are made of -----------------------------------------------

const isConv = (m: Module): m is NnConv2d => m instanceof NnConv2d;
const isLinear = (m: Module): m is NnLinear => m instanceof NnLinear;

/** PyTorch's default initialisation of every convolution and linear layer (AlexNet, ZFNet). */
export function torchDefaultInit(model: Module): void {
  for (const m of model.modules()) if (isConv(m) || isLinear(m)) m.resetParameters();
}

/** PyTorch's default bias draw, U(−1/√fanIn, 1/√fanIn), for layers whose weight a scheme sets. */
export function defaultBias(weight: Tensor, bias: Tensor | null): void {
  if (!bias) return;
  const fanIn = weight.numel() / weight.shape[0];
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  init.uniform(bias, -bound, bound);
}

/** He-normal (fan-out, ReLU gain) for every convolution, as torchvision's VGG and ResNet. */
export function kaimingConvs(model: Module, bias: "zero" | "default"): void {
  for (const m of model.modules()) {
    if (!isConv(m)) continue;
    init.kaimingNormal(m.weight, { mode: "fanOut", nonlinearity: "relu" });
    if (bias === "zero") m.bias?.fill_(0);
    else defaultBias(m.weight, m.bias);
  }
}

/** Normal with a per-layer std truncated to [−2, 2] (absolute bounds, as torchvision's GoogLeNet and Inception v3 call it). */
export function truncNormalLayers(model: Module, stdOf: (m: Module) => number): void {
  for (const m of model.modules()) {
    if (!isConv(m) && !isLinear(m)) continue;
    init.truncNormal(m.weight, 0, stdOf(m), -2, 2);
    // torchvision leaves the (few) biases at their default draw.
    defaultBias(m.weight, m.bias);
  }
}
