// The native backend: C++ kernels (native/src, a Node-API addon compiled by node-gyp during
// `npm install`) on the same JavaScript-owned typed arrays as the cpu backend. Storage is the cpu
// backend's, so tensors move between "cpu" and "native" without copies in the kernels, and any
// kernel the addon does not cover runs the cpu backend's code. It registers ahead of cpu: when the
// addon is built, new tensors land on it by default. When it is not (no compiler, a failed build,
// not Node), importing this module still succeeds; nb.backends() leaves it out,
// backendUnavailableReason("native") says why, and a one-time process warning does too.

import type { Backend } from "../backend.js";
import { loadAddon, type NativeAddon, type NativeInfo, type NativeIsa } from "./addon.js";
import { nativeKernels } from "./kernels.js";

let loaded: NativeAddon | null | undefined;
let warned = false;

function addon(): NativeAddon | null {
  if (loaded !== undefined) return loaded;
  const r = loadAddon();
  if (r.addon) {
    loaded = r.addon;
    return loaded;
  }
  loaded = null;
  if (r.expected && !warned && typeof process !== "undefined" && typeof process.emitWarning === "function") {
    warned = true;
    process.emitWarning(`nabla: the native backend is unavailable, running on cpu: ${r.reason}`, { code: "NABLA_NATIVE_UNAVAILABLE" });
  }
  throw new Error(r.reason);
}

function createNativeBackend(a: NativeAddon, host: Backend): Backend {
  return {
    name: "native",
    syncReadable: true,
    gcManaged: true,
    alloc: host.alloc,
    fromHost: host.fromHost,
    free: host.free,
    readSync: host.readSync,
    read: host.read,
    ...nativeKernels(a, host),
  };
}

let backend: Backend | null = null;

/**
 * The native backend object (throws with the reason when the addon is unavailable). `host` is the
 * backend whose typed-array storage it shares and whose kernels run what the addon does not cover
 * (the cpu backend; src/backends.ts passes it).
 */
export function nativeBackend(host: Backend): Backend {
  if (backend) return backend;
  const a = addon();
  if (!a) throw new Error("native backend unavailable");
  backend = createNativeBackend(a, host);
  return backend;
}

/** Threads, GEMM micro-kernel and CPU features of the loaded addon; null when it is unavailable. */
export function nativeInfo(): NativeInfo | null {
  try {
    return addon()?.info() ?? null;
  } catch {
    return null;
  }
}

/** Set the native kernels' thread count (NABLA_NUM_THREADS sets the initial one). */
export function setNativeThreads(n: number): void {
  const a = addon();
  a?.setNumThreads(n);
}

/** @internal Force the portable GEMM micro-kernel (tests compare it with the AVX2 one). */
export function forceGenericGemm(generic: boolean): void {
  addon()?.forceGenericGemm(generic);
}

/** @internal Run the native kernels at one instruction-set level (one of nativeInfo().isas), or the best allowed (null). */
export function setNativeIsa(isa: NativeIsa | null): void {
  addon()?.setIsa(isa);
}

/** @internal Planes below `n` output positions take the batched conv path (tests force both ways); returns the previous threshold. */
export function setConvBatchedMaxPlane(n: number): number | undefined {
  return addon()?.setConvBatchedMaxPlane(n);
}

/**
 * @internal Run the named convolution algorithm ("winograd", "pointwise", "strided-pointwise",
 * "depthwise", "im2col") wherever it can run a pass, null to choose by shape again; returns the
 * previously forced one. Tests cover each algorithm with it, benchmarks compare them.
 */
export function forceConvAlgorithm(name: string | null): string | null | undefined {
  return addon()?.forceConvAlgorithm(name);
}

/** @internal The algorithm each convolution pass's last native call ran ("" before any). */
export function convAlgorithmsUsed(): { forward: string; backwardData: string; backwardFilter: string } | undefined {
  return addon()?.convAlgorithmsUsed();
}
