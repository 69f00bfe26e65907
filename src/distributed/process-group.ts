// nb.distributed's process group: one per process, on Gloo's TCP transport (the optional addon of
// native/gloo). Collectives take nabla tensors (float32/int32, any backend), copy them to host
// arrays, run the Gloo collective off the JavaScript thread, and write the result back in place.
// Calls are queued so that every rank issues its collectives in the order it made them (Gloo matches
// them by order); after one fails (a rank died, a timeout) the group is broken and every later call
// fails with the first error.
import { hostname as osHostname } from "node:os";
import { checkOptions, optionNames } from "../core/options.js";
import { noGrad } from "../autograd/grad-mode.js";
import { tensor } from "../tensor/creation.js";
import { Tensor } from "../tensor/tensor.js";
import { Storage } from "../tensor/storage.js";
import "../ops/elementwise.js";
import { glooAddon, type GlooAddon } from "./addon.js";
import { TcpStoreServer } from "./tcp-store-server.js";
import { setJoinedGroup } from "./state.js";

export type ReduceOp = "sum" | "mean" | "max" | "min";

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

interface Group {
  addon: GlooAddon;
  rank: number;
  worldSize: number;
  server: TcpStoreServer | null;
  tail: Promise<unknown>;
  broken: Error | null;
}

let group: Group | null = null;

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

/** Joins this process to the group: every rank calls it; resolves once all ranks are connected. */
export async function initProcessGroup(opts: InitProcessGroupOptions = {}): Promise<void> {
  const where = "distributed.initProcessGroup";
  checkOptions(where, opts, INIT_OPTIONS);
  if (opts.backend !== undefined && opts.backend !== "gloo") {
    throw new Error(`${where}: backend "${String(opts.backend)}" is not available; only "gloo" is (NCCL is not built yet)`);
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
  group = { addon, rank, worldSize, server, tail: Promise.resolve(), broken: null };
  const g = group;
  setJoinedGroup({
    rank, worldSize,
    allReduceArray: (values, op) => enqueue(g, () => addon.allReduce(values, OP_CODES[op])),
    broadcastArray: (values, src) => enqueue(g, () => addon.broadcast(values, src)),
  });
}

function current(where: string): Group {
  if (!group) throw new Error(`distributed.${where}: no process group; call await nb.distributed.initProcessGroup() first`);
  return group;
}

export function isInitialized(): boolean {
  return group !== null;
}

export function getRank(): number {
  return current("getRank").rank;
}

export function getWorldSize(): number {
  return current("getWorldSize").worldSize;
}

/** Runs a collective after the ones queued before it; a failure breaks the group. */
function enqueue<T>(g: Group, run: () => Promise<T>): Promise<T> {
  const next = g.tail.then(async () => {
    if (g.broken) throw new Error(`the process group is broken by an earlier error: ${g.broken.message}`);
    try {
      return await run();
    } catch (e) {
      g.broken ??= e instanceof Error ? e : new Error(String(e));
      throw e;
    }
  });
  g.tail = next.catch(() => undefined);
  return next;
}

function hostArrayOf(t: Tensor, where: string): Promise<Float32Array | Int32Array> {
  if (t.dtype !== "float32" && t.dtype !== "int32") throw new TypeError(`${where}: tensors must be float32 or int32, got ${t.dtype} of shape [${t.shape.join(", ")}]`);
  return t.data() as Promise<Float32Array | Int32Array>;
}

/** Copies values (a host array of ours, given away) into t in place. */
function writeBack(t: Tensor, values: Float32Array | Int32Array): void {
  noGrad(() => {
    // Adopted by the backend (cpu and native keep the array itself): one copy less than nb.tensor.
    const src = new Tensor(new Storage(t.backend, t.backend.fromHost(values), t.dtype, values.length), [...t.shape]);
    t.copy_(src);
    src.dispose();
  });
}

const OP_CODES = { sum: 0, mean: 0, max: 1, min: 2 } as const;

/** Reduces t over all ranks, in place (every rank gets the result); resolves to t. */
export function allReduce(t: Tensor, op: ReduceOp = "sum"): Promise<Tensor> {
  const where = "distributed.allReduce";
  const g = current("allReduce");
  if (!(op in OP_CODES)) throw new Error(`${where}: op must be "sum", "mean", "max" or "min", got "${String(op)}"`);
  if (op === "mean" && t.dtype !== "float32") throw new TypeError(`${where}: op "mean" needs a float32 tensor, got ${t.dtype}`);
  return enqueue(g, async () => {
    const values = await hostArrayOf(t, where);
    await g.addon.allReduce(values, OP_CODES[op]);
    if (op === "mean") for (let i = 0; i < values.length; i++) values[i] /= g.worldSize;
    writeBack(t, values);
    return t;
  });
}

/** Copies rank src's t into every rank's t, in place; resolves to t. */
export function broadcast(t: Tensor, src: number): Promise<Tensor> {
  const where = "distributed.broadcast";
  const g = current("broadcast");
  if (!Number.isInteger(src) || src < 0 || src >= g.worldSize) throw new RangeError(`${where}: src must be a rank in 0 … ${g.worldSize - 1}, got ${src}`);
  return enqueue(g, async () => {
    const values = await hostArrayOf(t, where);
    await g.addon.broadcast(values, src);
    writeBack(t, values);
    return t;
  });
}

/** Every rank's t (all of the same shape and dtype), in rank order. */
export function allGather(t: Tensor): Promise<Tensor[]> {
  const where = "distributed.allGather";
  const g = current("allGather");
  return enqueue(g, async () => {
    const values = await hostArrayOf(t, where);
    const out = t.dtype === "float32" ? new Float32Array(values.length * g.worldSize) : new Int32Array(values.length * g.worldSize);
    await g.addon.allGather(values, out);
    const n = values.length;
    return Array.from({ length: g.worldSize }, (_, r) => tensor(out.subarray(r * n, (r + 1) * n), { shape: t.shape, dtype: t.dtype, device: t.device }));
  });
}

/** Resolves once every rank has reached it. */
export function barrier(): Promise<void> {
  const g = current("barrier");
  return enqueue(g, () => g.addon.barrier());
}

/** Leaves the group (after the queued collectives); initProcessGroup may then be called again. */
export async function destroyProcessGroup(): Promise<void> {
  const g = group;
  if (!g) return;
  group = null;
  setJoinedGroup(null);
  await g.tail;
  g.addon.destroy();
  g.server?.close();
}
