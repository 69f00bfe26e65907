// nb.explain: for people learning this, the arithmetic behind each row of the summary — the
// output-size formula with the numbers filled in, the parameter count as a product, the receptive
// field of one output unit in input pixels, multiply-adds, and activation memory.

import { resolveConvWindow } from "../ops/conv-window.js";
import { Tensor } from "../tensor/tensor.js";
import { Module } from "../nn/module.js";
import { Conv1d, Conv2d, Conv3d } from "../nn/conv.js";
import { ConvTranspose1d, ConvTranspose2d, ConvTranspose3d } from "../nn/conv-transpose.js";
import { Linear } from "../nn/linear.js";
import { RNNBase } from "../nn/recurrent.js";
import { RNNCellBase } from "../nn/recurrent-cells.js";
import { GATES } from "../ops/recurrent.js";
import { type InputShape, inputBatchDim, mainOutput, normalizeInputShapes, outputShapeOf, traceModel, withBatch } from "./trace.js";
import { checkOptions } from "../core/options.js";
import { SUMMARY_OPTIONS, formatShape, type SummaryOptions } from "./summary.js";

export interface ExplainRow {
  name: string;
  type: string;
  inputShape: number[];
  outputShape: number[] | number[][];
  /** How each spatial output size follows from the input size (empty when nothing to derive). */
  outputSize: string[];
  params: number;
  /** The parameter count written as arithmetic, e.g. "3·3·1·8 + 8 = 80". */
  paramFormula: string;
  /** Receptive field of one output unit in input pixels, per spatial dim (null when not spatial). */
  receptiveField: number[] | null;
  /** Multiply-adds for one sample. */
  macs: number;
  /** Bytes of this layer's output for one sample (float32). */
  activationBytes: number;
}

export interface Explanation {
  rows: ExplainRow[];
  totalParams: number;
  totalMacs: number;
  totalActivationBytes: number;
  toString(): string;
}

interface Field {
  /** Receptive field size and distance between neighbouring units, in input pixels, per spatial dim. */
  size: number[];
  jump: number[];
}

const fmt = (n: number): string => n.toLocaleString("en-US");
const prod = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

interface Window {
  kernel: number[];
  stride: number[];
  /** Padding before and after each spatial dim (they differ only for an even kernel's "same"). */
  padBefore: number[];
  padAfter: number[];
  dilation: number[];
  ceilMode: boolean;
}

type ConvTranspose = ConvTranspose1d | ConvTranspose2d | ConvTranspose3d;
const isConvTranspose = (m: Module): m is ConvTranspose => m instanceof ConvTranspose1d || m instanceof ConvTranspose2d || m instanceof ConvTranspose3d;

/** A transposed conv's output size: (n−1)·s − 2·p + d·(k−1) + outputPadding + 1 (outputSize may raise it). */
function transposeSizeFormula(m: ConvTranspose, n: number, i: number, out: number): string {
  const k = m.kernelSize[i], s = m.stride[i], p = m.padding[i], d = m.dilation[i];
  const op = out - ((n - 1) * s - 2 * p + d * (k - 1) + 1);
  return `(${n}−1)·${s} − 2·${p} + ${d === 1 ? "" : `${d}·`}(${k}−1) + ${op} + 1 = ${out}`;
}

/** The conv/pool geometry a layer exposes, resolved to numbers per spatial dim. */
function windowOf(m: Module, inputSpatial: number[]): Window | null {
  // A transposed conv's window runs the other way (transposeSizeFormula).
  if (isConvTranspose(m)) return null;
  const f = m as unknown as { kernelSize?: number[]; stride?: number[]; padding?: number[] | "same" | "valid"; dilation?: number[]; ceilMode?: boolean };
  if (!Array.isArray(f.kernelSize) || !Array.isArray(f.stride)) return null;
  const nd = f.kernelSize.length;
  if (inputSpatial.length !== nd) return null;
  const dilation = Array.isArray(f.dilation) ? f.dilation : new Array(nd).fill(1);
  // The same resolution the conv layers and ops use ("same" puts an odd total's extra on the right).
  const w = resolveConvWindow(m.constructor.name, nd, f.kernelSize, { stride: f.stride, padding: f.padding ?? 0, dilation });
  return { kernel: w.kernel, stride: w.stride, padBefore: w.padBefore, padAfter: w.padAfter, dilation: w.dilation, ceilMode: Boolean(f.ceilMode) };
}

