#include "cpu_features.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#define NABLA_X86_64 1
#endif

namespace nabla {

namespace {

#if defined(NABLA_X86_64)
/** XCR0: which register states the OS saves on a context switch (valid only when CPUID says OSXSAVE). */
unsigned long long readXcr0() {
  unsigned lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<unsigned long long>(hi) << 32) | lo;
}
#endif

CpuFeatures detect() {
  CpuFeatures f;
#if defined(NABLA_X86_64)
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  const bool osxsave = c & (1u << 27);
  const unsigned long long xcr0 = osxsave ? readXcr0() : 0;
  // A CPU may have the instructions while the OS does not save the wider registers (then they fault).
  const bool osYmm = (xcr0 & 0x6) == 0x6;             // XMM and YMM upper halves
  const bool osZmm = osYmm && (xcr0 & 0xE0) == 0xE0;  // opmask, ZMM0-15 upper halves, ZMM16-31
  f.avx = osYmm && (c & (1u << 28));
  f.fma = f.avx && (c & (1u << 12));
  f.f16c = f.avx && (c & (1u << 29));
  unsigned maxLeaf = __get_cpuid_max(0, nullptr);
  if (maxLeaf >= 7 && __get_cpuid_count(7, 0, &a, &b, &c, &d)) {
    f.avx2 = f.avx && (b & (1u << 5));
    f.avx512f = osZmm && (b & (1u << 16));
    f.avx512dq = f.avx512f && (b & (1u << 17));
    f.avx512bw = f.avx512f && (b & (1u << 30));
    f.avx512vl = f.avx512f && (b & (1u << 31));
    f.avx512vnni = f.avx512f && (c & (1u << 11));
    if (a >= 1 && __get_cpuid_count(7, 1, &a, &b, &c, &d)) f.avx512bf16 = f.avx512f && (a & (1u << 5));
  }
  if (__get_cpuid_max(0x80000000u, nullptr) >= 0x80000004u) {
    unsigned regs[12];
    for (unsigned i = 0; i < 3; i++) __get_cpuid(0x80000002u + i, &regs[4 * i], &regs[4 * i + 1], &regs[4 * i + 2], &regs[4 * i + 3]);
    std::memcpy(f.model, regs, sizeof regs);
    f.model[48] = '\0';
    // Brand strings are padded with leading and trailing spaces on some CPUs.
    std::string s(f.model);
    const size_t b0 = s.find_first_not_of(' '), b1 = s.find_last_not_of(' ');
    s = b0 == std::string::npos ? "" : s.substr(b0, b1 - b0 + 1);
    std::snprintf(f.model, sizeof f.model, "%s", s.c_str());
  }
#endif
#if defined(NABLA_EMULATE_AVX512)
  // scripts/emulated-avx512.sh: the AVX-512 GEMM kernel is compiled against SIMDe's portable
  // intrinsics, so that its logic runs (slowly) on a CPU without AVX-512.
  f.avx512f = true;
#endif
  return f;
}

struct Settings {
  CpuFeatures features;
  Isa best;
  Isa envCap;
  std::string warning;
};

const Settings& settings() {
  static const Settings s = [] {
    Settings r;
    r.features = detect();
    r.best = r.features.avx512f && r.features.avx2 && r.features.fma ? Isa::avx512
             : r.features.avx2 && r.features.fma                     ? Isa::avx2
                                                                     : Isa::generic;
    r.envCap = r.best;
    const char* env = std::getenv("NABLA_ISA");
    if (env && *env) {
      Isa asked;
      if (!parseIsa(env, &asked)) {
        r.warning = std::string("nabla: NABLA_ISA=") + env + " is not one of avx512, avx2, generic; using " + isaName(r.best);
      } else if (asked > r.best) {
        r.warning = std::string("nabla: NABLA_ISA=") + env + " but this CPU (or its OS) lacks " + env + "; using " + isaName(r.best);
      } else {
        r.envCap = asked;
      }
      if (!r.warning.empty()) std::fprintf(stderr, "%s\n", r.warning.c_str());
    }
    return r;
  }();
  return s;
}

/** forceIsa's level; -1 when none. */
std::atomic<int> runtimeCap{-1};

}  // namespace

const CpuFeatures& cpuFeatures() { return settings().features; }

Isa cpuIsa() { return settings().best; }

Isa allowedIsa() { return settings().envCap; }

Isa activeIsa() {
  const int cap = runtimeCap.load(std::memory_order_relaxed);
  return cap >= 0 ? static_cast<Isa>(cap) : allowedIsa();
}

bool forceIsa(Isa isa) {
  if (isa > allowedIsa()) return false;
  runtimeCap.store(static_cast<int>(isa));
  return true;
}

void unforceIsa() { runtimeCap.store(-1); }

const char* isaName(Isa isa) {
  switch (isa) {
    case Isa::avx512: return "avx512";
    case Isa::avx2: return "avx2";
    case Isa::generic: break;
  }
  return "generic";
}

bool parseIsa(const char* name, Isa* out) {
  for (Isa isa : {Isa::avx512, Isa::avx2, Isa::generic}) {
    if (std::strcmp(name, isaName(isa)) == 0) {
      *out = isa;
      return true;
    }
  }
  return false;
}

const char* isaWarning() { return settings().warning.c_str(); }

}  // namespace nabla
