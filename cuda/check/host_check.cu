// Host-side checks of the index arithmetic every kernel relies on, runnable where there is nvcc
// but no GPU (test/backend/cuda-build.test.ts compiles and runs it): Geometry/Walker offsets
// against a naive row-major walk on random shapes and strides (32- and 64-bit), the pooling
// window rules against brute-force enumeration (taps, padded counts, and the windows holding each
// input position, which the gathering average backward uses), and — printed for the test to
// compare with the cpu backend — Philox4x32-10 blocks, the typed-array store conversions, and
// every elementwise op (unary, parametric, binary; double and float compute types) on special
// values. Prints one JSON object. No CUDA call is made.

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "../src/convert.cuh"
#include "../src/elementwise_ops.cuh"
#include "../src/philox.cuh"
#include "../src/pool_window.cuh"
#include "../src/strided.h"

using namespace nabla_cuda;

namespace {

uint64_t state = 88172645463325252ULL;
int64_t rnd(int64_t lo, int64_t hi) {  // xorshift64, inclusive range
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return lo + static_cast<int64_t>(state % static_cast<uint64_t>(hi - lo + 1));
}

std::vector<std::string> failures;

void fail(const std::string& what) {
  if (failures.size() < 20) failures.push_back(what);
}

template <typename I>
void checkWalker(const Geometry<2>& g, int nd, const int64_t* shape, const int64_t (*strides)[kMaxDims], int trial) {
  const Walker<2, I> w = g.template walker<I>();
  int64_t idx[kMaxDims] = {};
  for (int64_t linear = 0; linear < g.numel; linear++) {
    int64_t expect[2] = {0, 0};
    for (int d = 0; d < nd; d++)
      for (int k = 0; k < 2; k++) expect[k] += idx[d] * strides[k][d];
    I got[2];
    w.offsets(static_cast<I>(linear), got);
    for (int k = 0; k < 2; k++) {
      if (got[k] != expect[k]) {
        fail("walker trial " + std::to_string(trial) + " element " + std::to_string(linear) + " operand " + std::to_string(k) + ": " +
             std::to_string(static_cast<int64_t>(got[k])) + " vs " + std::to_string(expect[k]));
        return;
      }
    }
    for (int d = nd - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

int walkerTrials() {
  int n = 0;
  for (int trial = 0; trial < 3000; trial++, n++) {
    const int nd = static_cast<int>(rnd(0, 6));
    int64_t shape[kMaxDims];
    int64_t strides[2][kMaxDims];
    for (int d = 0; d < nd; d++) shape[d] = rnd(0, 9) < 2 ? 1 : rnd(1, 5);
    for (int k = 0; k < 2; k++) {
      // Contiguous, contiguous with merged neighbours broken, broadcast (0) or random (also negative).
      int64_t acc = 1;
      for (int d = nd - 1; d >= 0; d--) {
        const int64_t pick = rnd(0, 5);
        strides[k][d] = pick < 3 ? acc : pick == 3 ? 0 : rnd(-7, 11);
        acc *= shape[d];
      }
    }
    const int64_t* ptrs[2] = {strides[0], strides[1]};
    const Geometry<2> g(nd, shape, ptrs);
    checkWalker<int64_t>(g, nd, shape, strides, trial);
    checkWalker<int32_t>(g, nd, shape, strides, trial);
  }
  return n;
}

int poolTrials() {
  int n = 0;
  for (int trial = 0; trial < 4000; trial++, n++) {
    pool::Geom g;
    const int i = static_cast<int>(rnd(0, 2));
    g.adaptive = rnd(0, 3) == 0;
    g.L[i] = rnd(1, 13);
    if (g.adaptive) {
      g.O[i] = rnd(1, 15);
    } else {
      g.k[i] = rnd(1, 5);
      g.s[i] = rnd(1, 4);
      g.d[i] = rnd(1, 3);
      g.pb[i] = rnd(0, 3);
      g.pa[i] = rnd(0, 3);
      const int64_t span = g.d[i] * (g.k[i] - 1) + 1, total = g.L[i] + g.pb[i] + g.pa[i];
      if (total < span) continue;
      g.O[i] = (total - span) / g.s[i] + 1 + rnd(0, 1);  // sometimes one extra (ceil-mode) window
    }
    std::vector<std::vector<int64_t>> holders(g.L[i]);
    for (int64_t o = 0; o < g.O[i]; o++) {
      std::vector<int64_t> taps;
      int64_t padded = 0;
      if (g.adaptive) {
        const int64_t lo = static_cast<int64_t>(std::floor(static_cast<double>(o * g.L[i]) / g.O[i]));
        const int64_t hi = static_cast<int64_t>(std::ceil(static_cast<double>((o + 1) * g.L[i]) / g.O[i]));
        for (int64_t p = lo; p < hi; p++) taps.push_back(p);
        padded = hi - lo;
      } else {
        for (int64_t j = 0; j < g.k[i]; j++) {
          const int64_t p = o * g.s[i] - g.pb[i] + j * g.d[i];
          if (p >= 0 && p < g.L[i]) taps.push_back(p);
          if (p < g.L[i] + g.pa[i]) padded++;
        }
      }
      const pool::Taps t = pool::tapsOf(g, i, o);
      bool ok = t.count == static_cast<int64_t>(taps.size()) && t.padded == padded;
      for (size_t j = 0; ok && j < taps.size(); j++) ok = t.first + static_cast<int64_t>(j) * t.step == taps[j];
      if (!ok) fail("pool trial " + std::to_string(trial) + " window " + std::to_string(o) + ": count " + std::to_string(t.count) + " vs " +
                    std::to_string(taps.size()) + ", padded " + std::to_string(t.padded) + " vs " + std::to_string(padded));
      for (int64_t p : taps) holders[p].push_back(o);
    }
    for (int64_t p = 0; p < g.L[i]; p++) {
      int64_t lo, hi;
      pool::candidates(g, i, p, lo, hi);
      std::vector<int64_t> found;
      for (int64_t o = lo; o <= hi; o++)
        if (pool::holds(pool::tapsOf(g, i, o), p)) found.push_back(o);
      if (found != holders[p]) fail("pool trial " + std::to_string(trial) + ": input " + std::to_string(p) + " is held by a different set of windows");
    }
  }
  return n;
}


/** A number as JSON: non-finite values and −0 as strings the test parses back. */
std::string num(double v) {
  if (v != v) return "\"NaN\"";
  if (std::isinf(v)) return v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  if (v == 0 && std::signbit(v)) return "\"-0\"";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

const double kValues[] = {NAN, INFINITY, -INFINITY, 0.0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 1, -1, 88.8, -100, 1e-30, 3e38, 0.3, -7.25, 20.5, 19.9, 3};
constexpr int kValueCount = sizeof kValues / sizeof kValues[0];
const double kParams[][3] = {{0, 2, 0}, {0, 0.5, 0}, {0, 3, 0}, {0, -1.5, 0}, {1, -0.5, 0.7}, {1, -INFINITY, 0}, {2, 0.01, 0}, {3, 1.0, 1.0},
                             {3, 1.67, 1.05}, {4, -1, 1}, {5, 0.25, 0}, {6, 1.25, -0.5}, {6, 1 / 0.75, 0}};

/** Every op of the family over the values (binary: every pair), as JSON rows [op, results…]. */
template <typename C>
std::string opTable() {
  std::string u = "[", pm = "[", b = "[";
  for (int op = 0; op < static_cast<int>(UnaryOp::count); op++) {
    u += std::string(op ? ", " : "") + "[" + std::to_string(op);
    for (double v : kValues) u += ", " + num(static_cast<double>(unaryOp<C>(op, static_cast<C>(v))));
    u += "]";
  }
  for (size_t k = 0; k < sizeof kParams / sizeof kParams[0]; k++) {
    pm += std::string(k ? ", " : "") + "[" + num(kParams[k][0]) + ", " + num(kParams[k][1]) + ", " + num(kParams[k][2]);
    for (double v : kValues) pm += ", " + num(static_cast<double>(paramOp<C>(static_cast<int>(kParams[k][0]), kParams[k][1], kParams[k][2], static_cast<C>(v))));
    pm += "]";
  }
  for (int op = 0; op < static_cast<int>(BinaryOp::count); op++) {
    b += std::string(op ? ", " : "") + "[" + std::to_string(op);
    for (double x : kValues)
      for (double y : kValues) b += ", " + num(static_cast<double>(binaryOp<C>(op, static_cast<C>(x), static_cast<C>(y))));
    b += "]";
  }
  return "{\"unary\": " + u + "], \"param\": " + pm + "], \"binary\": " + b + "]}";
}

}  // namespace

int main() {
  const int walkers = walkerTrials();
  const int pools = poolTrials();
  std::printf("{\"walkerTrials\": %d, \"poolTrials\": %d, \"failures\": [", walkers, pools);
  for (size_t i = 0; i < failures.size(); i++) std::printf("%s\"%s\"", i ? ", " : "", failures[i].c_str());
  std::printf("], \"philox\": [");
  // (counter lo, counter hi, key lo, key hi) cases; the test recomputes them with philox.ts.
  const uint32_t cases[][4] = {{0, 0, 0, 0}, {1, 0, 42, 0}, {0xffffffffu, 0, 7, 1}, {123456789u, 3, 0xdeadbeefu, 0xcafebabeu}, {0xfffffff0u, 0xffffffffu, 0xffffffffu, 0xffffffffu}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    uint32_t w[4];
    philox4x32(cases[c][0], cases[c][1], 0, 0, cases[c][2], cases[c][3], w);
    std::printf("%s[%u, %u, %u, %u, %u, %u, %u, %u]", c ? ", " : "", cases[c][0], cases[c][1], cases[c][2], cases[c][3], w[0], w[1], w[2], w[3]);
  }
  std::printf("], \"stores\": [");
  const double values[] = {0, -0.0, 1, -1, 3.7, -2.5, 300, -300, 1e10, -1e10, 2147483648.0, 4294967296.0 + 5, 1e300, INFINITY, -INFINITY, NAN, 0.999, -0.999};
  for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
    const double v = values[i];
    std::printf("%s[\"%.17g\", %d, %u]", i ? ", " : "", v, jsToInt32(v), static_cast<unsigned>(jsToUint8(v)));
  }
  std::printf("], \"values\": [");
  for (int i = 0; i < kValueCount; i++) std::printf("%s%s", i ? ", " : "", num(kValues[i]).c_str());
  std::printf("], \"ops64\": %s, \"ops32\": %s}\n", opTable<double>().c_str(), opTable<float>().c_str());
  return failures.empty() ? 0 : 1;
}
