// `nabla transfer`: the transfer-learning steps from the command line — load pretrained
// weights into a model (all but the old classifier), put a new head on it for the dataset's
// classes, freeze the base (all of it, part of it, or none), train the head, optionally
// fine-tune everything at a lower learning rate, and report accuracy after each stage.

import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { manualSeed } from "../tensor/random.js";
import { setBackend, getBackend } from "../backend/registry.js";
import type { Dataset } from "../data/dataset.js";
import { randomSplit } from "../data/split.js";
import type { Module } from "../nn/module.js";
import * as optim from "../optim/index.js";
import { fit, type History } from "../train/fit.js";
import { evaluate } from "../train/evaluate.js";
import { save, load } from "../io/save-load.js";
import { writeLearningCurves } from "../viz/learning-curves.js";
import { writeFirstConvPictures } from "../viz/layer-pictures.js";
import { loadPretrained } from "../transfer/load.js";
import { replaceHead } from "../transfer/head.js";
import { freeze, type Strategy } from "../transfer/freeze.js";
import { fineTune } from "../transfer/fine-tune.js";
import { selectClasses } from "../transfer/select-classes.js";
import { buildModel, loadDataset, modelTask } from "./registry.js";
import { UsageError, oneOf } from "./usage-error.js";
import { describeOptimizer, optimizerOptions, type OptimizerArgs } from "./optimizer-flags.js";

export interface TransferArgs extends OptimizerArgs {
  from: string;
  model: string;
  dataset: string;
  root?: string;
  /** Comma-separated class names or indices to keep (e.g. "5,6,7,8,9"); default all. */
  classes?: string;
  freeze: string;
  /** With --freeze partial: the last frozen module's name, or a number of base layers. */
  upTo?: string;
  head?: string;
  hidden?: number[];
  dropout?: number;
  epochs: number;
  fineTuneEpochs: number;
  /** Learning rate of the base while fine-tuning (default lr / 10). */
  fineTuneLr?: number;
  batchSize: number;
  validationSplit: number;
  /** Read only the first `limit` training images (validation is held out of these). */
  limit?: number;
  /** Evaluate on only the first `testLimit` test images (default all). */
  testLimit?: number;
  seed: number;
  device?: string;
  out?: string;
  verbose: 0 | 1 | 2;
}

export interface TransferResult {
  /** Accuracy (test split, else validation) after training the head on the frozen base. */
  headAccuracy: number | null;
  /** The same after fine-tuning (null without --fine-tune-epochs). */
  fineTunedAccuracy: number | null;
  history: History;
}

const FREEZE: Record<string, Strategy> = { base: "frozen-base", partial: "partial", none: "entire" };

function parseClasses(spec: string, names: readonly string[]): (string | number)[] {
  const tokens = spec.split(",").map((t) => t.trim());
  if (tokens.some((t) => t === "")) throw new UsageError(`--classes must be class names or indices separated by commas, got "${spec}"`);
  return tokens.map((t) => {
    if (names.includes(t)) return t;
    const i = Number(t);
    if (Number.isInteger(i) && i >= 0 && i < names.length) return i;
    throw new UsageError(`--classes: the dataset has no class "${t}"; its classes are ${names.join(", ")}`);
  });
}

/** Append one history to another, key by key; the second stage's epochs are numbered after the first's. */
function concatHistories(a: History, b: History): History {
  const out: History = {};
  const offset = a.epoch?.length ?? 0;
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    out[k] = [...(a[k] ?? []), ...(b[k] ?? []).map((v) => (k === "epoch" ? v + offset : v))];
  }
  return out;
}

function percent(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}

