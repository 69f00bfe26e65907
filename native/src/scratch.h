// Reusable, 64-byte aligned scratch memory. Each thread keeps its own buffers (one per role), grown
// on demand and never shrunk, so hot paths allocate nothing after the first call of a given size.

#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace nabla {

class Scratch {
 public:
  Scratch() = default;
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() { std::free(data_); }

  /** At least `count` elements of T (contents unspecified), or nullptr when memory ran out. */
  template <class T>
  T* get(int64_t count) {
    const size_t bytes = static_cast<size_t>(count < 1 ? 1 : count) * sizeof(T);
    if (bytes > capacity_) {
      size_t want = capacity_ ? capacity_ : 4096;
      while (want < bytes) want *= 2;
      void* p = nullptr;
      if (posix_memalign(&p, 64, want) != 0) return nullptr;
      std::free(data_);
      data_ = p;
      capacity_ = want;
    }
    return static_cast<T*>(data_);
  }

 private:
  void* data_ = nullptr;
  size_t capacity_ = 0;
};

/** Per-thread scratch roles. Distinct roles never alias, so a kernel may hold several at once. */
enum ScratchRole { kPackA = 0, kPackB, kColumns, kAccum, kConvAccum, kConvPadded, kConvResult, kStaging, kRecurrent, kRoles };

inline Scratch& threadScratch(ScratchRole role) {
  static thread_local Scratch buffers[kRoles];
  return buffers[role];
}

}  // namespace nabla
