// `nabla predict --model <name> --weights <file> --input <images or folders>`: classify PNG and
// JPEG images with trained weights and print each one's top-k classes with their probabilities.
// The number of classes and of input channels is read from the weights (a model trained on 3
// classes of colour images needs no flags for that); class names come from --classes, else from
// the classes.json that `nabla train --out` writes beside best.safetensors, else are indices.

import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { load } from "../io/save-load.js";
import { tensor } from "../tensor/creation.js";
import type { Tensor } from "../tensor/tensor.js";
import { softmax } from "../ops/softmax.js";
import { predict } from "../train/evaluate.js";
import { setBackend } from "../backend/registry.js";
import { Resize } from "../transforms/resize.js";
import { decodeImage, rgbaToPlanes, sniffImage } from "../datasets/image-files.js";
import type { Module } from "../nn/module.js";
import { buildModel, defaultInputShape, modelTask, resolveModelName } from "./registry.js";
import { UsageError } from "./usage-error.js";

export interface PredictArgs {
  model: string;
  weights: string;
  /** Image files and folders (searched recursively for .png, .jpg and .jpeg). */
  input: string[];
  topK: number;
  json: boolean;
  /** A file of class names: a JSON array, or one name a line. */
  classes?: string;
  /** Scale images of another size to the model's input (bilinear); without it they are refused. */
  resize: boolean;
  device?: string;
}

export interface Prediction {
  file: string;
  predictions: { index: number; class: string; probability: number }[];
}

const IMAGE_EXTENSIONS = /\.(png|jpe?g)$/i;

/** The image files named by --input: files as given, folders searched recursively (sorted). */
export function imagePaths(inputs: readonly string[]): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && IMAGE_EXTENSIONS.test(e.name)) found.push(p);
    }
  };
  for (const input of inputs) {
    if (!existsSync(input)) throw new UsageError(`--input ${input}: no such file or folder`);
    if (statSync(input).isDirectory()) {
      const before = found.length;
      walk(input);
      if (found.length === before) throw new UsageError(`--input ${input}: the folder holds no .png, .jpg or .jpeg images`);
    } else {
      found.push(input);
    }
  }
  return found;
}

/**
 * Build the model for a state dict: its input channels from the first 4-D weight (the first
 * convolution) and its classes from the last bias (the output layer), where they differ from
 * the model's defaults.
 */
async function modelForWeights(name: string, weightsPath: string): Promise<{ model: Module; classes: number; channels: number }> {
  if (!existsSync(weightsPath) || !statSync(weightsPath).isFile()) throw new UsageError(`--weights ${weightsPath}: no such file`);
  const sd = await load(weightsPath);
  const probe = buildModel(name, { initWeights: false });
  const params = probe.namedParameters();
  const firstKernel = params.find(([k, p]) => p.ndim === 4 && sd.get(k)?.ndim === 4);
  const lastBias = [...params].reverse().find(([k, p]) => k.endsWith("bias") && p.ndim === 1 && sd.get(k)?.ndim === 1);
  const channels = firstKernel ? sd.get(firstKernel[0])!.shape[1] : defaultInputShape(name)[0];
  const classes = lastBias ? sd.get(lastBias[0])!.shape[0] : (probe.namedParameters().pop()?.[1].shape[0] ?? 0);
  const model = buildModel(name, { numClasses: classes, inChannels: channels, initWeights: false });
  try {
    model.loadStateDict(sd);
  } catch (e) {
    throw new UsageError(`--weights ${weightsPath} does not fit --model ${name}: ${(e as Error).message.replace(/^loadStateDict: /, "")}`);
  }
  return { model, classes, channels };
}

