// The dead-code pass (src/graph/passes/dead-code.ts) on recorded graphs: unused results go, what
// the output needs stays, and effects, in-place writes and random draws are never dropped.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { GraphRecorder } from "../../src/graph/recorder.js";
import { eliminateDeadCode, isRandomOp } from "../../src/graph/passes/dead-code.js";

test("dead code: a chain nothing reads is removed, the chain the output needs is kept", () => {
  const rec = new GraphRecorder();
  const x = nb.randn([4]);
  rec.addInput(x, "x");
  const { graph } = rec.record(() => {
    const unused = nb.exp(nb.mul(x, 2)); // two dead nodes
    void unused;
    const a = nb.add(x, 1);
    return nb.mul(a, a);
  });
  const { graph: live, removed } = eliminateDeadCode(graph);
  assert.deepEqual(live.nodes.map((n) => n.op), ["add", "mul"]);
  assert.deepEqual(removed.map((n) => n.op), ["mul", "exp"]);
  assert.equal(live.output, graph.output);
});

test("dead code: in-place writes, effects and random ops are kept although nothing reads them", () => {
  const rec = new GraphRecorder();
  rec.keepRawArgs = true;
  const x = nb.randn([4]);
  const state = nb.zeros([4]);
  const p = nb.randn([4]).requiresGrad_();
  rec.addInput(x, "x");
  const { graph } = rec.record(() => {
    state.add_(x);
    nb.dropout(x, 0.5);
    nb.sum(nb.mul(p, x)).backward();
    return nb.neg(x);
  });
  const { graph: live, removed } = eliminateDeadCode(graph);
  assert.deepEqual(live.nodes.map((n) => n.op), ["add_", "dropout", "mul", "sum", "backward", "neg"]);
  assert.deepEqual(removed, []);
  assert.ok(isRandomOp("dropout2d") && isRandomOp("alphaDropout") && !isRandomOp("add"));
});
