// A reference-counted backend buffer. Tensors and views share one Storage; the buffer goes back to
// its backend when the last tensor holding it is disposed (or garbage-collected).

import type { Backend, Buffer } from "../backend/backend.js";
import type { DType } from "../core/dtype.js";

export class Storage {
  private refs = 1;
  /** Bumped by every in-place write, so autograd can tell a saved tensor was modified. */
  version = 0;

  constructor(
    readonly backend: Backend,
    private buffer: Buffer | null,
    readonly dtype: DType,
    readonly size: number,
  ) {}

  get buf(): Buffer {
    if (this.buffer === null) throw new Error("Tensor has been disposed: its storage was freed and can no longer be read or used");
    return this.buffer;
  }

  get freed(): boolean {
    return this.buffer === null;
  }

  retain(): this {
    if (this.buffer === null) throw new Error("Tensor has been disposed: cannot create a new view of freed storage");
    this.refs++;
    return this;
  }

  release(): void {
    if (this.buffer === null) return;
    if (--this.refs === 0) {
      this.backend.free(this.buffer);
      this.buffer = null;
    }
  }

  /** How many live tensors share this storage. */
  get refCount(): number {
    return this.refs;
  }
}
