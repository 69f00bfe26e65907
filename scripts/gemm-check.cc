// Stand-alone check of the native GEMM (native/src/gemm.cc and its micro-kernels) at every
// instruction-set level this CPU allows, with what the JavaScript tests cannot reach: alpha ≠ 1,
// beta ∉ {0, 1}, a column-major (strided) C, and C's gaps between rows checked untouched. Each
// product is compared with a double-precision reference. scripts/emulated-avx512.sh builds it
// with AddressSanitizer and -DNABLA_EMULATE_AVX512, so the AVX-512 kernel's code runs (through
// SIMDe) under the sanitizer on any CPU. Exit status 1 on the first mismatch.

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "cpu_features.h"
#include "gemm.h"
#include "threadpool.h"

using namespace nabla;

namespace {

constexpr float kCanary = -12345.0f;

struct Layout {
  bool colMajor;
  int64_t pad;  // extra elements per leading dimension (gaps between rows or columns)
};

/** A rows×cols matrix in `layout` inside a buffer of canaries: element (i, j) at off(i, j). */
struct Matrix {
  int64_t rows, cols, rs, cs;
  std::vector<float> buf;
  Matrix(int64_t r, int64_t c, Layout l) : rows(r), cols(c) {
    const int64_t ld = (l.colMajor ? r : c) + l.pad;
    rs = l.colMajor ? 1 : ld;
    cs = l.colMajor ? ld : 1;
    buf.assign(static_cast<size_t>(ld * (l.colMajor ? c : r) + 1), kCanary);
  }
  int64_t off(int64_t i, int64_t j) const { return i * rs + j * cs; }
};

bool checkOne(std::mt19937& rng, int64_t M, int64_t N, int64_t K, Layout la, Layout lb, Layout lc, float alpha, float beta, bool parallel,
              const char* level) {
  std::normal_distribution<float> normal;
  Matrix A(M, K, la), B(K, N, lb), C(M, N, lc);
  for (int64_t i = 0; i < M; i++) for (int64_t k = 0; k < K; k++) A.buf[A.off(i, k)] = normal(rng);
  for (int64_t k = 0; k < K; k++) for (int64_t j = 0; j < N; j++) B.buf[B.off(k, j)] = normal(rng);
  // beta = 0 must not read C: start it as NaN there.
  for (int64_t i = 0; i < M; i++) for (int64_t j = 0; j < N; j++) C.buf[C.off(i, j)] = beta == 0.0f ? NAN : normal(rng);
  const std::vector<float> before = C.buf;
  if (!sgemm(M, N, K, alpha, {A.buf.data(), A.rs, A.cs}, {B.buf.data(), B.rs, B.cs}, beta, {C.buf.data(), C.rs, C.cs}, parallel)) {
    std::printf("gemm-check: %s %lldx%lldx%lld: out of memory\n", level, (long long)M, (long long)N, (long long)K);
    return false;
  }
  std::vector<bool> inside(C.buf.size(), false);
  for (int64_t i = 0; i < M; i++) {
    for (int64_t j = 0; j < N; j++) {
      double ref = 0;
      for (int64_t k = 0; k < K; k++) ref += static_cast<double>(A.buf[A.off(i, k)]) * B.buf[B.off(k, j)];
      ref = alpha * ref + (beta == 0.0f ? 0.0 : beta * static_cast<double>(before[C.off(i, j)]));
      const double got = C.buf[C.off(i, j)];
      const double tol = 1e-4 * std::fabs(ref) + 4e-5 * std::sqrt(static_cast<double>(K) + 1) * (std::fabs(alpha) + std::fabs(beta)) + 1e-6;
      inside[C.off(i, j)] = true;
      if (!(std::fabs(got - ref) <= tol)) {
        std::printf("gemm-check: %s M=%lld N=%lld K=%lld alpha=%g beta=%g C %s: C(%lld,%lld) = %g, expected %g\n", level, (long long)M,
                    (long long)N, (long long)K, alpha, beta, lc.colMajor ? "column-major" : "row-major", (long long)i, (long long)j, got, ref);
        return false;
      }
    }
  }
  for (size_t e = 0; e < C.buf.size(); e++) {
    if (!inside[e] && C.buf[e] != kCanary) {
      std::printf("gemm-check: %s M=%lld N=%lld K=%lld: wrote element %zu outside C\n", level, (long long)M, (long long)N, (long long)K, e);
      return false;
    }
  }
  return true;
}

}  // namespace

int main() {
  const int64_t shapes[][3] = {
      {1, 1, 1}, {2, 3, 1}, {6, 16, 8}, {12, 32, 8}, {5, 17, 9}, {13, 33, 70}, {11, 31, 5}, {25, 47, 193},
      {37, 300, 19}, {161, 97, 200}, {150, 140, 257}, {70, 150, 300}, {300, 29, 40},
  };
  const Layout layouts[] = {{false, 0}, {true, 3}, {false, 5}};
  const float alphas[] = {1.0f, 0.5f, -2.0f};
  const float betas[] = {0.0f, 1.0f, 0.25f};
  std::mt19937 rng(21);
  int checked = 0;
  for (Isa isa : {Isa::generic, Isa::avx2, Isa::avx512}) {
    if (!forceIsa(isa)) continue;
    const char* level = isaName(isa);
    for (const auto& s : shapes) {
      for (int variant = 0; variant < 9; variant++) {
        const Layout la = layouts[variant % 3], lb = layouts[(variant / 3) % 3], lc = layouts[(variant + 1) % 3];
        const float alpha = alphas[variant % 3], beta = betas[(variant / 3) % 3];
        if (!checkOne(rng, s[0], s[1], s[2], la, lb, lc, alpha, beta, variant % 2 == 0, level)) return 1;
        checked++;
      }
    }
    std::printf("gemm-check: %s (%s GEMM kernel) agrees with the reference\n", level, gemmKernelName());
  }
  unforceIsa();
  std::printf("gemm-check: %d products, %d threads, no mismatch\n", checked, numThreads());
  return 0;
}
