// float32 general matrix multiply: C = alpha·A·B + beta·C on strided matrices.
//
// The Goto/BLIS scheme: B is packed in KC×NC slices into NR-wide column panels, A in MR-tall row
// panels, and a register-blocked MR×NR micro-kernel multiplies panel pairs: AVX-512F (12×32),
// AVX2/FMA (6×16) or portable C++ (6×16), as activeIsa() (cpu_features.h) says at run time. Packing absorbs any layout — transposed,
// strided or broadcast operands cost nothing extra. Large products split their tiles over the
// thread pool; the packed B slice is shared, A is packed once per slice for all threads.

#pragma once

#include <cstdint>

namespace nabla {

/**
 * Element (i, j) of a matrix lives at p[i·rs + j·cs]; or, with a row table, at p[rowOff[i] + j·cs];
 * or, with a column table, at p[colOff[j] + i·rs]. The tables let convolution hand the GEMM its
 * input image as an implicit im2col matrix (rows or columns that are shifted windows of one
 * buffer) without building it. Tables apply to B only.
 */
struct ConstMat {
  const float* p;
  int64_t rs, cs;
  const int64_t* rowOff = nullptr;
  const int64_t* colOff = nullptr;
};
struct MutMat {
  float* p;
  int64_t rs, cs;
};

/** Micro-tile of the AVX2 and portable kernels: MR rows of A by NR columns of B (recurrent.cc packs for it too). */
constexpr int kMR = 6;
constexpr int kNR = 16;
/** Micro-tile of the AVX-512 kernel: 12 rows by two 16-float vectors, 24 of the 32 zmm registers. */
constexpr int kMR512 = 12;
constexpr int kNR512 = 32;

/**
 * C[M×N] = alpha·A[M×K]·B[K×N] + beta·C (beta = 0 never reads C). `parallel` lets a large
 * product use the thread pool; kernels already running inside a pool task pass false.
 * Returns false only when scratch memory could not be allocated (C is then unspecified).
 */
bool sgemm(int64_t M, int64_t N, int64_t K, float alpha, ConstMat A, ConstMat B, float beta, MutMat C, bool parallel);

/** Which micro-kernel runs now: "avx512f", "avx2-fma" or "generic" (follows activeIsa()). */
const char* gemmKernelName();

// ---- micro-kernels (gemm_kernel_*.cc) ---------------------------------------------------------

/**
 * acc[MR×NR] = Σ_k a[k·MR + i]·b[k·NR + j] over kc steps, then C(i, j) for i < mr, j < nr is set to
 * alpha·acc + beta·C (C not read when beta = 0).
 */
using MicroKernel = void (*)(int64_t kc, const float* a, const float* b, float* c, int64_t rsc, int64_t csc, int mr, int nr,
                             float alpha, float beta);

void microKernelGeneric(int64_t kc, const float* a, const float* b, float* c, int64_t rsc, int64_t csc, int mr, int nr, float alpha,
                        float beta);
/** The 6×16 AVX2/FMA kernel; null when the addon was built for a CPU family without AVX2 code. */
MicroKernel microKernelAvx2();
/** The 12×32 (kMR512×kNR512) AVX-512F kernel; null when the addon was built without it. */
MicroKernel microKernelAvx512();

}  // namespace nabla
