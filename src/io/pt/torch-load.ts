// PyTorch's torch.save zip format, for plain state dicts: <archive>/data.pkl is a pickle whose
// tensors point (through persistent ids) at raw little-endian storages <archive>/data/<key>.
// The pickle runs in the restricted unpickler with an allow-list of exactly what a state dict
// needs; tensors are rebuilt from (storage, offset, size, stride), copying strided views out.

import type { Backend } from "../../backend/backend.js";
import { arrayFor, type DType, type TypedArray } from "../../core/dtype.js";
import { formatShape } from "../../core/shape.js";
import type { Tensor } from "../../tensor/tensor.js";
import { adoptDecoded, decodeElements, FILE_DTYPE_BYTES, nablaDTypeOf, type FileDType } from "../element-codec.js";
import { describe, PyDict, PyTuple, unpickle, type AllowedGlobal } from "./unpickler.js";
import { openZip } from "./zip.js";

/** torch.<Name>Storage → element type. */
const STORAGE_TYPES: Readonly<Record<string, FileDType>> = {
  FloatStorage: "F32", DoubleStorage: "F64", HalfStorage: "F16", BFloat16Storage: "BF16", LongStorage: "I64",
  IntStorage: "I32", ShortStorage: "I16", CharStorage: "I8", ByteStorage: "U8", BoolStorage: "BOOL",
};

/** data.pkl is a few bytes per tensor; anything near this is not a state dict. */
const MAX_PICKLE_BYTES = 256 * 1024 * 1024;

class StorageType implements AllowedGlobal {
  constructor(readonly qualifiedName: string, readonly dtype: FileDType) {}
}

class StorageRef {
  constructor(readonly key: string, readonly dtype: FileDType, readonly numel: number) {}
}

class TensorRecord {
  constructor(readonly storage: StorageRef, readonly offset: number, readonly size: number[], readonly stride: number[]) {}
}

function describeValue(v: unknown): string {
  if (v instanceof TensorRecord) return `a tensor of size ${formatShape(v.size)}`;
  if (v instanceof StorageRef) return `storage ${v.key}`;
  return describe(v);
}

