// The models and datasets the CLI knows by name.

import * as models from "../models/index.js";
import * as datasets from "../datasets/index.js";
import type { Module } from "../nn/module.js";
import type { Dataset } from "../data/dataset.js";
import { UsageError, normalizeName } from "./usage-error.js";

export interface ModelOptions {
  /** Classes of the output layer (default: the model's own, 10 for the course models, 1000 for the ImageNet ones). */
  numClasses?: number;
  inChannels?: number;
  dropout?: number;
  /** false builds the model without drawing random weights (for a summary, or before loading weights). */
  initWeights?: boolean;
}

interface ModelEntry {
  build: (o: ModelOptions) => Module;
  /** The input shape the model is designed for, without the batch dimension. */
  input: (channels?: number) => number[];
}

/** A course model on 28x28 single-channel images. */
const mnistSized = (build: (o: ModelOptions) => Module, side = 28): ModelEntry => ({ build, input: (c = 1) => [c, side, side] });
/** An ImageNet model on `side`x`side` RGB images. */
const imagenetSized = (build: (o: ModelOptions) => Module, side = 224): ModelEntry => ({ build, input: (c = 3) => [c, side, side] });

const MODELS: Record<string, ModelEntry> = {
  "typical-cnn": mnistSized((o) => models.typicalCnn(o)),
  lenet5: mnistSized((o) => models.lenet5(o)),
  "fashion-cnn": mnistSized((o) => models.fashionCnn(o)),
  "lenet5-1998": mnistSized((o) => models.lenet5Original(o), 32),
  alexnet: imagenetSized((o) => models.alexnet(o)),
  "alexnet-original": imagenetSized((o) => models.alexnet({ ...o, variant: "original" }), 227),
  zfnet: imagenetSized((o) => models.zfnet(o)),
  vgg11: imagenetSized((o) => models.vgg11(o)),
  "vgg11-bn": imagenetSized((o) => models.vgg11({ ...o, batchNorm: true })),
  vgg13: imagenetSized((o) => models.vgg13(o)),
  "vgg13-bn": imagenetSized((o) => models.vgg13({ ...o, batchNorm: true })),
  vgg16: imagenetSized((o) => models.vgg16(o)),
  "vgg16-bn": imagenetSized((o) => models.vgg16({ ...o, batchNorm: true })),
  vgg19: imagenetSized((o) => models.vgg19(o)),
  "vgg19-bn": imagenetSized((o) => models.vgg19({ ...o, batchNorm: true })),
  // Without the auxiliary classifiers: the CLI trains through nb.fit, which expects one output
  // tensor (their training-mode output is { logits, aux... }; see googlenetLoss for a custom loop).
  googlenet: imagenetSized((o) => models.googlenet({ ...o, auxLogits: false })),
  "inception-v3": imagenetSized((o) => models.inceptionV3({ ...o, auxLogits: false }), 299),
  resnet18: imagenetSized((o) => models.resnet18(o)),
  resnet34: imagenetSized((o) => models.resnet34(o)),
  resnet50: imagenetSized((o) => models.resnet50(o)),
  resnet101: imagenetSized((o) => models.resnet101(o)),
  resnet152: imagenetSized((o) => models.resnet152(o)),
  "wide-resnet50-2": imagenetSized((o) => models.wideResnet50_2(o)),
  "se-resnet50": imagenetSized((o) => models.seResnet50(o)),
};

export const MODEL_NAMES = Object.keys(MODELS);

function entryFor(name: string): ModelEntry {
  const entry = Object.entries(MODELS).find(([k]) => normalizeName(k) === normalizeName(name));
  if (!entry) throw new UsageError(`unknown model "${name}"; choose one of ${MODEL_NAMES.join(", ")}`);
  return entry[1];
}

export function buildModel(name: string, opts: ModelOptions): Module {
  // Unset options fall back to each model's defaults.
  const defined = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as ModelOptions;
  return entryFor(name).build(defined);
}

/** The model's design input shape; `channels` overrides its channel count (1 for the course models, 3 for ImageNet ones). */
export function defaultInputShape(name: string, channels?: number): number[] {
  return entryFor(name).input(channels);
}

export const DATASET_NAMES = ["mnist", "fashion-mnist", "cifar10", "imagefolder"] as const;

export interface LoadedData {
  train: Dataset & { classes?: readonly string[] };
  test: Dataset | null;
  classes: readonly string[];
  channels: number;
}

export function loadDataset(name: string, root: string | undefined, limit: number | undefined): LoadedData {
  const key = normalizeName(name);
  const testLimit = limit === undefined ? undefined : Math.max(1, Math.floor(limit / 6));
  if (key === "mnist") {
    const train = datasets.mnist({ split: "train", root, limit });
    return { train, test: datasets.mnist({ split: "test", root, limit: testLimit }), classes: train.classes, channels: 1 };
  }
  if (key === "fashionmnist") {
    if (!root) throw new UsageError("--dataset fashion-mnist needs --root <folder> holding the Fashion-MNIST IDX files (nothing is downloaded)");
    const train = datasets.fashionMnist({ split: "train", root, limit });
    return { train, test: datasets.fashionMnist({ split: "test", root, limit: testLimit }), classes: train.classes, channels: 1 };
  }
  if (key === "cifar10") {
    if (!root) throw new UsageError("--dataset cifar10 needs --root <folder> holding the CIFAR-10 binary batches (nothing is downloaded)");
    const train = datasets.cifar10({ split: "train", root, limit });
    return { train, test: datasets.cifar10({ split: "test", root, limit: testLimit }), classes: train.classes, channels: 3 };
  }
  if (key === "imagefolder") {
    if (!root) throw new UsageError("--dataset imagefolder needs --root <folder> with one subfolder per class");
    const train = datasets.imageFolder(root);
    return { train, test: null, classes: train.classes, channels: train.get(0)[0].shape[0] };
  }
  throw new UsageError(`unknown dataset "${name}"; choose one of ${DATASET_NAMES.join(", ")}`);
}
