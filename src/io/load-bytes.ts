// nb.load from bytes (a Uint8Array or ArrayBuffer: a fetch()ed file, an <input type=file>, an
// embedded asset), with no file system: what the browser build's nb.load is, and what the Node
// nb.load does when given bytes instead of a path. Safetensors only; a PyTorch .pt/.pth zip is
// read from a path by the Node build.

import { backendFor } from "../tensor/creation.js";
import { checkOptions, optionNames } from "../core/options.js";
import type { Tensor } from "../tensor/tensor.js";
import { readSafetensors } from "./safetensors.js";

export interface LoadOptions {
  /** Where the loaded tensors live (default: the active backend). */
  device?: string;
}

export const LOAD_OPTIONS = optionNames<LoadOptions>({ device: 1 });

/** Accepts torch's spelling of the device option. */
export const LOAD_ADVICE: Readonly<Record<string, string>> = { map_location: "device", mapLocation: "device" };

/** A PyTorch torch.save archive starts as a zip: "PK\x03\x04" (or "PK\x05\x06" when empty). */
export function isZip(head: Uint8Array): boolean {
  return head[0] === 0x50 && head[1] === 0x4b && (head[2] === 0x03 || head[2] === 0x05) && (head[3] === 0x04 || head[3] === 0x06);
}

/** Load a state dict (Map of name → Tensor) from a safetensors file's bytes. */
export async function loadFromBytes(source: Uint8Array | ArrayBuffer, opts: LoadOptions = {}): Promise<Map<string, Tensor>> {
  const where = "load";
  const bytes = source instanceof ArrayBuffer ? new Uint8Array(source) : source;
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`${where}: expected a path, or a file's bytes as a Uint8Array or ArrayBuffer, got ${source === null ? "null" : typeof source}`);
  }
  checkOptions(where, opts, LOAD_OPTIONS, LOAD_ADVICE);
  const backend = backendFor(opts, where);
  if (bytes.length === 0) throw new Error(`${where}: <bytes>: the bytes are empty`);
  if (isZip(bytes)) {
    throw new Error(`${where}: <bytes>: this is a PyTorch .pt/.pth zip, which nb.load reads from a path (Node); from bytes it reads safetensors (convert with safetensors.torch.save_file)`);
  }
  if (bytes[0] === 0x80) {
    throw new Error(`${where}: <bytes>: this is a bare pickle (PyTorch's legacy format before 1.6, or pickle.dump); re-save it as safetensors`);
  }
  return readSafetensors(bytes, where, "<bytes>", backend).tensors;
}
