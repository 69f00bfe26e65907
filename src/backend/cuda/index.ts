// The cuda backend: device buffers from the addon's caching allocator (cuda/src, a Node-API addon
// built with nvcc by scripts/build-cuda.mjs), kernels queued on one CUDA stream, cuBLAS GEMMs and
// cuDNN convolutions. It registers ahead of native and cpu: when the addon is built AND a device
// is present, new tensors land on it by default. Otherwise importing this module still succeeds;
// nb.backends() leaves it out and backendUnavailableReason("cuda") says why (a failed build also
// warns once). Reads synchronise (syncReadable): t.dataSync() waits for the queued work. Tensors
// on it free their device memory when disposed, and through the FinalizationRegistry when only
// garbage-collected (gcManaged false).
//
// nb.cuda (exported as `cuda`) is the user-facing control: isAvailable(), allowTF32,
// memoryStats(), resetPeakMemoryStats(), emptyCache(), synchronize(), device().

import type { Backend } from "../backend.js";
import type { TypedArray } from "../../core/dtype.js";
import { DTYPE_CODE } from "../addon-abi/codes.js";
import { loadCudaAddon, type CudaAddon, type CudaDevice, type CudaInfo, type CudaMemoryStats, type DeviceBuffer } from "./addon.js";
import { cudaKernels, ITEM_BYTES } from "./kernels.js";
import { cudaFusedKernels, type CudaFusedKernels } from "./fused.js";

export type { CudaMemoryStats, CudaDevice, CudaInfo } from "./addon.js";
export type { CudaFusedKernels, FusedAdamOptions, FusedSgdOptions } from "./fused.js";
export { hostFallbacks, resetHostFallbacks } from "./host.js";

interface Loaded {
  addon: CudaAddon;
  info: CudaInfo;
  device: CudaDevice;
}

let loaded: Loaded | null | undefined;
let reason: string | undefined;
let warned = false;

/** The addon with a device initialised; throws with the reason the backend is unavailable. */
function load(): Loaded {
  if (loaded) return loaded;
  if (loaded === null) throw new Error(reason);
  const r = loadCudaAddon();
  if (!r.addon) {
    loaded = null;
    reason = r.reason;
    if (r.expected && !warned && typeof process !== "undefined" && typeof process.emitWarning === "function") {
      warned = true;
      process.emitWarning(`nabla: the cuda backend is unavailable: ${r.reason}`, { code: "NABLA_CUDA_UNAVAILABLE" });
    }
    throw new Error(reason);
  }
  const info = r.addon.info();
  if (info.deviceCount === 0) {
    loaded = null;
    reason = `no CUDA device is visible (${info.deviceError || "cudaGetDeviceCount returned 0"})`;
    throw new Error(reason);
  }
  try {
    const device = r.addon.init();
    loaded = { addon: r.addon, info: r.addon.info(), device };
    return loaded;
  } catch (err) {
    loaded = null;
    reason = `the CUDA device could not be initialised: ${err instanceof Error ? err.message : String(err)}`;
    throw new Error(reason);
  }
}

function createCudaBackend(l: Loaded, host: Backend): Backend {
  const a = l.addon;
  const fusedKernels = cudaFusedKernels(a);
  return {
    name: "cuda",
    syncReadable: true,
    gcManaged: false,
    // indexAdd/scatterAdd use atomicAdd (cuda/src/indexing.cu).
    unorderedAdds: true,
    alloc: (dtype, size) => a.alloc(size * ITEM_BYTES[dtype]),
    fromHost: (data: TypedArray) => a.fromHost(data),
    free: (buf) => a.free(buf as DeviceBuffer),
    readSync: (buf, dtype, offset, size) => a.read(buf as DeviceBuffer, DTYPE_CODE[dtype], offset, size) as TypedArray,
    read: async (buf, dtype, offset, size) => a.read(buf as DeviceBuffer, DTYPE_CODE[dtype], offset, size) as TypedArray,
    ...cudaKernels(a, l.info, host),
    // Optional fused entries (src/optim/fused.ts checks the layout first).
    adamStep: (param, grad, m, v, vMax, p) => fusedKernels.adamStepWith(param, grad, m, v, vMax, p),
    sgdStep: (param, grad, buffer, p) => fusedKernels.sgdStep(param, grad, buffer, p),
  };
}

let backend: Backend | null = null;
let fused: CudaFusedKernels | null = null;

/**
 * The cuda backend object (throws with the reason when it is unavailable). `host` is the backend
 * whose kernels run, on host copies, what the device kernels do not take (the cpu backend;
 * src/backends.ts passes it).
 */
export function cudaBackend(host: Backend): Backend {
  if (backend) return backend;
  backend = createCudaBackend(load(), host);
  return backend;
}

/** The fused optimizer and cross-entropy kernels (throws with the reason when unavailable). */
export function cudaFused(): CudaFusedKernels {
  if (fused) return fused;
  fused = cudaFusedKernels(load().addon);
  return fused;
}

/** Why the cuda backend is unavailable; undefined when it is usable. */
export function cudaUnavailableReason(): string | undefined {
  try {
    load();
    return undefined;
  } catch {
    return reason;
  }
}

/** The addon's build and device report, or null when it is not usable. */
export function cudaInfo(): CudaInfo | null {
  try {
    return load().info;
  } catch {
    return null;
  }
}

function usable(where: string): Loaded {
  try {
    return load();
  } catch {
    throw new Error(`nb.cuda.${where}: the cuda backend is not available: ${reason}`);
  }
}

/** nb.cuda: device controls of the cuda backend. Everything but isAvailable() throws, saying why, where it is unavailable. */
export const cuda = {
  /** Whether the addon is built and a CUDA device is present. */
  isAvailable(): boolean {
    return cudaUnavailableReason() === undefined;
  },

  /** Why the cuda backend cannot be used here (undefined when it can). */
  unavailableReason(): string | undefined {
    return cudaUnavailableReason();
  },

  /** The device in use: name, compute capability, multiprocessors, memory. */
  device(): CudaDevice {
    return usable("device").device;
  },

  /**
   * Let float32 GEMMs (cuBLAS) and convolutions (cuDNN) use TF32 tensor cores: much faster on
   * Ampere and newer, with 10-bit mantissas in the products. Off by default, so float32 results
   * match the cpu backend's within float32 rounding.
   */
  get allowTF32(): boolean {
    return usable("allowTF32").addon.getAllowTF32();
  },
  set allowTF32(allowed: boolean) {
    if (typeof allowed !== "boolean") throw new TypeError(`nb.cuda.allowTF32: expected a boolean, got ${typeof allowed}`);
    usable("allowTF32").addon.setAllowTF32(allowed);
  },

  /** Bytes held by live tensors, reserved from the device, the peak, and the allocator's counters. */
  memoryStats(): CudaMemoryStats {
    return usable("memoryStats").addon.memoryStats();
  },

  /** Start peakAllocatedBytes again from the current allocation. */
  resetPeakMemoryStats(): void {
    usable("resetPeakMemoryStats").addon.resetPeakMemory();
  },

  /** Return the allocator's cached (free) blocks to the device with cudaFree. */
  emptyCache(): void {
    usable("emptyCache").addon.emptyCache();
  },

  /** Wait for all queued device work; throws if a kernel failed or reported a bad index. */
  synchronize(): void {
    usable("synchronize").addon.synchronize();
  },
};
