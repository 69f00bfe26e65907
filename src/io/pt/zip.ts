// Reading named entries out of a zip archive on disk (yauzl does the parsing and validates entry
// sizes). Every entry's declared size is checked before anything is allocated, deflated entries
// must have a size deflate can actually produce, and each entry's CRC-32 is verified.

import { constants as bufferConstants } from "node:buffer";
import * as zlib from "node:zlib";
import yauzl from "yauzl";

export interface ZipReader {
  /** Entry names in archive order. */
  readonly names: readonly string[];
  has(name: string): boolean;
  /** Uncompressed size of an entry. */
  size(name: string): number;
  /** The whole uncompressed entry. */
  read(name: string): Promise<Uint8Array>;
  close(): void;
}

/** Deflate cannot expand data by more than about 1032:1; a larger claimed size is a lie. */
const MAX_DEFLATE_RATIO = 1032;
const crc32 = (zlib as unknown as { crc32?: (data: Uint8Array) => number }).crc32;

/** Open a zip file. `where` and `path` start every error. */
export async function openZip(path: string, where: string): Promise<ZipReader> {
  const fail = (msg: string): never => {
    throw new Error(`${where}: ${path}: ${msg}`);
  };
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(path, { autoClose: false, validateEntrySizes: true });
  } catch (e) {
    return fail(`not a readable zip archive (${(e as Error).message})`);
  }
  const entries = new Map<string, yauzl.Entry>();
  try {
    for await (const entry of zip.eachEntry()) {
      if (entries.has(entry.fileName)) fail(`zip archive has two entries named ${JSON.stringify(entry.fileName)}`);
      entries.set(entry.fileName, entry);
    }
  } catch (e) {
    zip.close();
    if ((e as Error).message.startsWith(`${where}:`)) throw e;
    return fail(`corrupt zip archive (${(e as Error).message})`);
  }

  const entryOf = (name: string): yauzl.Entry => {
    const e = entries.get(name);
    if (!e) return fail(`zip archive has no entry ${JSON.stringify(name)}`);
    return e;
  };

  return {
    names: [...entries.keys()],
    has: (name) => entries.has(name),
    size: (name) => entryOf(name).uncompressedSize,
    close: () => zip.close(),
    async read(name) {
      const entry = entryOf(name);
      const what = `zip entry ${JSON.stringify(name)}`;
      if (entry.isEncrypted()) fail(`${what} is encrypted`);
      if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
        fail(`${what} uses compression method ${entry.compressionMethod}; only stored (0) and deflate (8) are supported`);
      }
      const size = entry.uncompressedSize;
      if (size > bufferConstants.MAX_LENGTH) fail(`${what} is ${size} bytes, larger than a buffer can hold`);
      if (entry.compressionMethod === 8 && size > entry.compressedSize * MAX_DEFLATE_RATIO + 1024) {
        fail(`${what} claims ${size} bytes from ${entry.compressedSize} deflated bytes, more than deflate can produce`);
      }
      const out = new Uint8Array(size);
      let filled = 0;
      try {
        const stream = await zip.openReadStreamPromise(entry);
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          if (filled + chunk.length > size) throw new Error(`more data than the declared ${size} bytes`);
          out.set(chunk, filled);
          filled += chunk.length;
        }
      } catch (e) {
        return fail(`cannot read ${what} (${(e as Error).message})`);
      }
      if (filled !== size) fail(`${what} holds ${filled} bytes, the archive declared ${size}`);
      if (crc32 && (crc32(out) >>> 0) !== entry.crc32 >>> 0) fail(`${what} is corrupt (CRC-32 mismatch)`);
      return out;
    },
  };
}
