// Seedable random-number generators. A Generator is a (seed, offset) pair for the counter-based
// Philox generator every backend implements, so a seed gives the same numbers everywhere.
// Data shuffling, dropout and initialisation can each take their own Generator.

import { philoxBlocks, philoxFill } from "../core/philox.js";

export class Generator {
  private seed: bigint;
  private offset = 0n;

  constructor(seed?: number | bigint) {
    this.seed = seed === undefined ? randomSeed() : BigInt.asUintN(64, BigInt(seed));
  }

  manualSeed(seed: number | bigint): this {
    if (typeof seed === "number" && !Number.isInteger(seed)) throw new TypeError(`manualSeed: seed must be an integer, got ${seed}`);
    this.seed = BigInt.asUintN(64, BigInt(seed));
    this.offset = 0n;
    return this;
  }

  initialSeed(): bigint {
    return this.seed;
  }

  /** Reserve the counter range for a draw of n elements; returns (seed, offset) for the kernel. */
  next(n: number): { seed: bigint; offset: bigint } {
    const r = { seed: this.seed, offset: this.offset };
    this.offset += philoxBlocks(n);
    return r;
  }

  /** A state that setState restores exactly (for checkpoints). */
  getState(): { seed: string; offset: string } {
    return { seed: this.seed.toString(), offset: this.offset.toString() };
  }

  setState(state: { seed: string; offset: string }): void {
    this.seed = BigInt(state.seed);
    this.offset = BigInt(state.offset);
  }

  /** A uniform integer in [0, n) from a host-side draw (for shuffling indices). */
  randomInt(n: number): number {
    return Math.floor(this.hostUniform(1)[0] * n);
  }

  /** Host-side uniforms in [0, 1), consuming the counter like a device draw would. */
  hostUniform(n: number): Float64Array {
    const out = new Float64Array(n);
    const { seed, offset } = this.next(n);
    philoxFill(out, "uniform", seed, offset);
    return out;
  }
}

function randomSeed(): bigint {
  return BigInt(Math.floor(Math.random() * 2 ** 32)) * 2n ** 20n + BigInt(Date.now() % 2 ** 20);
}

/** The generator every random op uses unless given its own. */
export const defaultGenerator = new Generator(0x5eed);

/** Make every random draw that follows reproducible. */
export function manualSeed(seed: number | bigint): Generator {
  return defaultGenerator.manualSeed(seed);
}
