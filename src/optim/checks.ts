// Hyper-parameter validation shared by optimizers and schedulers: every message starts with the
// class name and names the option, its value and what was expected, like torch.optim's
// "Invalid beta parameter at index 0: 1.2".

import { camelCase, describe, unknownOption } from "../core/options.js";

export { describe, unknownOption };

/** Validates the options of one optimizer (or of one of its parameter groups). */
export class OptionCheck {
  constructor(
    readonly owner: string,
    /** The parameter group being checked, when it is not the constructor's defaults. */
    readonly group?: number,
  ) {}

  fail(message: string, kind: "range" | "type" = "range"): never {
    const text = `${this.owner}: ${message}${this.group === undefined ? "" : ` (parameter group ${this.group})`}`;
    throw kind === "type" ? new TypeError(text) : new RangeError(text);
  }

  /** A finite number. */
  number(name: string, value: unknown): number {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      this.fail(`${name} must be a finite number, got ${describe(value)}`, "type");
    }
    return value;
  }

  /** A finite number >= 0; `what` reads like torch's wording ("learning rate", "momentum value"). */
  nonNegative(name: string, value: unknown, what = `${name} value`): number {
    if (typeof value !== "number" || !(value >= 0) || value === Infinity) {
      this.fail(`invalid ${what}: ${describe(value)} (expected a number >= 0)`);
    }
    return value;
  }

  lr(value: unknown): number {
    return this.nonNegative("lr", value, "learning rate");
  }

  eps(value: unknown): number {
    return this.nonNegative("eps", value, "epsilon value");
  }

  /** lo <= value < hi (or <= hi when hiInclusive). */
  interval(what: string, value: unknown, lo: number, hi: number, hiInclusive: boolean, symbol: string): number {
    const ok = typeof value === "number" && value >= lo && (hiInclusive ? value <= hi : value < hi);
    if (!ok) this.fail(`invalid ${what}: ${describe(value)} (expected ${lo} <= ${symbol} ${hiInclusive ? "<=" : "<"} ${hi})`);
    return value as number;
  }

  boolean(name: string, value: unknown): boolean {
    if (typeof value !== "boolean") this.fail(`${name} must be true or false, got ${describe(value)}`, "type");
    return value;
  }

  /** Adam-style [beta1, beta2], each in [0, 1). */
  betas(value: unknown): [number, number] {
    if (!Array.isArray(value) || value.length !== 2) {
      this.fail(`betas must be an array of two numbers [beta1, beta2], got ${describe(value)}`, "type");
    }
    value.forEach((b, i) => this.interval(`beta parameter at index ${i}`, b, 0, 1, false, "beta"));
    return value as [number, number];
  }
}


/**
 * Merge user options over defaults. Unknown keys are an error (PyTorch's snake_case spellings get
 * a hint); keys given as undefined keep their default.
 */
export function resolveOptions<O extends object>(owner: string, given: Partial<O> | undefined, defaults: O): O {
  if (given !== undefined && (given === null || typeof given !== "object" || Array.isArray(given))) {
    throw new TypeError(`${owner}: options must be an object like { lr: 0.01 }, got ${describe(given)}`);
  }
  const out = { ...defaults } as Record<string, unknown>;
  for (const [key, value] of Object.entries(given ?? {})) {
    if (!(key in defaults)) throw unknownOption(owner, key, Object.keys(defaults));
    if (value !== undefined) out[key] = Array.isArray(value) ? [...value] : value;
  }
  return out as O;
}

/** A key spelled the PyTorch way (weight_decay) for an option that exists in camelCase. */
export function snakeCaseTwin(key: string, known: string[]): boolean {
  return key.includes("_") && known.includes(camelCase(key));
}
