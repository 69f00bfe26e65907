// A cache of freed typed arrays for the backends whose buffers live in JavaScript memory (cpu and
// native). A training step allocates and frees the same few hundred activation and gradient
// buffers every time; a fresh `new Float32Array(n)` each time costs a calloc, page faults on large
// arrays and garbage-collector pressure (about a sixth of a native training step before this pool).
// Freed arrays are kept by dtype and length and handed out again, zeroed, by the next allocation of
// the same size — like PyTorch's caching allocators, but only for arrays this pool allocated
// itself: an array a user handed in (nb.tensor(float32Array) adopts it) is never recycled, so the
// caller's data is never overwritten.

import { arrayFor, dtypeOfArray, type DType, type TypedArray } from "../core/dtype.js";

/** Arrays smaller than this are not worth recycling (V8 allocates them cheaply on its heap). */
const MIN_POOLED_BYTES = 1024;

function defaultCapacity(): number {
  const env = typeof process !== "undefined" ? process.env?.NABLA_HOST_POOL_MB : undefined;
  const mb = env === undefined || env === "" ? 1024 : Number(env);
  if (!Number.isFinite(mb) || mb < 0) {
    throw new Error(`NABLA_HOST_POOL_MB must be a non-negative number of megabytes, got "${env}"`);
  }
  return mb * 1024 * 1024;
}

export interface HostPoolStats {
  /** Bytes held by freed arrays waiting to be reused. */
  cachedBytes: number;
  /** Allocations served from the cache / by a new array, since the process started. */
  hits: number;
  misses: number;
}

export class HostBufferPool {
  private readonly freeLists: Record<DType, Map<number, TypedArray[]>> = {
    float32: new Map(), float64: new Map(), int32: new Map(), bool: new Map(),
  };
  /** Arrays this pool created: only those may be recycled. */
  private readonly owned = new WeakSet<TypedArray>();
  private cached = 0;
  private hits = 0;
  private misses = 0;

  /**
   * @param poison fill every uninitialized allocation with garbage (NaN, 0x5a5a5a5a, 0xa5), so a
   *   test run shows any kernel or op that relies on zeroed outputs (NABLA_POISON_UNINITIALIZED=1).
   */
  constructor(
    private readonly capacityBytes = defaultCapacity(),
    private readonly poison = typeof process !== "undefined" && process.env?.NABLA_POISON_UNINITIALIZED === "1",
  ) {}

  /**
   * An array of `size` elements: zero-filled, or with `uninitialized` whatever a recycled array
   * held (the caller overwrites it all; skipping the zeroing is most of what recycling saves).
   */
  alloc(dtype: DType, size: number, uninitialized = false): TypedArray {
    const list = this.freeLists[dtype].get(size);
    const reused = list?.pop();
    let out: TypedArray;
    if (reused !== undefined) {
      this.cached -= reused.byteLength;
      this.hits++;
      out = uninitialized ? reused : reused.fill(0);
    } else {
      out = arrayFor(dtype, size);
      if (out.byteLength >= MIN_POOLED_BYTES) {
        this.owned.add(out);
        this.misses++;
      }
    }
    if (uninitialized && this.poison) poisonFill(out);
    return out;
  }

  /** Give an array back; it is kept for reuse when this pool made it and the cache has room. */
  free(buf: TypedArray): void {
    if (!this.owned.has(buf) || this.cached + buf.byteLength > this.capacityBytes) return;
    const lists = this.freeLists[dtypeOfArray(buf)];
    let list = lists.get(buf.length);
    if (list === undefined) lists.set(buf.length, (list = []));
    list.push(buf);
    this.cached += buf.byteLength;
  }

  /** Drop every cached array (they become garbage), as torch.cuda.empty_cache() does on a GPU. */
  emptyCache(): void {
    for (const lists of Object.values(this.freeLists)) lists.clear();
    this.cached = 0;
  }

  stats(): HostPoolStats {
    return { cachedBytes: this.cached, hits: this.hits, misses: this.misses };
  }
}

function poisonFill(a: TypedArray): void {
  if (a instanceof Float32Array || a instanceof Float64Array) a.fill(NaN);
  else if (a instanceof Int32Array) a.fill(0x5a5a5a5a);
  else a.fill(0xa5);
}

/** The one pool shared by the cpu and native backends (they hand buffers to each other freely). */
export const hostPool = new HostBufferPool();
