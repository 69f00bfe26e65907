// Loading the compiled addon (build/Release/nabla_native.node, built by `npm install` or
// `npm run build:native`) and checking that it is the one this code expects. Loading never
// throws: when the addon is missing, stale or disabled, `loadAddon` says why.

import { createRequire } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { UNARY_CODES, PARAM_CODES, BINARY_CODES, REDUCE_CODES } from "../addon-abi/codes.js";

/** A kernel entry point: (call description, ...typed arrays) → void; throws on bad arguments. */
export type NativeKernel = (meta: Float64Array, ...buffers: ArrayBufferView[]) => void;

/** Instruction-set levels of the native kernels, lowest first (native/src/cpu_features.h). */
export type NativeIsa = "generic" | "avx2" | "avx512";

export interface NativeInfo {
  threads: number;
  /** The level the kernels use now (the best in `isas` unless setIsa/forceGenericGemm chose another). */
  isa: NativeIsa;
  /** The levels this process may use: up to the CPU's best, capped by NABLA_ISA. */
  isas: NativeIsa[];
  /** The best level the CPU (and its OS) runs. */
  cpuIsa: NativeIsa;
  /** The warning NABLA_ISA caused (an unknown level, or one the CPU lacks), "" when none. */
  isaWarning: string;
  gemmKernel: "avx512f" | "avx2-fma" | "generic";
  /** The CPU runs AVX2 and FMA. */
  avx2: boolean;
  /** The CPU (and its OS) runs AVX-512F. */
  avx512: boolean;
  /** CPUID's brand string ("" where there is none). */
  cpuModel: string;
  /** The SIMD features the kernels care about, as /proc/cpuinfo names them (avx2, fma, avx512f, avx512_bf16, …). */
  cpuFlags: string[];
  asan: boolean;
  unaryOps: string[];
  paramOps: string[];
  binaryOps: string[];
  reduceOps: string[];
}

export interface NativeAddon {
  info(): NativeInfo;
  setNumThreads(n: number): void;
  forceGenericGemm(generic: boolean): void;
  /** Run later kernels at this level (one of info().isas; throws otherwise), or at the best allowed (null). */
  setIsa(isa: NativeIsa | null): void;
  copy: NativeKernel;
  fill: NativeKernel;
  unary: NativeKernel;
  paramUnary: NativeKernel;
  binary: NativeKernel;
  where: NativeKernel;
  reduce: NativeKernel;
  matmul: NativeKernel;
  conv: NativeKernel;
  /** False when the geometry is not one it fuses (nothing written). */
  convReluMaxPool: (meta: Float64Array, ...buffers: ArrayBufferView[]) => boolean;
  convBackwardData: NativeKernel;
  convBackwardFilter: NativeKernel;
  pool: NativeKernel;
  poolBackward: NativeKernel;
  maxPoolBackward: NativeKernel;
  softmax: NativeKernel;
  softmaxBackward: NativeKernel;
  moments: NativeKernel;
  channelMoments: NativeKernel;
  batchNormApply: NativeKernel;
  batchNormBackward: NativeKernel;
  random: NativeKernel;
  setConvBatchedMaxPlane(n: number): number;
  /** Tests/benchmarks: run the named convolution algorithm wherever it can run (null: choose by shape); returns the previous one. */
  forceConvAlgorithm(name: string | null): string | null;
  convAlgorithmsUsed(): { forward: string; backwardData: string; backwardFilter: string };
  adamStep: NativeKernel;
  sgdStep: NativeKernel;
  crossEntropy: NativeKernel;
  crossEntropyBackward: NativeKernel;
  recurrentForward: NativeKernel;
  recurrentBackward: NativeKernel;
  argReduce: NativeKernel;
  indexSelect: NativeKernel;
  indexAdd: NativeKernel;
  gather: NativeKernel;
  scatterAdd: NativeKernel;
  /** Returns the number of kept boxes written to the front of keep. */
  nms: (meta: Float64Array, ...buffers: ArrayBufferView[]) => number;
  roiAlign: NativeKernel;
  roiAlignBackward: NativeKernel;
  roiPool: NativeKernel;
  roiPoolBackward: NativeKernel;
}

const ENTRY_POINTS: readonly (keyof NativeAddon)[] = [
  "info", "setNumThreads", "forceGenericGemm", "setIsa", "setConvBatchedMaxPlane", "forceConvAlgorithm", "convAlgorithmsUsed", "copy", "fill", "unary", "paramUnary", "binary", "where", "reduce", "matmul",
  "conv", "convReluMaxPool", "convBackwardData", "convBackwardFilter", "pool", "poolBackward", "maxPoolBackward", "softmax", "softmaxBackward",
  "moments", "channelMoments", "batchNormApply", "batchNormBackward", "random", "adamStep", "sgdStep", "crossEntropy", "crossEntropyBackward",
  "recurrentForward", "recurrentBackward", "argReduce", "indexSelect", "indexAdd", "gather", "scatterAdd",
  "nms", "roiAlign", "roiAlignBackward", "roiPool", "roiPoolBackward",
];

/** Where the build puts the addon, relative to this file (the same from src/ and dist/). */
const ADDON_URL = new URL("../../../build/Release/nabla_native.node", import.meta.url);

export type LoadResult = { addon: NativeAddon; path: string } | { addon: null; reason: string; expected: boolean };

const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Load the addon. `expected` in a failure says whether the user would expect native to work (its
 * build failed, or it is there but broken or stale) rather than having turned it off or never
 * built it; only then is a warning due.
 */
export function loadAddon(): LoadResult {
  const env = typeof process !== "undefined" ? process.env : undefined;
  if (typeof process === "undefined" || !process.versions?.node) {
    return { addon: null, reason: "the native backend needs Node.js", expected: false };
  }
  if (env?.NABLA_NATIVE === "0") return { addon: null, reason: "disabled by NABLA_NATIVE=0", expected: false };
  const path = env?.NABLA_NATIVE_ADDON || fileURLToPath(ADDON_URL);
  if (!existsSync(path)) {
    // scripts/build-native.mjs leaves the reason a build failed next to Release/.
    const failure = join(dirname(dirname(path)), "nabla-native-failed.txt");
    const failed = existsSync(failure);
    const why = failed ? `its build failed: ${readFileSync(failure, "utf8").trim().split("\n")[0]}` : "it has not been built";
    return { addon: null, reason: `the addon ${path} is missing (${why}); build it with \`npm run build:native\``, expected: failed };
  }
  let addon: NativeAddon;
  try {
    addon = createRequire(import.meta.url)(path) as NativeAddon;
  } catch (err) {
    return { addon: null, reason: `the addon ${path} failed to load: ${err instanceof Error ? err.message : String(err)}`, expected: true };
  }
  const missing = ENTRY_POINTS.filter((name) => typeof addon[name] !== "function");
  if (missing.length > 0) {
    return { addon: null, reason: `the addon ${path} is out of date (no ${missing.join(", ")}); rebuild it with \`npm run build:native\``, expected: true };
  }
  const info = addon.info();
  if (!sameList(info.unaryOps, UNARY_CODES) || !sameList(info.paramOps, PARAM_CODES) || !sameList(info.binaryOps, BINARY_CODES) || !sameList(info.reduceOps, REDUCE_CODES)) {
    return { addon: null, reason: `the addon ${path} is out of date (its op tables differ); rebuild it with \`npm run build:native\``, expected: true };
  }
  return { addon, path };
}
