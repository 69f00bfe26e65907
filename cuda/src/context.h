// The process-wide CUDA state of the addon: one device, one stream every kernel, copy, cuBLAS
// and cuDNN call is queued on (so work runs asynchronously and in order), and a small device
// record where kernels report a bad index they met instead of touching memory through it.

#pragma once

#include <string>

#include "common.h"

namespace nabla_cuda {

/** Kernels that check index values on the device; the number names the kernel in messages. */
enum class DeviceCheck : int {
  kIndexSelect = 1, kIndexAdd, kGather, kScatterAdd, kMaxPoolBackward, kCrossEntropy,
};

/** The first bad index a kernel met since the last synchronisation (kernel 0: none). */
struct DeviceErrorRecord {
  int kernel;
  int axis;
  long long value;
  long long size;
};

#ifdef __CUDACC__
/** Record a bad index (only the first one is kept; the kernel skips the element). */
__device__ inline void reportDeviceError(DeviceErrorRecord* rec, DeviceCheck kernel, long long value, int axis, long long size) {
  if (atomicCAS(&rec->kernel, 0, static_cast<int>(kernel)) == 0) {
    rec->axis = axis;
    rec->value = value;
    rec->size = size;
  }
}
#endif

struct DeviceInfo {
  int count = 0;
  /** Why count is 0 when cudaGetDeviceCount failed (no driver, no device); empty otherwise. */
  std::string countError;
  int runtimeVersion = 0;
  int driverVersion = 0;
};

/** Devices visible to the CUDA runtime; never throws (a machine without a driver reports 0). */
DeviceInfo probeDevices();

/** Create the stream and the error record on first use; throws with the reason when it cannot. */
void ensureInit();
bool initialized();

cudaStream_t stream();
/** Device pointer of the error record kernels write to. */
DeviceErrorRecord* deviceErrors();
/** Multiprocessors of the device (for sizing grids). */
int smCount();
const cudaDeviceProp& deviceProps();

/**
 * Wait for every queued operation, then report, as an Error naming `who`, a failed kernel or the
 * first bad index a kernel recorded (which is then cleared).
 */
void synchronize(const char* who);

/** Whether TF32 tensor cores may be used by cuBLAS GEMMs and cuDNN convolutions (default off). */
bool tf32Allowed();
void setTf32Allowed(bool allowed);

}  // namespace nabla_cuda
