// Transfer learning, seed 000's steps end to end: pretrain LeNet-5 on MNIST digits 0–4 and save
// it; then, for digits 5–9 with only a few hundred labelled images, load its convolutional base,
// put a new classifier on it, freeze the base and train the classifier, fine-tune everything at
// a very low learning rate — and compare with the same network trained from scratch on the same
// images. Also seed 003's "ConvNet as fixed feature extractor": linear classifiers on CNN codes.
//
// Run: node --import tsx examples/transfer-learning.ts [options]
//   --source N       MNIST training images to take digits 0–4 from (default 30000: 15,301 digits)
//   --target N       labelled digits 5–9 to transfer to (default 500)
//   --test N         MNIST test images to take digits 5–9 from (default 10000: 4,861 digits)
//   --source-epochs N, --head-epochs N, --fine-tune-epochs N   (defaults 2, 20, 5)
//   --hidden SIZES   hidden layers of the new classifier, e.g. 120,84 (default none: one Linear)
//   --out DIR        where the pretrained weights and pictures go (default runs/transfer-learning)
//   --seed N         (default 0)

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as nb from "../src/index.js";

const { values: args } = parseArgs({
  options: {
    source: { type: "string", default: "30000" },
    target: { type: "string", default: "500" },
    test: { type: "string", default: "10000" },
    "source-epochs": { type: "string", default: "2" },
    "head-epochs": { type: "string", default: "20" },
    "fine-tune-epochs": { type: "string", default: "5" },
    out: { type: "string", default: "runs/transfer-learning" },
    seed: { type: "string", default: "0" },
    hidden: { type: "string", default: "" },
  },
});
const int = (name: keyof typeof args): number => {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${String(name)} must be a non-negative integer, got ${args[name]}`);
  return n;
};
const seed = int("seed");
const makeModel = (): nb.models.LeNet5 => nb.models.lenet5({ numClasses: 5 });

async function accuracy(model: nb.nn.Module, data: nb.data.Dataset | { x: nb.Tensor; y: nb.Tensor }): Promise<number> {
  const logs = await nb.evaluate(model, data, { metrics: ["accuracy"], batchSize: 256 });
  return logs.accuracy;
}

async function train(model: nb.nn.Module, data: nb.data.Dataset | { x: nb.Tensor; y: nb.Tensor }, optimizer: nb.optim.Optimizer, epochs: number): Promise<void> {
  if (epochs > 0) await nb.fit(model, { train: data, epochs, batchSize: 32, optimizer, loss: "crossEntropy", verbose: 0, seed });
}

nb.manualSeed(seed);
// Source and target are different digits, so no image is in both.
const mnistTrain = nb.datasets.mnist({ split: "train", limit: Math.min(60000, Math.max(int("source"), 4 * int("target"))) });
const mnistTest = nb.datasets.mnist({ split: "test", limit: int("test") });
const low = [0, 1, 2, 3, 4], high = [5, 6, 7, 8, 9];
const source = nb.transfer.selectClasses(new nb.data.Subset(mnistTrain, [...Array(Math.min(int("source"), mnistTrain.length)).keys()]), low);
const sourceTest = nb.transfer.selectClasses(mnistTest, low);
const target = nb.transfer.selectClasses(mnistTrain, high, { limit: int("target") });
const targetTest = nb.transfer.selectClasses(mnistTest, high);
console.log(`source: ${source.length} images of digits 0-4; target: ${target.length} images of digits 5-9; target test: ${targetTest.length}; backend ${nb.getBackend()}`);

// 1. Pretrain on the source task and save the weights.
const started = performance.now();
const pretrained = makeModel();
await train(pretrained, source, new nb.optim.Adam(pretrained.parameters(), { lr: 1e-3 }), int("source-epochs"));
console.log(`pretrained on digits 0-4: test accuracy ${(await accuracy(pretrained, sourceTest) * 100).toFixed(2)}%`);
mkdirSync(args.out!, { recursive: true });
const weights = join(args.out!, "source.safetensors");
await nb.save(pretrained, weights);

// 2. Transfer: load the convolutional base, put a new classifier on it (LeNet-5's own shape,
//    freshly initialised), freeze the base, train the classifier.
const model = makeModel();
const loaded = nb.transfer.loadPretrained(model, await nb.load(weights), { head: "classifier" });
const hidden = args.hidden ? args.hidden.split(",").map(Number) : [];
const { head } = nb.transfer.replaceHead(model, 5, { head: "classifier", hidden });
const state = nb.transfer.freeze(model, { strategy: "frozen-base" });
const count = (names: string[]): number => names.reduce((n, name) => n + model.stateDict().get(name)!.numel(), 0);
console.log(`loaded ${loaded.loaded.length} tensors of the base, new head "${head}": ${count(state.trainable)} of ${count([...state.trainable, ...state.frozen])} parameters train`);
await train(model, target, new nb.optim.Adam(model.parameters().filter((p) => p.requiresGrad), { lr: 1e-3 }), int("head-epochs"));
const headOnly = await accuracy(model, targetTest);

// 3. Fine-tune the whole model: base at a very low learning rate, head at a higher one.
await train(model, target, nb.transfer.fineTune(model, { baseLr: 1e-4, headLr: 1e-3, optimizer: nb.optim.Adam }), int("fine-tune-epochs"));
const fineTuned = await accuracy(model, targetTest);

// 4. The pretrained network as a fixed feature extractor: a linear classifier on its CNN codes —
//    the penultimate activations (84 numbers, specialised to digits 0-4), and the convolutional
//    base's output (400 numbers, more generic).
const base = nb.models.lenet5({ numClasses: 5 });
nb.transfer.loadPretrained(base, await nb.load(weights), { includeHead: true });
async function linearOnCodes(layer?: string): Promise<number> {
  const codes = nb.transfer.extractFeatures(base, target, { layer });
  const testCodes = nb.transfer.extractFeatures(base, targetTest, { layer });
  const linear = new nb.nn.Linear(codes.x.shape[1], 5);
  await train(linear, codes, new nb.optim.Adam(linear.parameters(), { lr: 1e-2 }), int("head-epochs"));
  return accuracy(linear, testCodes);
}
const onPenultimate = await linearOnCodes();
const onConvBase = await linearOnCodes("features");

// 5. The same network from scratch on the same images, for as many epochs as transfer trained.
nb.manualSeed(seed + 1);
const scratch = makeModel();
await train(scratch, target, new nb.optim.Adam(scratch.parameters(), { lr: 1e-3 }), int("head-epochs") + int("fine-tune-epochs"));
const fromScratch = await accuracy(scratch, targetTest);

nb.viz.writeFirstConvPictures(model, targetTest.get(0)[0], args.out!);
const seconds = (performance.now() - started) / 1000;
console.log(`\naccuracy on ${targetTest.length} test images of digits 5-9, after training on ${target.length}:`);
console.log(`  transfer, frozen base + new classifier    ${(headOnly * 100).toFixed(2)}%`);
console.log(`  transfer, then fine-tuned                 ${(fineTuned * 100).toFixed(2)}%`);
console.log(`  linear classifier on penultimate codes    ${(onPenultimate * 100).toFixed(2)}%`);
console.log(`  linear classifier on conv-base codes      ${(onConvBase * 100).toFixed(2)}%`);
console.log(`  from scratch                              ${(fromScratch * 100).toFixed(2)}%`);
console.log(`(${seconds.toFixed(1)} s; weights and pictures in ${args.out})`);
console.log(`result: ${JSON.stringify({ headOnly, fineTuned, onPenultimate, onConvBase, fromScratch })}`);
