// TFRecord framing and an append-only file of records. Each record is
//   uint64 length (little-endian) | uint32 masked CRC-32C of those 8 bytes | data | uint32 masked CRC-32C of data.
// Records are queued in memory and written in batches; a queue still pending when the process
// exits is written by an exit hook, so nothing added before exit is lost.

import { closeSync, openSync, writeSync } from "node:fs";
import { maskedCrc32c } from "./crc32c.js";

/** One record in TFRecord framing. */
export function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const view = new DataView(out.buffer);
  // Lengths beyond 2^53 cannot occur (a Uint8Array is far smaller); the high word is written exactly.
  view.setUint32(0, data.length >>> 0, true);
  view.setUint32(4, Math.floor(data.length / 2 ** 32), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

/** Writers with records not yet on disk, flushed when the process exits. */
const open = new Set<RecordWriter>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: writeSync is. Errors here can only be reported.
  process.on("exit", () => {
    for (const w of open) {
      try { w.close(); } catch (e) { process.stderr.write(`${(e as Error).message}\n`); }
    }
  });
}

export class RecordWriter {
  private fd: number | null;
  private queue: Uint8Array[] = [];

  /** Creates `path` (which must not exist yet: event file names are unique per writer). */
  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, "wx");
    } catch (e) {
      throw new Error(`cannot create event file ${path}: ${(e as Error).message}`);
    }
    open.add(this);
    installExitHook();
  }

  get closed(): boolean {
    return this.fd === null;
  }

  /** Records queued and not yet written. */
  get pending(): number {
    return this.queue.length;
  }

  /** Queue one record (framed here); it reaches the file on the next flush. */
  write(data: Uint8Array): void {
    if (this.fd === null) throw new Error(`event file ${this.path} is closed`);
    this.queue.push(frameRecord(data));
  }

  /** Write every queued record to the file. */
  flush(): void {
    if (this.fd === null || this.queue.length === 0) return;
    const chunk = this.queue.length === 1 ? this.queue[0] : Buffer.concat(this.queue);
    let done = 0;
    try {
      while (done < chunk.length) done += writeSync(this.fd, chunk, done, chunk.length - done);
    } catch (e) {
      // Keep what was not written queued, so a later flush can retry it.
      this.queue = [chunk.subarray(done)];
      throw new Error(`cannot write event file ${this.path}: ${(e as Error).message}`);
    }
    this.queue = [];
  }

  /** Flush and close the file; later writes are errors, a second close does nothing. */
  close(): void {
    if (this.fd === null) return;
    try {
      this.flush();
    } finally {
      const fd = this.fd;
      this.fd = null;
      open.delete(this);
      try {
        closeSync(fd);
      } catch (e) {
        throw new Error(`cannot close event file ${this.path}: ${(e as Error).message}`);
      }
    }
  }
}
