#include "gemm.h"

#include <algorithm>
#include <atomic>

#include "scratch.h"
#include "threadpool.h"

namespace nabla {

namespace {

/** Depth of a packed slice: an MR- and an NR-panel of KC floats (6 KiB + 16 KiB) share L1. */
constexpr int64_t KC = 256;
/** Rows of A per task block: MC·KC floats (144 KiB) stay in L2 while B panels stream past. */
constexpr int64_t MC = 144;
/** Columns of B per packed slice: KC·NC floats (3 MiB) in L3, shared by every thread. */
constexpr int64_t NC = 3072;
/** Rows of A packed at once (bounds the packed-A scratch at MS·KC floats = 4 MiB). */
constexpr int64_t MS = 4032;
/** Multiply-adds below which a product never leaves the calling thread. */
constexpr double kParallelWork = 96.0 * 96.0 * 96.0;
/**
 * Multiply-adds up to which a parallel product is cut into one serial product per thread (one
 * hand-off to the pool) instead of being parallelised step by step (packing B, packing A and the
 * tiles: three hand-offs per depth slice, ~10 µs each on this machine). The typical CNN's dense
 * layer, 64×400×64, went from 103 to ~77 µs on 2 threads.
 */
constexpr double kSplitWork = 16.0 * 1024 * 1024;

static_assert(MC % kMR == 0 && MS % MC == 0 && NC % kNR == 0, "block sizes must be multiples of the micro-tile");

std::atomic<bool> forceGeneric{false};

MicroKernel selectKernel() {
  if (!forceGeneric.load(std::memory_order_relaxed)) {
    static const MicroKernel avx2 = cpuHasAvx2Fma() ? microKernelAvx2() : nullptr;
    if (avx2) return avx2;
  }
  return microKernelGeneric;
}

inline int64_t roundUp(int64_t n, int64_t m) { return (n + m - 1) / m * m; }

/** Rows [i0, i0+mc) × depth [p0, p0+kc) of A as MR-row panels (rows past mc zero). */
void packA(const ConstMat& A, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* dst, int64_t panelBegin, int64_t panelEnd) {
  for (int64_t panel = panelBegin; panel < panelEnd; panel++) {
    const int64_t ir = panel * kMR;
    const int rows = static_cast<int>(std::min<int64_t>(kMR, mc - ir));
    float* d = dst + panel * kMR * kc;
    const float* s = A.p + (i0 + ir) * A.rs + p0 * A.cs;
    if (rows == kMR && A.cs == 1) {
      const float *r0 = s, *r1 = s + A.rs, *r2 = s + 2 * A.rs, *r3 = s + 3 * A.rs, *r4 = s + 4 * A.rs, *r5 = s + 5 * A.rs;
      for (int64_t p = 0; p < kc; p++, d += kMR) {
        d[0] = r0[p]; d[1] = r1[p]; d[2] = r2[p]; d[3] = r3[p]; d[4] = r4[p]; d[5] = r5[p];
      }
    } else if (rows == kMR && A.rs == 1) {
      // Column-major A (a transposed operand): each k's MR values are contiguous.
      for (int64_t p = 0; p < kc; p++, d += kMR) {
        const float* c = s + p * A.cs;
        for (int r = 0; r < kMR; r++) d[r] = c[r];
      }
    } else {
      for (int64_t p = 0; p < kc; p++, d += kMR) {
        const float* c = s + p * A.cs;
        for (int r = 0; r < kMR; r++) d[r] = r < rows ? c[r * A.rs] : 0.0f;
      }
    }
  }
}

/** Depth [p0, p0+kc) × columns [j0, j0+nc) of B as NR-column panels (columns past nc zero). */
void packB(const ConstMat& B, int64_t p0, int64_t kc, int64_t j0, int64_t nc, float* dst, int64_t panelBegin, int64_t panelEnd) {
  for (int64_t panel = panelBegin; panel < panelEnd; panel++) {
    const int64_t jr = panel * kNR;
    const int cols = static_cast<int>(std::min<int64_t>(kNR, nc - jr));
    float* d = dst + panel * kNR * kc;
    if (B.rowOff) {
      // Row p starts at its own offset (a shifted window of an image): contiguous along j.
      for (int64_t p = 0; p < kc; p++, d += kNR) {
        const float* r = B.p + B.rowOff[p0 + p] + (j0 + jr) * B.cs;
        if (cols == kNR && B.cs == 1) for (int c = 0; c < kNR; c++) d[c] = r[c];
        else for (int c = 0; c < kNR; c++) d[c] = c < cols ? r[c * B.cs] : 0.0f;
      }
      continue;
    }
    if (B.colOff) {
      // Column j starts at its own offset: walk each column along p, in blocks of depth.
      for (int64_t pb = 0; pb < kc; pb += 64) {
        const int64_t pe = std::min<int64_t>(kc, pb + 64);
        for (int c = 0; c < kNR; c++) {
          if (c >= cols) {
            for (int64_t p = pb; p < pe; p++) d[p * kNR + c] = 0.0f;
            continue;
          }
          const float* col = B.p + B.colOff[j0 + jr + c] + p0 * B.rs;
          for (int64_t p = pb; p < pe; p++) d[p * kNR + c] = col[p * B.rs];
        }
      }
      continue;
    }
    const float* s = B.p + p0 * B.rs + (j0 + jr) * B.cs;
    if (cols == kNR && B.cs == 1) {
      for (int64_t p = 0; p < kc; p++, d += kNR) {
        const float* r = s + p * B.rs;
        for (int c = 0; c < kNR; c++) d[c] = r[c];
      }
    } else if (cols == kNR && B.rs == 1) {
      // Column-major B (e.g. a transposed weight): walk each column contiguously, in blocks of
      // depth so the NR column streams stay in cache.
      for (int64_t pb = 0; pb < kc; pb += 64) {
        const int64_t pe = std::min<int64_t>(kc, pb + 64);
        for (int c = 0; c < kNR; c++) {
          const float* col = s + c * B.cs;
          for (int64_t p = pb; p < pe; p++) d[p * kNR + c] = col[p];
        }
      }
    } else {
      for (int64_t p = 0; p < kc; p++, d += kNR) {
        const float* r = s + p * B.rs;
        for (int c = 0; c < kNR; c++) d[c] = c < cols ? r[c * B.cs] : 0.0f;
      }
    }
  }
}

void scaleC(int64_t M, int64_t N, float beta, MutMat C) {
  for (int64_t i = 0; i < M; i++) {
    float* r = C.p + i * C.rs;
    if (beta == 0.0f) for (int64_t j = 0; j < N; j++) r[j * C.cs] = 0.0f;
    else if (beta != 1.0f) for (int64_t j = 0; j < N; j++) r[j * C.cs] *= beta;
  }
}

inline float blend(float acc, float alpha, float beta, float old) {
  return beta == 0.0f ? alpha * acc : alpha * acc + beta * old;
}

/** y[1×N] = alpha·a[1×K]·B + beta·y, row by row of B (contiguous when B is row-major). */
void rowTimesMatrix(int64_t N, int64_t K, float alpha, ConstMat A, ConstMat B, float beta, MutMat C, float* acc) {
  std::fill(acc, acc + N, 0.0f);
  for (int64_t p = 0; p < K; p++) {
    const float a = A.p[p * A.cs];
    const float* r = B.p + p * B.rs;
    if (B.cs == 1) for (int64_t j = 0; j < N; j++) acc[j] += a * r[j];
    else for (int64_t j = 0; j < N; j++) acc[j] += a * r[j * B.cs];
  }
  for (int64_t j = 0; j < N; j++) C.p[j * C.cs] = blend(acc[j], alpha, beta, C.p[j * C.cs]);
}

/** y[M×1] = alpha·A·b + beta·y as dot products (contiguous when A is row-major). */
void matrixTimesColumn(int64_t M, int64_t K, float alpha, ConstMat A, ConstMat B, float beta, MutMat C, int64_t i0, int64_t i1) {
  for (int64_t i = i0; i < i1; i++) {
    const float* r = A.p + i * A.rs;
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int64_t p = 0;
    if (A.cs == 1 && B.rs == 1) {
      for (; p + 4 <= K; p += 4) {
        s0 += r[p] * B.p[p]; s1 += r[p + 1] * B.p[p + 1]; s2 += r[p + 2] * B.p[p + 2]; s3 += r[p + 3] * B.p[p + 3];
      }
    }
    for (; p < K; p++) s0 += r[p * A.cs] * B.p[p * B.rs];
    C.p[i * C.rs] = blend((s0 + s1) + (s2 + s3), alpha, beta, C.p[i * C.rs]);
  }
}

}  // namespace

const char* gemmKernelName() { return selectKernel() == microKernelGeneric ? "generic" : "avx2-fma"; }

void forceGenericGemm(bool generic) { forceGeneric.store(generic); }

namespace {

/** A mid-sized product as one serial product per thread over column (or row) strips of C. */
bool splitProduct(int64_t M, int64_t N, int64_t K, float alpha, ConstMat A, ConstMat B, float beta, MutMat C) {
  const int64_t T = numThreads();
  const bool byColumns = N >= M;
  const int64_t len = byColumns ? N : M, align = byColumns ? kNR : kMR;
  const int64_t part = roundUp((len + T - 1) / T, align), parts = (len + part - 1) / part;
  std::atomic<bool> ok{true};
  parallelTasks(parts, [&](int64_t t, int) {
    const int64_t at = t * part, n = std::min(part, len - at);
    ConstMat a = A, b = B;
    MutMat c = C;
    if (byColumns) {
      b.p += at * B.cs;
      c.p += at * C.cs;
    } else {
      a.p += at * A.rs;
      c.p += at * C.rs;
    }
    if (!sgemm(byColumns ? M : n, byColumns ? n : N, K, alpha, a, b, beta, c, false)) ok = false;
  });
  return ok;
}

}  // namespace

bool sgemm(int64_t M, int64_t N, int64_t K, float alpha, ConstMat A, ConstMat B, float beta, MutMat C, bool parallel) {
  if (M <= 0 || N <= 0) return true;
  if (K <= 0 || alpha == 0.0f) {
    scaleC(M, N, beta, C);
    return true;
  }
  const bool par = parallel && numThreads() > 1 && static_cast<double>(M) * N * K >= kParallelWork;
  const bool tabled = B.rowOff || B.colOff;
  if (M == 1 && !tabled) {
    float* acc = threadScratch(kAccum).get<float>(N);
    if (!acc) return false;
    rowTimesMatrix(N, K, alpha, A, B, beta, C, acc);
    return true;
  }
  if (N == 1 && !tabled) {
    if (par) parallelRanges(M, 64, [&](int64_t b, int64_t e, int) { matrixTimesColumn(M, K, alpha, A, B, beta, C, b, e); });
    else matrixTimesColumn(M, K, alpha, A, B, beta, C, 0, M);
    return true;
  }

  if (par && !tabled && static_cast<double>(M) * N * K <= kSplitWork) return splitProduct(M, N, K, alpha, A, B, beta, C);

  const MicroKernel kernel = selectKernel();
  const int64_t kcMax = std::min(K, KC), ncMax = std::min(roundUp(N, kNR), NC), msMax = std::min(roundUp(M, kMR), MS);
  float* packedB = threadScratch(kPackB).get<float>(kcMax * ncMax);
  float* packedA = threadScratch(kPackA).get<float>(kcMax * msMax);
  if (!packedA || !packedB) return false;
  const int threads = par ? numThreads() : 1;

  for (int64_t jc = 0; jc < N; jc += NC) {
    const int64_t nc = std::min(NC, N - jc), nPanels = (nc + kNR - 1) / kNR;
    for (int64_t pc = 0; pc < K; pc += KC) {
      const int64_t kc = std::min(KC, K - pc);
      const float betaSlice = pc == 0 ? beta : 1.0f;
      if (par) parallelRanges(nPanels, 8, [&](int64_t b, int64_t e, int) { packB(B, pc, kc, jc, nc, packedB, b, e); });
      else packB(B, pc, kc, jc, nc, packedB, 0, nPanels);

      for (int64_t ms = 0; ms < M; ms += MS) {
        const int64_t mlen = std::min(MS, M - ms), mPanels = (mlen + kMR - 1) / kMR;
        if (par) parallelRanges(mPanels, 8, [&](int64_t b, int64_t e, int) { packA(A, ms, mlen, pc, kc, packedA, b, e); });
        else packA(A, ms, mlen, pc, kc, packedA, 0, mPanels);

        // Tiles: row blocks of at most MC rows × chunks of NR panels; enough of them to keep every
        // thread busy, and as many row blocks as a multiple of the threads, of equal height (1024
        // rows as 7 blocks of 144 and one of 16 leave a thread idle for a ninth of the product).
        int64_t mBlocks = (mlen + MC - 1) / MC;
        if (threads > 1) mBlocks = roundUp(mBlocks, threads);
        const int64_t mc = std::min(MC, roundUp((mlen + mBlocks - 1) / mBlocks, kMR));
        mBlocks = (mlen + mc - 1) / mc;
        int64_t nChunks = 1;
        if (threads > 1 && mBlocks < 4 * threads) nChunks = std::min(nPanels, (4 * threads + mBlocks - 1) / mBlocks);
        const int64_t chunkPanels = (nPanels + nChunks - 1) / nChunks;
        nChunks = (nPanels + chunkPanels - 1) / chunkPanels;

        auto tile = [&](int64_t task, int) {
          const int64_t mb = task / nChunks, ch = task % nChunks;
          const int64_t i0 = mb * mc, i1 = std::min(mlen, i0 + mc);
          const int64_t p0 = ch * chunkPanels, p1 = std::min(nPanels, p0 + chunkPanels);
          for (int64_t jp = p0; jp < p1; jp++) {
            const int64_t jr = jp * kNR;
            const int nr = static_cast<int>(std::min<int64_t>(kNR, nc - jr));
            const float* bp = packedB + jp * kNR * kc;
            for (int64_t ir = i0; ir < i1; ir += kMR) {
              const int mr = static_cast<int>(std::min<int64_t>(kMR, mlen - ir));
              float* c = C.p + (ms + ir) * C.rs + (jc + jr) * C.cs;
              kernel(kc, packedA + (ir / kMR) * kMR * kc, bp, c, C.rs, C.cs, mr, nr, alpha, betaSlice);
            }
          }
        };
        const int64_t tasks = mBlocks * nChunks;
        if (par) parallelTasks(tasks, tile);
        else for (int64_t t = 0; t < tasks; t++) tile(t, 0);
      }
    }
  }
  return true;
}

}  // namespace nabla