/** Class names: --classes, else classes.json beside the weights, else "0", "1", ... */
function classNames(args: PredictArgs, count: number): string[] {
  let names: string[] | null = null;
  if (args.classes !== undefined) {
    if (!existsSync(args.classes)) throw new UsageError(`--classes ${args.classes}: no such file`);
    const text = readFileSync(args.classes, "utf8");
    names = text.trimStart().startsWith("[") ? parseJsonNames(args.classes, text) : text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "");
    if (names.length !== count) throw new UsageError(`--classes ${args.classes} names ${names.length} classes; the weights have ${count}`);
    return names;
  }
  const beside = join(dirname(args.weights), "classes.json");
  if (existsSync(beside)) {
    names = parseJsonNames(beside, readFileSync(beside, "utf8"));
    if (names.length === count) return names;
  }
  return Array.from({ length: count }, (_, i) => String(i));
}

function parseJsonNames(path: string, text: string): string[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(v) || !v.every((s) => typeof s === "string")) throw new UsageError(`${path}: expected a JSON array of class names`);
  return v;
}

/** One image as [C, H, W] in [0, 1], with the model's channels and size (resized only when asked). */
function readImage(path: string, shape: number[], model: string, resize: boolean): Tensor {
  const [c, h, w] = shape;
  let info;
  try {
    info = sniffImage("predict", path);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const img = decodeImage("predict", path, info.format);
  const planes = new Float32Array(c * img.width * img.height);
  rgbaToPlanes(img, c as 1 | 3, info.gray, planes, 0);
  const x = tensor(planes, { shape: [c, img.height, img.width] });
  if (img.width === w && img.height === h) return x;
  if (!resize) throw new UsageError(`predict: ${path} is ${img.width}x${img.height}; ${model} takes ${w}x${h} images (add --resize to scale them)`);
  const resized = new Resize([h, w]).apply(x);
  x.dispose();
  return resized;
}

export async function predictCommand(a: PredictArgs, log: (line: string) => void = console.log): Promise<Prediction[]> {
  const name = resolveModelName(a.model);
  const task = modelTask(name);
  if (task !== "classify") throw new UsageError(`predict classifies images; --model ${name} ${task === "generate" ? "generates images (nabla sample draws from it)" : "is a language model (nabla train samples text from it)"}`);
  if (a.device) setBackend(a.device);
  const files = imagePaths(a.input);
  const { model, classes, channels } = await modelForWeights(name, a.weights);
  if (channels !== 1 && channels !== 3) throw new UsageError(`--weights ${a.weights}: the first convolution takes ${channels} channels; predict reads images as 1 (gray) or 3 (RGB) channels`);
  const names = classNames(a, classes);
  const shape = defaultInputShape(name, channels);
  const k = Math.min(a.topK, classes);

  const results: Prediction[] = [];
  const BATCH = 32;
  for (let start = 0; start < files.length; start += BATCH) {
    const chunk = files.slice(start, start + BATCH);
    const images = chunk.map((f) => readImage(f, shape, name, a.resize));
    const x = tensor(concat(images), { shape: [chunk.length, ...shape] });
    for (const t of images) t.dispose();
    const logits = predict(model, x, { batchSize: BATCH });
    const probs = softmax(logits, 1);
    const p = probs.dataSync() as Float32Array;
    for (let i = 0; i < chunk.length; i++) {
      const row = Array.from(p.subarray(i * classes, (i + 1) * classes));
      const order = row.map((v, j) => j).sort((u, v) => row[v] - row[u] || u - v).slice(0, k);
      results.push({ file: chunk[i], predictions: order.map((j) => ({ index: j, class: names[j], probability: row[j] })) });
    }
    x.dispose(); logits.dispose(); probs.dispose();
  }
  if (a.json) log(JSON.stringify(results, null, 2));
  else for (const r of results) log(`${r.file}: ${r.predictions.map((q) => `${q.class} ${(100 * q.probability).toFixed(2)}%`).join(", ")}`);
  return results;
}

function concat(images: Tensor[]): Float32Array {
  const size = images.reduce((s, t) => s + t.numel(), 0);
  const out = new Float32Array(size);
  let offset = 0;
  for (const t of images) {
    out.set(t.dataSync() as Float32Array, offset);
    offset += t.numel();
  }
  return out;
}
