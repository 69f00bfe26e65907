// nb.io.importOnnx: read an ONNX model (file path or bytes) into an OnnxModule. Every node, in
// subgraphs too, is checked against the operator table at import, so an unsupported operator or
// attribute fails here, naming the operator, its node and the model's opset.

import { readFile } from "node:fs/promises";
import { decodeModel, type GraphProto, type NodeProto } from "./onnx-proto.js";
import { Attributes } from "./ops/attributes.js";
import { type OpHandler } from "./ops/registry.js";
import { ELEMENTWISE_OPS } from "./ops/elementwise.js";
import { NN_OPS } from "./ops/nn.js";
import { SHAPE_OPS } from "./ops/shape.js";
import { REDUCE_OPS } from "./ops/reduce.js";
import { RESIZE_OPS } from "./ops/resize.js";
import { RECURRENT_OPS } from "./ops/recurrent.js";
import { CONTROL_OPS } from "./ops/control.js";
import { OnnxModule, type PreparedNode } from "./onnx-module.js";

/** Every ONNX operator the importer runs, by op type. */
export const IMPORT_OPS: Readonly<Record<string, OpHandler>> = {
  ...ELEMENTWISE_OPS, ...NN_OPS, ...SHAPE_OPS, ...REDUCE_OPS, ...RESIZE_OPS, ...RECURRENT_OPS, ...CONTROL_OPS,
};

const MIN_OPSET = 7, MAX_OPSET = 18;

/** Check every node (recursing into subgraphs) and pair it with its handler. */
function prepare(g: GraphProto, opset: number, into: Map<NodeProto, PreparedNode>, bufferNames: Set<string>): void {
  for (const node of g.node ?? []) {
    const where = `node '${node.name ?? ""}' (opset ${opset})`;
    const domain = node.domain ?? "";
    if (domain !== "" && domain !== "ai.onnx") throw new Error(`importOnnx: operator ${domain}.${node.opType} of ${where} is from a custom domain, which nabla does not run`);
    const handler = IMPORT_OPS[node.opType ?? ""];
    if (!handler) throw new Error(`importOnnx: operator ${node.opType} of ${where} is not supported`);
    const attrs = new Attributes(node.attribute);
    try {
      handler.check?.(attrs, opset, node);
    } catch (e) {
      throw new Error(`importOnnx: operator ${node.opType} of ${where} is not supported in this form: ${(e as Error).message}`, { cause: e });
    }
    if (node.opType === "BatchNormalization") for (const n of (node.input ?? []).slice(3, 5)) bufferNames.add(n);
    into.set(node, { node, handler, attrs });
    for (const a of node.attribute ?? []) {
      if (a.g) prepare(a.g, opset, into, bufferNames);
      for (const sub of a.graphs ?? []) prepare(sub, opset, into, bufferNames);
    }
  }
}

/** An ONNX model as a Module whose parameters are its float initializers. */
export function importOnnxBytes(bytes: Uint8Array): OnnxModule {
  if (!(bytes instanceof Uint8Array)) throw new TypeError("importOnnx: expected a path or the model's bytes (Uint8Array)");
  const model = decodeModel(bytes);
  const graph = model.graph;
  if (!graph || !graph.node) throw new Error("importOnnx: the file holds no graph (is it an ONNX model?)");
  const opsetEntry = (model.opsetImport ?? []).find((o) => (o.domain ?? "") === "" || o.domain === "ai.onnx");
  const opset = Number(opsetEntry?.version ?? 0);
  if (opset < MIN_OPSET || opset > MAX_OPSET) throw new Error(`importOnnx: the model uses opset ${opset}; nabla imports opsets ${MIN_OPSET} to ${MAX_OPSET}`);
  const ops = new Map<NodeProto, PreparedNode>();
  const bufferNames = new Set<string>();
  prepare(graph, opset, ops, bufferNames);
  return new OnnxModule(graph, opset, ops, bufferNames);
}

/** Read an ONNX model from a file path or its bytes. */
export async function importOnnx(pathOrBytes: string | Uint8Array | ArrayBuffer): Promise<OnnxModule> {
  if (typeof pathOrBytes === "string") {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(pathOrBytes);
    } catch (e) {
      throw new Error(`importOnnx: could not read ${pathOrBytes}: ${(e as Error).message}`, { cause: e });
    }
    return importOnnxBytes(bytes);
  }
  return importOnnxBytes(pathOrBytes instanceof ArrayBuffer ? new Uint8Array(pathOrBytes) : pathOrBytes);
}
