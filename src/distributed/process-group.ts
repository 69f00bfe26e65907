// nb.distributed's process group: one per process, on Gloo's TCP transport (the optional addon of
// native/gloo). The addon runs every collective on one worker thread in the order it was submitted
// (Gloo matches collectives across ranks by order), so submitting is synchronous and nothing waits
// for the JavaScript thread: DistributedDataParallel submits gradient buckets from inside backward.
// After one collective fails (a rank died, a timeout) the group is broken and every later one fails
// with the first error. The tensor-level collectives are in collectives.ts.
import { hostname as osHostname } from "node:os";
import { checkOptions, optionNames } from "../core/options.js";
import { glooAddon, type GlooAddon, type HostArray, type OpCode } from "./addon.js";
import { TcpStoreServer } from "./tcp-store-server.js";
import { setJoinedGroup, type ArrayReduceOp } from "./state.js";

export interface InitProcessGroupOptions {
  /** Only "gloo" (CPU, TCP) so far. */
  backend?: "gloo";
  /** "env://" (default: MASTER_ADDR/MASTER_PORT), "tcp://host:port" or "file:///shared/path". */
  initMethod?: string;
  /** Defaults to $RANK. */
  rank?: number;
  /** Defaults to $WORLD_SIZE. */
  worldSize?: number;
  /** How long rendezvous and each collective may wait for the other ranks, ms (default $NABLA_DIST_TIMEOUT_MS or 300000). */
  timeoutMs?: number;
  /** The address this rank's Gloo device binds to (default 127.0.0.1 when the master is loopback, else the host name). */
  hostname?: string;
}
const INIT_OPTIONS = optionNames<InitProcessGroupOptions>({ backend: 1, initMethod: 1, rank: 1, worldSize: 1, timeoutMs: 1, hostname: 1 });

export interface Group {
  addon: GlooAddon;
  rank: number;
  worldSize: number;
  server: TcpStoreServer | null;
  submitter: Submitter;
}

let group: Group | null = null;

/**
 * Submits collectives to the addon in call order. A collective whose host array is ready at once
 * (cpu, native and cuda tensors read synchronously) goes at once; one whose array must be awaited
 * holds back those called after it until it is submitted.
 */
export class Submitter {
  private backlog: Promise<void> | null = null;
  private failed: Error | null = null;

  run<A, T>(where: string, read: () => A | Promise<A>, launch: (a: A) => Promise<T>): Promise<T> {
    if (this.failed) return Promise.reject(new Error(`${where}: the process group is broken by an earlier error: ${this.failed.message}`));
    if (this.backlog === null) {
      let a: A | Promise<A>;
      try {
        a = read();
      } catch (e) {
        return Promise.reject(e);
      }
      if (!(a instanceof Promise)) return launch(a);
      return this.hold(a, launch);
    }
    return this.hold(this.backlog.then(read), launch);
  }

  /** A blocking collective: only when nothing waits to be submitted. */
  runNow<T>(where: string, launch: () => T): T {
    if (this.failed) throw new Error(`${where}: the process group is broken by an earlier error: ${this.failed.message}`);
    if (this.backlog !== null) throw new Error(`${where}: an earlier collective still waits for its tensor to be read; await it first`);
    return launch();
  }

  /** Resolves once every collective called so far has been submitted. */
  async drained(): Promise<void> {
    while (this.backlog) await this.backlog;
  }

  private hold<A, T>(ready: Promise<A>, launch: (a: A) => Promise<T>): Promise<T> {
    // Wrapped so that the collective's own promise is not awaited here.
    const launched = ready.then((a) => ({ done: launch(a) }), (e: unknown) => {
      // This rank will not submit it while the others do: the group is out of step.
      this.failed ??= e instanceof Error ? e : new Error(String(e));
      throw e;
    });
    const settled = launched.then(() => undefined, () => undefined);
    this.backlog = settled;
    void settled.then(() => {
      if (this.backlog === settled) this.backlog = null;
    });
    return launched.then((l) => l.done);
  }
}

function envInt(name: string, where: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === "") return undefined;
  if (!/^\d+$/.test(v)) throw new Error(`${where}: $${name} must be a non-negative integer, got "${v}"`);
  return Number(v);
}

