// CSVLogger: one row per epoch (epoch, then every log key) to a CSV file, appended as training
// goes so a crash keeps the epochs already done.

import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { type Callback, type FitContext, type Logs } from "./callback.js";

export class CSVLogger implements Callback {
  private keys: string[] | null = null;

  constructor(readonly path: string, readonly opts: { separator?: string; append?: boolean } = {}) {
    if (typeof path !== "string" || path.length === 0) throw new TypeError("CSVLogger: path must be a non-empty string");
  }

  onTrainBegin(_logs: Logs, ctx: FitContext): void {
    mkdirSync(dirname(this.path), { recursive: true });
    // Resuming (or append: true) continues the existing file; otherwise start afresh.
    const append = (this.opts.append ?? false) || ctx.initialEpoch > 0;
    if (append && existsSync(this.path)) {
      const header = readFileSync(this.path, "utf8").split("\n")[0];
      if (header) this.keys = header.split(this.opts.separator ?? ",").slice(1);
    } else {
      writeFileSync(this.path, "");
      this.keys = null;
    }
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    const sep = this.opts.separator ?? ",";
    if (this.keys === null) {
      this.keys = Object.keys(logs);
      appendFileSync(this.path, ["epoch", ...this.keys].join(sep) + "\n");
    }
    const row = [String(epoch), ...this.keys.map((k) => (logs[k] === undefined ? "" : String(logs[k])))];
    appendFileSync(this.path, row.join(sep) + "\n");
  }
}
