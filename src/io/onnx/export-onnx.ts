// nb.io.exportOnnx: trace one eval-mode forward pass (export/trace-model.ts) and write the graph as
// an ONNX model: parameters and buffers as initializers, a symbolic batch dim, one emitter per
// nabla op (export/emit-*.ts). An op without an ONNX form is an error naming it and its module.

import { writeFile, rename, rm } from "node:fs/promises";
import { Tensor } from "../../tensor/tensor.js";
import { randn } from "../../tensor/creation.js";
import { Generator } from "../../tensor/random.js";
import { checkOptions, optionNames } from "../../core/options.js";
import { Module } from "../../nn/module.js";
import { GraphValue, valuesIn, type GraphNode } from "../../graph/ir.js";
import { encodeModel, type ValueInfoProto } from "./onnx-proto.js";
import { onnxTypeOf } from "./tensor-proto.js";
import { OnnxGraphBuilder } from "./export/builder.js";
import { EmitContext, ExportError, type Emitter } from "./export/context.js";
import { ELEMENTWISE_EMITTERS } from "./export/emit-elementwise.js";
import { SHAPE_EMITTERS } from "./export/emit-shape.js";
import { NN_EMITTERS } from "./export/emit-nn.js";
import { cellEmitter, recurrentEmitter } from "./export/emit-recurrent.js";
import { traceModel } from "./export/trace-model.js";

export interface ExportOnnxOptions {
  /** ONNX opset (9–18; default 17). */
  opsetVersion?: number;
  /** Make dim 0 of the inputs and outputs symbolic ("batch"), so any batch size runs (default true). */
  dynamicBatch?: boolean;
  inputNames?: string[];
  outputNames?: string[];
}

export const EXPORT_ONNX_OPTIONS = optionNames<ExportOnnxOptions>({ opsetVersion: 1, dynamicBatch: 1, inputNames: 1, outputNames: 1 });

/** Every op the exporter has an ONNX form for, by nabla op name. */
export const EXPORT_EMITTERS: Readonly<Record<string, Emitter>> = {
  ...ELEMENTWISE_EMITTERS, ...SHAPE_EMITTERS, ...NN_EMITTERS,
  "module:LSTM": recurrentEmitter, "module:GRU": recurrentEmitter, "module:RNN": recurrentEmitter,
  "module:LSTMCell": cellEmitter, "module:GRUCell": cellEmitter, "module:RNNCell": cellEmitter,
};

/** ONNX IR version that goes with an opset (onnx/helper.py's table). */
function irVersionFor(opset: number): number {
  return opset <= 9 ? 4 : opset === 10 ? 5 : opset === 11 ? 6 : opset <= 14 ? 7 : opset <= 18 ? 8 : 9;
}

/** Example inputs: tensors as given, shapes (with the batch dim) filled from a fixed-seed normal. */
function exampleInputs(where: string, example: unknown): Tensor[] {
  const one = (e: unknown, i: number): Tensor => {
    if (e instanceof Tensor) return e;
    if (Array.isArray(e) && e.length > 0 && e.every((d) => Number.isInteger(d) && d > 0)) return randn(e as number[], { generator: new Generator(i + 1) });
    throw new TypeError(`${where}: exampleInput must be a Tensor, a shape with the batch dim such as [1, 3, 224, 224], or an array of them; got ${JSON.stringify(e)}`);
  };
  if (Array.isArray(example) && example.length > 0 && (example[0] instanceof Tensor || Array.isArray(example[0]))) return example.map(one);
  return [one(example, 0)];
}