function required(value: number | undefined, name: string, env: string, where: string): number {
  if (value === undefined) throw new Error(`${where}: ${name} is not set: pass {${name}} or set $${env} (\`nabla run --nproc N script\` sets it)`);
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${where}: ${name} must be a non-negative integer, got ${value}`);
  return value;
}

/** Where to rendezvous: a TCP store at host:port, or a file store folder. */
function parseInitMethod(initMethod: string, where: string): { kind: "tcp"; host: string; port: number } | { kind: "file"; path: string } {
  if (initMethod === "env://") {
    const host = process.env.MASTER_ADDR;
    const port = envInt("MASTER_PORT", where);
    if (!host || port === undefined) throw new Error(`${where}: initMethod "env://" needs $MASTER_ADDR and $MASTER_PORT (\`nabla run\` sets them)`);
    return { kind: "tcp", host, port };
  }
  const tcp = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(initMethod);
  if (tcp) return { kind: "tcp", host: tcp[1].replace(/^\[|\]$/g, ""), port: Number(tcp[2]) };
  if (initMethod.startsWith("file://") && initMethod.length > "file://".length) return { kind: "file", path: initMethod.slice("file://".length) };
  throw new Error(`${where}: initMethod must be "env://", "tcp://host:port" or "file:///path", got "${initMethod}"`);
}

const isLoopback = (host: string) => host === "localhost" || host === "::1" || host.startsWith("127.");

export const OP_CODES: Record<ArrayReduceOp, OpCode> = { sum: 0, max: 1, min: 2, mean: 3 };

/** Joins this process to the group: every rank calls it; resolves once all ranks are connected. */
export async function initProcessGroup(opts: InitProcessGroupOptions = {}): Promise<void> {
  const where = "distributed.initProcessGroup";
  checkOptions(where, opts, INIT_OPTIONS);
  if (opts.backend !== undefined && opts.backend !== "gloo") {
    throw new Error(`${where}: backend "${String(opts.backend)}" is not available; only "gloo" is (NCCL is GPU-only and not built into this package yet)`);
  }
  if (group) throw new Error(`${where}: a process group already exists (rank ${group.rank} of ${group.worldSize}); call destroyProcessGroup() first`);
  const addon = glooAddon(where);
  const rank = required(opts.rank ?? envInt("RANK", where), "rank", "RANK", where);
  const worldSize = required(opts.worldSize ?? envInt("WORLD_SIZE", where), "worldSize", "WORLD_SIZE", where);
  if (worldSize < 1 || rank >= worldSize) throw new RangeError(`${where}: rank ${rank} is outside world size ${worldSize} (ranks are 0 … worldSize - 1)`);
  const timeoutMs = opts.timeoutMs ?? envInt("NABLA_DIST_TIMEOUT_MS", where) ?? 300_000;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new RangeError(`${where}: timeoutMs must be a positive integer, got ${timeoutMs}`);
  const method = parseInitMethod(opts.initMethod ?? "env://", where);
  let server: TcpStoreServer | null = null;
  if (method.kind === "tcp" && rank === 0) server = await TcpStoreServer.listen(method.host, method.port);
  const host = opts.hostname ?? (method.kind === "tcp" && isLoopback(method.host) ? "127.0.0.1" : method.kind === "file" ? "127.0.0.1" : osHostname());
  try {
    if (method.kind === "tcp") await addon.init(rank, worldSize, "tcp", method.host, method.port, timeoutMs, host);
    else await addon.init(rank, worldSize, "file", method.path, 0, timeoutMs, host);
  } catch (e) {
    server?.close();
    throw e;
  }
  const g: Group = { addon, rank, worldSize, server, submitter: new Submitter() };
  group = g;
  setJoinedGroup({
    rank, worldSize,
    allReduceArray: (values, op) => g.submitter.run("distributed.allReduce", () => values, async (v) => {
      await addon.allReduce(v, OP_CODES[op], false);
      return v;
    }),
    allReduceArraySync: (values, op) => g.submitter.runNow("distributed.allReduce", () => void addon.allReduce(values, OP_CODES[op], true)),
    allGatherArraySync: (values) => g.submitter.runNow("distributed.allGather", () => {
      const out = new Float32Array(values.length * worldSize);
      addon.allGather(values, out, true);
      return out;
    }),
    broadcastArray: (values, src) => g.submitter.run("distributed.broadcast", () => values, (v) => addon.broadcast(v, src, false) as Promise<void>),
  });
}

/** The joined group, or an error naming the collective. */
export function currentGroup(where: string): Group {
  if (!group) throw new Error(`distributed.${where}: no process group; call await nb.distributed.initProcessGroup() first`);
  return group;
}

export function isInitialized(): boolean {
  return group !== null;
}

export function getRank(): number {
  return currentGroup("getRank").rank;
}

export function getWorldSize(): number {
  return currentGroup("getWorldSize").worldSize;
}

/** Leaves the group (after the queued collectives); initProcessGroup may then be called again. */
export async function destroyProcessGroup(): Promise<void> {
  const g = group;
  if (!g) return;
  group = null;
  setJoinedGroup(null);
  // Submitted after every collective called before it, even when the group is broken.
  await g.submitter.drained();
  await g.addon.destroy();
  g.server?.close();
}

// Re-exported so callers of the array layer need only this module.
export type { HostArray };
