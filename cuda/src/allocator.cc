#include "allocator.h"

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "common.h"
#include "context.h"

namespace nabla_cuda {

namespace {

struct Cache {
  std::map<size_t, std::vector<void*>> free;
  MemoryStats stats;
};

Cache& cache() {
  static Cache c;
  return c;
}

std::string bytesText(size_t b) {
  char buf[64];
  const double v = static_cast<double>(b);
  if (v >= 1024.0 * 1024 * 1024) std::snprintf(buf, sizeof buf, "%.2f GiB", v / (1024.0 * 1024 * 1024));
  else if (v >= 1024.0 * 1024) std::snprintf(buf, sizeof buf, "%.1f MiB", v / (1024.0 * 1024));
  else std::snprintf(buf, sizeof buf, "%.1f KiB", v / 1024.0);
  return std::string(buf) + " (" + std::to_string(b) + " bytes)";
}

void* takeCached(size_t block) {
  Cache& c = cache();
  auto it = c.free.find(block);
  if (it == c.free.end() || it->second.empty()) return nullptr;
  void* p = it->second.back();
  it->second.pop_back();
  c.stats.cached -= block;
  return p;
}

}  // namespace

size_t sizeClass(size_t bytes) {
  const size_t kMin = 512;
  if (bytes <= kMin) return kMin;
  size_t pow2 = kMin;
  while (pow2 * 2 <= bytes) pow2 *= 2;
  const size_t step = pow2 / 4 < kMin ? kMin : pow2 / 4;
  return (bytes + step - 1) / step * step;
}

void* deviceAlloc(size_t bytes, size_t& blockBytes) {
  blockBytes = 0;
  if (bytes == 0) return nullptr;
  ensureInit();
  Cache& c = cache();
  const size_t block = sizeClass(bytes);
  void* p = takeCached(block);
  if (!p) {
    cudaError_t e = cudaMalloc(&p, block);
    if (e == cudaErrorMemoryAllocation) {
      cudaGetLastError();  // clear the (non-sticky) failure, give the cache back, and try once more
      emptyCache();
      e = cudaMalloc(&p, block);
    }
    if (e == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      size_t freeBytes = 0, total = 0;
      cudaMemGetInfo(&freeBytes, &total);
      throw Error(ErrorKind::kOutOfMemory,
                  "CUDA out of memory: tried to allocate " + bytesText(block) + " (" + std::to_string(bytes) + " bytes requested); the device has " +
                      bytesText(freeBytes) + " free of " + bytesText(total) + ", nabla holds " + bytesText(c.stats.allocated) +
                      " in live tensors (its cache was emptied and the allocation retried)");
    }
    checkCuda(e, "cudaMalloc");
    c.stats.mallocs++;
    c.stats.reserved += block;
  }
  c.stats.allocated += block;
  c.stats.blocks++;
  if (c.stats.allocated > c.stats.peak) c.stats.peak = c.stats.allocated;
  blockBytes = block;
  return p;
}

void deviceRelease(void* ptr, size_t blockBytes) {
  if (!ptr) return;
  Cache& c = cache();
  c.free[blockBytes].push_back(ptr);
  c.stats.allocated -= blockBytes;
  c.stats.cached += blockBytes;
  c.stats.blocks--;
}

void emptyCache() {
  Cache& c = cache();
  if (c.stats.cached == 0) return;
  // Blocks on the free lists may still be in use by queued kernels: let them finish first.
  if (initialized()) cudaStreamSynchronize(stream());
  for (auto& [block, list] : c.free) {
    for (void* p : list) {
      cudaFree(p);
      c.stats.frees++;
      c.stats.reserved -= block;
    }
    list.clear();
  }
  c.free.clear();
  c.stats.cached = 0;
}

MemoryStats memoryStats() { return cache().stats; }

void resetPeak() { cache().stats.peak = cache().stats.allocated; }

}  // namespace nabla_cuda