function sizeFormula(n: number, w: Window, i: number, out: number): string {
  const k = w.kernel[i], s = w.stride[i], d = w.dilation[i];
  const [before, after] = [w.padBefore[i], w.padAfter[i]];
  const round = w.ceilMode ? "ceil" : "floor";
  const span = d === 1 ? `${k}` : `${d}·(${k}−1)+1`;
  const pad = before === after ? `2·${before}` : `${before} + ${after}`;
  return `${round}((${n} + ${pad} − ${span}) / ${s}) + 1 = ${out}`;
}

function paramFormula(m: Module, params: number): string {
  if (isConvTranspose(m)) {
    const bias = m.bias ? ` + ${m.outChannels}` : "";
    return `${m.kernelSize.join("·")}·${m.inChannels}·${m.outChannels / m.groups}${bias} = ${fmt(params)}`;
  }
  if (m instanceof Conv1d || m instanceof Conv2d || m instanceof Conv3d) {
    const k = m.kernelSize.join("·");
    const bias = m.bias ? ` + ${m.outChannels}` : "";
    return `${k}·${m.inChannels / m.groups}·${m.outChannels}${bias} = ${fmt(params)}`;
  }
  if (m instanceof Linear) return `${m.inFeatures}·${m.outFeatures}${m.bias ? ` + ${m.outFeatures}` : ""} = ${fmt(params)}`;
  if (m instanceof RNNBase) return `${recurrentTerms(m).map((t) => t.formula).join(" + ")} = ${fmt(params)}`;
  if (m instanceof RNNCellBase) {
    const G = m.weight_ih.shape[0] / m.hiddenSize;
    return `${gateProduct(G, m.hiddenSize)}·(${m.inputSize} + ${m.hiddenSize}${m.bias ? " + 2" : ""}) = ${fmt(params)}`;
  }
  const ps = m.parameters();
  if (ps.length === 0) return "0";
  return `${ps.map((p) => (p.ndim > 1 ? p.shape.join("·") : String(p.numel()))).join(" + ")} = ${fmt(params)}`;
}

/** "4·128" for an LSTM's G·H (just "128" for a plain RNN's single gate). */
function gateProduct(G: number, H: number): string {
  return G === 1 ? `${H}` : `${G}·${H}`;
}

/**
 * A recurrent layer's parameters per layer (both directions): G·H·(in + P + 2) for W_ih, W_hh and
 * the two biases (LSTM G = 4, GRU 3, RNN 1; P = projSize or H), plus P·H for a projection.
 */
function recurrentTerms(m: RNNBase): { formula: string; macsPerStep: number }[] {
  const G = GATES[m.cell], H = m.hiddenSize, P = m.stateSize, D = m.directions;
  return Array.from({ length: m.numLayers }, (_, l) => {
    const inSize = l === 0 ? m.inputSize : P * D;
    const proj = m.projSize > 0 ? ` + ${P}·${H}` : "";
    const one = `${gateProduct(G, H)}·(${inSize} + ${P}${m.bias ? " + 2" : ""})${proj}`;
    const formula = D === 1 ? one : proj ? `2·(${one})` : `2·${one}`;
    return { formula, macsPerStep: D * (G * H * (inSize + P) + (m.projSize > 0 ? P * H : 0)) };
  });
}

function macsOf(m: Module, input: number[], output: number[]): number {
  if (m instanceof RNNBase) {
    // Per sample: every step multiplies by W_ih and W_hh (and W_hr) in each layer and direction.
    const steps = input.length === 3 && m.batchFirst ? input[1] : input[0];
    return steps * recurrentTerms(m).reduce((a, t) => a + t.macsPerStep, 0);
  }
  if (m instanceof RNNCellBase) return m.weight_ih.shape[0] * (m.inputSize + m.hiddenSize);
  const outPerSample = prod(output.slice(1));
  // Each input element is scattered through outCh/groups·∏k weights.
  if (isConvTranspose(m)) return prod(input.slice(1)) * (m.outChannels / m.groups) * prod(m.kernelSize);
  if (m instanceof Conv1d || m instanceof Conv2d || m instanceof Conv3d) return outPerSample * (m.inChannels / m.groups) * prod(m.kernelSize);
  if (m instanceof Linear) return prod(output.slice(1, -1)) * m.inFeatures * m.outFeatures;
  return 0;
}

