#!/usr/bin/env bash
# Build the native addon with AddressSanitizer (in a scratch directory, so build/Release is left
# alone) and run the native backend's tests against it. Node itself is not instrumented, so the
# sanitizer runtime is preloaded; leak detection is off (V8 keeps memory until exit by design).
# Any invalid read or write in a kernel aborts the run with a report. The native tests run every
# GEMM micro-kernel the CPU has (test/backend/native-isa.test.ts forces each level in child
# processes, which inherit the sanitizer), so the AVX-512 kernel runs here on AVX-512 CPUs;
# elsewhere scripts/emulated-avx512.sh runs its code under the sanitizer through SIMDe.
# Usage: scripts/asan-native.sh [test files...] (default: the list below)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/nabla-asan-XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r "$root/binding.gyp" "$root/native" "$root/package.json" "$work/"
mkdir -p "$work/scripts" && cp "$root/scripts/build-native.mjs" "$work/scripts/"
(cd "$work" && NABLA_NATIVE_SANITIZE=address node scripts/build-native.mjs)
addon="$work/build/Release/nabla_native.node"
[ -f "$addon" ] || { echo "asan-native: the AddressSanitizer build failed (see $work/build/nabla-native-build.log)"; exit 1; }
libasan=$("${CXX:-g++}" -print-file-name=libasan.so)
echo "asan-native: running test/backend/native-*.test.ts with $addon (LD_PRELOAD=$libasan)"
cd "$root"
export LD_PRELOAD="$libasan" ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1" NABLA_NATIVE_ADDON="$addon"
# The tests must run on the instrumented build, not on build/Release.
node --import tsx --input-type=module -e '
  const { nativeInfo } = await import("./src/backend/native/index.ts");
  const info = nativeInfo();
  if (!info?.asan) { console.error("asan-native: the tests would not run on the AddressSanitizer build"); process.exit(1); }
  console.log(`asan-native: instrumented addon loaded (${info.gemmKernel} GEMM, ${info.threads} threads)`);'
# test/backend/native-conv.test.ts forces each convolution algorithm (Winograd, the strided and
# plain 1×1 GEMMs, depthwise, batched planes) on partial tiles, padding and odd channel counts.
# The op tests of convolution and pooling run on the default backend (native): they add the
# fused conv → relu → pool block in every geometry the kernel takes or declines. The detection
# tests run NMS, RoI Align and RoI pooling (forward and backward) natively, on boxes partly and
# wholly outside the map, and feed the detection kernels bad batch indices and argmax positions.
if [ $# -eq 0 ]; then
  set -- test/backend/native-*.test.ts test/ops/conv.test.ts test/ops/pool.test.ts test/detection/ops.test.ts test/detection/native-kernels.test.ts
fi
node --import tsx --test --test-concurrency=1 "$@"
echo "asan-native: no AddressSanitizer errors"
