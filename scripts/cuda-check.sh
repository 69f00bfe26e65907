#!/usr/bin/env bash
# The one script for checking the cuda backend on a GPU host: build the addon, show what it found,
# run every cuda test file, run the benchmark against PyTorch, and print a short table. Logs go to
# build/cuda-check/ (and, archived, to $OUT, the device tool's output folder, when it is set).
#
#   bash scripts/cuda-check.sh --pack   # HERE, before using the device: puts Node (device-prep.sh)
#                                       # and the node_modules the tests need into .device/
#   bash scripts/cuda-check.sh          # THERE, from the repository root, with .device carried
#
# The GPU host has CUDA, cuBLAS, cuDNN, python3 with torch, but no Node.js and nothing can be
# fetched there: .device/env.sh (from /work/shared/tools/device-prep.sh) provides node and
# NODE_API_INCLUDE, and .device/node_modules.tar.xz the packages the tests import (tsx, esbuild,
# pngjs, jpeg-js, yauzl, …), unpacked to /tmp when node_modules has no tsx.
#
# Environment: CUDA_CHECK_STEPS (default "build,tests,bench"), CUDA_CHECK_TESTS (file-name filters,
# e.g. "elementwise nn"), CUDA_CHECK_QUICK=1 (a shorter benchmark), CUDA_CHECK_SANITIZE=1 (also run
# the conformance files under compute-sanitizer's memcheck), CUDA_CHECK_TEST_TIMEOUT (seconds per
# test file, default 900).

set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

pack() {
  if [ ! -f .device/env.sh ]; then
    if [ -x /work/shared/tools/device-prep.sh ] || [ -f /work/shared/tools/device-prep.sh ]; then
      bash /work/shared/tools/device-prep.sh
    else
      echo "no .device/env.sh and no /work/shared/tools/device-prep.sh to make it" >&2
      exit 1
    fi
  fi
  # The packages nabla imports at run time plus tsx and esbuild (the platform binary only).
  node - <<'NODE'
const { existsSync, readFileSync } = require("node:fs");
const { join } = require("node:path");
const { execFileSync } = require("node:child_process");
const roots = ["tsx", "esbuild", "@esbuild/linux-x64", "pngjs", "jpeg-js", "yauzl", "commander", "fflate"];
const seen = new Set();
const walk = (name) => {
  if (seen.has(name) || !existsSync(join("node_modules", name, "package.json"))) return;
  seen.add(name);
  const pkg = JSON.parse(readFileSync(join("node_modules", name, "package.json"), "utf8"));
  for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) walk(dep);
};
roots.forEach(walk);
const dirs = [...seen].map((n) => `node_modules/${n}`);
// esbuild/bin/esbuild duplicates @esbuild/linux-x64's binary (11 MB); only the CLI uses it.
execFileSync("tar", ["-c", "-J", "-h", "-f", ".device/node_modules.tar.xz", "--exclude=node_modules/esbuild/bin", ...dirs], { stdio: "inherit" });
console.log(`packed ${dirs.length} packages into .device/node_modules.tar.xz: ${[...seen].join(", ")}`);
NODE
  grep -qxF '/.device/' "$(git rev-parse --git-path info/exclude)" 2>/dev/null || echo '/.device/' >> "$(git rev-parse --git-path info/exclude)"
  du -sh .device
  echo 'now: run(command: "bash scripts/cuda-check.sh", carry: [".device"], timeout_s: 600)'
}

if [ "${1:-}" = "--pack" ]; then
  pack
  exit 0
fi

# Logs in build/cuda-check/; the device tool's $OUT gets the summary and one archive of them
# (it brings back at most 8 files).
OUTDIR=$ROOT/build/cuda-check
rm -rf "$OUTDIR" && mkdir -p "$OUTDIR"
STEPS=${CUDA_CHECK_STEPS:-build,tests,bench}
TEST_TIMEOUT=${CUDA_CHECK_TEST_TIMEOUT:-900}
declare -a SUMMARY=()
note() { SUMMARY+=("$(printf '%-34s %-8s %6ss  %s' "$1" "$2" "$3" "${4:-}")"); }
has_step() { [[ ",$STEPS," == *",$1,"* ]]; }

if [ -f .device/env.sh ]; then
  # shellcheck disable=SC1091
  source .device/env.sh
else
  echo "no .device/env.sh: using the node on PATH ($(command -v node || echo none))"
fi
command -v node >/dev/null || { echo "node is not available: carry .device (bash scripts/cuda-check.sh --pack here first)"; exit 1; }

# node_modules: the carried archive when this checkout has no usable one.
if [ ! -f node_modules/tsx/package.json ]; then
  if [ -f .device/node_modules.tar.xz ]; then
    mkdir -p /tmp/nabla-modules && tar -xJf .device/node_modules.tar.xz -C /tmp/nabla-modules
    if [ -L node_modules ] || [ ! -e node_modules ]; then
      rm -f node_modules && ln -s /tmp/nabla-modules/node_modules node_modules
    else
      cp -a /tmp/nabla-modules/node_modules/. node_modules/
    fi
  else
    echo "node_modules has no tsx and .device/node_modules.tar.xz is missing (bash scripts/cuda-check.sh --pack here first)"
    exit 1
  fi
fi

