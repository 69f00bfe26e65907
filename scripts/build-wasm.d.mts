// Types of the functions scripts/build-wasm.mjs exports (test/backend/wasm-build.test.ts uses them).

export const SOURCE_DIR: string;
export const WASM_FILE: string;
export const MODULE_FILE: string;
export const CFLAGS: string[];
export const LDFLAGS: string[];
/** sha256 over wasm/src (names and contents) and the flags. */
export function sourceHash(): string;
/** Compile and link with clang-14 / wasm-ld-14; the module's bytes. Throws when the tools are missing. */
export function buildModule(): Buffer;
/** The generated src/backend/wasm/module-bytes.ts for these bytes. */
export function moduleSource(bytes: Uint8Array, hash: string): string;
