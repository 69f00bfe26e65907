#include "bias.h"

#include <algorithm>
#include <cstring>

namespace nabla::conv {

void addBias(float* o, int64_t channels, int64_t plane, const Bias& bias) {
  if (!bias.p) return;
  for (int64_t c = 0; c < channels; c++) {
    const float b = bias[c];
    float* r = o + c * plane;
    for (int64_t i = 0; i < plane; i++) r[i] += b;
  }
}

double planeSum(const float* p, int64_t n) {
  typedef float v4 __attribute__((vector_size(16)));
  double s = 0;
  int64_t i = 0;
  while (i + 8 <= n) {
    v4 a = {0, 0, 0, 0}, b = a;
    for (const int64_t end = std::min(n, i + 64); i + 8 <= end; i += 8) {
      v4 x, y;
      std::memcpy(&x, p + i, sizeof x);
      std::memcpy(&y, p + i + 4, sizeof y);
      a += x;
      b += y;
    }
    for (int k = 0; k < 4; k++) s += static_cast<double>(a[k]) + static_cast<double>(b[k]);
  }
  for (; i < n; i++) s += p[i];
  return s;
}

void biasGradient(const Geometry& g, const float* GY, const BiasGrad& gb) {
  for (int64_t c = 0; c < g.cout; c++) {
    double sum = 0;
    for (int64_t n = 0; n < g.batch; n++) sum += planeSum(GY + (n * g.cout + c) * g.outPlane, g.outPlane);
    gb[c] = static_cast<float>(sum);
  }
}

}  // namespace nabla::conv
