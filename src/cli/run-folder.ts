// The run folder of a long command (`nabla train --out DIR`): the options the run started with
// (DIR/run.json), its last good checkpoint (DIR/checkpoint.safetensors: model, optimizer,
// schedule, RNG states, epoch and step, history), and the callback that keeps the checkpoint
// current (every epoch, every N steps, and at Ctrl-C). `nabla train --resume DIR` reads both back.

import { existsSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Callback, FitContext, Logs } from "../train/callbacks/callback.js";
import { restoreCheckpoint, writeCheckpoint, writeStepCheckpoint, type ShuffleSource } from "../train/checkpoint.js";
import { NonFiniteLossError } from "../train/callbacks/terminate-on-nan.js";
import type { Module } from "../nn/module.js";
import type { Optimizer } from "../optim/optimizer.js";
import type { DataLoader } from "../data/dataloader.js";
import { TrainingInterrupted, yieldToSignals, type InterruptWatch } from "./interrupts.js";
import { UsageError } from "./usage-error.js";

export const RUN_FILE = "run.json";
export const CHECKPOINT_FILE = "checkpoint.safetensors";

export const checkpointPath = (dir: string): string => join(dir, CHECKPOINT_FILE);

interface RunFile {
  command: string;
  /** The command's parsed options (commander's camelCase keys). */
  options: Record<string, unknown>;
}

/** Write a small text file atomically (temporary file, then rename), naming the file on failure. */
export function writeFileAtomic(path: string, text: string): void {
  const temp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(temp, text);
    renameSync(temp, path);
  } catch (e) {
    throw new Error(`could not write ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** Store the options a run starts with, so that `--resume DIR` continues it with the same ones. */
export function writeRunOptions(dir: string, command: string, options: Record<string, unknown>): void {
  const { resume: _, ...kept } = options;
  writeFileAtomic(join(dir, RUN_FILE), JSON.stringify({ command, options: kept } satisfies RunFile, null, 2) + "\n");
}

const flagOf = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
const shown = (v: unknown) => (v === undefined ? "none" : Array.isArray(v) ? v.join(",") : String(v));

/**
 * The options of the run in `dir`, with the flags given beside --resume. Those in `mayChange`
 * replace the stored ones; any other flag must repeat the stored value (a run continued with
 * other options would not be the run that was started).
 */
export function resumedOptions(
  dir: string, command: string, given: Record<string, unknown>, isGiven: (key: string) => boolean, mayChange: readonly string[],
): Record<string, unknown> {
  const runFile = join(dir, RUN_FILE);
  if (!existsSync(runFile)) {
    throw new UsageError(`--resume ${dir}: no ${RUN_FILE} there; give the --out folder of a \`nabla ${command}\` run`);
  }
  let stored: RunFile;
  try {
    stored = JSON.parse(readFileSync(runFile, "utf8")) as RunFile;
  } catch (e) {
    throw new Error(`--resume ${dir}: cannot read ${runFile}: ${(e as Error).message}`);
  }
  if (stored.command !== command) throw new UsageError(`--resume ${dir}: the run there is \`nabla ${stored.command}\`, not \`nabla ${command}\``);
  const options: Record<string, unknown> = { ...stored.options };
  const conflicts: string[] = [];
  for (const key of Object.keys(given)) {
    if (key === "resume" || !isGiven(key)) continue;
    if (key === "out") {
      if (given.out !== dir) conflicts.push(`--out ${given.out} (the run's folder is ${dir})`);
      continue;
    }
    if (mayChange.includes(key)) options[key] = given[key];
    else if (JSON.stringify(given[key]) !== JSON.stringify(stored.options[key])) {
      conflicts.push(`${flagOf(key)} ${shown(given[key])} (the run has ${shown(stored.options[key])})`);
    }
  }
  if (conflicts.length) {
    throw new UsageError(
      `--resume ${dir}: ${conflicts.join("; ")}; a resumed run keeps the options it started with (${runFile}); ` +
      `only ${mayChange.map(flagOf).join(", ")} may change`,
    );
  }
  if (JSON.stringify(options) !== JSON.stringify(stored.options)) writeRunOptions(dir, command, options);
  return { ...options, out: dir };
}

/** Temporary files of atomic writes that a killed run left behind (name.tmp-<pid>[-<n>]). */
export function removeStaleTemporaries(dir: string): void {
  for (const name of readdirSync(dir)) {
    if (/\.tmp-\d+(-\d+)?$/.test(name)) rmSync(join(dir, name), { force: true });
  }
}

/** Keep the first `rows` data rows of a CSV log (a run killed after the log's row, before its checkpoint, wrote one too many). */
export function trimCsvRows(path: string, rows: number): void {
  if (!existsSync(path)) return;
  const lines = readFileSync(path, "utf8").split("\n").filter((l) => l !== "");
  if (lines.length > rows + 1) writeFileAtomic(path, lines.slice(0, rows + 1).join("\n") + "\n");
}

/** A checkpoint that could not be written: the file, the system's reason (ENOSPC, EACCES, EFBIG, ...), and what is left. */
function saveFailure(path: string, e: unknown, resumeCommand: string): Error {
  const cause = (e as Error).cause as NodeJS.ErrnoException | undefined;
  const reason = cause?.code ? cause.message.replace(/, \w+ '.*'$/, "") : (e as Error).message;
  const previous = existsSync(path) ? `the previous checkpoint is intact: resume from it with ${resumeCommand}` : "no checkpoint had been written before";
  return new Error(`could not write the checkpoint ${path}: ${reason}; training stopped (${previous})`, { cause: e });
}

