// Random fills with the cpu backend's generator and counter scheme (src/backend/cpu/philox.ts):
// Philox4x32-10 keyed by the 64-bit seed, element i of a draw at `offset` from block
// offset + floor(i/4), word i%4. Uniforms are the top 24 bits of a word times 2^-24 (exactly
// representable in float32, so they equal the cpu's bit for bit); normals are Box–Muller on word
// pairs (0,1) and (2,3) of a block, computed in double as the cpu does and rounded on store.
// Element i is the i-th element of `out` in row-major order, whatever out's strides.

#include <cmath>

#include "context.h"
#include "launch.h"
#include "philox.cuh"
#include "strided.h"

namespace nabla_cuda {

namespace {

constexpr int kThreads = 256;
constexpr double kTwoNeg24 = 1.0 / 16777216.0;

/** One thread per Philox block: elements 4b .. 4b+3 of the draw. */
template <typename T>
__global__ void randomKernel(T* out, Walker<1, int64_t> w, int64_t n, bool normal, uint64_t seed, uint64_t offset) {
  const int64_t blocks = (n + 3) / 4;
  const uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int64_t b = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; b < blocks; b += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const uint64_t counter = offset + static_cast<uint64_t>(b);
    uint32_t words[4];
    philox4x32(static_cast<uint32_t>(counter), static_cast<uint32_t>(counter >> 32), 0, 0, k0, k1, words);
    const int64_t i = 4 * b;
    const int m = n - i < 4 ? static_cast<int>(n - i) : 4;
    double v[4];
    if (!normal) {
      for (int j = 0; j < 4; j++) v[j] = static_cast<double>(words[j] >> 8) * kTwoNeg24;
    } else {
      for (int p = 0; p < 4; p += 2) {
        // u1 in (0, 1] so the log is finite; u2 in [0, 1).
        const double u1 = static_cast<double>((words[p] >> 8) + 1) * kTwoNeg24;
        const double u2 = static_cast<double>(words[p + 1] >> 8) * kTwoNeg24;
        const double r = sqrt(-2.0 * log(u1));
        const double a = 2.0 * 3.141592653589793 * u2;
        v[p] = r * cos(a);
        v[p + 1] = r * sin(a);
      }
    }
    for (int j = 0; j < m; j++) {
      int64_t off[1];
      w.offsets(i + j, off);
      out[off[0]] = static_cast<T>(v[j]);
    }
  }
}

template <typename T>
void randomTyped(const DView& out, bool normal, uint64_t seed, uint64_t offset) {
  const int64_t* strides[1] = {out.strides};
  const Geometry<1> g(out.ndim, out.shape, strides);
  if (g.numel == 0) return;
  const int64_t blocks = (g.numel + 3) / 4;
  randomKernel<T><<<gridFor(blocks, kThreads), kThreads, 0, stream()>>>(out.at<T>(), g.template walker<int64_t>(), g.numel, normal, seed, offset);
  checkLaunch("random");
}

}  // namespace

void launchRandom(const DView& out, bool normal, uint64_t seed, uint64_t offset) {
  if (out.dtype == kFloat64) randomTyped<double>(out, normal, seed, offset);
  else randomTyped<float>(out, normal, seed, offset);
}

}  // namespace nabla_cuda
