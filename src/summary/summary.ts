// nb.summary: the Keras-style table of a model — each layer's name and type, output shape (batch
// as -1) and parameter count, with totals counted as PyTorch counts them. Buffers (batch-norm
// running statistics) are state, not parameters, and get their own line.

import { Module } from "../nn/module.js";
import { checkOptions, optionNames } from "../core/options.js";
import type { DType } from "../core/dtype.js";
import { type InputShape, normalizeInputShapes, outputShapeOf, traceModel } from "./trace.js";

export interface SummaryRow {
  name: string;
  type: string;
  outputShape: number[] | number[][];
  params: number;
}

export interface Summary {
  rows: SummaryRow[];
  totalParams: number;
  trainableParams: number;
  nonTrainableParams: number;
  /** Elements in buffers (e.g. BatchNorm running mean/var), not counted as parameters. */
  bufferElements: number;
  toString(): string;
}

const fmt = (n: number): string => n.toLocaleString("en-US");

export function formatShape(s: number[] | number[][]): string {
  if (s.length > 0 && Array.isArray(s[0])) return (s as number[][]).map((x) => `[${x.join(", ")}]`).join(", ");
  return `[${(s as number[]).join(", ")}]`;
}

/** Parameters owned by a module and its descendants. */
function countParams(m: Module): number {
  return m.parameters().reduce((a, p) => a + p.numel(), 0);
}

export interface SummaryOptions {
  /** Print the table to stdout (default true); false only returns it (its toString() is the table). */
  print?: boolean;
  /** The dtype of the zeros the model is traced on (default float32; int32 for models that read token ids, e.g. an Embedding first). */
  dtype?: DType;
}

export const SUMMARY_OPTIONS = optionNames<SummaryOptions>({ print: 1, dtype: 1 });

export function summary(model: Module, inputShape: InputShape, opts: SummaryOptions = {}): Summary {
  checkOptions("summary", opts, SUMMARY_OPTIONS);
  const shapes = normalizeInputShapes("summary", inputShape);
  const seen = new Set<Module>();
  const rows = traceModel(model, shapes, (calls) =>
    calls
      .filter((c) => c.isLeaf && c.module !== model)
      .map((c) => {
        // A module called twice (shared weights) counts its parameters once.
        const params = seen.has(c.module) ? 0 : countParams(c.module);
        seen.add(c.module);
        return { name: c.name, type: c.module.constructor.name, outputShape: outputShapeOf(c.output, c.module), params };
      }),
    "summary",
    opts.dtype,
  );
  // Calls are recorded when they return; leaves never nest, so this is execution order.
  const params = model.parameters();
  const totalParams = params.reduce((a, p) => a + p.numel(), 0);
  const trainableParams = params.filter((p) => p.requiresGrad).reduce((a, p) => a + p.numel(), 0);
  const bufferElements = model.buffers().reduce((a, b) => a + b.numel(), 0);
  const result: Summary = {
    rows, totalParams, trainableParams, nonTrainableParams: totalParams - trainableParams, bufferElements,
    toString: () => renderSummary(model, result),
  };
  if (opts.print ?? true) console.log(result.toString());
  return result;
}

function renderSummary(model: Module, s: Summary): string {
  const head = ["Layer (type)", "Output Shape", "Param #"];
  const body = s.rows.map((r) => [`${r.name} (${r.type})`, formatShape(r.outputShape), fmt(r.params)]);
  const w0 = Math.max(head[0].length, ...body.map((r) => r[0].length)) + 2;
  const w1 = Math.max(head[1].length, ...body.map((r) => r[1].length)) + 2;
  const w2 = Math.max(head[2].length, ...body.map((r) => r[2].length));
  const line = (c: string[]) => c[0].padEnd(w0) + c[1].padEnd(w1) + c[2].padStart(w2);
  const rule = (ch: string) => ch.repeat(w0 + w1 + w2);
  const out = [
    `Model: "${model.constructor.name}"`, rule("_"), line(head), rule("="),
    ...body.map(line), rule("="),
    `Total params: ${fmt(s.totalParams)}`,
    `Trainable params: ${fmt(s.trainableParams)}`,
    `Non-trainable params: ${fmt(s.nonTrainableParams)}`,
  ];
  if (s.bufferElements > 0) out.push(`Buffers (running statistics, not parameters): ${fmt(s.bufferElements)}`);
  out.push(rule("_"));
  return out.join("\n");
}
