// Types of the functions scripts/build-native.mjs exports (the tests in test/install use them).

export interface StampInputs {
  /** sha256 over native/src/**, binding.gyp and scripts/build-native.mjs (names and contents). */
  sources: string;
  files: number;
  /** process.versions.modules of the Node that built it. */
  nodeAbi: string;
  platform: string;
  arch: string;
  /** First line of `$CXX --version` (g++ / c++ by default). */
  compiler: string;
  /** NABLA_NATIVE_SANITIZE ("" or "address"). */
  sanitize: string;
  /** CXXFLAGS / CPPFLAGS / CFLAGS / LDFLAGS, those set. */
  flags: string;
}

export interface Stamp {
  format: number;
  key: string;
  inputs: StampInputs;
  /** sha256 of the addon the stamp describes. */
  addon: string | null;
  builtAt: string;
}

export const STAMP_FORMAT: number;
export const ADDON_FILE: string;
export const STAMP_FILE: string;
export function sourceDigest(root: string): { sources: string; files: number };
export function compilerCommand(env?: NodeJS.ProcessEnv, platform?: string): string | null;
export function compilerVersion(env?: NodeJS.ProcessEnv, platform?: string): string;
export function stampInputs(
  root: string,
  opts?: { env?: NodeJS.ProcessEnv; platform?: string; arch?: string; modules?: string; compiler?: string },
): StampInputs;
export function stampKey(inputs: StampInputs): string;
export function fileDigest(path: string): string | null;
export function makeStamp(inputs: StampInputs, addonDigest: string | null): Stamp;
export function readStamp(path: string): Stamp | null;
export function staleReason(inputs: StampInputs, stamp: Stamp | null, addonDigest: string | null): string | null;
export function nativeCacheDir(env?: NodeJS.ProcessEnv, platform?: string, home?: string): string | null;
export function loadCheck(addonPath: string, env?: NodeJS.ProcessEnv): { info?: Record<string, unknown>; error?: string; stderr?: string };
