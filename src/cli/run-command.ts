// `nabla run --nproc N script`: torchrun's launcher. Starts N copies of the script with RANK,
// LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, GROUP_RANK, MASTER_ADDR and MASTER_PORT set (a free port
// unless given), forwards SIGINT/SIGTERM to them, and when one rank fails (non-zero exit or a
// signal) stops the others and reports which rank failed. Nothing is restarted.
// Several machines: one launcher per machine with the same --nnodes, --nproc, --master-addr and
// --master-port and its own --node-rank; node R's processes are the global ranks R·N … R·N + N − 1.
// A rank failing on another machine reaches this one as its ranks' collectives failing.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { UsageError } from "./usage-error.js";

export interface RunCommandOptions {
  /** Processes on this machine. */
  nproc: number;
  /** Machines taking part (default 1). */
  nnodes?: number;
  /** This machine's index, 0 … nnodes − 1 (default 0); node 0 runs global rank 0 and the rendezvous. */
  nodeRank?: number;
  script: string;
  args?: string[];
  masterAddr?: string;
  /** 0 or undefined: a free port. */
  masterPort?: number;
  /** How long the other ranks get to exit after a failure before SIGKILL, ms. */
  killGraceMs?: number;
  /** Where each rank's output goes (default: inherited). */
  stdio?: "inherit" | "pipe";
  /** Called with each rank's child process and its local rank (tests read its output). */
  onSpawn?: (rank: number, child: ChildProcess) => void;
}

export class RankFailed extends Error {
  constructor(readonly rank: number, readonly code: number | null, readonly signal: string | null) {
    super(`rank ${rank} ${signal ? `was killed by ${signal}` : `exited with status ${code}`}; the other ranks were stopped`);
    this.name = "RankFailed";
  }
}

/** A TCP port free on host at this moment. */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, host, () => {
      const address = s.address();
      const port = typeof address === "object" && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** The node arguments that run a script: TypeScript through tsx. */
function nodeArgsFor(script: string): string[] {
  return /\.(c|m)?tsx?$/.test(script) ? ["--import", "tsx", script] : [script];
}

/** Runs the ranks; resolves when all exit 0, rejects with RankFailed when one fails. */
export async function runCommand(opts: RunCommandOptions): Promise<void> {
  if (!Number.isInteger(opts.nproc) || opts.nproc < 1) throw new UsageError(`run: --nproc must be a positive integer, got ${opts.nproc}`);
  const nnodes = opts.nnodes ?? 1;
  const nodeRank = opts.nodeRank ?? 0;
  if (!Number.isInteger(nnodes) || nnodes < 1) throw new UsageError(`run: --nnodes must be a positive integer, got ${nnodes}`);
  if (!Number.isInteger(nodeRank) || nodeRank < 0 || nodeRank >= nnodes) throw new UsageError(`run: --node-rank must be in 0 … ${nnodes - 1} (--nnodes ${nnodes}), got ${nodeRank}`);
  if (nnodes > 1 && !opts.masterPort) throw new UsageError("run: --nnodes > 1 needs --master-port (the same on every node; node 0's rank 0 serves the rendezvous there)");
  const masterAddr = opts.masterAddr ?? "127.0.0.1";
  const masterPort = opts.masterPort || (await freePort(masterAddr));
  const grace = opts.killGraceMs ?? 5000;
  const children: ChildProcess[] = [];
  const running = new Set<number>();
  let failure: RankFailed | null = null;
  let killTimer: NodeJS.Timeout | null = null;

  const stopOthers = () => {
    for (const r of running) children[r].kill("SIGTERM");
    killTimer ??= setTimeout(() => {
      for (const r of running) children[r].kill("SIGKILL");
    }, grace);
  };
  const forward = (signal: NodeJS.Signals) => {
    for (const r of running) children[r].kill(signal);
  };
  const onSigint = () => forward("SIGINT");
  const onSigterm = () => forward("SIGTERM");
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigterm);

  try {
    await new Promise<void>((resolve) => {
      for (let local = 0; local < opts.nproc; local++) {
        const rank = nodeRank * opts.nproc + local;
        const env = {
          ...process.env,
          RANK: String(rank), LOCAL_RANK: String(local), WORLD_SIZE: String(nnodes * opts.nproc), LOCAL_WORLD_SIZE: String(opts.nproc),
          GROUP_RANK: String(nodeRank), MASTER_ADDR: masterAddr, MASTER_PORT: String(masterPort),
        };
        const child = spawn(process.execPath, [...nodeArgsFor(opts.script), ...(opts.args ?? [])], { env, stdio: opts.stdio ?? "inherit" });
        children.push(child);
        running.add(local);
        opts.onSpawn?.(local, child);
        child.on("error", (e) => {
          failure ??= new RankFailed(rank, null, null);
          failure.message = `rank ${rank} could not start: ${e.message}`;
        });
        child.on("exit", (code, signal) => {
          running.delete(local);
          if ((code !== 0 || signal) && !failure) {
            failure = new RankFailed(rank, code, signal);
            stopOthers();
          }
          if (running.size === 0) resolve();
        });
      }
    });
  } finally {
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigterm);
    if (killTimer) clearTimeout(killTimer);
  }
  if (failure) throw failure;
}
