// Loading the compiled CUDA addon (build/cuda/nabla_cuda.node, built by `npm install` or
// `npm run build:cuda`, see scripts/build-cuda.mjs) and checking that it is the one this code
// expects. Loading never throws: when the addon is missing, stale or disabled, `loadCudaAddon`
// says why. Whether a GPU is present is the caller's question (info().deviceCount).

import { createRequire } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BINARY_CODES, PARAM_CODES, REDUCE_CODES, UNARY_CODES } from "../addon-abi/codes.js";

/** A device buffer as JavaScript holds it: an opaque handle owning a block of the caching allocator. */
export type DeviceBuffer = object & { readonly __nablaCudaBuffer?: never };

/** A kernel entry point: (call description, ...device buffers) → void; throws on bad arguments. */
export type CudaKernel = (meta: Float64Array, ...buffers: DeviceBuffer[]) => void;

export interface CudaInfo {
  deviceCount: number;
  /** Why deviceCount is 0 when cudaGetDeviceCount failed (no driver, no device); "" otherwise. */
  deviceError: string;
  runtimeVersion: number;
  driverVersion: number;
  /** Whether matmul runs on cuBLAS (else on host copies through the cpu backend). */
  cublas: boolean;
  /** Whether convolutions run on cuDNN (else on host copies through the cpu backend). */
  cudnn: boolean;
  cudnnVersion: string;
  /** The GPU architecture the kernels were compiled for (sm_90 by default). */
  arch: string;
  initialized: boolean;
  unaryOps: string[];
  paramOps: string[];
  binaryOps: string[];
  reduceOps: string[];
}

export interface CudaDevice {
  name: string;
  computeCapability: string;
  multiProcessors: number;
  totalMemory: number;
}

export interface CudaMemoryStats {
  /** Bytes held by live tensors (size classes of the caching allocator). */
  allocatedBytes: number;
  /** Bytes obtained from cudaMalloc: allocated plus cached. */
  reservedBytes: number;
  peakAllocatedBytes: number;
  /** Bytes on the allocator's free lists, reused before any new cudaMalloc. */
  cachedBytes: number;
  cudaMallocs: number;
  cudaFrees: number;
  liveBlocks: number;
  deviceFreeBytes?: number;
  deviceTotalBytes?: number;
}

export interface CudaAddon {
  info(): CudaInfo;
  init(): CudaDevice;
  /** A device buffer, zero-filled unless zero is false. */
  alloc(bytes: number, zero?: boolean): DeviceBuffer;
  free(buf: DeviceBuffer): void;
  bufferBytes(buf: DeviceBuffer): number;
  fromHost(data: ArrayBufferView): DeviceBuffer;
  read(buf: DeviceBuffer, dtypeCode: number, offset: number, count: number): Float32Array | Float64Array | Int32Array | Uint8Array;
  write(buf: DeviceBuffer, offset: number, data: ArrayBufferView): void;
  synchronize(): void;
  memoryStats(): CudaMemoryStats;
  resetPeakMemory(): void;
  emptyCache(): void;
  setAllowTF32(allowed: boolean): void;
  getAllowTF32(): boolean;
  copy: CudaKernel;
  fill: CudaKernel;
  unary: CudaKernel;
  paramUnary: CudaKernel;
  binary: CudaKernel;
  where: CudaKernel;
  reduce: CudaKernel;
  argReduce: CudaKernel;
  softmax: CudaKernel;
  softmaxBackward: CudaKernel;
  matmul: CudaKernel;
  conv: CudaKernel;
  convBackwardData: CudaKernel;
  convBackwardFilter: CudaKernel;
  pool: CudaKernel;
  poolBackward: CudaKernel;
  maxPoolBackward: CudaKernel;
  moments: CudaKernel;
  channelMoments: CudaKernel;
  batchNormApply: CudaKernel;
  batchNormBackward: CudaKernel;
  indexSelect: CudaKernel;
  indexAdd: CudaKernel;
  gather: CudaKernel;
  scatterAdd: CudaKernel;
  random: CudaKernel;
  adamStep: CudaKernel;
  sgdStep: CudaKernel;
  crossEntropyForward: CudaKernel;
  crossEntropyBackward: CudaKernel;
}

const ENTRY_POINTS: readonly (keyof CudaAddon)[] = [
  "info", "init", "alloc", "free", "bufferBytes", "fromHost", "read", "write", "synchronize", "memoryStats", "resetPeakMemory",
  "emptyCache", "setAllowTF32", "getAllowTF32", "copy", "fill", "unary", "paramUnary", "binary", "where", "reduce", "argReduce",
  "softmax", "softmaxBackward", "matmul", "conv", "convBackwardData", "convBackwardFilter", "pool", "poolBackward", "maxPoolBackward",
  "moments", "channelMoments", "batchNormApply", "batchNormBackward", "indexSelect", "indexAdd", "gather", "scatterAdd", "random",
  "adamStep", "sgdStep", "crossEntropyForward", "crossEntropyBackward",
];

/** Where the build puts the addon, relative to this file (the same from src/ and dist/). */
const ADDON_URL = new URL("../../../build/cuda/nabla_cuda.node", import.meta.url);

export type CudaLoadResult = { addon: CudaAddon; path: string } | { addon: null; reason: string; expected: boolean };

const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Load the addon. `expected` in a failure says whether the user would expect cuda to work (its
 * build failed, or it is there but broken or stale) rather than having turned it off or never
 * built it (no nvcc): only then is a warning due.
 */
export function loadCudaAddon(): CudaLoadResult {
  const env = typeof process !== "undefined" ? process.env : undefined;
  if (typeof process === "undefined" || !process.versions?.node) {
    return { addon: null, reason: "the cuda backend needs Node.js", expected: false };
  }
  if (env?.NABLA_CUDA === "0") return { addon: null, reason: "disabled by NABLA_CUDA=0", expected: false };
  const path = env?.NABLA_CUDA_ADDON || fileURLToPath(ADDON_URL);
  if (!existsSync(path)) {
    // scripts/build-cuda.mjs leaves the reason a build failed next to the addon.
    const failure = join(dirname(path), "nabla-cuda-failed.txt");
    const failed = existsSync(failure);
    const why = failed ? `its build failed: ${readFileSync(failure, "utf8").trim().split("\n")[0]}` : "it has not been built (no nvcc when nabla was installed?)";
    return { addon: null, reason: `the addon ${path} is missing (${why}); build it with \`npm run build:cuda\``, expected: failed };
  }
  let addon: CudaAddon;
  try {
    addon = createRequire(import.meta.url)(path) as CudaAddon;
  } catch (err) {
    return { addon: null, reason: `the addon ${path} failed to load: ${err instanceof Error ? err.message : String(err)}`, expected: true };
  }
  const missing = ENTRY_POINTS.filter((name) => typeof addon[name] !== "function");
  if (missing.length > 0) {
    return { addon: null, reason: `the addon ${path} is out of date (no ${missing.join(", ")}); rebuild it with \`npm run build:cuda\``, expected: true };
  }
  const info = addon.info();
  if (!sameList(info.unaryOps, UNARY_CODES) || !sameList(info.paramOps, PARAM_CODES) || !sameList(info.binaryOps, BINARY_CODES) || !sameList(info.reduceOps, REDUCE_CODES)) {
    return { addon: null, reason: `the addon ${path} is out of date (its op tables differ); rebuild it with \`npm run build:cuda\``, expected: true };
  }
  return { addon, path };
}
