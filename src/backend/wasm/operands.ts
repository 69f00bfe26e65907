// One kernel call's operands in the wasm module's memory. The wasm backend keeps the cpu
// backend's typed-array storage (so tensors move between "cpu" and "wasm" for free and every
// kernel it does not override runs on the same arrays); a call copies its inputs into the
// module's scratch region, runs, and copies its outputs back. The region is reset per call and
// only grows, so steady training allocates nothing. Views into memory.buffer are made afresh
// after every allocation: growing the memory detaches the old buffer.

import type { TypedArray } from "../../core/dtype.js";
import type { WasmKernels } from "./module.js";

export class Operands {
  constructor(private readonly k: WasmKernels, private readonly op: string) {
    k.reset();
  }

  /** Room for `bytes` bytes: its address (never 0). */
  room(bytes: number): number {
    const at = bytes > 0xffffffff ? 0 : this.k.alloc(Math.max(bytes, 1));
    if (at === 0) throw new Error(`wasm ${this.op}: out of memory: ${bytes} more bytes do not fit in the WebAssembly memory (4 GiB at most)`);
    return at;
  }

  /** Copy `count` elements of `array` from element `start` in; their address. */
  put(array: TypedArray, start: number, count: number): number {
    const bytes = count * array.BYTES_PER_ELEMENT;
    const at = this.room(bytes);
    new Uint8Array(this.k.memory.buffer, at, bytes).set(new Uint8Array(array.buffer, array.byteOffset + start * array.BYTES_PER_ELEMENT, bytes));
    return at;
  }

  /** int32 values (a geometry record) copied in. */
  ints(values: readonly number[]): number {
    return this.put(Int32Array.from(values), 0, values.length);
  }

  /** float32 values copied in. */
  floats(values: readonly number[]): number {
    return this.put(Float32Array.from(values), 0, values.length);
  }

  /** Copy `count` elements at `at` out into `array` from element `start`. */
  take(at: number, array: TypedArray, start: number, count: number): void {
    const bytes = count * array.BYTES_PER_ELEMENT;
    new Uint8Array(array.buffer, array.byteOffset + start * array.BYTES_PER_ELEMENT, bytes).set(new Uint8Array(this.k.memory.buffer, at, bytes));
  }

  /** Throw when a kernel reported that its own scratch memory could not grow. */
  check(status: number): void {
    if (status !== 0) throw new Error(`wasm ${this.op}: out of memory: the kernel's scratch buffers do not fit in the WebAssembly memory`);
  }
}
