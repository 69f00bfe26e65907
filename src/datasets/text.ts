// nb.datasets.text: a character-level language-modelling dataset from a text file or a string.
// The vocabulary is the text's distinct characters (Unicode code points) sorted by code point, so
// the same text always gives the same ids; each sample is a window of seqLength ids and the ids one
// character further on (the next-character targets), both int32.

import { readFileSync } from "node:fs";
import { checkOptions, optionNames } from "../core/options.js";
import { tensor } from "../tensor/creation.js";
import type { Tensor } from "../tensor/tensor.js";
import { TensorDataset } from "../data/dataset.js";
import { checkLimit } from "./data-folder.js";

export interface TextOptions {
  /** A UTF-8 text file to read (give this or `text`). */
  path?: string;
  /** The text itself (give this or `path`). */
  text?: string;
  /** Characters per sample (default 100). */
  seqLength?: number;
  /** Characters between the starts of consecutive samples (default seqLength: windows that do not overlap). */
  step?: number;
  /**
   * A fixed vocabulary (e.g. the training set's, for a validation text): a string or an array of
   * single characters. Default: the text's own characters, sorted.
   */
  vocabulary?: string | readonly string[];
  /** Take only the first `limit` samples. */
  limit?: number;
}

export const TEXT_OPTIONS = optionNames<TextOptions>({ path: 1, text: 1, seqLength: 1, step: 1, vocabulary: 1, limit: 1 });

/** Character vocabulary: id ↔ character, with encode/decode for whole strings. */
export class CharVocabulary {
  /** The characters, indexed by id. */
  readonly chars: readonly string[];
  private readonly ids: Map<string, number>;

  constructor(chars: Iterable<string>) {
    this.chars = [...chars];
    this.ids = new Map(this.chars.map((c, i) => [c, i]));
    if (this.ids.size !== this.chars.length) throw new RangeError("text: the vocabulary lists a character twice");
    for (const c of this.chars) {
      if ([...c].length !== 1) throw new RangeError(`text: each vocabulary entry must be one character, got ${JSON.stringify(c)}`);
    }
  }

  /** The sorted distinct characters of `text` (by code point, so stable across runs and platforms). */
  static of(text: string): CharVocabulary {
    return new CharVocabulary([...new Set(text)].sort(byCodePoint));
  }

  get size(): number {
    return this.chars.length;
  }

  /** The id of each character of `s`; a character outside the vocabulary is an error naming it. */
  encode(s: string): Int32Array {
    const chars = [...s];
    const out = new Int32Array(chars.length);
    for (let i = 0; i < chars.length; i++) {
      const id = this.ids.get(chars[i]);
      if (id === undefined) {
        throw new RangeError(`text: character ${JSON.stringify(chars[i])} (U+${chars[i].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}) at position ${i} is not in the vocabulary of ${this.size} characters`);
      }
      out[i] = id;
    }
    return out;
  }

  /** The string of these ids (a tensor of any shape is read in row-major order). */
  decode(ids: ArrayLike<number> | Tensor): string {
    const values: ArrayLike<number> = isTensor(ids) ? ids.dataSync() : ids;
    let s = "";
    for (let i = 0; i < values.length; i++) {
      const c = this.chars[values[i]];
      if (c === undefined) throw new RangeError(`text: id ${values[i]} is outside the vocabulary (0..${this.size - 1})`);
      s += c;
    }
    return s;
  }
}

const byCodePoint = (a: string, b: string): number => a.codePointAt(0)! - b.codePointAt(0)!;
const isTensor = (v: unknown): v is Tensor => typeof (v as Tensor).dataSync === "function" && Array.isArray((v as Tensor).shape);

/** Inputs x int32 [N, seqLength], next-character targets y int32 [N, seqLength], and the vocabulary. */
export class TextDataset extends TensorDataset {
  readonly vocabulary: CharVocabulary;
  /** The vocabulary's characters (what the CLI counts as classes: the model's output size). */
  readonly classes: readonly string[];
  readonly seqLength: number;
  /** The whole text, encoded (one id per character). */
  readonly ids: Int32Array;

  constructor(x: Tensor, y: Tensor, vocabulary: CharVocabulary, ids: Int32Array) {
    super(x, y);
    this.vocabulary = vocabulary;
    this.classes = vocabulary.chars;
    this.seqLength = x.shape[1];
    this.ids = ids;
  }

  get vocabSize(): number {
    return this.vocabulary.size;
  }

  encode(s: string): Int32Array {
    return this.vocabulary.encode(s);
  }

  decode(ids: ArrayLike<number> | Tensor): string {
    return this.vocabulary.decode(ids);
  }
}

function positiveInt(name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw new RangeError(`text: ${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * A character-level dataset: windows of `seqLength` character ids and, for each, the ids shifted by
 * one (targets[t] = the character after inputs[t]), `step` characters apart.
 */
export function text(opts: TextOptions): TextDataset {
  checkOptions("text", opts, TEXT_OPTIONS, { seq_len: "seqLength", sequenceLength: "seqLength", stride: "step", vocab: "vocabulary" });
  if (opts === undefined || (opts.path === undefined) === (opts.text === undefined)) {
    throw new TypeError("text: give exactly one of { path } (a text file) or { text } (a string)");
  }
  const seqLength = positiveInt("seqLength", opts.seqLength, 100);
  const step = positiveInt("step", opts.step, seqLength);
  const limit = checkLimit("text", opts.limit);
  let content: string;
  if (opts.path !== undefined) {
    if (typeof opts.path !== "string") throw new TypeError(`text: path must be a string, got ${typeof opts.path}`);
    try {
      content = readFileSync(opts.path, "utf8");
    } catch (e) {
      throw new Error(`text: cannot read ${opts.path}: ${(e as Error).message}`);
    }
  } else {
    if (typeof opts.text !== "string") throw new TypeError(`text: text must be a string, got ${typeof opts.text}`);
    content = opts.text;
  }
  // Windows CRLF files read as their LF text, so one file gives one vocabulary on every platform.
  content = content.replace(/\r\n/g, "\n");
  const vocabulary = opts.vocabulary === undefined ? CharVocabulary.of(content) : new CharVocabulary(typeof opts.vocabulary === "string" ? [...opts.vocabulary] : opts.vocabulary);
  const ids = vocabulary.encode(content);
  const where = opts.path ?? "the text";
  if (ids.length < seqLength + 1) {
    throw new RangeError(`text: ${where} has ${ids.length} characters; one sample of seqLength ${seqLength} needs ${seqLength + 1}`);
  }
  let n = Math.floor((ids.length - 1 - seqLength) / step) + 1;
  if (limit !== undefined) n = Math.min(n, limit);
  const x = new Int32Array(n * seqLength);
  const y = new Int32Array(n * seqLength);
  for (let i = 0; i < n; i++) {
    const start = i * step;
    x.set(ids.subarray(start, start + seqLength), i * seqLength);
    y.set(ids.subarray(start + 1, start + seqLength + 1), i * seqLength);
  }
  return new TextDataset(tensor(x, { shape: [n, seqLength] }), tensor(y, { shape: [n, seqLength] }), vocabulary, ids);
}
