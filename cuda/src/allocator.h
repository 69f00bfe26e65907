// The caching device allocator. cudaMalloc and cudaFree synchronise the device and cost tens of
// microseconds, so freed blocks are kept on per-size-class free lists and handed out again: a
// training loop that allocates the same shapes every step reaches a steady state with no
// cudaMalloc at all. Sizes are rounded up to classes a quarter of a power of two apart (at most
// 25% slack). All work runs on one stream, so a block freed while kernels that use it are still
// queued can be reused at once: its next user is queued after them.

#pragma once

#include <cstddef>
#include <cstdint>

namespace nabla_cuda {

struct MemoryStats {
  /** Bytes of blocks handed out and not yet freed (size classes, not requested sizes). */
  size_t allocated = 0;
  /** Bytes obtained from cudaMalloc and not returned: allocated + cached. */
  size_t reserved = 0;
  /** Highest `allocated` since start or the last resetPeak. */
  size_t peak = 0;
  /** Bytes sitting on the free lists. */
  size_t cached = 0;
  uint64_t mallocs = 0;
  uint64_t frees = 0;
  uint64_t blocks = 0;
};

/** The size class `bytes` is rounded up to. */
size_t sizeClass(size_t bytes);

/**
 * A block of at least `bytes` (sizeClass(bytes) is stored in blockBytes). On cudaMalloc failure the
 * cache is emptied and the allocation retried once; then an out-of-memory Error says how much was
 * asked and how much the device has free. bytes 0 gives nullptr.
 */
void* deviceAlloc(size_t bytes, size_t& blockBytes);
/** Return a block to its free list. */
void deviceRelease(void* ptr, size_t blockBytes);
/** cudaFree every cached block (waits for the stream first). */
void emptyCache();
MemoryStats memoryStats();
void resetPeak();

/** Device scratch memory (workspaces, partial results) that goes back to the cache with its scope. */
class Scratch {
 public:
  explicit Scratch(size_t bytes) : ptr_(deviceAlloc(bytes, block_)) {}
  ~Scratch() { deviceRelease(ptr_, block_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  void* get() const { return ptr_; }
  template <class T>
  T* as() const { return static_cast<T*>(ptr_); }

 private:
  size_t block_ = 0;
  void* ptr_ = nullptr;
};

}  // namespace nabla_cuda
