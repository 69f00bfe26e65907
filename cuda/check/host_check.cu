// Host-side checks of the index arithmetic every kernel relies on, runnable where there is nvcc
// but no GPU (test/backend/cuda-build.test.ts compiles and runs it): Geometry/Walker offsets
// against a naive row-major walk on random shapes and strides (32- and 64-bit), the pooling
// window rules against brute-force enumeration (taps, padded counts, and the windows holding each
// input position, which the gathering average backward uses), and — printed for the test to
// compare with the cpu backend — Philox4x32-10 blocks, the typed-array store conversions, and
// every elementwise op (unary, parametric, binary; double and float compute types) on special
// values. Also the cuBLAS GEMM plan (gemm_plan.h): its calls are executed by a reference
// column-major GEMM with cuBLAS's argument semantics and compared with a naive row-major product,
// over random sizes, transposed/gapped operands and broadcast batches. Prints one JSON object.
// No CUDA call is made.

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "../src/convert.cuh"
#include "../src/elementwise_ops.cuh"
#include "../src/gemm_plan.h"
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


/** cuBLAS's gemm semantics, column-major: C[i + j·ldc] = Σ_p op(X)(i, p)·op(Y)(p, j), per batch. */
void referenceGemm(const GemmCall& c, const double* a, const double* b, double* out) {
  for (int64_t s = 0; s < c.batch; s++) {
    const double* X = b + c.offB + s * c.strideB;
    const double* Y = a + c.offA + s * c.strideA;
    double* C = out + c.offC + s * c.strideC;
    for (int64_t j = 0; j < c.n; j++) {
      for (int64_t i = 0; i < c.m; i++) {
        double acc = 0;
        for (int64_t p = 0; p < c.k; p++) {
          const double x = c.transFirst ? X[p + i * c.ldb] : X[i + p * c.ldb];
          const double y = c.transSecond ? Y[j + p * c.lda] : Y[p + j * c.lda];
          acc += x * y;
        }
        C[i + j * c.ldc] = acc;
      }
    }
  }
}

/** A random view of [batch…, rows, cols] over a fresh buffer: row- or column-major, gapped, with broadcast batch dims. */
DView randomMatrix(std::vector<double>& store, const std::vector<int64_t>& batch, const std::vector<bool>& broadcast, int64_t rows, int64_t cols) {
  DView v;
  v.dtype = kFloat64;
  v.ndim = static_cast<int>(batch.size()) + 2;
  for (size_t d = 0; d < batch.size(); d++) v.shape[d] = batch[d];
  v.shape[v.ndim - 2] = rows;
  v.shape[v.ndim - 1] = cols;
  const int layout = static_cast<int>(rnd(0, 3));  // 0 row-major, 1 column-major, 2 gapped rows, 3 gapped columns
  const int64_t gap = layout >= 2 ? rnd(1, 3) : 0;
  int64_t rs, cs, plane;
  if (layout == 0 || layout == 2) {
    cs = 1;
    rs = cols + gap;
    plane = rows * rs;
  } else {
    rs = 1;
    cs = rows + gap;
    plane = cols * cs;
  }
  v.strides[v.ndim - 2] = rs;
  v.strides[v.ndim - 1] = cs;
  int64_t acc = plane + rnd(0, 2);
  for (int d = static_cast<int>(batch.size()) - 1; d >= 0; d--) {
    v.strides[d] = broadcast[d] ? 0 : acc;
    acc *= broadcast[d] ? 1 : batch[d];
  }
  v.offset = rnd(0, 3);
  store.assign(acc + v.offset + 4, 0);
  for (auto& x : store) x = static_cast<double>(rnd(-9, 9));
  v.base = reinterpret_cast<char*>(store.data());
  v.length = static_cast<int64_t>(store.size());
  v.numel = 1;
  for (int d = 0; d < v.ndim; d++) v.numel *= v.shape[d];
  return v;
}

double at(const DView& v, const int64_t* idx) {
  int64_t off = v.offset;
  for (int d = 0; d < v.ndim; d++) off += idx[d] * v.strides[d];
  return reinterpret_cast<const double*>(v.base)[off];
}

int gemmTrials() {
  int n = 0;
  for (int trial = 0; trial < 1500; trial++, n++) {
    const int64_t M = rnd(1, 7), N = rnd(1, 7), K = rnd(1, 7);
    const int nb = static_cast<int>(rnd(0, 2));
    std::vector<int64_t> batch;
    std::vector<bool> bcA, bcB;
    for (int d = 0; d < nb; d++) {
      batch.push_back(rnd(1, 3));
      bcA.push_back(rnd(0, 3) == 0);
      bcB.push_back(rnd(0, 2) == 0);
    }
    std::vector<double> sa, sb;
    DView A = randomMatrix(sa, batch, bcA, M, K), B = randomMatrix(sb, batch, bcB, K, N);
    const GemmOperand la = gemmOperand(M, K, A.strides[A.ndim - 2], A.strides[A.ndim - 1]);
    const GemmOperand lb = gemmOperand(K, N, B.strides[B.ndim - 2], B.strides[B.ndim - 1]);
    if (!la.ok || !lb.ok) {
      fail("gemm trial " + std::to_string(trial) + ": a plain row- or column-major operand was not taken as one");
      continue;
    }
    DView O;
    O.dtype = kFloat64;
    O.ndim = A.ndim;
    for (int d = 0; d < nb; d++) O.shape[d] = batch[d];
    O.shape[O.ndim - 2] = M;
    O.shape[O.ndim - 1] = N;
    contiguousStrides(O.shape, O.ndim, O.strides);
    O.numel = 1;
    for (int d = 0; d < O.ndim; d++) O.numel *= O.shape[d];
    std::vector<double> got(O.numel, NAN);
    for (const GemmCall& c : planGemm(A, la, B, lb, O))
      referenceGemm(c, reinterpret_cast<const double*>(A.base) + A.offset, reinterpret_cast<const double*>(B.base) + B.offset, got.data());
    int64_t idx[kMaxDims] = {};
    for (int64_t e = 0; e < O.numel; e++) {
      int64_t ia[kMaxDims], ib[kMaxDims];
      for (int d = 0; d < nb; d++) ia[d] = ib[d] = idx[d];
      double want = 0;
      for (int64_t p = 0; p < K; p++) {
        ia[nb] = idx[nb];
        ia[nb + 1] = p;
        ib[nb] = p;
        ib[nb + 1] = idx[nb + 1];
        want += at(A, ia) * at(B, ib);
      }
      if (got[e] != want) {
        fail("gemm trial " + std::to_string(trial) + " element " + std::to_string(e) + ": " + std::to_string(got[e]) + " vs " + std::to_string(want));
        break;
      }
      for (int d = O.ndim - 1; d >= 0; d--) {
        if (++idx[d] < O.shape[d]) break;
        idx[d] = 0;
      }
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
  const int gemms = gemmTrials();
  std::printf("{\"walkerTrials\": %d, \"poolTrials\": %d, \"gemmTrials\": %d, \"failures\": [", walkers, pools, gemms);
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
