// The models and datasets the CLI knows by name.

import * as models from "../models/index.js";
import * as datasets from "../datasets/index.js";
import type { Module } from "../nn/module.js";
import type { Dataset } from "../data/dataset.js";
import { UsageError, normalizeName } from "./usage-error.js";

export interface ModelOptions {
  numClasses: number;
  inChannels: number;
  dropout?: number;
}

const MODELS: Record<string, { build: (o: ModelOptions) => Module; input: (c: number, hw: number) => number[] }> = {
  "typical-cnn": { build: (o) => models.typicalCnn(o), input: (c) => [c, 28, 28] },
  lenet5: { build: (o) => models.lenet5(o), input: (c) => [c, 28, 28] },
  "fashion-cnn": { build: (o) => models.fashionCnn(o), input: (c) => [c, 28, 28] },
};

export const MODEL_NAMES = Object.keys(MODELS);

export function buildModel(name: string, opts: ModelOptions): Module {
  const entry = Object.entries(MODELS).find(([k]) => normalizeName(k) === normalizeName(name));
  if (!entry) throw new UsageError(`unknown model "${name}"; choose one of ${MODEL_NAMES.join(", ")}`);
  return entry[1].build(opts);
}

export function defaultInputShape(name: string, channels = 1): number[] {
  const entry = Object.entries(MODELS).find(([k]) => normalizeName(k) === normalizeName(name));
  if (!entry) throw new UsageError(`unknown model "${name}"; choose one of ${MODEL_NAMES.join(", ")}`);
  return entry[1].input(channels, 28);
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
