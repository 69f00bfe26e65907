// Embedding (torch.nn.Embedding): a lookup table of numEmbeddings vectors of size embeddingDim,
// indexed by int32 tensors of any shape. The op and its deterministic backward are ops/embedding.ts.

import { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../core/shape.js";
import { checkOptions, optionNames } from "../core/options.js";
import { empty as emptyTensor } from "../tensor/creation.js";
import { noGrad } from "../autograd/grad-mode.js";
import { fill_ } from "../ops/elementwise.js";
import { narrow } from "../ops/view.js";
import { EMBEDDING_ADVICE, EMBEDDING_OPTIONS, embeddingAs, resolveEmbeddingOptions, type EmbeddingOptions } from "../ops/embedding.js";
import { Module } from "./module.js";
import { Parameter } from "./parameter.js";
import { checkBool, checkInt } from "./checks.js";
import * as init from "./init.js";

export type { EmbeddingOptions } from "../ops/embedding.js";

export interface FromPretrainedOptions extends EmbeddingOptions {
  /** Keep the weight fixed: it does not require grad (default true, as torch). */
  freeze?: boolean;
}

const FROM_PRETRAINED_OPTIONS = optionNames<FromPretrainedOptions>({ freeze: 1, paddingIdx: 1, maxNorm: 1, normType: 1, scaleGradByFreq: 1 });

export class Embedding extends Module {
  /** The weight fromPretrained hands to the constructor it calls (instead of a random one). */
  private static pretrained: { weight: Tensor; freeze: boolean } | null = null;
  readonly weight: Parameter;
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  /** Non-negative (a negative paddingIdx counts from the end, as torch stores it) or null. */
  readonly paddingIdx: number | null;
  readonly maxNorm: number | null;
  readonly normType: number;
  readonly scaleGradByFreq: boolean;

  /** weight [numEmbeddings, embeddingDim] from N(0, 1), the paddingIdx row zeroed (torch's default). */
  constructor(numEmbeddings: number, embeddingDim: number, opts: EmbeddingOptions = {}) {
    super();
    this.numEmbeddings = checkInt("Embedding", "numEmbeddings", numEmbeddings, 0);
    this.embeddingDim = checkInt("Embedding", "embeddingDim", embeddingDim, 0);
    checkOptions("Embedding", opts, EMBEDDING_OPTIONS, EMBEDDING_ADVICE);
    const resolved = resolveEmbeddingOptions("Embedding", opts, numEmbeddings);
    this.paddingIdx = resolved.paddingIdx;
    this.maxNorm = resolved.maxNorm;
    this.normType = resolved.normType;
    this.scaleGradByFreq = resolved.scaleGradByFreq;
    const pretrained = Embedding.pretrained;
    Embedding.pretrained = null;
    if (pretrained) {
      this.weight = new Parameter(pretrained.weight, !pretrained.freeze);
      return;
    }
    this.weight = new Parameter(emptyTensor([numEmbeddings, embeddingDim]));
    this.resetParameters();
  }

  resetParameters(): void {
    init.normal(this.weight, 0, 1);
    this.zeroPaddingRow();
  }

  private zeroPaddingRow(): void {
    if (this.paddingIdx === null) return;
    noGrad(() => {
      const row = narrow(this.weight, 0, this.paddingIdx!, 1);
      fill_(row, 0);
      row.dispose();
    });
  }

  /**
   * An Embedding whose weight is `embeddings` [num, dim] (shared, not copied, as torch's
   * from_pretrained; the paddingIdx row is kept as given). freeze (default true) leaves it
   * without gradient.
   */
  static fromPretrained(embeddings: Tensor, opts: FromPretrainedOptions = {}): Embedding {
    const owner = "Embedding.fromPretrained";
    checkOptions(owner, opts, FROM_PRETRAINED_OPTIONS, EMBEDDING_ADVICE);
    if (!(embeddings instanceof Tensor)) throw new TypeError(`${owner}: embeddings must be a Tensor, got ${embeddings === null ? "null" : typeof embeddings}`);
    if (embeddings.ndim !== 2) throw new RangeError(`${owner}: embeddings must be 2-D [numEmbeddings, embeddingDim], got shape ${formatShape(embeddings.shape)}`);
    if (embeddings.dtype !== "float32" && embeddings.dtype !== "float64") throw new TypeError(`${owner}: embeddings must be float32 or float64, got ${embeddings.dtype}`);
    const freeze = checkBool(owner, "freeze", opts.freeze ?? true);
    const { freeze: _freeze, ...layerOpts } = opts;
    resolveEmbeddingOptions(owner, layerOpts, embeddings.shape[0]);
    Embedding.pretrained = { weight: embeddings, freeze };
    try {
      return new Embedding(embeddings.shape[0], embeddings.shape[1], layerOpts);
    } finally {
      Embedding.pretrained = null;
    }
  }

  forward(input: Tensor): Tensor {
    const owner = `Embedding${this._path ? ` "${this._path}"` : ""}`;
    return embeddingAs(owner, input, this.weight, {
      paddingIdx: this.paddingIdx,
      maxNorm: this.maxNorm,
      normType: this.normType,
      scaleGradByFreq: this.scaleGradByFreq,
    });
  }

  override extraRepr(): string {
    let s = `${this.numEmbeddings}, ${this.embeddingDim}`;
    if (this.paddingIdx !== null) s += `, paddingIdx=${this.paddingIdx}`;
    if (this.maxNorm !== null) s += `, maxNorm=${this.maxNorm}`;
    if (this.normType !== 2) s += `, normType=${this.normType}`;
    if (this.scaleGradByFreq) s += ", scaleGradByFreq=true";
    return s;
  }
}
