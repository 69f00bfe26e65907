// Sampling text from a character-level language model (CharLSTM), one character at a time: feed
// the prime, then repeatedly draw the next character from softmax(logits / temperature) and feed
// it back with the carried LSTM state. Temperature 1 samples the model's distribution, lower is
// more conservative (0: always the most likely character), higher more surprising.

import type { Tensor } from "../tensor/tensor.js";
import { tensor } from "../tensor/creation.js";
import { Generator, defaultGenerator } from "../tensor/random.js";
import { noGrad } from "../autograd/grad-mode.js";
import { checkOptions, optionNames } from "../core/options.js";
import type { CharLSTM, LstmState } from "./char-lstm.js";

/** What sampling needs of a vocabulary (nb.datasets' CharVocabulary, or a TextDataset). */
export interface CharCodec {
  encode(s: string): Int32Array;
  decode(ids: ArrayLike<number>): string;
}

export interface SampleTextOptions {
  /** Text that starts the sample (default: one character drawn uniformly from the vocabulary). */
  prime?: string;
  /** Characters to generate after the prime (default 200). */
  length?: number;
  /** Softmax temperature, ≥ 0 (default 1; 0 is greedy). */
  temperature?: number;
  /** Random source (default nb's default generator, so nb.manualSeed makes samples repeatable). */
  generator?: Generator;
}

const SAMPLE_TEXT_OPTIONS = optionNames<SampleTextOptions>({ prime: 1, length: 1, temperature: 1, generator: 1 });

/** Index drawn from softmax(logits / temperature) given one uniform u in [0, 1). */
export function sampleIndex(logits: ArrayLike<number>, temperature: number, u: number): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  if (temperature === 0) return best;
  const p = new Float64Array(logits.length);
  let total = 0;
  for (let i = 0; i < logits.length; i++) total += p[i] = Math.exp((logits[i] - logits[best]) / temperature);
  let acc = 0;
  const target = u * total;
  for (let i = 0; i < p.length; i++) {
    acc += p[i];
    if (target < acc) return i;
  }
  return best; // u·total rounded up to the total
}

/** The prime followed by `length` characters sampled from the model. */
export function sampleText(model: CharLSTM, vocabulary: CharCodec, opts: SampleTextOptions = {}): string {
  checkOptions("sampleText", opts, SAMPLE_TEXT_OPTIONS, { temp: "temperature", seed: "generator: new nb.Generator(seed)", start: "prime" });
  const length = opts.length ?? 200;
  if (!Number.isInteger(length) || length < 0) throw new RangeError(`sampleText: length must be a non-negative integer, got ${length}`);
  const temperature = opts.temperature ?? 1;
  if (typeof temperature !== "number" || !(temperature >= 0) || !Number.isFinite(temperature)) {
    throw new RangeError(`sampleText: temperature must be a finite number ≥ 0, got ${temperature}`);
  }
  const gen = opts.generator ?? defaultGenerator;
  const v = model.vocabSize;
  const primeIds = opts.prime === undefined || opts.prime === "" ? Int32Array.of(gen.randomInt(v)) : vocabulary.encode(opts.prime);
  const modes = model.modules().map((m) => m.training);
  model.eval();
  const generated: number[] = [];
  let state: LstmState | undefined;
  try {
    noGrad(() => {
      let input: Tensor = tensor(primeIds, { shape: [1, primeIds.length] });
      for (let i = 0; i < length; i++) {
        const [logits, next] = model.step(input, state);
        input.dispose();
        if (state) state.forEach((s) => s.dispose());
        state = next;
        const all = logits.dataSync();
        const last = all.subarray(all.length - v);
        const id = sampleIndex(last, temperature, gen.hostUniform(1)[0]);
        logits.dispose();
        generated.push(id);
        input = tensor(Int32Array.of(id), { shape: [1, 1] });
      }
      input.dispose();
    });
  } finally {
    state?.forEach((s) => s.dispose());
    model.modules().forEach((m, i) => (m.training = modes[i]));
  }
  return vocabulary.decode(primeIds) + vocabulary.decode(generated);
}