function isIndex(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

function indexTuple(v: unknown): number[] | null {
  return v instanceof PyTuple && v.items.every(isIndex) ? [...(v.items as number[])] : null;
}

/** The allow-list: what each permitted global does, in our own code. */
function torchGlobals(fail: (msg: string) => never): Map<string, AllowedGlobal> {
  const globals = new Map<string, AllowedGlobal>();
  const add = (g: AllowedGlobal): void => {
    globals.set(g.qualifiedName, g);
  };
  add({
    qualifiedName: "collections.OrderedDict",
    call: (args) => {
      const d = new PyDict();
      if (args.length === 0) return d;
      if (args.length === 1 && Array.isArray(args[0])) {
        for (const pair of args[0] as unknown[]) {
          if (!(pair instanceof PyTuple) || pair.items.length !== 2) fail("OrderedDict items must be (key, value) pairs");
          d.map.set((pair as PyTuple).items[0], (pair as PyTuple).items[1]);
        }
        return d;
      }
      return fail(`OrderedDict called with ${args.length} unexpected arguments`);
    },
  });
  add({
    qualifiedName: "torch._utils._rebuild_tensor_v2",
    call: (args) => {
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      if (args.length < 6 || args.length > 7) fail(`_rebuild_tensor_v2 expects 6 or 7 arguments, found ${args.length}`);
      const [storage, offset] = args;
      const size = indexTuple(args[2]);
      const stride = indexTuple(args[3]);
      if (!(storage instanceof StorageRef)) return fail(`_rebuild_tensor_v2: storage is ${describeValue(storage)}, not a storage reference`);
      if (!isIndex(offset)) return fail(`_rebuild_tensor_v2: storage offset ${describeValue(offset)} is not a non-negative integer`);
      if (!size || !stride || size.length !== stride.length) {
        return fail(`_rebuild_tensor_v2: size ${describeValue(args[2])} and stride ${describeValue(args[3])} must be tuples of non-negative integers of one length`);
      }
      return new TensorRecord(storage, offset, size, stride);
    },
  });
  add({
    qualifiedName: "torch._utils._rebuild_parameter",
    call: (args) => {
      // (data, requires_grad, backward_hooks): a Parameter is its data here.
      if (args.length !== 3 || !(args[0] instanceof TensorRecord)) return fail("_rebuild_parameter expects (tensor, requires_grad, hooks)");
      return args[0];
    },
  });
  for (const [name, dtype] of Object.entries(STORAGE_TYPES)) add(new StorageType(`torch.${name}`, dtype));
  return globals;
}

/** Read a torch.save zip holding a state dict (a dict of name → tensor) into nabla tensors. */
export async function loadTorchZip(path: string, where: string, backend: Backend): Promise<Map<string, Tensor>> {
  const fail = (msg: string): never => {
    throw new Error(`${where}: ${path}: ${msg}`);
  };
  const zip = await openZip(path, where);
  try {
    const pickles = zip.names.filter((n) => /^[^/]+\/data\.pkl$/.test(n));
    if (pickles.length !== 1) {
      if (zip.names.some((n) => n.endsWith("/constants.pkl") || /^[^/]+\/code\//.test(n))) {
        fail("this is a TorchScript archive (torch.jit.save); save the model's state dict with torch.save(model.state_dict(), path) instead");
      }
      fail(pickles.length === 0
        ? "zip archive has no <archive>/data.pkl: not a file written by torch.save"
        : `zip archive has ${pickles.length} data.pkl entries (${pickles.join(", ")}); expected one`);
    }
    const prefix = pickles[0].slice(0, -"data.pkl".length);
    if (zip.has(`${prefix}byteorder`)) {
      const order = new TextDecoder().decode(await zip.read(`${prefix}byteorder`)).trim();
      if (order !== "little") fail(`storages are ${order}-endian; only little-endian archives are supported`);
    }
    if (zip.size(pickles[0]) > MAX_PICKLE_BYTES) fail(`${pickles[0]} is ${zip.size(pickles[0])} bytes: too large for a state dict's pickle`);

    const globals = torchGlobals((msg) => fail(`${pickles[0]}: ${msg}`));
    const storages = new Map<string, StorageRef>();
    const root = unpickle(await zip.read(pickles[0]), {
      where: `${where}: ${path}: ${pickles[0]}`,
      allowedNames: ["collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter", "torch.<Type>Storage"],
      findGlobal: (module, name) => globals.get(`${module}.${name}`),
      persistentLoad: (pid) => {
        // ('storage', storage_type, key, location, numel)
        const items = pid instanceof PyTuple ? pid.items : [];
        const [kind, type, key, location, numel] = items;
        if (items.length !== 5 || kind !== "storage" || !(type instanceof StorageType) || typeof key !== "string" ||
          typeof location !== "string" || !isIndex(numel)) {
          return fail(`${pickles[0]}: unsupported persistent id ${describeValue(pid)}; expected ('storage', torch.<Type>Storage, key, location, numel)`);
        }
        const seen = storages.get(key);
        if (seen && (seen.dtype !== type.dtype || seen.numel !== numel)) fail(`storage ${key} is referenced with two different types or sizes`);
        const ref = seen ?? new StorageRef(key, type.dtype, numel);
        storages.set(key, ref);
        return ref;
      },
      build: (obj, state) => {
        // An OrderedDict's instance attributes (a state dict's `_metadata` versions): kept, unused.
        if (obj instanceof PyDict && (state === null || state instanceof PyDict)) {
          obj.attributes = state;
          return;
        }
        fail(`${pickles[0]}: refused BUILD (setstate) on ${describeValue(obj)}; only ordered dicts may carry state; nothing was executed`);
      },
    });

    const records = stateDictRecords(root, fail);
    return await materialize(records, prefix, zip, backend, fail, `${where}: ${path}`);
  } finally {
    zip.close();
  }
}

/** The (name, tensor record) pairs of the unpickled root, which must be a dict of tensors. */
function stateDictRecords(root: unknown, fail: (msg: string) => never): [string, TensorRecord][] {
  if (root instanceof TensorRecord) fail("the file holds a single tensor, not a state dict; save a dict such as {'weight': t}");
  if (!(root instanceof PyDict)) return fail(`the pickle holds ${describeValue(root)}, not a state dict (a dict of name → tensor)`);
  const out: [string, TensorRecord][] = [];
  for (const [key, value] of root.map) {
    if (typeof key !== "string") fail(`state dict key ${describeValue(key)} is not a string`);
    if (!(value instanceof TensorRecord)) {
      const nested = [...root.map].find(([, v]) => v instanceof PyDict && v.map.size > 0 && [...v.map.values()].every((x) => x instanceof TensorRecord));
      const hint = nested ? `; it looks like a checkpoint whose state dict is under ${JSON.stringify(nested[0])}: torch.save that dict by itself` : "";
      fail(`entry ${JSON.stringify(key)} is ${describeValue(value)}, not a tensor: nb.load reads plain state dicts (name → tensor)${hint}`);
    }
    out.push([key as string, value as TensorRecord]);
  }
  return out;
}

async function materialize(records: [string, TensorRecord][], prefix: string, zip: Awaited<ReturnType<typeof openZip>>,
  backend: Backend, fail: (msg: string) => never, context: string): Promise<Map<string, Tensor>> {
  // Validate every view against its storage before reading any data.
  const users = new Map<StorageRef, [string, TensorRecord][]>();
  for (const [name, r] of records) {
    checkView(name, r, fail);
    const entry = `${prefix}data/${r.storage.key}`;
    if (!zip.has(entry)) fail(`tensor ${JSON.stringify(name)}: storage entry ${entry} is missing from the archive`);
    const bytes = r.storage.numel * FILE_DTYPE_BYTES[r.storage.dtype];
    if (zip.size(entry) !== bytes) {
      fail(`tensor ${JSON.stringify(name)}: storage ${entry} holds ${zip.size(entry)} bytes, but ${r.storage.numel} ${r.storage.dtype} elements need ${bytes}`);
    }
    const list = users.get(r.storage) ?? [];
    list.push([name, r]);
    users.set(r.storage, list);
  }
  const tensors = new Map<string, Tensor>();
  // One storage at a time, so at most one raw storage is held beside the tensors built so far.
  for (const [storage, list] of users) {
    const raw = await zip.read(`${prefix}data/${storage.key}`);
    const names = list.map(([n]) => JSON.stringify(n)).join(", ");
    const decoded = decodeElements(raw, storage.dtype, storage.numel, () => `${context}: tensor ${names}`);
    for (const [name, r] of list) {
      const numel = r.size.reduce((a, b) => a * b, 1);
      const whole = list.length === 1 && r.offset === 0 && numel === storage.numel && isRowMajor(r.size, r.stride);
      const dtype = nablaDTypeOf(storage.dtype);
      const data = whole ? decoded : gather(decoded, dtype, r, numel, name, fail);
      tensors.set(name, adoptDecoded(data, dtype, [...r.size], backend));
    }
  }
  // Keep the file's order.
  return new Map(records.map(([name]) => [name, tensors.get(name) as Tensor]));
}

function checkView(name: string, r: TensorRecord, fail: (msg: string) => never): void {
  const what = `tensor ${JSON.stringify(name)} (size ${formatShape(r.size)}, stride ${formatShape(r.stride)}, offset ${r.offset})`;
  if (r.size.includes(0)) return;
  let last = r.offset;
  for (let d = 0; d < r.size.length; d++) {
    last += (r.size[d] - 1) * r.stride[d];
    if (last >= r.storage.numel) break;
  }
  if (last >= r.storage.numel) fail(`${what} reaches past the end of its storage of ${r.storage.numel} elements`);
  let numel = 1;
  for (const s of r.size) numel *= s;
  if (numel > 2 ** 32 - 1) fail(`${what} has ${numel} elements, more than can be materialized`);
}

function isRowMajor(size: number[], stride: number[]): boolean {
  let expected = 1;
  for (let d = size.length - 1; d >= 0; d--) {
    if (size[d] !== 1 && stride[d] !== expected) return false;
    expected *= size[d];
  }
  return true;
}

/** Copy a strided view out of its storage into a new row-major array. */
function gather(src: TypedArray, dtype: DType, r: TensorRecord, numel: number, name: string, fail: (msg: string) => never): TypedArray {
  let out: TypedArray;
  try {
    out = arrayFor(dtype, numel);
  } catch (e) {
    return fail(`tensor ${JSON.stringify(name)}: cannot allocate ${numel} elements (${(e as Error).message})`);
  }
  if (numel === 0) return out;
  if (isRowMajor(r.size, r.stride)) {
    out.set(src.subarray(r.offset, r.offset + numel));
    return out;
  }
  const nd = r.size.length;
  const inner = r.size[nd - 1];
  const innerStride = r.stride[nd - 1];
  const index = new Array<number>(nd - 1).fill(0);
  let base = r.offset;
  for (let k = 0; k < numel; k += inner) {
    for (let j = 0; j < inner; j++) out[k + j] = src[base + j * innerStride];
    // Advance the outer index like an odometer, keeping `base` in step.
    for (let d = nd - 2; d >= 0; d--) {
      base += r.stride[d];
      if (++index[d] < r.size[d]) break;
      base -= r.stride[d] * r.size[d];
      index[d] = 0;
    }
  }
  return out;
}
