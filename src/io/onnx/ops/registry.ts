// The importer's operator table: one handler per ONNX op type, written in nabla's ops so an
// imported graph is differentiable. A handler may check a node at import (attributes and opset),
// so unsupported forms fail when the model loads, never while it runs.

import type { Tensor } from "../../../tensor/tensor.js";
import type { GraphProto, NodeProto } from "../onnx-proto.js";
import type { Attributes } from "./attributes.js";

export interface RunContext {
  opset: number;
  /** Runs a subgraph (If/Loop bodies) with extra named values visible. */
  runSubgraph(g: GraphProto, inputs: Map<string, Tensor>): Tensor[];
}

export interface OpHandler {
  /** Compute the node's outputs from its inputs (null for omitted optional inputs). */
  run(inputs: (Tensor | null)[], attrs: Attributes, ctx: RunContext, node: NodeProto): (Tensor | null)[] | Tensor;
  /** Throw (with a reason) for a node this handler cannot run at this opset. */
  check?(attrs: Attributes, opset: number, node: NodeProto): void;
}

export class UnsupportedOnnx extends Error {}
