// A restricted pickle reader. It understands the data opcodes a plain state dict is made of
// (numbers, strings, tuples, lists, dicts, memo) and nothing that names code, except the globals
// the caller allows: each allowed global is a JavaScript function of our own that builds a value
// from its arguments. Any other global, and every opcode that instantiates arbitrary classes
// (INST, OBJ, NEWOBJ, EXT*), is refused with an error naming it. Nothing is ever imported or run.

/** A Python tuple (kept apart from lists, which are plain arrays). */
export class PyTuple {
  constructor(readonly items: readonly unknown[]) {}
}

/** A Python dict or OrderedDict (insertion ordered, as both are). */
export class PyDict {
  readonly map = new Map<unknown, unknown>();
  /** Instance state set by BUILD (an OrderedDict's attributes, such as a state dict's `_metadata`). */
  attributes: unknown = null;
}

/** What an allowed global does when the pickle calls it (REDUCE) or builds on its result (BUILD). */
export interface AllowedGlobal {
  readonly qualifiedName: string;
  /** REDUCE: the value of calling this global with `args`; absent when it must not be called. */
  call?: (args: readonly unknown[]) => unknown;
}

export interface UnpickleOptions {
  /** Look up an allowed global; undefined means refused. */
  findGlobal: (module: string, name: string) => AllowedGlobal | undefined;
  /** The allowed globals, listed in refusal messages. */
  allowedNames: readonly string[];
  /** Resolve a BINPERSID reference (torch uses it for tensor storages). */
  persistentLoad: (pid: unknown) => unknown;
  /** BUILD on a value (setstate); throw to refuse. */
  build: (obj: unknown, state: unknown) => void;
  /** Prefix of every error ("load: file.pt: data.pkl"). */
  where: string;
}

const OPCODE_NAMES: Record<number, string> = {
  0x28: "MARK", 0x2e: "STOP", 0x30: "POP", 0x31: "POP_MARK", 0x32: "DUP", 0x46: "FLOAT", 0x49: "INT",
  0x4a: "BININT", 0x4b: "BININT1", 0x4c: "LONG", 0x4d: "BININT2", 0x4e: "NONE", 0x50: "PERSID",
  0x51: "BINPERSID", 0x52: "REDUCE", 0x53: "STRING", 0x54: "BINSTRING", 0x55: "SHORT_BINSTRING",
  0x56: "UNICODE", 0x58: "BINUNICODE", 0x61: "APPEND", 0x62: "BUILD", 0x63: "GLOBAL", 0x64: "DICT",
  0x7d: "EMPTY_DICT", 0x65: "APPENDS", 0x67: "GET", 0x68: "BINGET", 0x69: "INST", 0x6a: "LONG_BINGET",
  0x6c: "LIST", 0x5d: "EMPTY_LIST", 0x6f: "OBJ", 0x70: "PUT", 0x71: "BINPUT", 0x72: "LONG_BINPUT",
  0x73: "SETITEM", 0x74: "TUPLE", 0x29: "EMPTY_TUPLE", 0x75: "SETITEMS", 0x47: "BINFLOAT",
  0x80: "PROTO", 0x81: "NEWOBJ", 0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4", 0x85: "TUPLE1",
  0x86: "TUPLE2", 0x87: "TUPLE3", 0x88: "NEWTRUE", 0x89: "NEWFALSE", 0x8a: "LONG1", 0x8b: "LONG4",
  0x42: "BINBYTES", 0x43: "SHORT_BINBYTES", 0x8c: "SHORT_BINUNICODE", 0x8d: "BINUNICODE8",
  0x8e: "BINBYTES8", 0x8f: "EMPTY_SET", 0x90: "ADDITEMS", 0x91: "FROZENSET", 0x92: "NEWOBJ_EX",
  0x93: "STACK_GLOBAL", 0x94: "MEMOIZE", 0x95: "FRAME", 0x96: "BYTEARRAY8", 0x97: "NEXT_BUFFER",
  0x98: "READONLY_BUFFER",
};

/** Opcodes that would create objects of arbitrary classes: refused outright. */
const CODE_OPCODES = new Set([0x69 /* INST */, 0x6f /* OBJ */, 0x81 /* NEWOBJ */, 0x92 /* NEWOBJ_EX */, 0x82, 0x83, 0x84 /* EXT */]);

