#!/usr/bin/env bash
# Run the AVX-512 GEMM kernel on a CPU without AVX-512: build the addon (in a scratch directory, so
# build/Release is left alone) with CXXFLAGS=-DNABLA_EMULATE_AVX512, which compiles
# native/src/gemm_kernel_avx512.cc against SIMDe's portable implementation of the AVX-512
# intrinsics (Debian: apt-get install libsimde-dev) and makes cpu_features.cc report AVX-512F; then
# run the native GEMM tests, whose forEachKernel() now includes the avx512 level (12x32 tiles,
# packing and edge tiles); then scripts/gemm-check.cc (alpha, beta, column-major C, every level)
# built the same way with AddressSanitizer and UBSan. Slow (every vector op is emulated) but exact
# in logic; on an AVX-512 CPU the ordinary tests run the real kernel.
# Usage: scripts/emulated-avx512.sh [test files...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -f /usr/include/simde/x86/avx512.h ]; then
  echo "emulated-avx512: SIMDe is not installed (apt-get install libsimde-dev); nothing run"
  exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/nabla-avx512-XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r "$root/binding.gyp" "$root/native" "$root/package.json" "$work/"
mkdir -p "$work/scripts" && cp "$root/scripts/build-native.mjs" "$work/scripts/"
(cd "$work" && CXXFLAGS="${CXXFLAGS:-} -DNABLA_EMULATE_AVX512" NABLA_NATIVE_CACHE=0 node scripts/build-native.mjs)
addon="$work/build/Release/nabla_native.node"
[ -f "$addon" ] || { echo "emulated-avx512: the build failed (see $work/build/nabla-native-build.log)"; exit 1; }
cd "$root"
export NABLA_NATIVE_ADDON="$addon"
node --import tsx --input-type=module -e '
  const { nativeInfo } = await import("./src/backend/native/index.ts");
  const info = nativeInfo();
  if (info?.gemmKernel !== "avx512f") { console.error(`emulated-avx512: the addon runs ${info?.gemmKernel ?? "nothing"}, not the AVX-512 kernel`); process.exit(1); }
  console.log(`emulated-avx512: addon loaded (${info.gemmKernel} GEMM, levels ${info.isas.join(", ")})`);'
if [ $# -eq 0 ]; then set -- test/backend/native-linalg.test.ts test/backend/native-isa.test.ts test/backend/native-recurrent.test.ts; fi
node --import tsx --test --test-concurrency=1 "$@"
src="$root/native/src"
"${CXX:-g++}" -std=c++17 -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -pthread -Wno-psabi -DNABLA_EMULATE_AVX512 -I "$src" \
  "$root/scripts/gemm-check.cc" "$src/gemm.cc" "$src/gemm_kernel_generic.cc" "$src/gemm_kernel_avx2.cc" "$src/gemm_kernel_avx512.cc" \
  "$src/cpu_features.cc" "$src/threadpool.cc" -o "$work/gemm-check"
ASAN_OPTIONS="detect_leaks=0:abort_on_error=1" "$work/gemm-check"
echo "emulated-avx512: passed"
