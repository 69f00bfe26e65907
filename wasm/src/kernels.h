// Shared declarations of nabla's WebAssembly kernels (freestanding: no libc, no libm). Each
// exported entry takes byte addresses inside the module's own memory, which the JavaScript side
// (src/backend/wasm/) filled from its typed arrays, and returns 0, or 1 when scratch memory could
// not grow.

#ifndef NABLA_WASM_KERNELS_H
#define NABLA_WASM_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(name)))

/** Scratch memory: a bump region after the static data, reset by the caller before each call. */
void* scratch(size_t bytes);

/**
 * C[M, N] (row stride ldc) = A[M, K] · B[K, N], plus C's old contents when accumulate is set.
 * A's element (i, k) is at a[i·ars + k·acs], B's (k, j) at b[k·brs + j·bcs]: transposed operands
 * are just other strides. Returns 0, or 1 when its packing buffers did not fit in memory.
 */
int sgemm(int M, int N, int K, const float* a, int ars, int acs, const float* b, int brs, int bcs, float* c, int ldc,
          int accumulate);

#endif
