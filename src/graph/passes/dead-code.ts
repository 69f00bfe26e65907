// Dead-code elimination: drop the nodes whose results nothing needs. A node is needed when it is a
// side effect (backward, optimizer.step, zeroGrad, an in-place op), draws random numbers (dropping it would shift
// the generator and change every later draw, so a seeded compiled run would differ from eager), or
// makes a value that the graph returns or a needed node reads.

import { valuesIn, type Graph, type GraphNode } from "../ir.js";

/** Ops that draw from a random generator: never dropped. */
const RANDOM_OP = /dropout|rand|bernoulli|multinomial|normal|uniform|shuffle|noise/i;

export function isRandomOp(op: string): boolean {
  return RANDOM_OP.test(op);
}

/** The graph without its dead nodes, and how many were removed. */
export function eliminateDeadCode(graph: Graph): { graph: Graph; removed: GraphNode[] } {
  const needed = new Set(valuesIn(graph.output).map((v) => v.id));
  const keep: boolean[] = new Array(graph.nodes.length).fill(false);
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const n = graph.nodes[i];
    const live = n.effect === true || n.inPlace === true || isRandomOp(n.op) || n.outputs.some((v) => needed.has(v.id));
    if (!live) continue;
    keep[i] = true;
    for (const v of valuesIn(n.args)) needed.add(v.id);
  }
  return {
    graph: { ...graph, nodes: graph.nodes.filter((_, i) => keep[i]) },
    removed: graph.nodes.filter((_, i) => !keep[i]),
  };
}
