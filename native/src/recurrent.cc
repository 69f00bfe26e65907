// Fused recurrent layers: a whole sequence of one direction of an RNN (tanh/relu), LSTM or GRU
// layer per call (recurrent.h; the contract is Backend.recurrentForward/recurrentBackward in
// src/backend/backend.ts). The input projection x·W_ihᵀ + b of every step is the caller's one big
// matmul; what is left is the recurrence, which is serial in time:
//
// forward, per step t (rows b < batchSizes[t] only; the others keep their state):
//   pre = xProj[t] + h_{t−1}·W_hhᵀ            one [N_t × H] × [H × G·H] product
//   gates, cell update, h_t                    fused into the same pass over the tile
// backward, per step (walking the other way):
//   gh = gGates_{t+1}·W_hh (+ the direct term)  one [N × G·H] × [G·H × H] product
//   dh = gHs[t] + gh; the gate gradients of step t, fused
// then gW_hh = Σ_t gGatesᵀ·h_{t−1} as two large products over all steps at once (K = T·N), and
// gb_hh (GRU) as column sums.
//
// Threads: rows of the batch are independent through time, so each thread takes a group of 6-row
// panels for the whole sequence (one hand-off per call, no barrier between steps; groups cut by
// work, so a packed batch stays balanced). Only a batch with fewer panels than threads and large
// steps cuts every step instead, into tiles of (6-row panels) × (16-unit blocks of H): a tile
// computes the product for its rows and units — all G gates of those units — and then the gate
// pass for exactly those elements (one hand-off per step). The products call the GEMM
// micro-kernel (gemm.h) directly: W_hh is packed into the kernel's 16-column panels once per call
// (it does not change during the sequence), and the state the product reads — h_{t−1} forward, the
// gate gradients backward — is written by the previous step's gate pass straight into the
// kernel's 6-row panel layout, so a step packs nothing. Sigmoid and tanh go through the AVX2
// polynomials of vmath.h where the CPU has them (the libm-in-double functions of the unary kernel
// otherwise).

#include "recurrent.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <string>

#include "checks.h"
#include "cpu_features.h"
#include "gemm.h"
#include "kernels.h"
#include "ops.h"
#include "scratch.h"
#include "threadpool.h"
#include "vmath.h"

namespace nabla {

namespace {

/**
 * Multiply-adds from which work goes to the pool: a whole call (row groups) or one step (tiles).
 * A hand-off costs a few µs (~10⁵ multiply-adds of the micro-kernel); the char-LSTM benchmark's
 * step is 32·512·128 = 2.1M, its call 64 times that.
 */
constexpr double kParallelStep = 1 << 17;
// The row functions stay out of line: inlined into the tile lambdas, GCC drops their __restrict
// and gives up vectorising (too many run-time alias checks).
#if defined(__GNUC__) || defined(__clang__)
#define NABLA_ROW __attribute__((noinline))
#else
#define NABLA_ROW
#endif
/** Units per pass of the gate loops (their temporaries live on the stack). */
constexpr int64_t kChunk = 64;

float sigmoidScalar(float x) {
  const double d = x;
  return static_cast<float>(d >= 0 ? 1.0 / (1.0 + std::exp(-d)) : std::exp(d) / (1.0 + std::exp(d)));
}
float tanhScalar(float x) { return static_cast<float>(std::tanh(static_cast<double>(x))); }

/** sigmoid and tanh of contiguous runs: vmath's AVX2 rows when available, else the scalar functions. */
struct Activations {
  VectorRow sig = vectorRow(UnaryOp::sigmoid);
  VectorRow tnh = vectorRow(UnaryOp::tanh);