export function explain(model: Module, inputShape: InputShape, opts: SummaryOptions = {}): Explanation {
  checkOptions("explain", opts, SUMMARY_OPTIONS);
  const shapes = normalizeInputShapes("explain", inputShape);
  const rows = traceModel(model, shapes, (calls) => {
    // Receptive fields follow tensors: each output's field derives from its input's. A tensor
    // made outside any module (a residual add) takes the field of the latest known tensor.
    const fields = new Map<Tensor, Field>();
    let latest: Field = { size: shapes[0].slice(1).map(() => 1), jump: shapes[0].slice(1).map(() => 1) };
    const seen = new Set<Module>();
    const out: ExplainRow[] = [];
    for (const c of calls) {
      if (!c.isLeaf || c.module === model) continue;
      const input = c.inputs[0];
      const outShape = outputShapeOf(c.output, c.module);
      const main = mainOutput(c.module, c.output);
      const outTensor = main?.tensor ?? null;
      // Receptive fields in pixels mean nothing for a sequence's steps.
      const sequential = c.module instanceof RNNBase || c.module instanceof RNNCellBase;
      const inField = (input && fields.get(input)) ?? latest;
      const inSpatial = input ? input.shape.slice(2) : [];
      const w = input ? windowOf(c.module, inSpatial) : null;
      let field: Field | null = inField;
      const outputSize: string[] = [];
      if (w && outTensor) {
        const outSpatial = outTensor.shape.slice(2);
        inSpatial.forEach((n, i) => outputSize.push(sizeFormula(n, w, i, outSpatial[i])));
        field = {
          size: inField.size.map((r, i) => r + (w.dilation[i] * (w.kernel[i] - 1)) * inField.jump[i]),
          jump: inField.jump.map((j, i) => j * w.stride[i]),
        };
      } else if (outTensor && isConvTranspose(c.module)) {
        const m = c.module, outSpatial = outTensor.shape.slice(2);
        inSpatial.forEach((n, i) => outputSize.push(transposeSizeFormula(m, n, i, outSpatial[i])));
        // An output unit gathers at most ⌈span/s⌉ neighbouring inputs; units sit s times closer.
        field = {
          size: inField.size.map((r, i) => r + (Math.ceil((m.dilation[i] * (m.kernelSize[i] - 1) + 1) / m.stride[i]) - 1) * inField.jump[i]),
          jump: inField.jump.map((j, i) => j / m.stride[i]),
        };
      } else if (outTensor && input && outTensor.ndim < input.ndim) {
        // Flatten / Linear / global pooling: every output sees the whole input image.
        field = { size: shapes[0].slice(1), jump: shapes[0].slice(1).map(() => 0) };
      }
      if (outTensor && field) {
        fields.set(outTensor, field);
        latest = field;
      }
      const params = seen.has(c.module) ? 0 : c.module.parameters().reduce((a, p) => a + p.numel(), 0);
      seen.add(c.module);
      const outNumel = outTensor ? prod(outTensor.shape.filter((_, i) => i !== main!.batchDim)) : 0;
      out.push({
        name: c.name,
        type: c.module.constructor.name,
        inputShape: input ? withBatch(input.shape, inputBatchDim(c.module, input)) : [],
        outputShape: outShape,
        outputSize,
        params,
        paramFormula: paramFormula(c.module, params),
        receptiveField: field && shapes[0].length > 1 && !sequential ? [...field.size] : null,
        macs: input && outTensor ? macsOf(c.module, input.shape, outTensor.shape) : 0,
        activationBytes: outNumel * 4,
      });
    }
    return out;
  }, "explain", opts.dtype);
  const result: Explanation = {
    rows,
    totalParams: model.parameters().reduce((a, p) => a + p.numel(), 0),
    totalMacs: rows.reduce((a, r) => a + r.macs, 0),
    totalActivationBytes: rows.reduce((a, r) => a + r.activationBytes, 0),
    toString: () => renderExplanation(result),
  };
  if (opts.print ?? true) console.log(result.toString());
  return result;
}

function bytes(n: number): string {
  return n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(2)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;
}

function renderExplanation(e: Explanation): string {
  const lines: string[] = [];
  for (const r of e.rows) {
    lines.push(`${r.name} (${r.type}): ${formatShape(r.inputShape)} → ${formatShape(r.outputShape)}`);
    r.outputSize.forEach((f, i) => lines.push(`    output size, dim ${i + 1}: ${f}`));
    lines.push(`    parameters: ${r.paramFormula}`);
    if (r.receptiveField) lines.push(`    receptive field: ${r.receptiveField.join("×")} input pixels`);
    if (r.macs > 0) lines.push(`    multiply-adds: ${fmt(r.macs)} per sample`);
    lines.push(`    activation memory: ${bytes(r.activationBytes)} per sample`);
  }
  lines.push(`Total: ${fmt(e.totalParams)} parameters, ${fmt(e.totalMacs)} multiply-adds and ${bytes(e.totalActivationBytes)} of activations per sample`);
  return lines.join("\n");
}
