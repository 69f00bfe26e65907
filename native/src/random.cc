// Random fills with Philox4x32-10 (Salmon et al. 2011), the same counter-based stream as the cpu
// backend's src/backend/cpu/philox.ts: element i of a draw at block offset `offset` comes from
// block offset + floor(i / 4), word i % 4, so native and cpu tensors of one seed hold the same
// numbers. Uniform: the top 24 bits · 2^-24 (exact in float32). Normal: Box–Muller on word pairs
// in double, as the cpu backend computes it, rounded once to float32. Blocks are independent, so
// long draws split over the thread pool.

#include <cmath>
#include <cstdint>

#include "checks.h"
#include "kernels.h"
#include "threadpool.h"

namespace nabla {

namespace {

constexpr uint32_t kM0 = 0xd2511f53u, kM1 = 0xcd9e8d57u, kW0 = 0x9e3779b9u, kW1 = 0xbb67ae85u;
constexpr double kTwoNeg24 = 1.0 / 16777216.0;
constexpr double kTwoPi = 6.283185307179586;  // 2·Math.PI, as the cpu backend multiplies it

inline void philoxBlock(uint64_t counter, uint32_t k0, uint32_t k1, uint32_t out[4]) {
  uint32_t c0 = static_cast<uint32_t>(counter), c1 = static_cast<uint32_t>(counter >> 32), c2 = 0, c3 = 0;
  for (int r = 0; r < 10; r++) {
    const uint64_t p0 = static_cast<uint64_t>(kM0) * c0, p1 = static_cast<uint64_t>(kM1) * c2;
    const uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1 ^ k0;
    const uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c3 ^ k1;
    c0 = n0;
    c1 = static_cast<uint32_t>(p1);
    c2 = n2;
    c3 = static_cast<uint32_t>(p0);
    k0 += kW0;
    k1 += kW1;
  }
  out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

}  // namespace

napi_value Random(napi_env env, napi_callback_info info) {
  Args args(env, info, "random");
  const bool normal = args.integer("dist", 0, 1) == 1;
  const uint32_t k0 = static_cast<uint32_t>(args.integer("seed low word", 0, 0xffffffffLL));
  const uint32_t k1 = static_cast<uint32_t>(args.integer("seed high word", 0, 0xffffffffLL));
  const uint64_t offLo = static_cast<uint64_t>(args.integer("offset low word", 0, 0xffffffffLL));
  const uint64_t offHi = static_cast<uint64_t>(args.integer("offset high word", 0, 0xffffffffLL));
  View out;
  args.view(out, "out") && args.finish();
  if (args.ok() && (out.dtype != kFloat32 || !out.dense())) args.fail("out must be a contiguous float32 view, got " + out.shapeText());
  if (!args.ok()) return nullptr;
  const uint64_t offset = (offHi << 32) | offLo;
  float* o = out.at<float>();
  const int64_t n = out.numel, blocks = (n + 3) / 4;
  parallelRanges(blocks, 1 << 12, [&](int64_t begin, int64_t end, int) {
    uint32_t w[4];
    for (int64_t b = begin; b < end; b++) {
      philoxBlock(offset + static_cast<uint64_t>(b), k0, k1, w);  // the 64-bit counter wraps, as cpu's
      const int64_t i = 4 * b, m = n - i < 4 ? n - i : 4;
      if (!normal) {
        for (int64_t j = 0; j < m; j++) o[i + j] = static_cast<float>((w[j] >> 8) * kTwoNeg24);
        continue;
      }
      for (int64_t p = 0; p < m; p += 2) {
        const double u1 = ((w[p] >> 8) + 1) * kTwoNeg24;  // (0, 1]: the log stays finite
        const double u2 = (w[p + 1] >> 8) * kTwoNeg24;
        const double r = std::sqrt(-2.0 * std::log(u1));
        o[i + p] = static_cast<float>(r * std::cos(kTwoPi * u2));
        if (p + 1 < m) o[i + p + 1] = static_cast<float>(r * std::sin(kTwoPi * u2));
      }
    }
  });
  return nullptr;
}

}  // namespace nabla
