// nb.nn.init: in-place initialisers with torch.nn.init's semantics. Each writes into the tensor it
// is given (so a Parameter keeps its identity, and every optimizer holding it sees the new values),
// runs without recording a graph, and returns the tensor. Random draws use the global generator
// (nb.manualSeed) unless a generator is passed.

import { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../core/shape.js";
import { checkOptions, optionNames } from "../core/options.js";
import { eye as eyeTensor, rand, randn, tensor } from "../tensor/creation.js";
import { defaultGenerator, type Generator } from "../tensor/random.js";
import { noGrad } from "../autograd/grad-mode.js";
import { add, clamp, copy_, fill_, mul } from "../ops/elementwise.js";
import { assertTensor } from "../ops/util.js";

export interface InitOptions {
  generator?: Generator;
}

const INIT_OPTIONS = optionNames<InitOptions>({ generator: 1 });

export type FanMode = "fanIn" | "fanOut" | "fan_in" | "fan_out";

export interface KaimingOptions extends InitOptions {
  /** Negative slope of the rectifier that follows (only used with "leaky_relu"). */
  a?: number;
  /** "fanIn" keeps the variance of the forward pass, "fanOut" that of the backward pass. */
  mode?: FanMode;
  nonlinearity?: string;
}

const KAIMING_OPTIONS = optionNames<KaimingOptions>({ a: 1, mode: 1, nonlinearity: 1, generator: 1 });

function floatTarget(fn: string, t: Tensor): Tensor {
  assertTensor(`init.${fn}`, t, "tensor");
  if (t.dtype !== "float32" && t.dtype !== "float64") {
    throw new TypeError(`init.${fn}: expected a floating-point tensor (float32 or float64), got ${t.dtype}`);
  }
  return t;
}

function finite(fn: string, name: string, v: number): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new TypeError(`init.${fn}: ${name} must be a finite number, got ${v}`);
  return v;
}

/** Write src into t without recording, then free src. */
function overwrite(t: Tensor, src: Tensor): Tensor {
  noGrad(() => copy_(t, src));
  src.dispose();
  return t;
}

/**
 * The recommended gain for a nonlinearity (torch.nn.init.calculate_gain): 1 for linear layers,
 * convolutions and sigmoid, 5/3 for tanh, √2 for relu, √(2/(1+slope²)) for leaky_relu, 3/4 for selu.
 */
