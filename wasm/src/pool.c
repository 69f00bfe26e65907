// Max and average pooling over 1 to 3 spatial dims (fewer arrive as 3 with leading size-1 dims),
// forward and backward, with the cpu backend's semantics (src/backend/cpu/pool.ts): per dim, a
// tap table gives each output position's first in-range input offset and how many taps follow, so
// the hot loops have no bounds checks. Max: the first maximum wins, a NaN beats any number and a
// later NaN an earlier one; a window with no in-range tap gives −inf and index −1 (afterRelu: see
// store). Average: summed
// in double and divided by the override, or by the taps counted with or without padding.

#include "kernels.h"

/** The geometry the JavaScript side checked: planes, then per dim (3, outermost first) L, O, k, s, pb, pa, d. */
typedef struct {
  int planes;
  int dim[3][7];
} PoolGeometry;

typedef struct {
  int* first;
  int* count;
  int* padded;
  int step;
  int outputs;
} Taps;

static int ceilDiv(int a, int b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

/** The tap table of dim i; scale is the input stride of that dim inside a plane. Returns 0 when out of memory. */
static int buildTaps(const PoolGeometry* g, int i, int scale, Taps* t) {
  const int L = g->dim[i][0], O = g->dim[i][1], k = g->dim[i][2], s = g->dim[i][3];
  const int pb = g->dim[i][4], pa = g->dim[i][5], d = g->dim[i][6];
  int* mem = scratch(sizeof(int) * 3 * (size_t)(O > 0 ? O : 1));
  if (!mem) return 0;
  t->first = mem;
  t->count = mem + O;
  t->padded = mem + 2 * O;
  t->step = d * scale;
  t->outputs = O;
  for (int o = 0; o < O; o++) {
    const int start = o * s - pb;
    const int jLo = start >= 0 ? 0 : ceilDiv(-start, d);
    int jHi = ceilDiv(L - start, d);
    if (jHi > k) jHi = k;
    int padded = ceilDiv(L + pa - start, d);
    if (padded > k) padded = k;
    t->first[o] = (start + jLo * d) * scale;
    t->count[o] = jHi - jLo > 0 ? jHi - jLo : 0;
    t->padded[o] = padded > 0 ? padded : 0;
  }
  return 1;
}

static int buildAll(const PoolGeometry* g, Taps t[3], int* inPlane, int* outPlane) {
  int scale = 1;
  *outPlane = 1;
  for (int i = 2; i >= 0; i--) {
    if (!buildTaps(g, i, scale, &t[i])) return 0;
    scale *= g->dim[i][0];
    *outPlane *= g->dim[i][1];
  }
  *inPlane = scale;
  return 1;
}

/** The window's winner so far becomes v at flat index at: a larger value, or any NaN. */
#define CONSIDER(v, at)         \
  do {                          \
    const float v_ = (v);       \
    if (v_ > best || v_ != v_) { \
      best = v_;                \
      bestAt = (at);            \
    }                           \
  } while (0)

/**
 * With afterRelu, maxPool(relu(x)) and its backward in one pass (src/backend/relu-pool.ts's rule):
 * the max goes through relu, and a window whose max is not positive (or NaN) gets index −1.
 */
static inline void store(float best, int bestAt, int afterRelu, float* out, int* index) {
  if (afterRelu && !(best > 0)) {
    bestAt = -1;
    if (best == best) best = 0.0f;
  }
  *out = best;
  *index = bestAt;
}

/** The commonest pool, 2×2 stride 2 with every window inside the plane: the same taps in the same order, unrolled. */
static void maxPool2x2(int planes, int h, int w, int oh, int ow, int afterRelu, const float* x, float* out, int* indices) {
  for (int plane = 0; plane < planes; plane++, x += h * w) {
    for (int oy = 0; oy < oh; oy++) {
      const int r0 = 2 * oy * w, r1 = r0 + w;
      for (int ox = 0; ox < ow; ox++) {
        const int c = 2 * ox;
        float best = -__builtin_inff();
        int bestAt = r0 + c;
        CONSIDER(x[r0 + c], r0 + c);
        CONSIDER(x[r0 + c + 1], r0 + c + 1);
        CONSIDER(x[r1 + c], r1 + c);
        CONSIDER(x[r1 + c + 1], r1 + c + 1);
        store(best, bestAt, afterRelu, out++, indices++);
      }
    }
  }
}

static int isPlain2x2(const PoolGeometry* g) {
  const int* d = g->dim[0];
  if (d[0] != 1 || d[1] != 1 || d[2] != 1) return 0;
  for (int i = 1; i < 3; i++) {
    const int* e = g->dim[i];
    if (e[2] != 2 || e[3] != 2 || e[4] != 0 || e[6] != 1 || 2 * e[1] > e[0]) return 0;
  }
  return 1;
}

EXPORT("maxPool") int maxPool(const PoolGeometry* g, int afterRelu, const float* x, float* out, int* indices) {
  if (isPlain2x2(g)) {
    maxPool2x2(g->planes, g->dim[1][0], g->dim[2][0], g->dim[1][1], g->dim[2][1], afterRelu, x, out, indices);
    return 0;
  }
  Taps t[3];
  int inPlane, outPlane;
  if (!buildAll(g, t, &inPlane, &outPlane)) return 1;
  for (int plane = 0; plane < g->planes; plane++) {
    const float* xp = x + (size_t)plane * inPlane;
    for (int od = 0; od < t[0].outputs; od++) {
      const int d0 = t[0].first[od], dEnd = d0 + t[0].count[od] * t[0].step;
      for (int oh = 0; oh < t[1].outputs; oh++) {
        const int h0 = t[1].first[oh], hSpan = t[1].count[oh] * t[1].step;
        for (int ow = 0; ow < t[2].outputs; ow++) {
          const int w0 = t[2].first[ow], wSpan = t[2].count[ow] * t[2].step;
          float best = -__builtin_inff();
          int bestAt = dEnd > d0 && hSpan > 0 && wSpan > 0 ? d0 + h0 + w0 : -1;
          for (int a = d0; a < dEnd; a += t[0].step) {
            for (int b = a + h0, bEnd = b + hSpan; b < bEnd; b += t[1].step) {
              for (int c = b + w0, cEnd = c + wSpan; c < cEnd; c += t[2].step) CONSIDER(xp[c], c);
            }
          }
          store(best, bestAt, afterRelu, out++, indices++);
        }
      }
    }
  }
  return 0;
}

/** gx = 0, then gx[plane][indices[o]] += gy[o] for every index that is not −1. */
EXPORT("maxPoolBackward") int maxPoolBackward(int planes, int inPlane, int outPlane, const float* gy, const int* indices, float* gx) {
  for (size_t q = 0; q < (size_t)planes * inPlane; q++) gx[q] = 0.0f;
  for (int plane = 0; plane < planes; plane++, gx += inPlane) {
    for (int o = 0; o < outPlane; o++) {
      const int at = *indices++;
      const float v = *gy++;
      if (at >= 0) gx[at] += v;
    }
  }
  return 0;
}

static double divisor(const Taps t[3], int od, int oh, int ow, int countPadding, double override) {
  if (override != 0) return override;
  if (countPadding) return (double)t[0].padded[od] * t[1].padded[oh] * t[2].padded[ow];
  return (double)t[0].count[od] * t[1].count[oh] * t[2].count[ow];
}

EXPORT("avgPool") int avgPool(const PoolGeometry* g, int countPadding, double override, const float* x, float* out) {
  Taps t[3];
  int inPlane, outPlane;
  if (!buildAll(g, t, &inPlane, &outPlane)) return 1;
  for (int plane = 0; plane < g->planes; plane++) {
    const float* xp = x + (size_t)plane * inPlane;
    for (int od = 0; od < t[0].outputs; od++) {
      const int d0 = t[0].first[od], dEnd = d0 + t[0].count[od] * t[0].step;
      for (int oh = 0; oh < t[1].outputs; oh++) {
        const int h0 = t[1].first[oh], hSpan = t[1].count[oh] * t[1].step;
        for (int ow = 0; ow < t[2].outputs; ow++) {
          const int w0 = t[2].first[ow], wSpan = t[2].count[ow] * t[2].step;
          // A window that touches no input gives 0, as torch.
          if (dEnd == d0 || hSpan == 0 || wSpan == 0) {
            *out++ = 0.0f;
            continue;
          }
          double sum = 0;
          for (int a = d0; a < dEnd; a += t[0].step) {
            for (int b = a + h0, bEnd = b + hSpan; b < bEnd; b += t[1].step) {
              for (int c = b + w0, cEnd = c + wSpan; c < cEnd; c += t[2].step) sum += xp[c];
            }
          }
          *out++ = (float)(sum / divisor(t, od, oh, ow, countPadding, override));
        }
      }
    }
  }
  return 0;
}

EXPORT("avgPoolBackward") int avgPoolBackward(const PoolGeometry* g, int countPadding, double override, const float* gy, float* gx) {
  Taps t[3];
  int inPlane, outPlane;
  if (!buildAll(g, t, &inPlane, &outPlane)) return 1;
  for (size_t q = 0; q < (size_t)g->planes * inPlane; q++) gx[q] = 0.0f;
  for (int plane = 0; plane < g->planes; plane++) {
    float* xp = gx + (size_t)plane * inPlane;
    for (int od = 0; od < t[0].outputs; od++) {
      const int d0 = t[0].first[od], dEnd = d0 + t[0].count[od] * t[0].step;
      for (int oh = 0; oh < t[1].outputs; oh++) {
        const int h0 = t[1].first[oh], hSpan = t[1].count[oh] * t[1].step;
        for (int ow = 0; ow < t[2].outputs; ow++) {
          const double g0 = *gy++;
          const int w0 = t[2].first[ow], wSpan = t[2].count[ow] * t[2].step;
          if (dEnd == d0 || hSpan == 0 || wSpan == 0) continue;
          const double share = g0 / divisor(t, od, oh, ow, countPadding, override);
          for (int a = d0; a < dEnd; a += t[0].step) {
            for (int b = a + h0, bEnd = b + hSpan; b < bEnd; b += t[1].step) {
              for (int c = b + w0, cEnd = c + wSpan; c < cEnd; c += t[2].step) xp[c] = (float)(xp[c] + share);
            }
          }
        }
      }
    }
  }
  return 0;
}