const MARK = Symbol("mark");
/** Longest LONG4 integer accepted (bytes); a state dict has no use for huge integers. */
const MAX_LONG_BYTES = 64;

/** Run a pickle under the restrictions above and return the value it produces. */
export function unpickle(data: Uint8Array, opts: UnpickleOptions): unknown {
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  const lenientUtf8 = new TextDecoder("utf-8");
  /** The globals handed out by findGlobal in this run: only these can be called. */
  const issued = new Set<AllowedGlobal>();
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let pos = 0;
  let opStart = 0;
  let opcode = 0;

  const fail = (msg: string): never => {
    const name = OPCODE_NAMES[opcode] ?? `0x${opcode.toString(16).padStart(2, "0")}`;
    throw new Error(`${opts.where}: ${name} at byte ${opStart}: ${msg}`);
  };
  const need = (n: number): number => {
    if (n > data.length - pos) fail(`needs ${n} more bytes but the pickle ends at byte ${data.length} (truncated)`);
    const at = pos;
    pos += n;
    return at;
  };
  const u8 = (): number => data[need(1)];
  const u16 = (): number => dv.getUint16(need(2), true);
  const u32 = (): number => dv.getUint32(need(4), true);
  const u64 = (): number => {
    const v = dv.getBigUint64(need(8), true);
    if (v > BigInt(data.length)) fail(`declares ${v} bytes, more than the whole pickle (${data.length})`);
    return Number(v);
  };
  const bytesOf = (n: number): Uint8Array => data.subarray(need(n), pos);
  const text = (n: number): string => {
    const raw = bytesOf(n);
    try {
      return utf8.decode(raw);
    } catch {
      return fail("string is not valid UTF-8");
    }
  };
  /** Little-endian two's-complement integer, as LONG1/LONG4 store it. */
  const long = (n: number): number | bigint => {
    if (n === 0) return 0;
    const b = bytesOf(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[n - 1] & 0x80) v -= 1n << BigInt(8 * n);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length && stack.length === marks[marks.length - 1])) fail("stack underflow (malformed pickle)");
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) fail("stack underflow (malformed pickle)");
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) fail("no MARK to pop to (malformed pickle)");
    return stack.splice(m as number);
  };
  const put = (index: number): void => {
    memo.set(index, top());
  };
  const get = (index: number): void => {
    if (!memo.has(index)) fail(`memo slot ${index} was never stored (malformed pickle)`);
    stack.push(memo.get(index));
  };
  const global = (module: string, name: string): void => {
    const g = opts.findGlobal(module, name);
    if (!g) {
      const shown = `${module}.${name}`;
      fail(`refused global ${shown.length > 120 ? `${shown.slice(0, 120)}…` : shown}: only tensors, ordered dicts and primitive values can be loaded ` +
        `(allowed: ${opts.allowedNames.join(", ")}); nothing was executed`);
    }
    issued.add(g as AllowedGlobal);
    stack.push(g);
  };
  const setItems = (dict: unknown, kv: unknown[]): void => {
    if (!(dict instanceof PyDict)) fail(`target is ${describe(dict)}, not a dict`);
    for (let i = 0; i < kv.length; i += 2) {
      const key = kv[i];
      if (typeof key === "object" && key !== null && !(key instanceof PyTuple)) fail(`unhashable dict key ${describe(key)}`);
      (dict as PyDict).map.set(key, kv[i + 1]);
    }
  };
  const appendItems = (list: unknown, items: unknown[]): void => {
    if (!Array.isArray(list)) fail(`target is ${describe(list)}, not a list`);
    (list as unknown[]).push(...items);
  };

  for (;;) {
    opStart = pos;
    if (pos >= data.length) {
      opcode = -1;
      throw new Error(`${opts.where}: the pickle ends at byte ${data.length} without a STOP opcode (truncated)`);
    }
    opcode = data[pos++];
    switch (opcode) {
      case 0x80: { // PROTO
        const v = u8();
        if (v > 5) fail(`pickle protocol ${v} is newer than the 5 this reader knows`);
        break;
      }
      case 0x95: need(8); break; // FRAME: a framing hint only
      case 0x2e: { // STOP
        const v = pop();
        return v;
      }
      case 0x28: marks.push(stack.length); break; // MARK
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4a: stack.push(dv.getInt32(need(4), true)); break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x8a: stack.push(long(u8())); break; // LONG1
      case 0x8b: { // LONG4
        const n = dv.getInt32(need(4), true);
        if (n < 0 || n > MAX_LONG_BYTES) fail(`integer of ${n} bytes is out of range (at most ${MAX_LONG_BYTES})`);
        stack.push(long(n));
        break;
      }
      case 0x47: stack.push(dv.getFloat64(need(8), false)); break; // BINFLOAT (big-endian)
      case 0x58: stack.push(text(u32())); break; // BINUNICODE
      case 0x8c: stack.push(text(u8())); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(text(u64())); break; // BINUNICODE8
      case 0x42: stack.push(bytesOf(u32()).slice()); break; // BINBYTES
      case 0x43: stack.push(bytesOf(u8()).slice()); break; // SHORT_BINBYTES
      case 0x8e: stack.push(bytesOf(u64()).slice()); break; // BINBYTES8
      case 0x29: stack.push(new PyTuple([])); break; // EMPTY_TUPLE
      case 0x85: stack.push(new PyTuple([pop()])); break; // TUPLE1
      case 0x86: { // TUPLE2
        const b = pop();
        stack.push(new PyTuple([pop(), b]));
        break;
      }
      case 0x87: { // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(new PyTuple([pop(), b, c]));
        break;
      }
      case 0x74: stack.push(new PyTuple(popMark())); break; // TUPLE
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x7d: stack.push(new PyDict()); break; // EMPTY_DICT
      case 0x64: { // DICT
        const kv = popMark();
        const d = new PyDict();
        setItems(d, kv);
        stack.push(d);
        break;
      }
      case 0x73: { // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: { // SETITEMS
        const kv = popMark();
        if (kv.length % 2) fail("odd number of items between MARK and SETITEMS");
        setItems(top(), kv);
        break;
      }
      case 0x61: { // APPEND
        const v = pop();
        appendItems(top(), [v]);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x71: put(u8()); break; // BINPUT
      case 0x72: put(u32()); break; // LONG_BINPUT
      case 0x94: put(memo.size); break; // MEMOIZE
      case 0x68: get(u8()); break; // BINGET
      case 0x6a: get(u32()); break; // LONG_BINGET
      case 0x63: { // GLOBAL "module\nname\n"
        const module = line();
        const name = line();
        global(module, name);
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string") fail("module and name must be strings");
        global(module as string, name as string);
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const fn = pop();
        if (!issued.has(fn as AllowedGlobal)) fail(`refused to call ${describe(fn)}: only allowed globals can be called; nothing was executed`);
        const g = fn as AllowedGlobal;
        if (!g.call) fail(`refused to call ${g.qualifiedName}: it is allowed only as a marker, not as a function; nothing was executed`);
        if (!(args instanceof PyTuple)) fail(`arguments of ${g.qualifiedName} must be a tuple, found ${describe(args)}`);
        stack.push(g.call!((args as PyTuple).items));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        opts.build(top(), state);
        break;
      }
      case 0x51: stack.push(opts.persistentLoad(pop())); break; // BINPERSID
      default: {
        if (CODE_OPCODES.has(opcode)) fail("refused: this opcode instantiates arbitrary classes; nothing was executed");
        fail("unsupported pickle opcode (a plain state dict does not use it)");
      }
    }
  }

  /** A newline-terminated ASCII line (GLOBAL's operands). */
  function line(): string {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) fail("unterminated GLOBAL operand (truncated)");
    const s = lenientUtf8.decode(data.subarray(pos, end));
    pos = end + 1;
    return s;
  }
}

function isAllowedGlobal(v: unknown): v is AllowedGlobal {
  return typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype && typeof (v as AllowedGlobal).qualifiedName === "string";
}

/** A short description of a pickled value for error messages. */
export function describe(v: unknown): string {
  if (v === null) return "None";
  if (typeof v === "string") return `str ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === "number" || typeof v === "bigint") return `number ${v}`;
  if (typeof v === "boolean") return `bool ${v ? "True" : "False"}`;
  if (v instanceof PyTuple) return `tuple of ${v.items.length}`;
  if (v instanceof PyDict) return `dict of ${v.map.size}`;
  if (Array.isArray(v)) return `list of ${v.length}`;
  if (v instanceof Uint8Array) return `bytes of ${v.length}`;
  if (isAllowedGlobal(v)) return v.qualifiedName;
  return (v as object).constructor?.name ?? typeof v;
}
