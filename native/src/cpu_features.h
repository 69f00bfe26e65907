// Which instruction-set level the native kernels use, decided in one place. The CPU is asked once
// (CPUID, and XGETBV for whether the OS saves the YMM/ZMM registers); NABLA_ISA=avx512|avx2|generic
// caps the level for the whole process (a level the CPU lacks falls back to the best it has, with a
// one-line warning naming the variable); tests cap it further at run time. Kernels with ISA-specific
// builds ask activeIsa() — never the CPU directly — so that forcing a level reaches every kernel.

#pragma once

namespace nabla {

/** Kernel levels, ordered: a CPU that runs one runs the lower ones. */
enum class Isa : int { generic = 0, avx2 = 1, avx512 = 2 };

/** What CPUID/XGETBV report (all false off x86-64). `avx2`/`avx512f` already include the OS check. */
struct CpuFeatures {
  bool avx = false, avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512dq = false, avx512bw = false, avx512vl = false, avx512vnni = false, avx512bf16 = false;
  /** CPUID's brand string ("" where the CPU has none). */
  char model[49] = {};
};

const CpuFeatures& cpuFeatures();

/** The best level this CPU and OS run (AVX2 means AVX2 and FMA; AVX-512 means AVX-512F). */
Isa cpuIsa();

/** The best level this process may use: cpuIsa() capped by NABLA_ISA. */
Isa allowedIsa();

/** The level kernels use now: allowedIsa(), or forceIsa()'s level. */
Isa activeIsa();

/** Run later kernels at `isa` (tests and benchmarks); false, changing nothing, when it is above allowedIsa(). */
bool forceIsa(Isa isa);

/** Back to allowedIsa() after forceIsa(). */
void unforceIsa();

/** "avx512", "avx2" or "generic". */
const char* isaName(Isa isa);

/** The level a name stands for; false when the name is none of isaName's. */
bool parseIsa(const char* name, Isa* out);

/** The warning NABLA_ISA caused (printed once to stderr at load), or "" when it caused none. */
const char* isaWarning();

}  // namespace nabla
