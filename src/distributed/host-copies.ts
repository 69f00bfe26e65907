// Moving tensor values to and from the host arrays the collectives work on, without a fresh
// allocation each time: a fresh 25 MB array costs page faults that took longer than the all-reduce
// itself on this project's machine. A contiguous tensor whose storage is a host array (cpu and
// native) is reduced in place in its own storage, held (retained) until the collective is done, as
// torch does; other tensors go through arrays from the backends' host pool.
import { hostPool } from "../backend/host-pool.js";
import { noGrad } from "../autograd/grad-mode.js";
import { Tensor } from "../tensor/tensor.js";
import { Storage } from "../tensor/storage.js";
import "../ops/elementwise.js";
import type { HostArray } from "./addon.js";

/** t's elements in row-major order, as a view of its own storage when it is a contiguous host array. */
function hostView(t: Tensor): ArrayLike<number> {
  const buf = t.storage.buf as unknown;
  if (ArrayBuffer.isView(buf) && t.isContiguous()) return (buf as HostArray).subarray(t.offset, t.offset + t.numel());
  return t.dataSync();
}

/** Copies t's values into target at `at` (t on a synchronously readable backend). */
export function readInto(t: Tensor, target: HostArray, at: number): void {
  target.set(hostView(t), at);
}

/** A host array of our own holding t's values (from the pool; given back by writeFrom). */
export function hostCopy(t: Tensor): HostArray {
  const out = hostPool.alloc(t.dtype, t.numel(), true) as HostArray;
  readInto(t, out, 0);
  return out;
}

/**
 * t's own storage as the collective's array when it is a contiguous host array: retained (a
 * dispose of t meanwhile does not free it) until release(), which also marks t as written in place.
 */
export function lendStorage(t: Tensor): { values: HostArray; release(): void } | null {
  const buf = t.storage.buf as unknown;
  if (!ArrayBuffer.isView(buf) || !t.isContiguous()) return null;
  const storage = t.storage.retain();
  return {
    values: (buf as HostArray).subarray(t.offset, t.offset + t.numel()),
    release: () => {
      storage.version++;
      storage.release();
    },
  };
}

/**
 * Copies t.numel() values of source from `at` into t, in place. With adopt, the whole source array
 * is handed to the backend: the caller must not use it afterwards (a pooled one goes back to the pool).
 */
export function writeFrom(t: Tensor, source: HostArray, at = 0, adopt = false): void {
  const n = t.numel();
  const buf = t.storage.buf as unknown;
  if (!adopt && ArrayBuffer.isView(buf) && t.isContiguous()) {
    // Straight into t's own host storage: one copy.
    (buf as HostArray).set(source.subarray(at, at + n), t.offset);
    t.storage.version++;
    return;
  }
  const staged = adopt && at === 0 && source.length === n ? source : (hostPool.alloc(t.dtype, n, true) as HostArray);
  if (staged !== source) staged.set(source.subarray(at, at + n));
  noGrad(() => {
    // The backend adopts the array (cpu and native keep it; disposing gives a pooled one back).
    const src = new Tensor(new Storage(t.backend, t.backend.fromHost(staged), t.dtype, n), [...t.shape]);
    t.copy_(src);
    src.dispose();
  });
}
