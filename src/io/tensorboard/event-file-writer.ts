// One TensorBoard event file: named events.out.tfevents.<secs>.<host>.<pid>.<n><suffix> (the name
// TensorBoard looks for), opened with a file_version "brain.Event:2" event, then Event records.
// Events are queued and written when `maxQueue` are pending, every `flushSecs`, on flush/close,
// and at process exit (RecordWriter's exit hook).

import { mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { encodeMessage, EventMessage, type EventValue, type SummaryValue } from "./event-proto.js";
import { RecordWriter } from "./record-writer.js";

export interface EventFileOptions {
  flushSecs: number;
  maxQueue: number;
  filenameSuffix: string;
}

/** Numbers the files this process opens, so two writers in one second get distinct names. */
let filesOpened = 0;

export class EventFileWriter {
  readonly path: string;
  private readonly records: RecordWriter;
  private readonly timer: NodeJS.Timeout;
  /** An error from a timed flush, reported by the next call (a timer cannot throw to anyone). */
  private deferredError: Error | null = null;

  constructor(readonly logDir: string, private readonly opts: EventFileOptions) {
    try {
      mkdirSync(logDir, { recursive: true });
    } catch (e) {
      throw new Error(`SummaryWriter: cannot create the log folder ${logDir}: ${(e as Error).message}`);
    }
    const now = Date.now() / 1000;
    const secs = String(Math.floor(now)).padStart(10, "0");
    this.path = join(logDir, `events.out.tfevents.${secs}.${hostname()}.${process.pid}.${filesOpened++}${opts.filenameSuffix}`);
    this.records = new RecordWriter(this.path);
    this.addEvent({ wallTime: now, fileVersion: "brain.Event:2" });
    this.flush();
    this.timer = setInterval(() => {
      try { this.records.flush(); } catch (e) { this.deferredError ??= e as Error; }
    }, opts.flushSecs * 1000);
    this.timer.unref(); // a pending flush must not keep the process alive
  }

  get closed(): boolean {
    return this.records.closed;
  }

  addEvent(event: EventValue): void {
    this.raiseDeferred();
    this.records.write(encodeMessage(EventMessage, event));
    if (this.records.pending >= this.opts.maxQueue) this.records.flush();
  }

  /** One Summary event with these values; `step` and `walltime` as torch's global_step and walltime. */
  addSummary(values: SummaryValue[], step?: number, walltime?: number): void {
    this.addEvent({ wallTime: walltime ?? Date.now() / 1000, ...(step === undefined ? {} : { step }), summary: { value: values } });
  }

  flush(): void {
    this.raiseDeferred();
    this.records.flush();
  }

  close(): void {
    clearInterval(this.timer);
    this.records.close();
    this.raiseDeferred();
  }

  private raiseDeferred(): void {
    const e = this.deferredError;
    if (e) {
      this.deferredError = null;
      throw e;
    }
  }
}
