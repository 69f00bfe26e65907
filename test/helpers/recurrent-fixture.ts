// The PyTorch recurrent fixtures (test/fixtures/recurrent.json, from scripts/fixtures/recurrent.py)
// and one function that runs a case through nabla's layer and compares everything torch recorded:
// output, hN, cN and the gradients of the input, h0, c0 and every parameter. Shared by the layer
// tests (cpu: the composite reference) and the fused-path tests (a backend with the fused entries).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as nb from "../../src/index.js";
import { assertClose } from "./assert.js";
import { decodeFixture, type Enc } from "./fixture-tensor.js";

export type { Enc };
interface PackedEnc {
  data: Enc;
  batchSizes: number[];
  sortedIndices: number[];
  unsortedIndices: number[];
}
export interface RecurrentCase {
  kind: string;
  args: [number, number];
  opts: Record<string, unknown>;
  state: Record<string, Enc>;
  input: Enc | PackedEnc;
  padded?: Enc;
  lengths?: number[];
  h0?: Enc;
  c0?: Enc;
  output?: Enc;
  outputPadded?: Enc;
  gradPadded?: Enc;
  hN: Enc;
  cN?: Enc;
  gradOutput?: Enc;
  gradH: Enc;
  gradC?: Enc;
  grads: Record<string, Enc>;
}

export const fixture = JSON.parse(readFileSync(new URL("../fixtures/recurrent.json", import.meta.url), "utf8")) as {
  layers: Record<string, RecurrentCase>;
  cells: Record<string, RecurrentCase>;
};

export function decode(e: Enc, device?: string): nb.Tensor {
  return decodeFixture(e, { device });
}

/** torch's keyword arguments as nabla's options. */
export function optionsOf(opts: Record<string, unknown>): Record<string, unknown> {
  const names: Record<string, string> = { num_layers: "numLayers", batch_first: "batchFirst", proj_size: "projSize" };
  return Object.fromEntries(Object.entries(opts).map(([k, v]) => [names[k] ?? k, v]));
}

export function buildLayer(c: RecurrentCase): nb.nn.Module {
  const [inSize, hidden] = c.args;
  const o = optionsOf(c.opts);
  switch (c.kind) {
    case "RNN": return new nb.nn.RNN(inSize, hidden, o);
    case "LSTM": return new nb.nn.LSTM(inSize, hidden, o);
    case "GRU": return new nb.nn.GRU(inSize, hidden, o);
    case "RNNCell": return new nb.nn.RNNCell(inSize, hidden, o);
    case "LSTMCell": return new nb.nn.LSTMCell(inSize, hidden, o);
    case "GRUCell": return new nb.nn.GRUCell(inSize, hidden, o);
    default: throw new Error(`unknown kind ${c.kind}`);
  }
}

const TOL = { rtol: 1e-4, atol: 2e-5 };

function isPacked(e: Enc | PackedEnc): e is PackedEnc {
  return "batchSizes" in e;
}

/**
 * Load the case's torch state dict (keys in torch's order), run forward and backward of
 * sum(output·gradOutput) + sum(hN·gradH) + sum(cN·gradC), compare with torch.
 */
export function checkRecurrentCase(name: string, c: RecurrentCase, device?: string): void {
  const m = buildLayer(c);
  if (device) m.to(device);
  assert.deepEqual([...m.stateDict().keys()], Object.keys(c.state), `${name}: state-dict keys in torch's order`);
  m.loadStateDict(new Map(Object.entries(c.state).map(([k, v]) => [k, decode(v, device)])));
  const leaf = decode(isPacked(c.input) ? c.input.data : c.input, device).requiresGrad_();
  let input: nb.Tensor | nb.nn.utils.rnn.PackedSequence = leaf;
  if (isPacked(c.input)) {
    const idx = (v: number[]) => nb.tensor(v, { dtype: "int32", device });
    input = new nb.nn.utils.rnn.PackedSequence(leaf, c.input.batchSizes, idx(c.input.sortedIndices), idx(c.input.unsortedIndices));
  }
  const h0 = c.h0 ? decode(c.h0, device).requiresGrad_() : undefined;
  const c0 = c.c0 ? decode(c.c0, device).requiresGrad_() : undefined;
  const cell = c.kind.endsWith("Cell");
  const lstm = c.kind.startsWith("LSTM");
  let output: nb.Tensor | null = null, hN: nb.Tensor, cN: nb.Tensor | null = null;
  if (cell) {
    const r = lstm ? (m as nb.nn.LSTMCell).forward(input as nb.Tensor, h0 && c0 ? [h0, c0] : undefined) : (m as nb.nn.GRUCell).forward(input as nb.Tensor, h0);
    [hN, cN] = Array.isArray(r) ? r : [r, null];
  } else if (lstm) {
    const [out, [h, cc]] = (m as nb.nn.LSTM).forward(input as nb.Tensor, h0 && c0 ? [h0, c0] : undefined);
    [output, hN, cN] = [out instanceof nb.Tensor ? out : (out as nb.nn.utils.rnn.PackedSequence).data, h, cc];
  } else {
    const [out, h] = (m as nb.nn.GRU).forward(input as nb.Tensor, h0);
    [output, hN] = [out instanceof nb.Tensor ? out : (out as nb.nn.utils.rnn.PackedSequence).data, h];
  }
  if (output) assertClose(output, decode(c.output!), { ...TOL, msg: `${name} output` });
  assertClose(hN, decode(c.hN), { ...TOL, msg: `${name} hN` });
  if (c.cN) assertClose(cN!, decode(c.cN), { ...TOL, msg: `${name} cN` });
  let loss = hN.mul(decode(c.gradH, device)).sum();
  if (output) loss = loss.add(output.mul(decode(c.gradOutput!, device)).sum());
  if (cN) loss = loss.add(cN.mul(decode(c.gradC!, device)).sum());
  loss.backward();
  const params = new Map(m.namedParameters());
  for (const [k, g] of Object.entries(c.grads)) {
    const t = k === "input" ? leaf : k === "h0" ? h0 : k === "c0" ? c0 : params.get(k);
    assert.ok(t?.grad, `${name}: ${k} has a gradient`);
    assertClose(t.grad, decode(g), { ...TOL, msg: `${name} gradient of ${k}` });
  }
}
