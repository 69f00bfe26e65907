// Single-precision GEMM for wasm SIMD (128-bit lanes, no fused multiply-add). The classic blocked
// scheme: B is packed KC×NC into panels NR columns wide, A MC×KC into panels MR rows tall, and a
// 2×16 micro-kernel keeps its tile in 8 v128 accumulators. Measured in V8 (Node 20, x86-64) at
// n = 1024: 2×16 ran ~21 GFLOP/s, 4×8 ~18, 6×8 ~14, 8×8 ~12 — engines keep fewer SIMD values in
// registers than the 16 the hardware has, and each broadcast of A costs an instruction. Packing
// reads any row/column strides, which is how transposed operands cost nothing extra.

#include <wasm_simd128.h>

#include "kernels.h"

enum { MR = 2, NR = 16, NV = NR / 4, KC = 256, MC = 96, NC = 2048 };

/** A's rows i0..i0+mc, columns p0..p0+kc, as MR-row panels (k-major inside a panel, zero-padded). */
static void packA(const float* a, int ars, int acs, int mc, int kc, float* out) {
  for (int i = 0; i < mc; i += MR) {
    const int rows = mc - i < MR ? mc - i : MR;
    for (int p = 0; p < kc; p++) {
      const float* src = a + (size_t)i * ars + (size_t)p * acs;
      int r = 0;
      for (; r < rows; r++) out[r] = src[(size_t)r * ars];
      for (; r < MR; r++) out[r] = 0.0f;
      out += MR;
    }
  }
}

/** B's rows p0..p0+kc, columns j0..j0+nc, as NR-column panels (zero-padded). */
static void packB(const float* b, int brs, int bcs, int kc, int nc, float* out) {
  for (int j = 0; j < nc; j += NR) {
    const int cols = nc - j < NR ? nc - j : NR;
    const float* col0 = b + (size_t)j * bcs;
    if (cols == NR && bcs == 1) {
      for (int p = 0; p < kc; p++, out += NR) {
        const float* src = col0 + (size_t)p * brs;
        for (int v = 0; v < NV; v++) wasm_v128_store(out + 4 * v, wasm_v128_load(src + 4 * v));
      }
      continue;
    }
    for (int p = 0; p < kc; p++, out += NR) {
      const float* src = col0 + (size_t)p * brs;
      int c = 0;
      for (; c < cols; c++) out[c] = src[(size_t)c * bcs];
      for (; c < NR; c++) out[c] = 0.0f;
    }
  }
}

/** tile (MR×NR of C at c, row stride ldc; only rows×cols of it exist) = [C +] a-panel · b-panel. */
static void microKernel(int kc, const float* a, const float* b, float* c, int ldc, int rows, int cols, int add) {
  // Constant trip counts: the compiler unrolls these loops and keeps acc in registers.
  v128_t acc[MR][NV];
  for (int r = 0; r < MR; r++) for (int v = 0; v < NV; v++) acc[r][v] = wasm_f32x4_splat(0);
  for (int p = 0; p < kc; p++, a += MR, b += NR) {
    v128_t bv[NV];
    for (int v = 0; v < NV; v++) bv[v] = wasm_v128_load(b + 4 * v);
    for (int r = 0; r < MR; r++) {
      const v128_t x = wasm_v128_load32_splat(a + r);
      for (int v = 0; v < NV; v++) acc[r][v] = wasm_f32x4_add(acc[r][v], wasm_f32x4_mul(x, bv[v]));
    }
  }
  if (rows == MR && cols == NR) {
    for (int r = 0; r < MR; r++) {
      float* row = c + (size_t)r * ldc;
      for (int v = 0; v < NV; v++) {
        const v128_t sum = add ? wasm_f32x4_add(wasm_v128_load(row + 4 * v), acc[r][v]) : acc[r][v];
        wasm_v128_store(row + 4 * v, sum);
      }
    }
    return;
  }
  // An edge tile: go through a full tile on the stack and write only the part that exists.
  float tile[MR * NR] __attribute__((aligned(16)));
  for (int r = 0; r < MR; r++) for (int v = 0; v < NV; v++) wasm_v128_store(tile + r * NR + 4 * v, acc[r][v]);
  for (int r = 0; r < rows; r++) {
    float* row = c + (size_t)r * ldc;
    for (int j = 0; j < cols; j++) row[j] = add ? row[j] + tile[r * NR + j] : tile[r * NR + j];
  }
}

int sgemm(int M, int N, int K, const float* a, int ars, int acs, const float* b, int brs, int bcs, float* c, int ldc,
          int accumulate) {
  if (M <= 0 || N <= 0) return 0;
  if (K <= 0) {
    if (!accumulate) {
      for (int i = 0; i < M; i++) for (int j = 0; j < N; j++) c[(size_t)i * ldc + j] = 0.0f;
    }
    return 0;
  }
  const int ncMax = N < NC ? N : NC, kcMax = K < KC ? K : KC, mcMax = M < MC ? M : MC;
  float* bp = scratch(sizeof(float) * (size_t)kcMax * (size_t)((ncMax + NR - 1) / NR * NR));
  float* ap = scratch(sizeof(float) * (size_t)kcMax * (size_t)((mcMax + MR - 1) / MR * MR));
  if (!bp || !ap) return 1;
  for (int jc = 0; jc < N; jc += NC) {
    const int nc = N - jc < NC ? N - jc : NC;
    for (int pc = 0; pc < K; pc += KC) {
      const int kc = K - pc < KC ? K - pc : KC;
      const int add = accumulate || pc > 0;
      packB(b + (size_t)pc * brs + (size_t)jc * bcs, brs, bcs, kc, nc, bp);
      for (int ic = 0; ic < M; ic += MC) {
        const int mc = M - ic < MC ? M - ic : MC;
        packA(a + (size_t)ic * ars + (size_t)pc * acs, ars, acs, mc, kc, ap);
        for (int jr = 0; jr < nc; jr += NR) {
          const int cols = nc - jr < NR ? nc - jr : NR;
          for (int ir = 0; ir < mc; ir += MR) {
            const int rows = mc - ir < MR ? mc - ir : MR;
            microKernel(kc, ap + (size_t)ir * kc, bp + (size_t)jr * kc, c + (size_t)(ic + ir) * ldc + jc + jr, ldc, rows, cols, add);
          }
        }
      }
    }
  }
  return 0;
}

/** The exported entry: the same product on operands the caller placed in memory. */
EXPORT("sgemm")
int sgemmEntry(int M, int N, int K, const float* a, int ars, int acs, const float* b, int brs, int bcs, float* c, int ldc,
               int accumulate) {
  return sgemm(M, N, K, a, ars, acs, b, brs, bcs, c, ldc, accumulate);
}
