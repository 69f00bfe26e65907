// Ctrl-C and `kill` during a long command: the first SIGINT or SIGTERM asks the training loop to
// stop at the next step boundary (after the step in flight), where it writes a checkpoint and
// ends with TrainingInterrupted; the command then exits 130 (SIGINT) or 143 (SIGTERM), as a shell
// reports a process killed by the signal. A second signal exits at once: every file is written
// atomically (temporary file, then rename), so whatever was being saved is either whole or absent.

const SIGNAL_NUMBERS = { SIGINT: 2, SIGTERM: 15 } as const;
export type StopSignal = keyof typeof SIGNAL_NUMBERS;

/** Thrown at the step boundary after a stop signal; main() turns it into exit code 128 + signal. */
export class TrainingInterrupted extends Error {
  constructor(readonly signal: StopSignal, message: string) {
    super(message);
    this.name = "TrainingInterrupted";
  }
  get exitCode(): number {
    return 128 + SIGNAL_NUMBERS[this.signal];
  }
}

export interface InterruptWatch {
  /** The first signal received, or null. */
  readonly signal: StopSignal | null;
  /** Remove the handlers (the process's default reaction to the signals comes back). */
  dispose(): void;
}

/**
 * Watch SIGINT and SIGTERM. `onFirst` prints what happens next; a second signal prints one line
 * (with `resumeCommand`, how to continue) and exits with 128 + its number at once.
 */
export function watchInterrupts(onFirst: (signal: StopSignal) => void, resumeCommand?: string): InterruptWatch {
  let first: StopSignal | null = null;
  const handlers = new Map<StopSignal, () => void>();
  for (const signal of Object.keys(SIGNAL_NUMBERS) as StopSignal[]) {
    const handler = () => {
      if (first === null) {
        first = signal;
        onFirst(signal);
        return;
      }
      const resume = resumeCommand ? `; continue with: ${resumeCommand}` : "";
      process.stderr.write(`\nnabla: ${signal} again: stopping now (files already written are whole; the last checkpoint stays the one to resume from${resume})\n`);
      process.exit(128 + SIGNAL_NUMBERS[signal]);
    };
    handlers.set(signal, handler);
    process.on(signal, handler);
  }
  return {
    get signal() {
      return first;
    },
    dispose() {
      for (const [signal, handler] of handlers) process.off(signal, handler);
    },
  };
}

/**
 * Let pending signal handlers run. A training step is synchronous and fit's hooks only yield to
 * microtasks, so without a turn of the event loop a signal would wait for the end of the run.
 */
export function yieldToSignals(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
