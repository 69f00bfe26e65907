#include "gemm.h"

#include <algorithm>
#include <atomic>

#include "cpu_features.h"
#include "scratch.h"
#include "threadpool.h"

namespace nabla {

namespace {

/**
 * A micro-kernel's tile (MR×NR) and the cache blocking around it. KC: depth of a packed slice (an
 * MR- and an NR-panel of KC floats share L1). MC: rows of A per task block (MC·KC floats stay in
 * L2 while B panels stream past). NC: columns of B per packed slice (KC·NC floats in L3, shared by
 * every thread). MS: rows of A packed at once (bounds the packed-A scratch at MS·KC floats).
 */
template <int MR_, int NR_, int64_t KC_, int64_t MC_>
struct Geometry {
  static constexpr int MR = MR_, NR = NR_;
  static constexpr int64_t KC = KC_, MC = MC_, NC = 3072, MS = 4032;
  static_assert(MC % MR == 0 && MS % MC == 0 && NC % NR == 0, "block sizes must be multiples of the micro-tile");
};
/** AVX2 and portable: 6 KiB + 16 KiB of panels in L1, a 144 KiB block of A in L2. */
using Tiles6x16 = Geometry<kMR, kNR, 256, 144>;
/** AVX-512: 9 KiB + 24 KiB of panels in L1 (32 KiB on the AVX-512 CPUs we know), a 108 KiB block of A in L2. */
using Tiles12x32 = Geometry<kMR512, kNR512, 192, 144>;

/** Multiply-adds below which a product never leaves the calling thread. */
constexpr double kParallelWork = 96.0 * 96.0 * 96.0;
/**
 * Multiply-adds up to which a parallel product is cut into one serial product per thread (one
 * hand-off to the pool) instead of being parallelised step by step (packing B, packing A and the
 * tiles: three hand-offs per depth slice, ~10 µs each on this machine). The typical CNN's dense
 * layer, 64×400×64, went from 103 to ~77 µs on 2 threads.
 */
constexpr double kSplitWork = 16.0 * 1024 * 1024;

/** The micro-kernel activeIsa() allows, with its tile. */
struct Choice {
  MicroKernel kernel;
  bool wide;  // the 12×32 AVX-512 tile (else 6×16)
  const char* name;
};

Choice chooseKernel() {
  const Isa isa = activeIsa();
  if (isa >= Isa::avx512) {
    static const MicroKernel avx512 = microKernelAvx512();
    if (avx512) return {avx512, true, "avx512f"};
  }
  if (isa >= Isa::avx2) {
    static const MicroKernel avx2 = microKernelAvx2();
    if (avx2) return {avx2, false, "avx2-fma"};
  }
  return {microKernelGeneric, false, "generic"};
}

inline int64_t roundUp(int64_t n, int64_t m) { return (n + m - 1) / m * m; }

/** Rows [i0, i0+mc) × depth [p0, p0+kc) of A as MR-row panels (rows past mc zero). */
template <int MR>
void packA(const ConstMat& A, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* dst, int64_t panelBegin, int64_t panelEnd) {
  for (int64_t panel = panelBegin; panel < panelEnd; panel++) {
    const int64_t ir = panel * MR;
    const int rows = static_cast<int>(std::min<int64_t>(MR, mc - ir));
    float* d = dst + panel * MR * kc;
    const float* s = A.p + (i0 + ir) * A.rs + p0 * A.cs;
    if (rows == MR && A.cs == 1) {
      // Row-major A: MR row streams, interleaved a few depths at a time.
      int64_t p = 0;
      for (; p + 4 <= kc; p += 4, d += 4 * MR) {
        for (int r = 0; r < MR; r++) {
          const float* src = s + r * A.rs + p;
          d[r] = src[0]; d[MR + r] = src[1]; d[2 * MR + r] = src[2]; d[3 * MR + r] = src[3];
        }
      }
      for (; p < kc; p++, d += MR) {
        for (int r = 0; r < MR; r++) d[r] = s[r * A.rs + p];
      }
    } else if (rows == MR && A.rs == 1) {
      // Column-major A (a transposed operand): each k's MR values are contiguous.
      for (int64_t p = 0; p < kc; p++, d += MR) {
        const float* c = s + p * A.cs;
        for (int r = 0; r < MR; r++) d[r] = c[r];
      }
    } else {
      for (int64_t p = 0; p < kc; p++, d += MR) {
        const float* c = s + p * A.cs;
        for (int r = 0; r < MR; r++) d[r] = r < rows ? c[r * A.rs] : 0.0f;
      }
    }
  }
}

/** Depth [p0, p0+kc) × columns [j0, j0+nc) of B as NR-column panels (columns past nc zero). */
template <int NR>
void packB(const ConstMat& B, int64_t p0, int64_t kc, int64_t j0, int64_t nc, float* dst, int64_t panelBegin, int64_t panelEnd) {
  for (int64_t panel = panelBegin; panel < panelEnd; panel++) {
    const int64_t jr = panel * NR;
    const int cols = static_cast<int>(std::min<int64_t>(NR, nc - jr));
    float* d = dst + panel * NR * kc;
    if (B.rowOff) {
      // Row p starts at its own offset (a shifted window of an image): contiguous along j.
      for (int64_t p = 0; p < kc; p++, d += NR) {
        const float* r = B.p + B.rowOff[p0 + p] + (j0 + jr) * B.cs;
        if (cols == NR && B.cs == 1) for (int c = 0; c < NR; c++) d[c] = r[c];
        else for (int c = 0; c < NR; c++) d[c] = c < cols ? r[c * B.cs] : 0.0f;
      }
      continue;
    }
    if (B.colOff) {
      // Column j starts at its own offset: walk each column along p, in blocks of depth.
      for (int64_t pb = 0; pb < kc; pb += 64) {
        const int64_t pe = std::min<int64_t>(kc, pb + 64);
        for (int c = 0; c < NR; c++) {
          if (c >= cols) {
            for (int64_t p = pb; p < pe; p++) d[p * NR + c] = 0.0f;
            continue;
          }
          const float* col = B.p + B.colOff[j0 + jr + c] + p0 * B.rs;
          for (int64_t p = pb; p < pe; p++) d[p * NR + c] = col[p * B.rs];
        }
      }
      continue;
    }
    const float* s = B.p + p0 * B.rs + (j0 + jr) * B.cs;
    if (cols == NR && B.cs == 1) {
      for (int64_t p = 0; p < kc; p++, d += NR) {
        const float* r = s + p * B.rs;
        for (int c = 0; c < NR; c++) d[c] = r[c];
      }
    } else if (cols == NR && B.rs == 1) {
      // Column-major B (e.g. a transposed weight): walk each column contiguously, in blocks of
      // depth so the NR column streams stay in cache.
      for (int64_t pb = 0; pb < kc; pb += 64) {
        const int64_t pe = std::min<int64_t>(kc, pb + 64);
        for (int c = 0; c < NR; c++) {
          const float* col = s + c * B.cs;
          for (int64_t p = pb; p < pe; p++) d[p * NR + c] = col[p];
        }
      }
    } else {
      for (int64_t p = 0; p < kc; p++, d += NR) {
        const float* r = s + p * B.rs;
        for (int c = 0; c < NR; c++) d[c] = c < cols ? r[c * B.cs] : 0.0f;
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

const char* gemmKernelName() { return chooseKernel().name; }

namespace {

/** A mid-sized product as one serial product per thread over column (or row) strips of C, cut at tile multiples. */
bool splitProduct(int64_t M, int64_t N, int64_t K, float alpha, ConstMat A, ConstMat B, float beta, MutMat C, int mr, int nr) {
  const int64_t T = numThreads();
  const bool byColumns = N >= M;
  const int64_t len = byColumns ? N : M, align = byColumns ? nr : mr;
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

/** The packed, blocked product with micro-kernel `kernel` of tile G::MR×G::NR. */
template <class G>
bool blockedProduct(int64_t M, int64_t N, int64_t K, float alpha, const ConstMat& A, const ConstMat& B, float beta, const MutMat& C,
                    bool par, MicroKernel kernel) {
  constexpr int MR = G::MR, NR = G::NR;
  constexpr int64_t KC = G::KC, MC = G::MC, NC = G::NC, MS = G::MS;
  const int64_t kcMax = std::min(K, KC), ncMax = std::min(roundUp(N, NR), NC), msMax = std::min(roundUp(M, MR), MS);
  float* packedB = threadScratch(kPackB).get<float>(kcMax * ncMax);
  float* packedA = threadScratch(kPackA).get<float>(kcMax * msMax);
  if (!packedA || !packedB) return false;
  const int threads = par ? numThreads() : 1;

  for (int64_t jc = 0; jc < N; jc += NC) {
    const int64_t nc = std::min(NC, N - jc), nPanels = (nc + NR - 1) / NR;
    for (int64_t pc = 0; pc < K; pc += KC) {
      const int64_t kc = std::min(KC, K - pc);
      const float betaSlice = pc == 0 ? beta : 1.0f;
      if (par) parallelRanges(nPanels, 8, [&](int64_t b, int64_t e, int) { packB<NR>(B, pc, kc, jc, nc, packedB, b, e); });
      else packB<NR>(B, pc, kc, jc, nc, packedB, 0, nPanels);

      for (int64_t ms = 0; ms < M; ms += MS) {
        const int64_t mlen = std::min(MS, M - ms), mPanels = (mlen + MR - 1) / MR;
        if (par) parallelRanges(mPanels, 8, [&](int64_t b, int64_t e, int) { packA<MR>(A, ms, mlen, pc, kc, packedA, b, e); });
        else packA<MR>(A, ms, mlen, pc, kc, packedA, 0, mPanels);

        // Tiles: row blocks of at most MC rows × chunks of NR panels; enough of them to keep every
        // thread busy, and as many row blocks as a multiple of the threads, of equal height (1024
        // rows as 7 blocks of 144 and one of 16 leave a thread idle for a ninth of the product).
        int64_t mBlocks = (mlen + MC - 1) / MC;
        if (threads > 1) mBlocks = roundUp(mBlocks, threads);
        const int64_t mc = std::min(MC, roundUp((mlen + mBlocks - 1) / mBlocks, MR));
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
            const int64_t jr = jp * NR;
            const int nr = static_cast<int>(std::min<int64_t>(NR, nc - jr));
            const float* bp = packedB + jp * NR * kc;
            for (int64_t ir = i0; ir < i1; ir += MR) {
              const int mr = static_cast<int>(std::min<int64_t>(MR, mlen - ir));
              float* c = C.p + (ms + ir) * C.rs + (jc + jr) * C.cs;
              kernel(kc, packedA + (ir / MR) * MR * kc, bp, c, C.rs, C.cs, mr, nr, alpha, betaSlice);
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

  const Choice choice = chooseKernel();
  if (par && !tabled && static_cast<double>(M) * N * K <= kSplitWork) {
    return choice.wide ? splitProduct(M, N, K, alpha, A, B, beta, C, Tiles12x32::MR, Tiles12x32::NR)
                       : splitProduct(M, N, K, alpha, A, B, beta, C, Tiles6x16::MR, Tiles6x16::NR);
  }
  return choice.wide ? blockedProduct<Tiles12x32>(M, N, K, alpha, A, B, beta, C, par, choice.kernel)
                     : blockedProduct<Tiles6x16>(M, N, K, alpha, A, B, beta, C, par, choice.kernel);
}

}  // namespace nabla
