// The graph recorder (src/graph/): what a recorded run holds, and that recording stays off
// outside a run.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { GraphRecorder, GraphValue, activeRecorder, formatGraph } from "../../src/graph/index.js";

test("graph recorder: public ops become nodes with their arguments; composite ops' inner calls do not", () => {
  const w = nb.randn([3, 4]);
  const rec = new GraphRecorder([[w, { kind: "parameter", name: "w" }]]);
  const x = nb.randn([2, 4]);
  rec.addInput(x, "x");
  const { graph, result } = rec.record(() => nb.softmax(nb.add(nb.matmul(x, w.t()), 1), 1));
  // softmax runs exp/sum/div inside; only the calls the function made are nodes.
  assert.deepEqual(graph.nodes.map((n) => n.op), ["t2", "matmul", "add", "softmax"]);
  const [t, mm, add, sm] = graph.nodes;
  assert.equal((t.args[0] as GraphValue).kind, "parameter");
  assert.equal((t.args[0] as GraphValue).name, "w");
  assert.equal(mm.args[0], graph.inputs[0]);
  assert.equal(mm.args[1], t.outputs[0]);
  assert.equal(add.args[1], 1);
  assert.equal(sm.args[1], 1);
  assert.deepEqual(sm.outputs[0].shape, [2, 3]);
  assert.equal(graph.output, sm.outputs[0]);
  assert.ok(result instanceof nb.Tensor);
  // Replaying the recorded functions on the same inputs gives the same result.
  const values = new Map<GraphValue, nb.Tensor>([[graph.inputs[0], x], [t.args[0] as GraphValue, w]]);
  for (const n of graph.nodes) {
    const args = n.args.map((a) => (a instanceof GraphValue ? values.get(a)! : a));
    values.set(n.outputs[0], n.fn(...args) as nb.Tensor);
  }
  assert.deepEqual(Array.from(values.get(sm.outputs[0])!.dataSync()), Array.from(result.dataSync()));
  assert.match(formatGraph(graph), /= softmax\(%\d+, 1\)/);
});

test("graph recorder: a call that returns its input adds no node; tensors from outside are constants", () => {
  const rec = new GraphRecorder();
  const x = nb.randn([2, 3]);
  rec.addInput(x, "x");
  const c = nb.ones([3]);
  const { graph } = rec.record(() => nb.mul(nb.dropout(x, 0.5, false), c));
  assert.deepEqual(graph.nodes.map((n) => n.op), ["mul"]);
  assert.equal((graph.nodes[0].args[1] as GraphValue).kind, "constant");
});

test("graph recorder: off outside a run, restored after a failing run, and runs do not nest", () => {
  assert.equal(activeRecorder(), null);
  const rec = new GraphRecorder();
  assert.throws(() => rec.record(() => nb.matmul(nb.ones([2, 3]), nb.ones([2, 3]))), /matmul/);
  assert.equal(activeRecorder(), null);
  assert.equal(rec.depth, 0);
  assert.throws(() => rec.record(() => new GraphRecorder().record(() => 1)), /recordings do not nest/);
  assert.equal(activeRecorder(), null);
});