export interface RunCheckpointOptions {
  /** The run folder; null: nothing is saved (a Ctrl-C then just stops). */
  dir: string | null;
  /** Also checkpoint every this many steps (optimizer updates). */
  every?: number;
  interrupts: InterruptWatch;
  /** How to continue, for the message at an interrupt, e.g. "nabla train --resume runs/a". */
  resumeCommand: string;
}

/**
 * Writes the run's checkpoint at every epoch's end (after the other callbacks, so that their state
 * is in it), every N steps, and at the step boundary after a stop signal; then ends the run with
 * TrainingInterrupted. A checkpoint that cannot be written stops training with the file and cause.
 */
export class RunCheckpoint implements Callback {
  /** Only rank 0 of a distributed fit writes (nb.fit leaves this callback out on the other ranks). */
  readonly rankZeroOnly = true;
  constructor(private readonly opts: RunCheckpointOptions) {}

  async onBatchEnd(batch: number, _logs: Logs, ctx: FitContext): Promise<void> {
    await yieldToSignals();
    const signal = this.opts.interrupts.signal;
    const step = (ctx.position?.epoch ?? 0) * ctx.stepsPerEpoch + batch + 1;
    if (signal) {
      const where = `epoch ${(ctx.position?.epoch ?? 0) + 1}, batch ${batch + 1} (step ${step})`;
      if (!this.opts.dir) throw new TrainingInterrupted(signal, `${signal}: stopped at ${where}; nothing was saved (no --out; with --out DIR a run can be resumed)`);
      await this.save(ctx, true);
      throw new TrainingInterrupted(signal, `${signal}: stopped at ${where}; checkpoint written to ${checkpointPath(this.opts.dir)}; continue with: ${this.opts.resumeCommand}`);
    }
    if (this.opts.dir && this.opts.every && step % this.opts.every === 0) await this.save(ctx, true);
  }

  async onEpochEnd(epoch: number, _logs: Logs, ctx: FitContext): Promise<void> {
    if (this.opts.dir) await this.save(ctx, false, epoch);
  }

  private async save(ctx: FitContext, midEpoch: boolean, epoch = 0): Promise<void> {
    const path = checkpointPath(this.opts.dir!);
    try {
      if (midEpoch) await writeStepCheckpoint(path, ctx);
      else await writeCheckpoint(path, epoch, ctx, ctx.trainLoader);
    } catch (e) {
      throw saveFailure(path, e, this.opts.resumeCommand);
    }
  }
}

/**
 * The same for a command's own training loop (one model, one optimizer, checkpoints at epochs'
 * ends): `start()` resumes, `step()` after every step checks the loss and the signals (a signal
 * stops there; the run resumes from the last epoch's end), `endEpoch()` writes the checkpoint.
 */
export class LoopRun {
  readonly ctx: FitContext;
  private lastFinite: number | null = null;
  private readonly loader: ShuffleSource;

  /** `loader`: a DataLoader, or a loop's own batches per epoch and shuffling generator (its state is checkpointed). */
  constructor(
    private readonly dir: string | null, private readonly resumeCommand: string, private readonly interrupts: InterruptWatch,
    parts: { model: Module; optimizer: Optimizer; loader: DataLoader | (ShuffleSource & { length: number }); epochs: number; history: Record<string, number[]> },
  ) {
    this.loader = parts.loader;
    this.ctx = {
      model: parts.model, optimizer: parts.optimizer, epochs: parts.epochs, stepsPerEpoch: parts.loader.length, initialEpoch: 0,
      stopTraining: false, history: parts.history, extraState: {}, verbose: 0,
    };
  }

  /** With resume and a checkpoint in the folder: restore it; returns the epoch (0-based) to start at. */
  async start(resume: boolean): Promise<number> {
    const path = this.dir ? checkpointPath(this.dir) : null;
    if (path && resume && existsSync(path)) await restoreCheckpoint(path, this.ctx, this.loader);
    else if (path) rmSync(path, { force: true });
    if (this.dir && resume) removeStaleTemporaries(this.dir);
    return this.ctx.initialEpoch;
  }

  async step(epoch: number, batch: number, loss: number): Promise<void> {
    if (!Number.isFinite(loss)) throw new NonFiniteLossError(epoch, batch, epoch * this.ctx.stepsPerEpoch + batch, loss, this.lastFinite);
    this.lastFinite = loss;
    await yieldToSignals();
    const signal = this.interrupts.signal;
    if (!signal) return;
    const where = `epoch ${epoch + 1}, batch ${batch + 1}`;
    const saved = this.dir && existsSync(checkpointPath(this.dir))
      ? `the checkpoint of the last finished epoch is ${checkpointPath(this.dir)}; continue with: ${this.resumeCommand}`
      : "no epoch had finished: nothing to resume from";
    throw new TrainingInterrupted(signal, `${signal}: stopped at ${where}; ${saved}`);
  }

  /** After the last epoch: a signal that came during its end stops the command here (the checkpoint is complete). */
  finish(): void {
    const signal = this.interrupts.signal;
    if (!signal) return;
    const saved = this.dir ? `checkpoint written to ${checkpointPath(this.dir)}; finish the run with: ${this.resumeCommand}` : "nothing was saved (no --out)";
    throw new TrainingInterrupted(signal, `${signal}: stopped after training's last epoch; ${saved}`);
  }

  async endEpoch(epoch: number): Promise<void> {
    if (!this.dir) return;
    const path = checkpointPath(this.dir);
    try {
      await writeCheckpoint(path, epoch, this.ctx, this.loader);
    } catch (e) {
      throw saveFailure(path, e, this.resumeCommand);
    }
  }
}