export async function transferCommand(a: TransferArgs, log: (line: string) => void = console.log): Promise<TransferResult> {
  if (a.device) setBackend(a.device);
  manualSeed(a.seed);
  if (!existsSync(a.from)) throw new UsageError(`--from ${a.from}: no such file (pretrained weights, .safetensors or a PyTorch .pt)`);
  const strategy = FREEZE[oneOf("--freeze", a.freeze, Object.keys(FREEZE))];
  if (a.upTo !== undefined && strategy !== "partial") throw new UsageError("--up-to goes with --freeze partial");

  if (modelTask(a.model) !== "classify" || a.dataset.toLowerCase() === "text") throw new UsageError("transfer puts a new classifier head on an image model; a language model and --dataset text train with `nabla train`");
  const { name: optimizerName, options: optimizerFlags } = optimizerOptions(a);
  const data = loadDataset(a.dataset, a.root, { train: a.limit, test: a.testLimit });
  let train: Dataset = data.train;
  let test: Dataset | null = data.test;
  let classes = data.classes;
  if (a.classes !== undefined) {
    const wanted = parseClasses(a.classes, data.classes);
    const subset = selectClasses(data.train, wanted);
    train = subset;
    test = data.test ? selectClasses(data.test, wanted) : null;
    classes = subset.classes;
  }
  const model: Module = buildModel(a.model, { numClasses: classes.length, inChannels: data.channels });

  const pretrained = loadPretrained(model, await load(a.from), { head: a.head });
  const { head } = replaceHead(model, classes.length, { head: pretrained.head, hidden: a.hidden, dropout: a.dropout });
  const upTo = a.upTo === undefined ? undefined : /^\d+$/.test(a.upTo) ? Number(a.upTo) : a.upTo;
  const state = strategy === "partial" && upTo !== undefined ? freeze(model, { head, upTo }) : freeze(model, { head, strategy });
  const count = (names: string[]): number => {
    const byName = new Map(model.namedParameters());
    return names.reduce((s, n) => s + byName.get(n)!.numel(), 0);
  };
  const trainable = count(state.trainable), total = trainable + count(state.frozen);

  // A seeded random hold-out: image folders list their files class by class, so the tail would be one class.
  const [trainSet, valSet] = a.validationSplit > 0 ? randomSplit(train, [1 - a.validationSplit, a.validationSplit], { seed: a.seed }) : [train, undefined];
  if (trainSet.length === 0 || (valSet && valSet.length === 0)) throw new UsageError(`--validation-split ${a.validationSplit} leaves no training or validation images out of ${train.length}`);
  log(`nabla transfer: ${a.model} from ${a.from} to ${a.dataset}${a.classes ? ` (classes ${classes.join(", ")})` : ""}: ${trainSet.length} training, ${valSet?.length ?? 0} validation, ${test?.length ?? 0} test images, backend ${getBackend()}`);
  log(`loaded ${pretrained.loaded.length} tensors${pretrained.skipped.length ? ` (left out the old head: ${pretrained.skipped.join(", ")})` : ""}; new head "${head}" for ${classes.length} classes`);
  const bn = state.inference;
  const bnText = bn.length === 0 ? "" : `; ${bn.length} batch norm layer(s) kept in inference mode (${bn.length > 4 ? `${bn.slice(0, 3).join(", ")}, ..., ${bn[bn.length - 1]}` : bn.join(", ")})`;
  log(`--freeze ${a.freeze}: ${trainable.toLocaleString("en-US")} of ${total.toLocaleString("en-US")} parameters train${bnText}`);

  const score = async (): Promise<number | null> => {
    const on = test ?? valSet;
    if (!on) return null;
    return (await evaluate(model, on, { metrics: ["accuracy"], batchSize: 256 })).accuracy;
  };
  const where = test ? "test" : "validation";
  const fitStage = (optimizer: optim.Optimizer, epochs: number): Promise<History> => fit(model, {
    train: trainSet, validation: valSet, epochs, batchSize: a.batchSize, optimizer, loss: "crossEntropy",
    metrics: ["accuracy"], verbose: a.verbose, seed: a.seed,
  });

  const started = performance.now();
  const headOptimizer = optim.create(optimizerName, model.parameters().filter((p) => p.requiresGrad), optimizerFlags);
  const lr = headOptimizer.paramGroups[0].lr;
  let history = await fitStage(headOptimizer, a.epochs);
  const headAccuracy = await score();
  const what = strategy === "entire" ? "the whole model" : strategy === "partial" ? "the unfrozen layers and the head" : "the head";
  log(`trained ${what} for ${a.epochs} epoch(s) (${describeOptimizer(headOptimizer)})${headAccuracy === null ? "" : `: ${where} accuracy ${percent(headAccuracy)}`}`);

  let fineTunedAccuracy: number | null = null;
  if (a.fineTuneEpochs > 0) {
    const baseLr = a.fineTuneLr ?? lr / 10;
    const { lr: _lr, ...rest } = optimizerFlags;
    const optimizer = fineTune(model, { baseLr, headLr: lr, head, optimizer: optim.optimizerClass(optimizerName), optimizerOptions: rest });
    history = concatHistories(history, await fitStage(optimizer, a.fineTuneEpochs));
    fineTunedAccuracy = await score();
    log(`fine-tuned everything for ${a.fineTuneEpochs} epoch(s) (base lr ${baseLr}, head lr ${lr})${fineTunedAccuracy === null ? "" : `: ${where} accuracy ${percent(fineTunedAccuracy)}`}`);
  }
  if (!Number.isFinite(history.loss[history.loss.length - 1])) throw new Error("training diverged (the loss is not finite); lower --lr");
  log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  if (a.out) {
    mkdirSync(a.out, { recursive: true });
    await save(model, join(a.out, "transfer.safetensors"));
    writeFileSync(join(a.out, "history.json"), JSON.stringify(history, null, 2) + "\n");
    const results = { model: a.model, from: a.from, dataset: a.dataset, classes, freeze: a.freeze, head, headAccuracy, fineTunedAccuracy, evaluatedOn: where };
    writeFileSync(join(a.out, "transfer.json"), JSON.stringify(results, null, 2) + "\n");
    const curves = await writeLearningCurves(history, a.out);
    const sample = (test ?? trainSet).get(0)[0];
    const pictures = writeFirstConvPictures(model, sample, a.out);
    log(`wrote ${a.out}: transfer.safetensors, transfer.json, history.json, ${[curves.png, curves.svg].map((p) => p.split("/").pop()).join(", ")}${pictures.length ? `, ${pictures.join(", ")}` : ""}`);
  }
  return { headAccuracy, fineTunedAccuracy, history };
}
