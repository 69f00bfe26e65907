// What `nabla train` does differently for a character-level language model (--model char-lstm
// --dataset text): the loss is the mean next-character cross-entropy over every position of
// logits [N, T, V] (models/char-lstm.ts' charLstmLoss), there are no labels to report accuracy on,
// and after each epoch it samples text at the chosen temperatures, printing it and appending it to
// <out>/samples.txt.

import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Module } from "../nn/module.js";
import type { Callback } from "../train/callbacks/index.js";
import { CharLSTM } from "../models/char-lstm.js";
import { sampleText } from "../models/sample-text.js";
import type { TextDataset } from "../datasets/text.js";
import { UsageError } from "./usage-error.js";

export interface SamplingArgs {
  /** Softmax temperatures to sample at (default 0.5 and 1). */
  temperatures?: number[];
  /** Characters per sample (default 200). */
  sampleLength?: number;
  /** Text that starts each sample (default: the text's first word). */
  prime?: string;
}

export interface Sampler {
  /** Samples at every temperature after an epoch: printed, and appended to samples.txt with --out. */
  callback: Callback;
  /** Samples from the model as it is now, under `heading` (the CLI calls it with the best weights). */
  write(heading: string): string[];
  /** samples.txt, or null without --out. */
  path: string | null;
}

/** Check the sampling flags (before any training) and fill in their defaults. */
export function samplingSettings(args: SamplingArgs, data: TextDataset): Required<SamplingArgs> {
  const temperatures = args.temperatures ?? [0.5, 1];
  for (const t of temperatures) if (!(t >= 0) || !Number.isFinite(t)) throw new UsageError(`--temperature must be numbers ≥ 0 (0 is greedy), got ${t}`);
  const first = /\S{1,20}/u.exec(data.decode(data.ids.subarray(0, 200)))?.[0] ?? data.vocabulary.chars[0];
  const prime = args.prime ?? first;
  try {
    data.encode(prime);
  } catch (e) {
    throw new UsageError(`--prime: ${(e as Error).message.replace(/^text: /, "")}`);
  }
  return { temperatures, sampleLength: args.sampleLength ?? 200, prime };
}

export function sampler(model: Module, data: TextDataset, args: Required<SamplingArgs>, out: string | undefined, log: (line: string) => void): Sampler {
  if (!(model instanceof CharLSTM)) throw new UsageError("a language model must be a CharLSTM (nb.models.charLstm)");
  const path = out ? join(out, "samples.txt") : null;
  if (path) writeFileSync(path, `Samples (prime ${JSON.stringify(args.prime)}, ${args.sampleLength} characters each)\n`);
  const write = (heading: string): string[] => {
    const samples = args.temperatures.map((temperature) => sampleText(model, data.vocabulary, { prime: args.prime, length: args.sampleLength, temperature }));
    log(`samples, ${heading}:`);
    samples.forEach((s, i) => log(`  [temperature ${args.temperatures[i]}] ${s.replace(/\n/g, " ⏎ ")}`));
    if (path) appendFileSync(path, `\n=== ${heading}\n` + samples.map((s, i) => `--- temperature ${args.temperatures[i]}\n${s}\n`).join(""));
    return samples;
  };
  const callback: Callback = {
    onEpochEnd(epoch, logs) {
      const val = logs.val_loss === undefined ? "" : `, val_loss ${logs.val_loss.toFixed(4)}`;
      write(`after epoch ${epoch + 1} (loss ${logs.loss.toFixed(4)}${val})`);
    },
  };
  return { callback, write, path };
}