export function calculateGain(nonlinearity: string, param?: number | null): number {
  const linearFns = new Set([
    "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "convTranspose1d", "convTranspose2d", "convTranspose3d", "sigmoid", "identity",
  ]);
  if (linearFns.has(nonlinearity)) return 1;
  switch (nonlinearity) {
    case "tanh":
      return 5 / 3;
    case "relu":
      return Math.SQRT2;
    case "leaky_relu":
    case "leakyRelu": {
      const slope = param ?? 0.01;
      if (typeof slope !== "number" || !Number.isFinite(slope)) {
        throw new TypeError(`calculateGain: negative slope ${slope} is not a valid number`);
      }
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case "selu":
      return 3 / 4;
    default:
      throw new RangeError(
        `calculateGain: unsupported nonlinearity ${JSON.stringify(nonlinearity)}; expected one of linear, conv1d, conv2d, ` +
          "conv3d, sigmoid, tanh, relu, leaky_relu, selu",
      );
  }
}

/**
 * Fan-in and fan-out as torch computes them: for a weight [out, in, ...kernel], fanIn is
 * in · (kernel elements) and fanOut is out · (kernel elements).
 */
export function calculateFanInAndFanOut(t: Tensor): { fanIn: number; fanOut: number } {
  assertTensor("calculateFanInAndFanOut", t, "tensor");
  if (t.ndim < 2) {
    throw new RangeError(`calculateFanInAndFanOut: fan in and fan out cannot be computed for a tensor with fewer than 2 dimensions, got shape ${formatShape(t.shape)}`);
  }
  let receptive = 1;
  for (let i = 2; i < t.ndim; i++) receptive *= t.shape[i];
  return { fanIn: t.shape[1] * receptive, fanOut: t.shape[0] * receptive };
}

function fanFor(fn: string, t: Tensor, mode: FanMode): number {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  if (mode === "fanIn" || mode === "fan_in") return fanIn;
  if (mode === "fanOut" || mode === "fan_out") return fanOut;
  throw new RangeError(`init.${fn}: mode must be "fanIn" or "fanOut", got ${JSON.stringify(mode)}`);
}

/** Fill with samples from U(a, b). */
export function uniform(t: Tensor, a = 0, b = 1, opts: InitOptions = {}): Tensor {
  floatTarget("uniform", t);
  checkOptions("init.uniform", opts, INIT_OPTIONS);
  finite("uniform", "a", a);
  finite("uniform", "b", b);
  if (a > b) throw new RangeError(`init.uniform: a must not exceed b, got a=${a}, b=${b}`);
  return noGrad(() => {
    const u = rand(t.shape, { dtype: t.dtype, device: t.device, generator: opts.generator ?? defaultGenerator });
    const scaled = mul(u, b - a);
    const shifted = add(scaled, a);
    u.dispose();
    scaled.dispose();
    return overwrite(t, shifted);
  });
}

/** Fill with samples from N(mean, std²). */
export function normal(t: Tensor, mean = 0, std = 1, opts: InitOptions = {}): Tensor {
  floatTarget("normal", t);
  checkOptions("init.normal", opts, INIT_OPTIONS);
  finite("normal", "mean", mean);
  finite("normal", "std", std);
  if (std < 0) throw new RangeError(`init.normal: std must be non-negative, got ${std}`);
  return noGrad(() => {
    const z = randn(t.shape, { dtype: t.dtype, device: t.device, generator: opts.generator ?? defaultGenerator });
    const scaled = mul(z, std);
    const shifted = add(scaled, mean);
    z.dispose();
    scaled.dispose();
    return overwrite(t, shifted);
  });
}

/**
 * Fill with samples from N(mean, std²) truncated to [a, b], by inverting the normal CDF on a
 * uniform draw over [Φ(a), Φ(b)] (torch's method), so no sample is ever rejected.
 */
export function truncNormal(t: Tensor, mean = 0, std = 1, a = -2, b = 2, opts: InitOptions = {}): Tensor {
  floatTarget("truncNormal", t);
  checkOptions("init.truncNormal", opts, INIT_OPTIONS);
  for (const [k, v] of [["mean", mean], ["std", std], ["a", a], ["b", b]] as const) finite("truncNormal", k, v);
  if (std <= 0) throw new RangeError(`init.truncNormal: std must be positive, got ${std}`);
  if (a >= b) throw new RangeError(`init.truncNormal: need a < b, got a=${a}, b=${b}`);
  const lo = normalCdf((a - mean) / std);
  const hi = normalCdf((b - mean) / std);
  const u = (opts.generator ?? defaultGenerator).hostUniform(t.numel());
  const values = new Float64Array(u.length);
  for (let i = 0; i < u.length; i++) {
    const p = lo + (hi - lo) * u[i];
    values[i] = Math.min(b, Math.max(a, mean + std * inverseNormalCdf(p)));
  }
  return noGrad(() => {
    const src = tensor(values, { dtype: t.dtype, device: t.device, shape: t.shape });
    const clamped = clamp(src, a, b);
    src.dispose();
    return overwrite(t, clamped);
  });
}

/** Fill with a constant. */
export function constant(t: Tensor, value: number): Tensor {
  floatTarget("constant", t);
  if (typeof value !== "number") throw new TypeError(`init.constant: value must be a number, got ${typeof value}`);
  noGrad(() => fill_(t, value));
  return t;
}

export const zeros = (t: Tensor): Tensor => constant(t, 0);
export const ones = (t: Tensor): Tensor => constant(t, 1);

/** Fill a 2-D tensor with the identity matrix (ones on the main diagonal). */
export function eye(t: Tensor): Tensor {
  floatTarget("eye", t);
  if (t.ndim !== 2) throw new RangeError(`init.eye: only 2-D tensors are supported, got shape ${formatShape(t.shape)}`);
  return overwrite(t, eyeTensor(t.shape[0], t.shape[1], { dtype: t.dtype, device: t.device }));
}

/** Glorot/Xavier uniform: U(−a, a) with a = gain·√(6 / (fanIn + fanOut)). */
export function xavierUniform(t: Tensor, gain = 1, opts: InitOptions = {}): Tensor {
  floatTarget("xavierUniform", t);
  checkOptions("init.xavierUniform", opts, INIT_OPTIONS);
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  const bound = Math.sqrt(3) * gain * Math.sqrt(2 / (fanIn + fanOut));
  return uniform(t, -bound, bound, opts);
}

/** Glorot/Xavier normal: N(0, std²) with std = gain·√(2 / (fanIn + fanOut)). */
export function xavierNormal(t: Tensor, gain = 1, opts: InitOptions = {}): Tensor {
  floatTarget("xavierNormal", t);
  checkOptions("init.xavierNormal", opts, INIT_OPTIONS);
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  return normal(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), opts);
}

function kaimingStd(fn: string, t: Tensor, opts: KaimingOptions): number {
  floatTarget(fn, t);
  checkOptions(`init.${fn}`, opts, KAIMING_OPTIONS);
  const fan = fanFor(fn, t, opts.mode ?? "fanIn");
  if (fan === 0) throw new RangeError(`init.${fn}: cannot initialise a tensor with zero elements (shape ${formatShape(t.shape)})`);
  return calculateGain(opts.nonlinearity ?? "leaky_relu", opts.a ?? 0) / Math.sqrt(fan);
}

/** He/Kaiming uniform: U(−bound, bound) with bound = gain·√(3 / fan). */
export function kaimingUniform(t: Tensor, opts: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd("kaimingUniform", t, opts);
  return uniform(t, -bound, bound, { generator: opts.generator });
}

/** He/Kaiming normal: N(0, std²) with std = gain / √fan. */
export function kaimingNormal(t: Tensor, opts: KaimingOptions = {}): Tensor {
  return normal(t, 0, kaimingStd("kaimingNormal", t, opts), { generator: opts.generator });
}

// ---------------------------------------------------------------------------------------------
// the normal distribution's CDF and its inverse, on the host (for truncNormal)

/** Φ(x) through erfc with the Numerical Recipes Chebyshev fit (relative error below 1.2e-7). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const erfc = t * Math.exp(poly);
  return x >= 0 ? 1 - 0.5 * erfc : 0.5 * erfc;
}

/** Φ⁻¹(p) by Acklam's rational approximation (relative error below 1.2e-9). */
function inverseNormalCdf(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const pLow = 0.02425;
  if (p < pLow) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - pLow) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/**
 * torch's default reset_parameters of Linear, ConvNd and ConvTransposeNd: kaiming-uniform with
 * a = √5 on the weight as laid out (so U(−1/√fanIn, 1/√fanIn)), and the bias from the same range,
 * fanIn being the weight's (calculateFanInAndFanOut). The weight is drawn before the bias, as torch.
 */
export function defaultLayerInit(weight: Tensor, bias: Tensor | null): void {
  if (weight.numel() > 0) kaimingUniform(weight, { a: Math.sqrt(5) });
  if (bias) {
    const { fanIn } = calculateFanInAndFanOut(weight);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform(bias, -bound, bound);
  }
}
