// CSVLogger: one row per epoch (epoch, then every log key) to a CSV file, appended as training
// goes so a crash keeps the epochs already done.

import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { type Callback, type FitContext, type Logs } from "./callback.js";
import { checkOptions, optionNames } from "../../core/options.js";

export interface CSVLoggerOptions {
  /** Between the values of a row (default ","). */
  separator?: string;
  /** Add to an existing file instead of starting afresh (default false; resuming always appends). */
  append?: boolean;
}

export const CSV_LOGGER_OPTIONS = optionNames<CSVLoggerOptions>({ separator: 1, append: 1 });

export class CSVLogger implements Callback {
  /** Only rank 0 of a distributed fit writes (nb.fit leaves this callback out on the other ranks). */
  readonly rankZeroOnly = true;
  private keys: string[] | null = null;

  constructor(readonly path: string, readonly opts: CSVLoggerOptions = {}) {
    if (typeof path !== "string" || path.length === 0) throw new TypeError("CSVLogger: path must be a non-empty string");
    checkOptions("CSVLogger", opts, CSV_LOGGER_OPTIONS);
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
      this.append(["epoch", ...this.keys].join(sep) + "\n");
    }
    const row = [String(epoch), ...this.keys.map((k) => (logs[k] === undefined ? "" : String(logs[k])))];
    this.append(row.join(sep) + "\n");
  }

  /** Node's error (ENOSPC, EACCES) does not name the file: say which. */
  private append(text: string): void {
    try {
      appendFileSync(this.path, text);
    } catch (e) {
      throw new Error(`CSVLogger: could not write ${this.path}: ${(e as Error).message}`, { cause: e });
    }
  }
}