{
  echo "== host"
  nvidia-smi -L 2>&1 || echo "nvidia-smi not found"
  echo "node $(node --version), $(nvcc --version 2>/dev/null | tail -1), CUDA_HOME=${CUDA_HOME:-unset}, CUDNN_INCLUDE=${CUDNN_INCLUDE:-unset}, CUDNN_LIB=${CUDNN_LIB:-unset}"
} | tee "$OUTDIR/host.txt"

if has_step build; then
  echo "== build (node scripts/build-cuda.mjs --strict)"
  t0=$SECONDS
  if node scripts/build-cuda.mjs --strict 2>&1 | tee "$OUTDIR/build.txt"; then
    note "build" ok $((SECONDS - t0)) "$(tail -1 "$OUTDIR/build.txt" | cut -c1-150)"
  else
    note "build" FAILED $((SECONDS - t0)) "see build/cuda/nabla-cuda-build.log"
    cp build/cuda/nabla-cuda-build.log "$OUTDIR/" 2>/dev/null
  fi
  cp build/cuda/build-info.json "$OUTDIR/" 2>/dev/null
fi

# cuDNN 9 loads its sub-libraries (libcudnn_cnn, libcudnn_engines_*) by name: put the folders the
# build linked against on the loader's path too (the addon itself has rpaths).
if [ -f build/cuda/build-info.json ]; then
  LIBS=$(node -e 'const i = require("./build/cuda/build-info.json"); console.log((i.libDirs || []).join(":"))')
  export LD_LIBRARY_PATH="$LIBS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi

echo "== addon"
node -e '
const a = require("./build/cuda/nabla_cuda.node");
const i = a.info();
console.log(JSON.stringify({ deviceCount: i.deviceCount, deviceError: i.deviceError, runtime: i.runtimeVersion, driver: i.driverVersion, cublas: i.cublas, cudnn: i.cudnnVersion || i.cudnn, arch: i.arch }));
if (i.deviceCount > 0) console.log(JSON.stringify(a.init()));
' 2>&1 | tee "$OUTDIR/addon.txt"

if has_step tests; then
  for f in test/backend/cuda-*.test.ts; do
    name=$(basename "$f" .test.ts)
    if [ -n "${CUDA_CHECK_TESTS:-}" ]; then
      keep=0
      for filter in $CUDA_CHECK_TESTS; do [[ "$name" == *"$filter"* ]] && keep=1; done
      [ $keep = 1 ] || continue
    fi
    echo "== $f"
    t0=$SECONDS
    timeout "$TEST_TIMEOUT" node --import tsx --test --test-reporter=spec "$f" >"$OUTDIR/$name.log" 2>&1
    rc=$?
    tail -n 40 "$OUTDIR/$name.log" | grep -E "^ *(✖|✔|ℹ (tests|pass|fail|skipped))" | tail -n 12
    pass=$(grep -E "^ℹ pass" "$OUTDIR/$name.log" | awk '{print $3}')
    fail=$(grep -E "^ℹ fail" "$OUTDIR/$name.log" | awk '{print $3}')
    skipped=$(grep -E "^ℹ skipped" "$OUTDIR/$name.log" | awk '{print $3}')
    status=ok
    [ "$rc" = 0 ] || status=FAILED
    [ "$rc" = 124 ] && status=TIMEOUT
    note "$name" "$status" $((SECONDS - t0)) "pass ${pass:-?} fail ${fail:-?} skipped ${skipped:-?}"
    if [ "$status" != ok ]; then grep -E "✖|Error|expected|actual" "$OUTDIR/$name.log" | head -n 20; fi
  done
  if [ "${CUDA_CHECK_SANITIZE:-0}" = 1 ] && command -v compute-sanitizer >/dev/null; then
    for name in cuda-elementwise cuda-nn; do
      echo "== compute-sanitizer memcheck: $name"
      t0=$SECONDS
      timeout 1800 compute-sanitizer --tool memcheck --error-exitcode 99 node --import tsx --test "test/backend/$name.test.ts" >"$OUTDIR/sanitize-$name.log" 2>&1
      rc=$?
      note "memcheck $name" "$([ $rc = 0 ] && echo ok || echo FAILED)" $((SECONDS - t0)) "$(grep -m1 -E 'ERROR SUMMARY' "$OUTDIR/sanitize-$name.log")"
    done
  fi
fi

if has_step bench; then
  echo "== bench (node --import tsx bench/cuda.ts)"
  t0=$SECONDS
  args=(--json "$OUTDIR/bench.json")
  [ "${CUDA_CHECK_QUICK:-0}" = 1 ] && args+=(--quick)
  if node --import tsx bench/cuda.ts "${args[@]}" 2>&1 | tee "$OUTDIR/bench.txt"; then
    note "bench" ok $((SECONDS - t0)) "see bench.txt"
  else
    note "bench" FAILED $((SECONDS - t0)) "see bench.txt"
  fi
fi

echo
echo "== summary ($OUTDIR)"
printf '%s\n' "${SUMMARY[@]}" | tee "$OUTDIR/summary.txt"
[ -f "$OUTDIR/bench.txt" ] && sed -n '/^case/,$p' "$OUTDIR/bench.txt"
if [ -n "${OUT:-}" ] && [ -d "$OUT" ]; then
  cp "$OUTDIR/summary.txt" "$OUT/"
  tar -czf "$OUT/cuda-check-logs.tgz" -C "$ROOT/build" cuda-check cuda/nabla-cuda-build.log 2>/dev/null
fi
exit 0
