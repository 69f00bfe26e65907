// nb.save and nb.load: state dicts to and from files. Saving writes safetensors atomically (a
// temporary file beside the target, flushed to disk, then renamed over it), so a crash or an error
// midway never leaves a half-written file where the old one was. Loading sniffs the content:
// a zip is a PyTorch torch.save archive, otherwise it must be safetensors.

import { open, readFile, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { backendFor } from "../tensor/creation.js";
import { checkOptions, optionNames } from "../core/options.js";
import type { Tensor } from "../tensor/tensor.js";
import { loadTorchZip } from "./pt/torch-load.js";
import { checkedBytes, planSafetensors, readSafetensors, type TensorMap } from "./safetensors.js";
import { isZip, LOAD_ADVICE, LOAD_OPTIONS, loadFromBytes, type LoadOptions } from "./load-bytes.js";

export interface SaveOptions {
  /** String key/value pairs stored in the safetensors header (`__metadata__`). */
  metadata?: Record<string, string>;
}

export const SAVE_OPTIONS = optionNames<SaveOptions>({ metadata: 1 });

export { LOAD_OPTIONS, type LoadOptions } from "./load-bytes.js";

/** Anything with PyTorch's stateDict(): a Module, or an object that behaves like one. */
interface HasStateDict {
  stateDict(): Map<string, Tensor>;
}

/** Writes larger than this are split (a single write call is limited to about 2 GB). */
const WRITE_CHUNK = 1 << 30;
let tempCounter = 0;

function stateDictOf(obj: unknown): TensorMap {
  if (obj !== null && typeof obj === "object" && typeof (obj as HasStateDict).stateDict === "function") {
    return (obj as HasStateDict).stateDict();
  }
  if (obj instanceof Map || (obj !== null && typeof obj === "object" && !Array.isArray(obj))) return obj as TensorMap;
  throw new TypeError(`save: expected a Module or a state dict (Map or record of name → Tensor), found ${obj === null ? "null" : Array.isArray(obj) ? "an array" : typeof obj}`);
}

/** Save a module's state dict (or a state dict) to `path` as safetensors. */
export async function save(moduleOrStateDict: object, path: string, opts: SaveOptions = {}): Promise<void> {
  const where = "save";
  if (typeof path !== "string" || path === "") throw new TypeError(`${where}: path must be a non-empty string`);
  checkOptions(where, opts, SAVE_OPTIONS);
  const plan = planSafetensors(stateDictOf(moduleOrStateDict), opts.metadata, where);
  const temp = `${path}.tmp-${process.pid}-${tempCounter++}`;
  let file: Awaited<ReturnType<typeof open>> | null = null;
  try {
    file = await open(temp, "w");
    await writeAll(file, plan.header);
    for (const entry of plan.layout) {
      // One tensor's host copy at a time: memory stays at the largest tensor, not the model.
      await writeAll(file, checkedBytes(await entry.tensor.data(), entry, where));
    }
    await file.sync();
    await file.close();
    file = null;
    await rename(temp, path);
  } catch (e) {
    await file?.close().catch(() => undefined);
    await rm(temp, { force: true }).catch(() => undefined);
    const msg = (e as Error).message ?? String(e);
    throw new Error(msg.startsWith(`${where}:`) ? msg : `${where}: could not write ${path}: ${msg}`, { cause: e });
  }
  await syncDirectory(dirname(path));
}

async function writeAll(file: Awaited<ReturnType<typeof open>>, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await file.write(bytes, done, Math.min(bytes.length - done, WRITE_CHUNK));
    done += bytesWritten;
  }
}

/** Make the rename itself durable; not every platform can open a directory, which is fine. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort only.
  }
}

/**
 * Load a state dict (Map of name → Tensor) from a `.safetensors` file or a PyTorch `.pt`/`.pth`
 * zip written by torch.save. Pickles are read with an allow-list and never run code. Given bytes
 * (a Uint8Array or ArrayBuffer) instead of a path, it reads them as safetensors (load-bytes.ts).
 */
export async function load(path: string | Uint8Array | ArrayBuffer, opts: LoadOptions = {}): Promise<Map<string, Tensor>> {
  const where = "load";
  if (path instanceof Uint8Array || path instanceof ArrayBuffer) return loadFromBytes(path, opts);
  if (typeof path !== "string" || path === "") throw new TypeError(`${where}: path must be a non-empty string`);
  checkOptions(where, opts, LOAD_OPTIONS, LOAD_ADVICE);
  const backend = backendFor(opts, where);
  const head = await readHead(path, where);
  if (head.length === 0) throw new Error(`${where}: ${path}: the file is empty`);
  if (isZip(head)) {
    return loadTorchZip(path, where, backend);
  }
  if ((head.length > 8 && head[8] === 0x7b) /* "{" opens the JSON header */ || path.endsWith(".safetensors")) {
    return readSafetensors(await readFile(path), where, path, backend).tensors;
  }
  if (head[0] === 0x80) {
    throw new Error(`${where}: ${path}: this is a bare pickle (PyTorch's legacy format before 1.6, or pickle.dump); re-save it with a current torch.save, or as safetensors`);
  }
  const shown = [...head.subarray(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
  throw new Error(`${where}: ${path}: not a safetensors file nor a PyTorch .pt/.pth zip (first bytes: ${shown})`);
}

async function readHead(path: string, where: string): Promise<Uint8Array> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "r");
  } catch (e) {
    throw new Error(`${where}: cannot open ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    const buf = new Uint8Array(16);
    const { bytesRead } = await handle.read(buf, 0, 16, 0);
    return buf.subarray(0, bytesRead);
  } catch (e) {
    throw new Error(`${where}: cannot read ${path}: ${(e as Error).message}`, { cause: e });
  } finally {
    await handle.close();
  }
}