  void sigmoid(float* x, int64_t n) const {
    if (sig) sig(x, x, n, sigmoidScalar);
    else for (int64_t i = 0; i < n; i++) x[i] = sigmoidScalar(x[i]);
  }
  void tanh(const float* x, float* y, int64_t n) const {
    if (tnh) tnh(x, y, n, tanhScalar);
    else for (int64_t i = 0; i < n; i++) y[i] = tanhScalar(x[i]);
  }
};

MicroKernel microKernel() {
  const MicroKernel avx2 = activeIsa() >= Isa::avx2 ? microKernelAvx2() : nullptr;
  return avx2 ? avx2 : microKernelGeneric;
}

/**
 * body(p0, p1, u0, u1) over tiles covering the row panels of `rows` rows and `unitBlocks` blocks
 * of 16 units: on the caller for small steps, else one task per tile (at most one per thread;
 * units are cut first, so each thread reads its own part of W_hh).
 */
template <class F>
void forTiles(int64_t rows, int64_t unitBlocks, double work, F&& body) {
  const int64_t panels = (rows + kMR - 1) / kMR;
  if (panels <= 0 || unitBlocks <= 0) return;
  const int threads = numThreads();
  if (threads <= 1 || work < kParallelStep) {
    body(int64_t(0), panels, int64_t(0), unitBlocks);
    return;
  }
  const int64_t uc = std::min<int64_t>(unitBlocks, threads);
  const int64_t rc = std::min<int64_t>(panels, (threads + uc - 1) / uc);
  parallelTasks(uc * rc, [&](int64_t task, int) {
    const int64_t r = task / uc, u = task % uc;
    body(panels * r / rc, panels * (r + 1) / rc, unitBlocks * u / uc, unitBlocks * (u + 1) / uc);
  });
}

/** The walk over steps: i-th step processed forward, the step before a step, rows per step. */
struct Walk {
  const RecurrentShape& s;
  int64_t step(int64_t i) const { return s.reverse ? s.T - 1 - i : i; }
  /** The step whose state step t starts from, or −1 (the initial state). */
  int64_t before(int64_t t) const { return s.reverse ? (t + 1 < s.T ? t + 1 : -1) : t - 1; }
  int64_t rows(int64_t t) const { return t < 0 ? 0 : s.batchSizes[t]; }
  /** Row b's state before step t: the row of `states` at the step before, or the initial state. */
  const float* prevRow(const float* states, const float* init, int64_t t, int64_t b) const {
    const int64_t tb = before(t);
    return tb >= 0 && b < s.batchSizes[tb] ? states + (tb * s.N + b) * s.H : init + b * s.H;
  }
};

/** Element (row b, column q) of a [rows × K] matrix in 6-row panels: the micro-kernel's A layout. */
inline float* panelAt(float* packed, int64_t K, int64_t b) { return packed + (b / kMR) * kMR * K + b % kMR; }

/** Rows of src [n × K] into 6-row panels (rows past n zero). */
void packRows(const float* src, int64_t n, int64_t K, float* dst) {
  const int64_t padded = (n + kMR - 1) / kMR * kMR;
  std::memset(dst, 0, sizeof(float) * padded * K);
  for (int64_t b = 0; b < n; b++) {
    float* d = panelAt(dst, K, b);
    const float* r = src + b * K;
    for (int64_t q = 0; q < K; q++) d[q * kMR] = r[q];
  }
}

/**
 * W_hhᵀ for the forward product, as 16-column panels per gate and unit block: panel (k, u) holds
 * b[p·16 + jj] = W_hh[k·H + 16u + jj, p] (zero past H).
 */
void packForwardWeights(const float* whh, int64_t G, int64_t H, int64_t UB, float* dst) {
  parallelRanges(G * UB, std::max<int64_t>(1, (int64_t(1) << 16) / (H * kNR)), [&](int64_t begin, int64_t end, int) {
    for (int64_t panel = begin; panel < end; panel++) {
      const int64_t k = panel / UB, u = panel % UB;
      float* d = dst + panel * H * kNR;
      for (int64_t jj = 0; jj < kNR; jj++) {
        const int64_t col = u * kNR + jj;
        if (col < H) {
          const float* row = whh + (k * H + col) * H;
          for (int64_t p = 0; p < H; p++) d[p * kNR + jj] = row[p];
        } else {
          for (int64_t p = 0; p < H; p++) d[p * kNR + jj] = 0.0f;
        }
      }
    }
  });
}

/** W_hh for the backward product gh = gGates·W_hh: panel u holds b[q·16 + jj] = W_hh[q, 16u + jj]. */
void packBackwardWeights(const float* whh, int64_t GH, int64_t H, int64_t UB, float* dst) {
  parallelRanges(UB, std::max<int64_t>(1, (int64_t(1) << 16) / (GH * kNR)), [&](int64_t begin, int64_t end, int) {
    for (int64_t u = begin; u < end; u++) {
      float* d = dst + u * GH * kNR;
      const int64_t j0 = u * kNR, nr = std::min<int64_t>(kNR, H - j0);
      for (int64_t q = 0; q < GH; q++) {
        const float* row = whh + q * H + j0;
        float* o = d + q * kNR;
        int64_t jj = 0;
        for (; jj < nr; jj++) o[jj] = row[jj];
        for (; jj < kNR; jj++) o[jj] = 0.0f;
      }
    }
  });
}

// ---- forward gate passes: one row b, units [j0, j1); `pk` is h_t's column 0 in the next step's panels

/** LSTM: sv = saved row [i f g o] holding W_hh·h; becomes the gates. c' = f⊙c + i⊙g, h' = o⊙tanh(c'). */
NABLA_ROW void lstmForwardRow(const Activations& act, int64_t H, int64_t j0, int64_t j1, const float* __restrict xp, float* __restrict sv,
                    const float* __restrict cp, float* __restrict co, float* __restrict ho, float* __restrict pk) {
  float* si = sv;
  float* sf = sv + H;
  float* sg = sv + 2 * H;
  float* so = sv + 3 * H;
  for (int64_t a = j0; a < j1; a += kChunk) {
    const int64_t e = std::min(j1, a + kChunk), n = e - a;
    for (int64_t k = 0; k < 4; k++) {
      float* g = sv + k * H;
      const float* x = xp + k * H;
      for (int64_t j = a; j < e; j++) g[j] = x[j] + g[j];
    }
    act.sigmoid(si + a, n);
    act.sigmoid(sf + a, n);
    act.tanh(sg + a, sg + a, n);
    act.sigmoid(so + a, n);
    float tc[kChunk];
    for (int64_t j = a; j < e; j++) co[j] = sf[j] * cp[j] + si[j] * sg[j];
    std::memcpy(tc, co + a, sizeof(float) * n);
    act.tanh(tc, tc, n);
    for (int64_t j = a; j < e; j++) ho[j] = so[j] * tc[j - a];
    for (int64_t j = a; j < e; j++) pk[j * kMR] = ho[j];
  }
}

/**
 * GRU: sv = saved row [r z n hn] holding W_hr·h, W_hz·h, (unset), W_hn·h. r = σ(xr + W_hr·h + b_hr),
 * z likewise, hn = W_hn·h + b_hn, n = tanh(xn + r⊙hn), h' = n + z⊙(h − n) (torch's form).
 */
NABLA_ROW void gruForwardRow(const Activations& act, int64_t H, int64_t j0, int64_t j1, const float* __restrict xp, const float* __restrict bh,
                   float* __restrict sv, const float* __restrict hp, float* __restrict ho, float* __restrict pk) {
  float* sr = sv;
  float* sz = sv + H;
  float* sn = sv + 2 * H;
  float* shn = sv + 3 * H;
  for (int64_t a = j0; a < j1; a += kChunk) {
    const int64_t e = std::min(j1, a + kChunk), n = e - a;
    for (int64_t j = a; j < e; j++) {
      sr[j] = xp[j] + (sr[j] + bh[j]);
      sz[j] = xp[H + j] + (sz[j] + bh[H + j]);
      shn[j] = shn[j] + bh[2 * H + j];
    }
    act.sigmoid(sr + a, n);
    act.sigmoid(sz + a, n);
    for (int64_t j = a; j < e; j++) sn[j] = xp[2 * H + j] + sr[j] * shn[j];
    act.tanh(sn + a, sn + a, n);
    for (int64_t j = a; j < e; j++) ho[j] = sn[j] + sz[j] * (hp[j] - sn[j]);
    for (int64_t j = a; j < e; j++) pk[j * kMR] = ho[j];
  }
}

/** RNN: ho holds W_hh·h; h' = tanh or relu(xp + W_hh·h), copied to sv when the caller keeps one. */
NABLA_ROW void rnnForwardRow(const Activations& act, bool relu, int64_t j0, int64_t j1, const float* __restrict xp, float* __restrict ho, float* __restrict sv,
                   float* __restrict pk) {
  for (int64_t j = j0; j < j1; j++) ho[j] = xp[j] + ho[j];
  if (relu) {
    for (int64_t j = j0; j < j1; j++) {
      const float v = ho[j];
      ho[j] = v > 0 ? v : v != v ? v : 0.0f;
    }
  } else {
    act.tanh(ho + j0, ho + j0, j1 - j0);
  }
  for (int64_t j = j0; j < j1; j++) pk[j * kMR] = ho[j];
  if (sv) std::memcpy(sv + j0, ho + j0, sizeof(float) * (j1 - j0));
}

// ---- backward gate passes: one row b, units [j0, j1); `pk` is the gate gradients' column 0 in
// the panels of the next product (gh = gGates·W_hh); gh/gc are the row's carried gradients.

NABLA_ROW void lstmBackwardRow(const Activations& act, int64_t H, int64_t j0, int64_t j1, const float* __restrict sv, const float* __restrict cRow,
                     const float* __restrict cp, const float* __restrict gHs, const float* __restrict gCs, float* __restrict gh, float* __restrict gc,
                     float* __restrict gx, float* __restrict pk) {
  for (int64_t a = j0; a < j1; a += kChunk) {
    const int64_t e = std::min(j1, a + kChunk), n = e - a;
    float tc[kChunk];
    act.tanh(cRow + a, tc, n);
    for (int64_t j = a; j < e; j++) {
      const float i = sv[j], f = sv[H + j], g = sv[2 * H + j], o = sv[3 * H + j], th = tc[j - a];
      const float dh = gHs[j] + gh[j];
      const float dc = gCs[j] + gc[j] + dh * o * (1.0f - th * th);
      gx[j] = dc * g * ((1.0f - i) * i);
      gx[H + j] = dc * cp[j] * ((1.0f - f) * f);
      gx[2 * H + j] = dc * i * (1.0f - g * g);
      gx[3 * H + j] = dh * th * ((1.0f - o) * o);
      gc[j] = dc * f;
    }
    for (int64_t k = 0; k < 4; k++) {
      const float* src = gx + k * H;
      float* d = pk + k * H * kMR;
      for (int64_t j = a; j < e; j++) d[j * kMR] = src[j];
    }
  }
}

/** GRU: gx gets [dr, dz, dn] (pre-activation), the product [dr, dz, r⊙dn] (also kept in nh for gW_hn). */
NABLA_ROW void gruBackwardRow(int64_t H, int64_t j0, int64_t j1, const float* __restrict sv, const float* __restrict hp, const float* __restrict gHs,
                    float* __restrict gh, float* __restrict gx, float* __restrict nh, float* __restrict pk) {
  const float *sr = sv, *sz = sv + H, *sn = sv + 2 * H, *shn = sv + 3 * H;
  float *dr = gx, *dz = gx + H, *dn = gx + 2 * H;
  for (int64_t j = j0; j < j1; j++) {
    const float r = sr[j], z = sz[j], n = sn[j], hn = shn[j];
    const float dh = gHs[j] + gh[j];
    const float dnp = dh * (1.0f - z) * (1.0f - n * n);
    dz[j] = dh * (hp[j] - n) * ((1.0f - z) * z);
    dr[j] = dnp * hn * ((1.0f - r) * r);
    dn[j] = dnp;
    nh[j] = dnp * r;
    gh[j] = dh * z;  // the direct term; the product adds gGates·W_hh on top
  }
  for (int64_t j = j0; j < j1; j++) {
    pk[j * kMR] = dr[j];
    pk[(H + j) * kMR] = dz[j];
    pk[(2 * H + j) * kMR] = nh[j];
  }
}

NABLA_ROW void rnnBackwardRow(bool relu, int64_t j0, int64_t j1, const float* __restrict hRow, const float* __restrict gHs, const float* __restrict gh,
                    float* __restrict gx, float* __restrict pk) {
  if (relu) {
    for (int64_t j = j0; j < j1; j++) gx[j] = (gHs[j] + gh[j]) * (hRow[j] > 0 ? 1.0f : 0.0f);
  } else {
    for (int64_t j = j0; j < j1; j++) gx[j] = (gHs[j] + gh[j]) * (1.0f - hRow[j] * hRow[j]);
  }
  for (int64_t j = j0; j < j1; j++) pk[j * kMR] = gx[j];
}

/** Column sums of a [rows × cols] matrix with leading dimension ld, in double, into out (float). */
void columnSums(const float* m, int64_t rows, int64_t cols, int64_t ld, float* out) {
  parallelRanges(cols, 64, [&](int64_t c0, int64_t c1, int) {
    for (int64_t cb = c0; cb < c1; cb += kChunk) {
      const int64_t ce = std::min(c1, cb + kChunk);
      double acc[kChunk] = {};
      for (int64_t r = 0; r < rows; r++) {
        const float* row = m + r * ld;
        for (int64_t c = cb; c < ce; c++) acc[c - cb] += row[c];
      }
      for (int64_t c = cb; c < ce; c++) out[c] = static_cast<float>(acc[c - cb]);
    }
  });
}

/**
 * How a call is spread over the pool. Rows of the batch are independent through time, so the
 * usual plan gives each thread a group of 6-row panels for the WHOLE sequence: one hand-off per
 * call, no barrier between steps (a step's barrier is what a busy machine punishes: a worker
 * preempted in the middle of its tile stalls the step). Groups are cut by work (Σ over steps of
 * the active rows), so packed batches, whose first rows run longest, stay balanced. When the batch
 * has fewer panels than threads but a step is big (one long sequence, wide layers), every step
 * is cut into tiles of rows × 16-unit blocks instead (one hand-off per step).
 */
struct Plan {
  static constexpr int kMaxGroups = 64;
  bool perStep = false;
  int groups = 1;
  int64_t bounds[kMaxGroups + 1] = {};  // group g: panels [bounds[g], bounds[g + 1])
};

Plan planWork(const RecurrentShape& s, int64_t G) {
  Plan plan;
  const int64_t panels = (s.N + kMR - 1) / kMR;
  const double rowWork = static_cast<double>(G) * s.H * s.H;  // multiply-adds per row and step
  double total = 0;
  for (int64_t t = 0; t < s.T; t++) total += static_cast<double>(s.batchSizes[t]) * rowWork;
  const int threads = std::min(numThreads(), Plan::kMaxGroups);
  plan.bounds[0] = 0;
  plan.bounds[1] = panels;
  if (threads <= 1 || panels == 0 || total < kParallelStep) return plan;
  if (panels < threads && static_cast<double>(s.N) * rowWork >= kParallelStep) {
    plan.perStep = true;
    return plan;
  }
  if (panels < 2) return plan;
  const int groups = static_cast<int>(std::min<int64_t>(threads, panels));
  // Work of each panel: its active rows summed over the steps; cut the prefix sums evenly.
  double done = 0;
  int g = 1;
  for (int64_t p = 0; p < panels && g < groups; p++) {
    for (int64_t t = 0; t < s.T; t++) done += static_cast<double>(std::clamp<int64_t>(s.batchSizes[t] - p * kMR, 0, kMR)) * rowWork;
    // Close group g − 1 after panel p once it holds its share, leaving a panel for each later group.
    if (done >= total * g / groups && panels - (p + 1) >= groups - g) plan.bounds[g++] = p + 1;
  }
  plan.bounds[g] = panels;
  plan.groups = g;
  return plan;
}

/** Run body(p0, p1) for each group of the plan: inline for one, else one pool task per group. */
template <class F>
void runGroups(const Plan& plan, F&& body) {
  if (plan.groups <= 1) {
    body(plan.bounds[0], plan.bounds[1]);
    return;
  }
  parallelTasks(plan.groups, [&](int64_t g, int) { body(plan.bounds[g], plan.bounds[g + 1]); });
}

}  // namespace

bool recurrentForward(const RecurrentForwardArgs& a) {
  const RecurrentShape& s = a.s;
  const int64_t T = s.T, N = s.N, H = s.H, G = s.gates(), GH = G * H, SH = s.savedWidth() * H;
  if (T == 0 || N == 0 || H == 0) return true;  // every output is empty
  const RecurrentCell cell = s.cell;
  const bool rnn = cell == RecurrentCell::rnnTanh || cell == RecurrentCell::rnnRelu;
  const int64_t UB = (H + kNR - 1) / kNR, rowsPadded = (N + kMR - 1) / kMR * kMR;
  const Plan plan = planWork(s, G);
  const int64_t wSize = G * UB * H * kNR, aSize = rowsPadded * H;
  float* mem = threadScratch(kRecurrent).get<float>(wSize + (plan.perStep ? 2 : 1) * aSize);
  if (!mem) return false;
  float* wPacked = mem;
  // h_{t−1} in the micro-kernel's panel layout. Both buffers (per-step plan: the product of step
  // t reads one while the tiles write h_t into the other) start as h0, so a row that joins late
  // (reverse direction) finds its initial state there.
  float* packed[2] = {mem + wSize, mem + wSize + (plan.perStep ? aSize : 0)};
  packForwardWeights(a.whh, G, H, UB, wPacked);
  packRows(a.h0, N, H, packed[0]);
  if (plan.perStep) std::memcpy(packed[1], packed[0], sizeof(float) * aSize);

  const MicroKernel mk = microKernel();
  const Activations act;
  const Walk walk{s};
  // Step i of the walk for row panels [p0, p1) and unit blocks [u0, u1): the product, then the gates.
  // With aNext == aCur (a tile that owns every unit of its rows) the state is updated in place:
  // the tile's products have all read it before its gate pass writes.
  auto tile = [&](int64_t i, int64_t p0, int64_t p1, int64_t u0, int64_t u1, const float* aCur, float* aNext) {
    const int64_t t = walk.step(i), Nt = s.batchSizes[t];
    float* out = rnn ? a.hs + t * N * H : a.saved + t * N * SH;  // the product lands in saved (rnn: hs)
    const int64_t ldc = rnn ? H : SH;
    const int64_t pEnd = std::min(p1, (Nt + kMR - 1) / kMR);
    for (int64_t k = 0; k < G; k++) {
      // GRU's W_hn·h goes to the hn slot (3H); its n slot (2H) receives n itself.
      const int64_t col = cell == RecurrentCell::gru && k == 2 ? 3 * H : k * H;
      for (int64_t u = u0; u < u1; u++) {
        const float* bp = wPacked + (k * UB + u) * H * kNR;
        const int nr = static_cast<int>(std::min<int64_t>(kNR, H - u * kNR));
        for (int64_t p = p0; p < pEnd; p++) {
          const int64_t r0 = p * kMR;
          const int mr = static_cast<int>(std::min<int64_t>(kMR, Nt - r0));
          mk(H, aCur + r0 * H, bp, out + r0 * ldc + col + u * kNR, ldc, 1, mr, nr, 1.0f, 0.0f);
        }
      }
    }
    const int64_t b1 = std::min(Nt, p1 * kMR), j0 = u0 * kNR, j1 = std::min(H, u1 * kNR);
    for (int64_t b = p0 * kMR; b < b1; b++) {
      const int64_t row = t * N + b;
      const float* xp = a.xProj + row * GH;
      float* ho = a.hs + row * H;
      float* pk = panelAt(aNext, H, b);
      switch (cell) {
        case RecurrentCell::lstm:
          lstmForwardRow(act, H, j0, j1, xp, a.saved + row * SH, walk.prevRow(a.cs, a.c0, t, b), a.cs + row * H, ho, pk);
          break;
        case RecurrentCell::gru:
          gruForwardRow(act, H, j0, j1, xp, a.bhh, a.saved + row * SH, walk.prevRow(a.hs, a.h0, t, b), ho, pk);
          break;
        default:
          rnnForwardRow(act, cell == RecurrentCell::rnnRelu, j0, j1, xp, ho, a.saved ? a.saved + row * H : nullptr, pk);
      }
    }
  };
  // Rows [b0, b1) of step t that are not active: zeros in every output.
  auto idle = [&](int64_t t, int64_t b0, int64_t b1) {
    b0 = std::max(b0, s.batchSizes[t]);
    if (b1 <= b0) return;
    const int64_t first = t * N + b0, n = b1 - b0;
    std::memset(a.hs + first * H, 0, sizeof(float) * n * H);
    if (a.cs) std::memset(a.cs + first * H, 0, sizeof(float) * n * H);
    if (!rnn) std::memset(a.saved + first * SH, 0, sizeof(float) * n * SH);
    else if (a.saved) std::memset(a.saved + first * H, 0, sizeof(float) * n * H);
  };

  if (plan.perStep) {
    for (int64_t i = 0; i < T; i++) {
      const int64_t t = walk.step(i), Nt = s.batchSizes[t];
      forTiles(Nt, UB, static_cast<double>(Nt) * GH * H,
               [&](int64_t p0, int64_t p1, int64_t u0, int64_t u1) { tile(i, p0, p1, u0, u1, packed[i & 1], packed[(i + 1) & 1]); });
      idle(t, 0, N);
    }
    return true;
  }
  runGroups(plan, [&](int64_t p0, int64_t p1) {
    for (int64_t i = 0; i < T; i++) {
      tile(i, p0, p1, 0, UB, packed[0], packed[0]);
      idle(walk.step(i), p0 * kMR, std::min(N, p1 * kMR));
    }
  });
  return true;
}

bool recurrentBackward(const RecurrentBackwardArgs& a) {
  const RecurrentShape& s = a.s;
  const int64_t T = s.T, N = s.N, H = s.H, G = s.gates(), GH = G * H, SH = s.savedWidth() * H;
  const RecurrentCell cell = s.cell;
  const bool lstm = cell == RecurrentCell::lstm, gru = cell == RecurrentCell::gru;
  // gH0 and gC0 are the carried gradients of h and c during the walk: they start at zero.
  std::memset(a.gH0, 0, sizeof(float) * N * H);
  if (lstm) std::memset(a.gC0, 0, sizeof(float) * N * H);
  if (T == 0 || N == 0 || H == 0) {
    std::memset(a.gWhh, 0, sizeof(float) * GH * H);
    if (gru) std::memset(a.gBhh, 0, sizeof(float) * GH);
    return true;  // gXProj is empty
  }
  const int64_t UB = (H + kNR - 1) / kNR, rowsPadded = (N + kMR - 1) / kMR * kMR;
  const Plan plan = planWork(s, G);
  const int64_t wSize = UB * GH * kNR, gSize = rowsPadded * GH, nhSize = gru ? T * N * H : 0, firstSize = N * GH;
  const int64_t buffers = plan.perStep ? 2 : 1;
  float* mem = threadScratch(kRecurrent).get<float>(wSize + buffers * gSize + nhSize + firstSize);
  if (!mem) return false;
  float* wPacked = mem;
  // The gate gradients of the step before, in panel layout for gh = gGates·W_hh (per-step plan:
  // two buffers, read one and write the other; rows past N stay zero).
  float* packed[2] = {mem + wSize, mem + wSize + (buffers - 1) * gSize};
  float* gNh = mem + wSize + buffers * gSize;  // GRU: r ⊙ dn per step, the gradient of W_hn·h + b_hn
  float* gFirst = gNh + nhSize;                // each row's gate gradients at its first step (meets h0)
  packBackwardWeights(a.whh, GH, H, UB, wPacked);
  std::memset(packed[0], 0, sizeof(float) * buffers * gSize);

  const MicroKernel mk = microKernel();
  const Activations act;
  const Walk walk{s};
  // Backward-walk position i handles step t = walk.step(T − 1 − i) after finishing the product of
  // the step before it (tn, the next step in the forward walk); i = T runs that last product only.
  // Row panels [p0, p1), unit blocks [u0, u1); gCur == gNext updates in place (a tile owning every
  // unit of its rows: its products have read gCur before its gate pass writes).
  auto tile = [&](int64_t i, int64_t p0, int64_t p1, int64_t u0, int64_t u1, const float* gCur, float* gNext) {
    const int64_t t = i < T ? walk.step(T - 1 - i) : -1;
    const int64_t tn = i > 0 ? walk.step(T - i) : -1;
    const int64_t nPrev = walk.rows(tn), nCur = walk.rows(t);
    // gh (rows of step tn) = gGates_tn·W_hh, added to the direct term for GRU.
    const int64_t pEnd = std::min(p1, (nPrev + kMR - 1) / kMR);
    for (int64_t u = u0; u < u1; u++) {
      const float* bp = wPacked + u * GH * kNR;
      const int nr = static_cast<int>(std::min<int64_t>(kNR, H - u * kNR));
      for (int64_t p = p0; p < pEnd; p++) {
        const int64_t r0 = p * kMR;
        const int mr = static_cast<int>(std::min<int64_t>(kMR, nPrev - r0));
        mk(GH, gCur + r0 * GH, bp, a.gH0 + r0 * H + u * kNR, H, 1, mr, nr, 1.0f, gru ? 1.0f : 0.0f);
      }
    }
    if (t < 0) return;
    const int64_t b1 = std::min(nCur, p1 * kMR), j0 = u0 * kNR, j1 = std::min(H, u1 * kNR);
    for (int64_t b = p0 * kMR; b < b1; b++) {
      const int64_t row = t * N + b;
      float* pk = panelAt(gNext, GH, b);
      switch (cell) {
        case RecurrentCell::lstm:
          lstmBackwardRow(act, H, j0, j1, a.saved + row * SH, a.cs + row * H, walk.prevRow(a.cs, a.c0, t, b), a.gHs + row * H, a.gCs + row * H,
                          a.gH0 + b * H, a.gC0 + b * H, a.gXProj + row * GH, pk);
          break;
        case RecurrentCell::gru:
          gruBackwardRow(H, j0, j1, a.saved + row * SH, walk.prevRow(a.hs, a.h0, t, b), a.gHs + row * H, a.gH0 + b * H, a.gXProj + row * GH,
                         gNh + row * H, pk);
          break;
        default:
          rnnBackwardRow(cell == RecurrentCell::rnnRelu, j0, j1, a.hs + row * H, a.gHs + row * H, a.gH0 + b * H, a.gXProj + row * GH, pk);
      }
    }
  };
  // Rows [b0, b1) of step t that are not active: zero gradients.
  auto idle = [&](int64_t t, int64_t b0, int64_t b1) {
    if (t < 0) return;
    b0 = std::max(b0, s.batchSizes[t]);
    if (b1 <= b0) return;
    std::memset(a.gXProj + (t * N + b0) * GH, 0, sizeof(float) * (b1 - b0) * GH);
    if (gru) std::memset(gNh + (t * N + b0) * H, 0, sizeof(float) * (b1 - b0) * H);
  };

  if (plan.perStep) {
    for (int64_t i = 0; i <= T; i++) {
      const int64_t t = i < T ? walk.step(T - 1 - i) : -1;
      const int64_t rows = std::max(walk.rows(t), i > 0 ? walk.rows(walk.step(T - i)) : 0);
      forTiles(rows, UB, static_cast<double>(rows) * GH * H,
               [&](int64_t p0, int64_t p1, int64_t u0, int64_t u1) { tile(i, p0, p1, u0, u1, packed[i & 1], packed[(i + 1) & 1]); });
      idle(t, 0, N);
    }
  } else {
    runGroups(plan, [&](int64_t p0, int64_t p1) {
      for (int64_t i = 0; i <= T; i++) {
        tile(i, p0, p1, 0, UB, packed[0], packed[0]);
        idle(i < T ? walk.step(T - 1 - i) : -1, p0 * kMR, std::min(N, p1 * kMR));
      }
    });
  }

  // gW_hh = Σ_t gGates[t]ᵀ·h_{t−1}. h_{t−1} is hs at the step before for rows active there (and
  // zeros in hs where a row is not active, whose gate gradients are zero too), h0 at a row's first
  // step: those terms go through gFirst. The rest is one product over all steps but the first of
  // the walk: K = (T − 1)·N rows of gGates against hs shifted by one step.
  for (int64_t b = 0; b < N; b++) {
    // Row b's first step in the forward walk: 0 forward; reverse: its last active step.
    int64_t tf = -1;
    if (!s.reverse) tf = s.batchSizes[0] > b ? 0 : -1;
    else for (int64_t t = T - 1; t >= 0 && tf < 0; t--) if (s.batchSizes[t] > b) tf = t;
    float* g = gFirst + b * GH;
    if (tf < 0) {
      std::memset(g, 0, sizeof(float) * GH);
      continue;
    }
    std::memcpy(g, a.gXProj + (tf * N + b) * GH, sizeof(float) * GH);
    if (gru) std::memcpy(g + 2 * H, gNh + (tf * N + b) * H, sizeof(float) * H);
  }
  bool ok = sgemm(GH, H, N, 1.0f, ConstMat{gFirst, 1, GH}, ConstMat{a.h0, H, 1}, 0.0f, MutMat{a.gWhh, H, 1}, true);
  const int64_t K = (T - 1) * N;
  if (ok && K > 0) {
    // Forward: gGates of steps 1..T−1 against hs of steps 0..T−2; reverse: steps 0..T−2 against 1..T−1.
    const int64_t gRow = s.reverse ? 0 : N, hRow = s.reverse ? N : 0;
    const ConstMat hPrev{a.hs + hRow * H, H, 1};
    if (!gru) {
      ok = sgemm(GH, H, K, 1.0f, ConstMat{a.gXProj + gRow * GH, 1, GH}, hPrev, 1.0f, MutMat{a.gWhh, H, 1}, true);
    } else {
      ok = sgemm(2 * H, H, K, 1.0f, ConstMat{a.gXProj + gRow * GH, 1, GH}, hPrev, 1.0f, MutMat{a.gWhh, H, 1}, true) &&
           sgemm(H, H, K, 1.0f, ConstMat{gNh + gRow * H, 1, H}, hPrev, 1.0f, MutMat{a.gWhh + 2 * H * H, H, 1}, true);
    }
  }
  if (gru) {
    columnSums(a.gXProj, T * N, 2 * H, GH, a.gBhh);
    columnSums(gNh, T * N, H, H, a.gBhh + 2 * H);
  }
  return ok;
}

// ---- entry points ---------------------------------------------------------------------------------

namespace {

/** The numbers both entries start with: cell, reverse, T and the T batch sizes. */
bool readHeader(Args& args, RecurrentShape& s) {
  s.cell = static_cast<RecurrentCell>(args.integer("cell", 0, 3));
  s.reverse = args.integer("reverse", 0, 1) != 0;
  s.T = args.integer("step count", 0, int64_t(1) << 40);
  if (!args.ok()) return false;
  if (static_cast<uint64_t>(s.T) > args.remaining()) return args.fail("call description ended before batchSizes (" + std::to_string(s.T) + " steps)");
  int64_t* sizes = threadScratch(kStaging).get<int64_t>(s.T);
  if (!sizes) return args.fail("out of memory for batchSizes");
  for (int64_t t = 0; t < s.T && args.ok(); t++) sizes[t] = args.integer("batchSizes", 0, int64_t(1) << 52);
  s.batchSizes = sizes;
  return args.ok();
}

bool readOptional(Args& args, View& v, const char* name, bool& present) {
  present = args.integer((std::string(name) + "'s presence flag").c_str(), 0, 1) != 0;
  return !present || args.view(v, name);
}

const char* cellName(RecurrentCell c) {
  switch (c) {
    case RecurrentCell::rnnTanh: return "rnnTanh";
    case RecurrentCell::rnnRelu: return "rnnRelu";
    case RecurrentCell::lstm: return "lstm";
    case RecurrentCell::gru: return "gru";
  }
  return "?";
}

/** v must be dense float32 of exactly `shape` (what the dims mean goes into the message). */
bool checkOperand(Args& args, const View& v, const char* name, std::initializer_list<int64_t> shape, const char* meaning) {
  if (v.dtype != kFloat32) return args.fail(std::string(name) + " must be float32");
  bool same = v.ndim == static_cast<int>(shape.size());
  int d = 0;
  for (int64_t n : shape) same = same && v.shape[d++] == n;
  if (!same) {
    return args.fail(std::string(name) + " must be " + shapeText(shape.begin(), static_cast<int>(shape.size())) + " " + meaning + ", got " + v.shapeText());
  }
  if (!v.dense()) return args.fail(std::string(name) + " must be contiguous, got strides " + shapeText(v.strides, v.ndim));
  return true;
}

/** Whether an operand appears, for the presence rules (bhh gru only; c0, cs, gCs, gC0 lstm only). */
bool checkPresence(Args& args, bool present, bool wanted, const char* name, RecurrentCell cell) {
  if (present == wanted) return true;
  return args.fail(std::string(name) + (wanted ? " is required" : " must be absent") + " for a " + cellName(cell) + " cell");
}

/** Batch sizes: non-increasing, each at most N. */
bool checkBatchSizes(Args& args, const RecurrentShape& s) {
  for (int64_t t = 0; t < s.T; t++) {
    const int64_t b = s.batchSizes[t];
    if (b > s.N || (t > 0 && b > s.batchSizes[t - 1])) {
      return args.fail("batchSizes must be non-increasing with each at most the batch size " + std::to_string(s.N) + ", got " + std::to_string(b) +
                       " at step " + std::to_string(t) + (t > 0 ? " after " + std::to_string(s.batchSizes[t - 1]) : ""));
    }
  }
  return true;
}

struct Operand {
  const View* v;
  const char* name;
  bool output;
};

/** No output may share memory with another operand (inputs may share among themselves). */
bool checkDisjoint(Args& args, const Operand* ops, int count) {
  for (int i = 0; i < count; i++) {
    if (!ops[i].output || ops[i].v->numel == 0) continue;
    const char* lo = static_cast<const char*>(ops[i].v->data) + ops[i].v->offset * 4;
    const char* hi = lo + ops[i].v->numel * 4;
    for (int j = 0; j < count; j++) {
      if (j == i || ops[j].v->numel == 0) continue;
      const char* lo2 = static_cast<const char*>(ops[j].v->data) + ops[j].v->offset * 4;
      const char* hi2 = lo2 + ops[j].v->numel * 4;
      if (lo < hi2 && lo2 < hi) return args.fail(std::string(ops[i].name) + " must not share memory with " + ops[j].name);
    }
  }
  return true;
}

// N and H from h0 (every other operand is checked against them) and the width of `saved` in floats
// (rnn: 0, or H when the caller passes a copy of hs); false, with the error set, for a bad h0.
bool readStateSizes(Args& args, RecurrentShape& s, const View& h0, const View& saved, int64_t& savedWidth) {
  if (h0.dtype != kFloat32 || h0.ndim != 2) {
    args.fail("h0 must be a float32 [N, H] matrix, got " + h0.shapeText());
    return false;
  }
  s.N = h0.shape[0];
  s.H = h0.shape[1];
  savedWidth = s.savedWidth() ? s.savedWidth() * s.H : (saved.ndim == 3 && saved.shape[2] == s.H ? s.H : 0);
  return true;
}

}  // namespace

// recurrentForward(meta, ...): cell, reverse, T, batchSizes[T]; views xProj, whh, bhh?, h0, c0?, hs, cs?, saved.
napi_value RecurrentForward(napi_env env, napi_callback_info info) {
  Args args(env, info, "recurrentForward");
  RecurrentShape s;
  View xProj, whh, bhh, h0, c0, hs, cs, saved;
  bool hasBhh = false, hasC0 = false, hasCs = false;
  readHeader(args, s) && args.view(xProj, "xProj") && args.view(whh, "whh") && readOptional(args, bhh, "bhh", hasBhh) && args.view(h0, "h0") &&
      readOptional(args, c0, "c0", hasC0) && args.view(hs, "hs") && readOptional(args, cs, "cs", hasCs) && args.view(saved, "saved") && args.finish();
  if (!args.ok()) return nullptr;
  const bool lstm = s.cell == RecurrentCell::lstm, gru = s.cell == RecurrentCell::gru;
  int64_t SH = 0;
  if (!readStateSizes(args, s, h0, saved, SH)) return nullptr;
  const int64_t T = s.T, N = s.N, H = s.H, GH = s.gates() * H;
  const bool fine = checkOperand(args, h0, "h0", {N, H}, "(N, H)") && checkPresence(args, hasBhh, gru, "bhh", s.cell) &&
                    checkPresence(args, hasC0, lstm, "c0", s.cell) && checkPresence(args, hasCs, lstm, "cs", s.cell) &&
                    checkOperand(args, xProj, "xProj", {T, N, GH}, "(T, N, G·H)") && checkOperand(args, whh, "whh", {GH, H}, "(G·H, H)") &&
                    (!hasBhh || checkOperand(args, bhh, "bhh", {GH}, "(G·H)")) && (!hasC0 || checkOperand(args, c0, "c0", {N, H}, "(N, H)")) &&
                    checkOperand(args, hs, "hs", {T, N, H}, "(T, N, H)") && (!hasCs || checkOperand(args, cs, "cs", {T, N, H}, "(T, N, H)")) &&
                    checkOperand(args, saved, "saved", {T, N, SH}, s.savedWidth() ? "(T, N, 4·H)" : "(T, N, 0 or H)") && checkBatchSizes(args, s);
  if (!fine) return nullptr;
  const Operand ops[] = {{&xProj, "xProj", false}, {&whh, "whh", false}, {&bhh, "bhh", false}, {&h0, "h0", false}, {&c0, "c0", false},
                         {&hs, "hs", true},        {&cs, "cs", true},    {&saved, "saved", true}};
  // Absent operands are left out (their View is empty: numel 0).
  if (!checkDisjoint(args, ops, 8)) return nullptr;

  RecurrentForwardArgs a;
  a.s = s;
  a.xProj = xProj.at<float>();
  a.whh = whh.at<float>();
  a.bhh = hasBhh ? bhh.at<float>() : nullptr;
  a.h0 = h0.at<float>();
  a.c0 = hasC0 ? c0.at<float>() : nullptr;
  a.hs = hs.at<float>();
  a.cs = hasCs ? cs.at<float>() : nullptr;
  a.saved = SH > 0 ? saved.at<float>() : nullptr;
  if (!recurrentForward(a)) args.fail("out of memory for the packed weights and states");
  return nullptr;
}

// recurrentBackward(meta, ...): the header; views whh, bhh?, h0, c0?, hs, cs?, saved, gHs, gCs?,
// gXProj, gWhh, gBhh?, gH0, gC0?.
napi_value RecurrentBackward(napi_env env, napi_callback_info info) {
  Args args(env, info, "recurrentBackward");
  RecurrentShape s;
  View whh, bhh, h0, c0, hs, cs, saved, gHs, gCs, gXProj, gWhh, gBhh, gH0, gC0;
  bool hasBhh = false, hasC0 = false, hasCs = false, hasGCs = false, hasGBhh = false, hasGC0 = false;
  readHeader(args, s) && args.view(whh, "whh") && readOptional(args, bhh, "bhh", hasBhh) && args.view(h0, "h0") && readOptional(args, c0, "c0", hasC0) &&
      args.view(hs, "hs") && readOptional(args, cs, "cs", hasCs) && args.view(saved, "saved") && args.view(gHs, "gHs") &&
      readOptional(args, gCs, "gCs", hasGCs) && args.view(gXProj, "gXProj") && args.view(gWhh, "gWhh") && readOptional(args, gBhh, "gBhh", hasGBhh) &&
      args.view(gH0, "gH0") && readOptional(args, gC0, "gC0", hasGC0) && args.finish();
  if (!args.ok()) return nullptr;
  const bool lstm = s.cell == RecurrentCell::lstm, gru = s.cell == RecurrentCell::gru;
  int64_t SH = 0;
  if (!readStateSizes(args, s, h0, saved, SH)) return nullptr;
  const int64_t T = s.T, N = s.N, H = s.H, GH = s.gates() * H;
  const bool fine =
      checkOperand(args, h0, "h0", {N, H}, "(N, H)") && checkPresence(args, hasBhh, gru, "bhh", s.cell) && checkPresence(args, hasGBhh, gru, "gBhh", s.cell) &&
      checkPresence(args, hasC0, lstm, "c0", s.cell) && checkPresence(args, hasCs, lstm, "cs", s.cell) && checkPresence(args, hasGCs, lstm, "gCs", s.cell) &&
      checkPresence(args, hasGC0, lstm, "gC0", s.cell) && checkOperand(args, whh, "whh", {GH, H}, "(G·H, H)") &&
      (!hasBhh || checkOperand(args, bhh, "bhh", {GH}, "(G·H)")) && (!hasC0 || checkOperand(args, c0, "c0", {N, H}, "(N, H)")) &&
      checkOperand(args, hs, "hs", {T, N, H}, "(T, N, H)") && (!hasCs || checkOperand(args, cs, "cs", {T, N, H}, "(T, N, H)")) &&
      checkOperand(args, saved, "saved", {T, N, SH}, s.savedWidth() ? "(T, N, 4·H)" : "(T, N, 0 or H)") &&
      checkOperand(args, gHs, "gHs", {T, N, H}, "(T, N, H)") && (!hasGCs || checkOperand(args, gCs, "gCs", {T, N, H}, "(T, N, H)")) &&
      checkOperand(args, gXProj, "gXProj", {T, N, GH}, "(T, N, G·H)") && checkOperand(args, gWhh, "gWhh", {GH, H}, "(G·H, H)") &&
      (!hasGBhh || checkOperand(args, gBhh, "gBhh", {GH}, "(G·H)")) && checkOperand(args, gH0, "gH0", {N, H}, "(N, H)") &&
      (!hasGC0 || checkOperand(args, gC0, "gC0", {N, H}, "(N, H)")) && checkBatchSizes(args, s);
  if (!fine) return nullptr;
  const Operand ops[] = {{&whh, "whh", false},       {&bhh, "bhh", false},   {&h0, "h0", false},     {&c0, "c0", false},     {&hs, "hs", false},
                         {&cs, "cs", false},         {&saved, "saved", false}, {&gHs, "gHs", false}, {&gCs, "gCs", false},   {&gXProj, "gXProj", true},
                         {&gWhh, "gWhh", true},      {&gBhh, "gBhh", true},  {&gH0, "gH0", true},    {&gC0, "gC0", true}};
  if (!checkDisjoint(args, ops, 14)) return nullptr;

  RecurrentBackwardArgs a;
  a.s = s;
  a.whh = whh.at<float>();
  a.bhh = hasBhh ? bhh.at<float>() : nullptr;
  a.h0 = h0.at<float>();
  a.c0 = hasC0 ? c0.at<float>() : nullptr;
  a.hs = hs.at<float>();
  a.cs = hasCs ? cs.at<float>() : nullptr;
  a.saved = SH > 0 ? saved.at<float>() : nullptr;
  a.gHs = gHs.at<float>();
  a.gCs = hasGCs ? gCs.at<float>() : nullptr;
  a.gXProj = gXProj.at<float>();
  a.gWhh = gWhh.at<float>();
  a.gBhh = hasGBhh ? gBhh.at<float>() : nullptr;
  a.gH0 = gH0.at<float>();
  a.gC0 = hasGC0 ? gC0.at<float>() : nullptr;
  if (!recurrentBackward(a)) args.fail("out of memory for the packed weights and gradients");
  return nullptr;
}

}  // namespace nabla
