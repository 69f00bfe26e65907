// Fitted feature scalers, scikit-learn style: fit(x) learns per-feature statistics on training
// data, apply(x) uses them on any split (validation, test), fitApply(x) does both.
// Features are: columns of a table [N, F] (or the one feature of [N]), channels of images
// [C, H, W] and [N, C, H, W].

import { tensor } from "../tensor/creation.js";
import { Tensor } from "../tensor/tensor.js";
import { tidy } from "../tensor/scope.js";
import { formatShape } from "../core/shape.js";
import { checkOptions, optionNames } from "../core/options.js";
import { add, sub, mul, div } from "../ops/elementwise.js";
import { Transform } from "./transform.js";

/** How a tensor's elements are grouped into features: feature f's values, feature count. */
interface FeatureLayout {
  features: number;
  /** Shape of a per-feature statistic that broadcasts against x. */
  statShape: number[];
  /** Feature index of flat element i. */
  featureOf: (i: number) => number;
}

function layoutOf(where: string, x: unknown): FeatureLayout {
  if (!(x instanceof Tensor)) throw new TypeError(`${where}: expected a tensor, got ${x === null ? "null" : typeof x}`);
  if (x.dtype !== "float32" && x.dtype !== "float64") throw new TypeError(`${where}: expected a float32 or float64 tensor, got ${x.dtype}`);
  const s = x.shape;
  switch (x.ndim) {
    case 1: return { features: 1, statShape: [1], featureOf: () => 0 };
    case 2: return { features: s[1], statShape: [1, s[1]], featureOf: (i) => i % s[1] };
    case 3: {
      const plane = s[1] * s[2];
      return { features: s[0], statShape: [s[0], 1, 1], featureOf: (i) => Math.floor(i / plane) };
    }
    case 4: {
      const plane = s[2] * s[3];
      return { features: s[1], statShape: [1, s[1], 1, 1], featureOf: (i) => Math.floor(i / plane) % s[1] };
    }
    default:
      throw new RangeError(`${where}: expected a table [N, F] (or [N]) or images [C, H, W] / [N, C, H, W], got shape ${formatShape(s)}`);
  }
}

/** Per-feature count, mean, and sum of squared deviations (two passes, in float64). */
function featureMoments(x: Tensor, layout: FeatureLayout): { count: number[]; mean: number[]; m2: number[]; min: number[]; max: number[] } {
  const data = x.dataSync();
  const f = layout.features;
  const count = new Array<number>(f).fill(0), mean = new Array<number>(f).fill(0), m2 = new Array<number>(f).fill(0);
  const min = new Array<number>(f).fill(Infinity), max = new Array<number>(f).fill(-Infinity);
  for (let i = 0; i < data.length; i++) {
    const k = layout.featureOf(i), v = data[i];
    count[k]++;
    mean[k] += v;
    if (v < min[k]) min[k] = v;
    if (v > max[k]) max[k] = v;
  }
  for (let k = 0; k < f; k++) mean[k] /= count[k];
  for (let i = 0; i < data.length; i++) {
    const d = data[i] - mean[layout.featureOf(i)];
    m2[layout.featureOf(i)] += d * d;
  }
  return { count, mean, m2, min, max };
}

abstract class FittedScaler extends Transform {
  protected abstract readonly name: string;
  /** x ↦ (x - shift) / divisor + offset() per feature, once fitted. */
  protected shift: number[] | null = null;
  protected divisor: number[] | null = null;

  protected abstract learn(x: Tensor, layout: FeatureLayout): void;

  get fitted(): boolean {
    return this.shift !== null;
  }

  fit(x: Tensor): this {
    const layout = layoutOf(`${this.name}.fit`, x);
    if (x.numel() === 0) throw new RangeError(`${this.name}.fit: cannot fit on an empty tensor (shape ${formatShape(x.shape)})`);
    this.learn(x, layout);
    return this;
  }

  apply(x: Tensor): Tensor {
    const [shift, divisor, layout] = this.checked("apply", x);
    return tidy(() => {
      const opts = { dtype: x.dtype, device: x.device, shape: layout.statShape };
      return add(div(sub(x, tensor(shift, opts)), tensor(divisor, opts)), this.offset());
    });
  }

