// The graph IR: what one traced run of nabla code computed, as a list of op calls in execution
// order. A node is one call of a public op (or of a module run as one step, such as an LSTM) with
// its arguments as given, tensors replaced by the graph values they were, so a consumer can read
// every attribute the op was called with (softmax's dim, conv's stride) and can replay the call
// with the same function (`node.fn`). ONNX export is one consumer; graph capture (issue 19) is
// meant to be another.

import type { DType } from "../core/dtype.js";
import type { Tensor } from "../tensor/tensor.js";

/** Where a value comes from: a graph input, model state, a tensor captured from outside, or a node. */
export type ValueKind = "input" | "parameter" | "buffer" | "constant" | "node";

/** One tensor of the traced run. */
export class GraphValue {
  constructor(
    readonly id: number,
    readonly shape: readonly number[],
    readonly dtype: DType,
    readonly kind: ValueKind,
    /** The state-dict key of a parameter or buffer, the name of an input, "" otherwise. */
    readonly name: string,
    /** The tensor itself for parameters, buffers and constants (kept alive by the graph's owner). */
    readonly tensor: Tensor | null,
  ) {}
}

/** An argument of a recorded call: its own value, tensors replaced by GraphValues (also inside arrays and option objects). */
export type GraphArg = GraphValue | number | string | boolean | null | undefined | GraphArg[] | { [key: string]: GraphArg };

export interface GraphNode {
  /** The op's public name ("add", "conv2d", "reshape") or "module:<Class>" for a module run as one step. */
  readonly op: string;
  readonly args: GraphArg[];
  /** The returned value with tensors replaced by GraphValues (a value, an array, nested arrays). */
  readonly output: GraphArg;
  /** Every GraphValue this node created, in the order they appear in `output`. */
  readonly outputs: GraphValue[];
  /** The dotted path of the module whose forward made the call ("" at the top). */
  readonly scope: string;
  /** The module instance for "module:" nodes. */
  readonly module?: unknown;
  /** The function that was called, for replay. */
  readonly fn: (...args: any[]) => unknown;
  /**
   * A side effect rather than a value: loss.backward(), optimizer.step(), zeroGrad() (see
   * effectful() in recorder.ts). It returns nothing the graph tracks and is always kept by passes.
   */
  readonly effect?: boolean;
  /** `this` of the call (the optimizer of optimizer.step, the tensor of backward), when it had one. */
  readonly self?: unknown;
  /** The arguments as given (tensors, generators, closures), kept only by recorders asked to keep them (compile replays from them). */
  readonly rawArgs?: unknown[];
  /** An in-place op (add_, copy_): it writes into its first argument; kept by every pass. Recorded only by recorders that keep raw arguments (compile). */
  readonly inPlace?: boolean;
  /** Whether autograd was recording when the call was made (replay restores it per call). */
  readonly grad?: boolean;
}

export interface Graph {
  readonly inputs: GraphValue[];
  readonly nodes: GraphNode[];
  /** The traced function's result with tensors replaced by GraphValues. */
  readonly output: GraphArg;
  /** Every value, by id. */
  readonly values: GraphValue[];
}

/** Every GraphValue in an argument, depth first. */
export function valuesIn(arg: GraphArg, into: GraphValue[] = []): GraphValue[] {
  if (arg instanceof GraphValue) into.push(arg);
  else if (Array.isArray(arg)) for (const a of arg) valuesIn(a, into);
  else if (arg !== null && typeof arg === "object") for (const a of Object.values(arg)) valuesIn(a, into);
  return into;
}

/** A readable table of the graph, one node a line: outputs, op, arguments, scope. */
export function formatGraph(g: Graph): string {
  const fmt = (a: GraphArg): string => {
    if (a instanceof GraphValue) return a.kind === "node" ? `%${a.id}` : a.kind === "input" ? `%${a.name || a.id}` : `@${a.name || a.id}`;
    if (Array.isArray(a)) return `[${a.map(fmt).join(", ")}]`;
    if (a !== null && typeof a === "object") return `{${Object.entries(a).map(([k, v]) => `${k}: ${fmt(v)}`).join(", ")}}`;
    return String(a);
  };
  const lines = g.nodes.map((n) => {
    const outs = n.outputs.map((v) => `%${v.id}[${v.shape.join(",")}]`).join(", ");
    return `${outs} = ${n.op}(${n.args.map(fmt).join(", ")})${n.scope ? `  # ${n.scope}` : ""}`;
  });
  return [`inputs: ${g.inputs.map((v) => `%${v.name || v.id}[${v.shape.join(",")}]`).join(", ")}`, ...lines, `return ${fmt(g.output)}`].join("\n");
}
