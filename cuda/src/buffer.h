// Device buffers as JavaScript sees them: an External (tagged as nabla's, so a foreign value is
// refused) owning a DeviceBuffer. backend.free() returns the block to the caching allocator at
// once; if a buffer is only garbage-collected, the External's finalizer does it.

#pragma once

#include <node_api.h>

#include <cstddef>

namespace nabla_cuda {

struct DeviceBuffer {
  void* ptr = nullptr;
  /** Bytes asked for (the view checks use this). */
  size_t bytes = 0;
  /** Size class of the block behind ptr (what goes back to the cache). */
  size_t block = 0;
  bool live = true;
};

/** A new External owning b (takes ownership). */
napi_value wrapBuffer(napi_env env, DeviceBuffer* b);
/** The DeviceBuffer behind v, or nullptr when v is not one of this addon's buffers. */
DeviceBuffer* unwrapBuffer(napi_env env, napi_value v);
/** Give the block back to the allocator (idempotent). */
void releaseBuffer(DeviceBuffer* b);

}  // namespace nabla_cuda