/** The ONNX model bytes of model traced on exampleInput. */
export function exportOnnxBytes(model: Module, exampleInput: Tensor | number[] | (Tensor | number[])[], opts: ExportOnnxOptions = {}): Uint8Array {
  const where = "exportOnnx";
  if (!(model instanceof Module)) throw new TypeError(`${where}: model must be an nb.nn.Module`);
  checkOptions(where, opts, EXPORT_ONNX_OPTIONS);
  const opset = opts.opsetVersion ?? 17;
  if (!Number.isInteger(opset) || opset < 9 || opset > 18) throw new RangeError(`${where}: opsetVersion must be an integer from 9 to 18, got ${opset}`);
  const dynamicBatch = opts.dynamicBatch ?? true;
  const inputs = exampleInputs(where, exampleInput);
  const inputNames = opts.inputNames ?? inputs.map((_, i) => (inputs.length === 1 ? "input" : `input${i}`));
  if (inputNames.length !== inputs.length) throw new RangeError(`${where}: ${inputNames.length} inputNames for ${inputs.length} inputs`);

  let traced;
  try {
    traced = traceModel(model, inputs, inputNames, dynamicBatch);
  } catch (e) {
    if (e instanceof ExportError) throw new Error(`${where}: ${e.message}`, { cause: e });
    throw new Error(`${where}: the model's forward pass failed on input of shape ${inputs.map((t) => `[${t.shape.join(", ")}]`).join(", ")}: ${(e as Error).message}`, { cause: e });
  }
  const { graph } = traced;
  const outputs = valuesIn(graph.output);
  if (outputs.length === 0) throw new Error(`${where}: the model's forward returned no tensor`);
  const outputNames = opts.outputNames ?? outputs.map((_, i) => (outputs.length === 1 ? "output" : `output${i}`));
  if (outputNames.length !== outputs.length) throw new RangeError(`${where}: ${outputNames.length} outputNames for ${outputs.length} outputs`);

  const b = new OnnxGraphBuilder(opset);
  const batchDims = traced.batchDims ?? graph.inputs.map(() => 0);
  const batch = inputs[0].shape[batchDims[0]] ?? 1;
  const ctx = new EmitContext(b, opset, dynamicBatch, batch);
  graph.inputs.forEach((v, i) => ctx.bind(v, b.unique(inputNames[i])));
  for (const node of liveNodes(graph.nodes, outputs)) {
    const emit = EXPORT_EMITTERS[node.op];
    const place = node.scope ? ` (called in module '${node.scope}')` : " (called in the model's own forward)";
    if (!emit) throw new Error(`${where}: op '${node.op}'${place} has no ONNX form in nabla's exporter`);
    try {
      emit(ctx, node);
    } catch (e) {
      if (e instanceof ExportError) throw new Error(`${where}: op '${node.op}'${place}: ${e.message}`, { cause: e });
      throw e;
    }
  }
  // Outputs get their own names (an Identity also covers an output that is an input or a weight).
  outputs.forEach((v, i) => b.node("Identity", [ctx.name(v)], [b.unique(outputNames[i])]));
  const info = (name: string, v: GraphValue, batchDim: number | "all"): ValueInfoProto => ({
    name,
    type: { tensorType: { elemType: onnxTypeOf(v.dtype), shape: { dim: v.shape.map((d, i) => (!dynamicBatch ? { dimValue: d } : batchDim === "all" ? { dimParam: `${name}_dim${i}` } : i === batchDim ? { dimParam: "batch" } : { dimValue: d })) } } },
  });
  const outNames = b.nodes.slice(-outputs.length).map((n) => n.output![0]);
  const modelProto = {
    irVersion: irVersionFor(opset),
    opsetImport: [{ domain: "", version: opset }],
    producerName: "nabla",
    producerVersion: "0.1.0",
    graph: {
      name: model.constructor.name,
      node: b.nodes,
      initializer: b.initializers,
      input: graph.inputs.map((v, i) => info(ctx.name(v), v, batchDims[i])),
      // Output shapes are left symbolic: which of their dims follow the batch is not tracked.
      output: outputs.map((v, i) => info(outNames[i], v, "all")),
    },
  };
  return encodeModel(modelProto);
}

/** The nodes whose results the outputs depend on, in order (dead calls are left out). */
function liveNodes(nodes: readonly GraphNode[], outputs: GraphValue[]): GraphNode[] {
  const needed = new Set<GraphValue>(outputs);
  const live: GraphNode[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (!n.outputs.some((v) => needed.has(v))) continue;
    live.push(n);
    for (const v of valuesIn(n.args)) needed.add(v);
  }
  return live.reverse();
}

/**
 * Export model as an ONNX file at `path` (written atomically), tracing one forward pass in eval
 * mode on exampleInput (a tensor, or a shape with its batch dim). Returns the file's bytes.
 */
export async function exportOnnx(
  model: Module, exampleInput: Tensor | number[] | (Tensor | number[])[], path: string | null, opts: ExportOnnxOptions = {},
): Promise<Uint8Array> {
  const bytes = exportOnnxBytes(model, exampleInput, opts);
  if (path !== null) {
    if (typeof path !== "string" || path === "") throw new TypeError("exportOnnx: path must be a non-empty string (or null for the bytes only)");
    const temp = `${path}.tmp-${process.pid}`;
    try {
      await writeFile(temp, bytes);
      await rename(temp, path);
    } catch (e) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw new Error(`exportOnnx: could not write ${path}: ${(e as Error).message}`, { cause: e });
    }
  }
  return bytes;
}