  /** Map scaled values back to the original units. */
  inverse(x: Tensor): Tensor {
    const [shift, divisor, layout] = this.checked("inverse", x);
    return tidy(() => {
      const opts = { dtype: x.dtype, device: x.device, shape: layout.statShape };
      return add(mul(sub(x, this.offset()), tensor(divisor, opts)), tensor(shift, opts));
    });
  }

  fitApply(x: Tensor): Tensor {
    return this.fit(x).apply(x);
  }

  /** Added after scaling (MinMaxScale's lower bound). */
  protected offset(): number {
    return 0;
  }

  private checked(method: string, x: Tensor): [number[], number[], FeatureLayout] {
    const where = `${this.name}.${method}`;
    if (this.shift === null || this.divisor === null) throw new Error(`${where}: the scaler is not fitted yet; call fit(trainingData) first`);
    const layout = layoutOf(where, x);
    if (layout.features !== this.shift.length) {
      throw new RangeError(`${where}: fitted on ${this.shift.length} features but got ${layout.features} (shape ${formatShape(x.shape)})`);
    }
    return [this.shift, this.divisor, layout];
  }
}

export interface StandardizeOptions {
  /** Delta degrees of freedom of the std: 0 (population, scikit-learn's default) or 1 (sample). */
  ddof?: number;
}

export const STANDARDIZE_OPTIONS = optionNames<StandardizeOptions>({ ddof: 1 });

/**
 * Z-score standardization: (x - mean) / std per feature. A feature with zero spread is only
 * centred (its std counts as 1), as scikit-learn's StandardScaler does.
 */
export class Standardize extends FittedScaler {
  protected readonly name = "Standardize";
  readonly ddof: number;
  mean: number[] | null = null;
  std: number[] | null = null;

  constructor(opts: StandardizeOptions = {}) {
    super();
    checkOptions("Standardize", opts, STANDARDIZE_OPTIONS);
    this.ddof = opts.ddof ?? 0;
    if (!Number.isInteger(this.ddof) || this.ddof < 0) throw new RangeError(`Standardize: ddof must be a non-negative integer, got ${opts.ddof}`);
  }

  protected learn(x: Tensor, layout: FeatureLayout): void {
    const { count, mean, m2 } = featureMoments(x, layout);
    if (count[0] - this.ddof <= 0) {
      throw new RangeError(`Standardize.fit: ddof ${this.ddof} needs more than ${this.ddof} values per feature, got ${count[0]} (shape ${formatShape(x.shape)})`);
    }
    this.mean = mean;
    this.std = m2.map((s, k) => Math.sqrt(s / (count[k] - this.ddof)));
    this.shift = mean;
    this.divisor = this.std.map((s) => (s > 0 ? s : 1));
  }
}

export interface MinMaxScaleOptions {
  /** The range the training minimum and maximum map to. */
  featureRange?: readonly [number, number];
}

export const MIN_MAX_SCALE_OPTIONS = optionNames<MinMaxScaleOptions>({ featureRange: 1 });

/**
 * Min-max scaling: (x - min) / (max - min) per feature, then into featureRange. A constant
 * feature maps to the range's lower end (scikit-learn's MinMaxScaler).
 */
export class MinMaxScale extends FittedScaler {
  protected readonly name = "MinMaxScale";
  readonly featureRange: readonly [number, number];
  min: number[] | null = null;
  max: number[] | null = null;

  constructor(opts: MinMaxScaleOptions = {}) {
    super();
    checkOptions("MinMaxScale", opts, MIN_MAX_SCALE_OPTIONS);
    const r = opts.featureRange ?? [0, 1];
    if (!Array.isArray(r) || r.length !== 2 || !r.every((v) => typeof v === "number" && Number.isFinite(v)) || !(r[0] < r[1])) {
      throw new RangeError(`MinMaxScale: featureRange must be [low, high] with low < high, got ${JSON.stringify(opts.featureRange)}`);
    }
    this.featureRange = [r[0], r[1]];
  }

  protected learn(x: Tensor, layout: FeatureLayout): void {
    const { min, max } = featureMoments(x, layout);
    const [lo, hi] = this.featureRange;
    this.min = min;
    this.max = max;
    this.shift = min;
    // Dividing by the range (rather than multiplying by its inverse) maps the maximum to exactly hi.
    this.divisor = min.map((m, k) => (max[k] > m ? max[k] - m : 1) / (hi - lo));
  }

  protected override offset(): number {
    return this.featureRange[0];
  }
}
