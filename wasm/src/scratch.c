// The module's memory manager: a bump allocator over the linear memory after the static data and
// the stack (__heap_base). The JavaScript side resets it before each kernel call and then takes
// the operands' room from it; the kernels take their packing and column buffers after those. The
// memory grows (memory.grow) to the largest call seen and is never returned, as with any wasm
// memory, so steady training reuses the same pages with no allocation at all.

#include "kernels.h"

extern unsigned char __heap_base;

static uintptr_t top;

static uintptr_t heapStart(void) { return ((uintptr_t)&__heap_base + 15) & ~(uintptr_t)15; }

EXPORT("reset") void reset(void) { top = heapStart(); }

void* scratch(size_t bytes) {
  if (top == 0) top = heapStart();
  const uintptr_t at = top;
  // 16-byte alignment keeps v128 loads aligned; the size check guards the 32-bit address space.
  const size_t rounded = (bytes + 15) & ~(size_t)15;
  if (rounded < bytes || rounded > (size_t)UINT32_MAX - at) return 0;
  const uintptr_t end = at + rounded;
  const size_t have = __builtin_wasm_memory_size(0) * 65536u;
  if (end > have) {
    const size_t pages = (end - have + 65535u) / 65536u;
    if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1) return 0;
  }
  top = end;
  return (void*)at;
}

/** Room for `bytes` bytes for the caller's operands: its address, or 0 when memory cannot grow. */
EXPORT("alloc") void* alloc(uint32_t bytes) { return scratch(bytes); }
