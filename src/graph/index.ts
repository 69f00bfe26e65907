// Graph capture: record what a run of nabla code computes as a graph of op calls.
export { GraphValue, valuesIn, formatGraph, type Graph, type GraphNode, type GraphArg, type ValueKind } from "./ir.js";
export { GraphRecorder, traceable, effectful, activeRecorder, type KnownTensor } from "./recorder.js";
