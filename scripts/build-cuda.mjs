#!/usr/bin/env node
// Builds the cuda backend (cuda/src → build/cuda/nabla_cuda.node) with nvcc directly. It runs
// after build-native in npm's install hook and as `npm run build:cuda`. It never fails the install:
// without nvcc it prints one line and stops; when a compile or the load check fails it records why
// in build/cuda/nabla-cuda-failed.txt (the loader reports it) and the full output in
// build/cuda/nabla-cuda-build.log.
//
// What it looks for:
//   nvcc           $NVCC, then PATH, then $CUDA_HOME/bin (or /usr/local/cuda/bin without CUDA_HOME)
//   CUDA_HOME      $CUDA_HOME, else the folder above nvcc's bin/
//   cuBLAS         cublas_v2.h and libcublas.so[.N]: $CUBLAS_INCLUDE/$CUBLAS_LIB, $CUDA_HOME, the
//                  system folders, then Python's nvidia-* wheels (where PyTorch keeps them)
//   cuDNN          cudnn.h and libcudnn.so[.N]: $CUDNN_INCLUDE/$CUDNN_LIB, the same places
//   Node-API       $NODE_API_INCLUDE, else the running node's include/node
// Without cuBLAS (cuDNN) the addon still builds: matmul (convolution) then runs the cpu
// backend's kernel on host copies, and info() says so.
//
// Options: --install (the npm install hook): skip unless cuBLAS and cuDNN are found too.
// --kernels-only (or NABLA_CUDA_KERNELS_ONLY=1) compiles the own kernels (*.cu) to
// objects and stops: the proof, on a machine without a GPU, that they compile. --check-libs
// type-checks gemm_cublas.cc and conv_cudnn.cc against the stand-in headers of cuda/mock (never a
// real build). --strict exits 1 when the build fails (scripts/cuda-check.sh uses it).
// Environment: NABLA_SKIP_CUDA=1 skips; NABLA_CUDA_ARCH (default sm_90); NABLA_CUDA_JOBS;
// NABLA_CUDA_BUILD_TIMEOUT (seconds per compile, default 900).

import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { basename, delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const srcDir = join(root, "cuda", "src");
const mockDir = join(root, "cuda", "mock");
const outDir = join(root, "build", "cuda");
const objDir = join(outDir, "obj");
const addonPath = join(outDir, "nabla_cuda.node");
const failurePath = join(outDir, "nabla-cuda-failed.txt");
const logPath = join(outDir, "nabla-cuda-build.log");
const infoPath = join(outDir, "build-info.json");
const args = new Set(process.argv.slice(2));
const kernelsOnly = args.has("--kernels-only") || process.env.NABLA_CUDA_KERNELS_ONLY === "1";
const checkLibs = args.has("--check-libs");
const strict = args.has("--strict");
const started = Date.now();
const logLines = [];

function say(line) {
  console.log(`nabla: cuda: ${line}`);
}

function giveUp(reason) {
  mkdirSync(outDir, { recursive: true });
  if (!kernelsOnly && !checkLibs) {
    rmSync(addonPath, { force: true });
    writeFileSync(failurePath, `${reason}\n`);
  }
  writeFileSync(logPath, logLines.join("\n"));
  say(`not built (${reason}); nabla runs without the cuda backend. Log: ${logPath}`);
  process.exit(strict ? 1 : 0);
}

if (process.env.NABLA_SKIP_CUDA === "1") {
  say("skipped (NABLA_SKIP_CUDA=1)");
  process.exit(0);
}

// ---- finding the tools -------------------------------------------------------------------------

const isFile = (p) => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

function findNvcc() {
  if (process.env.NVCC && isFile(process.env.NVCC)) return process.env.NVCC;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) if (dir && isFile(join(dir, "nvcc"))) return join(dir, "nvcc");
  // /usr/local/cuda only when no CUDA_HOME / CUDA_PATH names another place.
  const homes = process.env.CUDA_HOME || process.env.CUDA_PATH ? [process.env.CUDA_HOME, process.env.CUDA_PATH] : ["/usr/local/cuda"];
  for (const home of homes) if (home && isFile(join(home, "bin", "nvcc"))) return join(home, "bin", "nvcc");
  return null;
}

const nvcc = findNvcc();
if (!nvcc) {
  say("skipped (no nvcc)");
  process.exit(0);
}
/** The toolkit root: $CUDA_HOME, the folder above nvcc's bin/, or /usr/local/cuda (nvcc may be a wrapper script elsewhere). */
function findCudaHome() {
  const candidates = [process.env.CUDA_HOME, process.env.CUDA_PATH, dirname(dirname(realpathSync(nvcc))), "/usr/local/cuda"];
  return candidates.find((d) => d && isFile(join(d, "include", "cuda_runtime.h"))) ?? dirname(dirname(realpathSync(nvcc)));
}
const cudaHome = findCudaHome();
const cudaLibDir = [join(cudaHome, "lib64"), join(cudaHome, "lib")].find((d) => isFile(join(d, "libcudart.so")) || safeList(d).some((f) => f.startsWith("libcudart.so"))) ?? join(cudaHome, "lib64");
const arch = process.env.NABLA_CUDA_ARCH || "sm_90";
const archNumber = arch.replace(/^sm_/, "");
if (!/^\d+[a-z]?$/.test(archNumber)) giveUp(`NABLA_CUDA_ARCH=${arch} is not of the form sm_90`);

/** Folders of Python's nvidia-* wheels (PyTorch's cuBLAS and cuDNN live there), if python3 has them. */
function pythonNvidiaDirs() {
  const r = spawnSync("python3", ["-c", "import nvidia, sys; print('\\n'.join(nvidia.__path__))"], { encoding: "utf8", timeout: 20_000 });
  if (r.status !== 0) return [];
  const dirs = [];
  for (const base of r.stdout.split("\n").map((s) => s.trim()).filter(Boolean)) {
    // nvidia/<package>/{include,lib} (cuDNN, CUDA 12 wheels) and nvidia/cu13/{include,lib} (CUDA 13 wheels)
    for (const pkg of safeList(base)) dirs.push(join(base, pkg));
  }
  return dirs;
}

function safeList(dir) {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

let nvidiaDirs = null;
const wheelDirs = () => (nvidiaDirs ??= pythonNvidiaDirs());

/** First folder holding `header`, and first folder holding lib<name>.so or lib<name>.so.N. */
function findLibrary(name, header, envInclude, envLib) {
  const includeDirs = [envInclude, join(cudaHome, "include"), "/usr/include", "/usr/include/x86_64-linux-gnu", "/usr/local/include"];
  const libDirs = [envLib, join(cudaHome, "lib64"), join(cudaHome, "lib"), join(cudaHome, "targets", "x86_64-linux", "lib"), "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/local/lib"];
  let inc = includeDirs.find((d) => d && isFile(join(d, header)));
  let lib = libDirs.map((d) => d && libFile(d, name)).find(Boolean);
  if (!inc || !lib) {
    for (const d of wheelDirs()) {
      inc ??= [join(d, "include")].find((x) => isFile(join(x, header)));
      lib ??= [join(d, "lib"), join(d, "lib64")].map((x) => libFile(x, name)).find(Boolean);
    }
  }
  return inc && lib ? { include: inc, lib } : { include: inc ?? null, lib: lib ?? null, missing: !inc ? header : `lib${name}.so` };
}

/** lib<name>.so, else the highest-numbered lib<name>.so.N, in dir. */
function libFile(dir, name) {
  if (isFile(join(dir, `lib${name}.so`))) return join(dir, `lib${name}.so`);
  const versioned = safeList(dir).filter((f) => new RegExp(`^lib${name}\\.so\\.\\d+$`).test(f)).sort();
  return versioned.length ? join(dir, versioned[versioned.length - 1]) : null;
}

function nodeApiInclude() {
  const candidates = [process.env.NODE_API_INCLUDE, join(dirname(dirname(process.execPath)), "include", "node"), "/usr/include/node", "/usr/local/include/node"];
  return candidates.find((d) => d && isFile(join(d, "node_api.h"))) ?? null;
}

// During `npm install` (--install) the addon is built only where it can do its job: nvcc, cuBLAS and
// cuDNN all present. A machine with only the CUDA compiler skips it in one line instead of spending
// minutes on a build whose GEMM and convolution would run on host copies; `npm run build:cuda`
// still builds it there.
if (args.has("--install") && !kernelsOnly && !checkLibs) {
  const missing = [["cuBLAS", findLibrary("cublas", "cublas_v2.h", process.env.CUBLAS_INCLUDE, process.env.CUBLAS_LIB)],
    ["cuDNN", findLibrary("cudnn", "cudnn.h", process.env.CUDNN_INCLUDE, process.env.CUDNN_LIB)]].filter(([, f]) => !f.lib);
  if (missing.length) {
    say(`skipped (${missing.map(([name, f]) => `${name}: ${f.missing} not found`).join(", ")}); \`npm run build:cuda\` builds it anyway`);
    process.exit(0);
  }
}

// ---- compiling -----------------------------------------------------------------------------------

const kernels = safeList(srcDir).filter((f) => f.endsWith(".cu")).sort();
const hostSources = safeList(srcDir).filter((f) => f.endsWith(".cc")).sort();
const headers = safeList(srcDir).filter((f) => f.endsWith(".h") || f.endsWith(".cuh")).map((f) => join(srcDir, f));
const newestHeader = Math.max(0, ...headers.map((h) => statSync(h).mtimeMs));
const common = ["-std=c++17", "-O3", "-Xcompiler", "-fPIC", `-gencode=arch=compute_${archNumber},code=[sm_${archNumber},compute_${archNumber}]`, `-I${srcDir}`];

function run(cmd, argv, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd: root });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ status: -1, out: `${out}\n${e.message}` });
    });
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status: status ?? -1, out });
    });
  });
}

/** Compile sources (file names in srcDir) with flags into objDir; an object is reused when newer than its inputs and built with the same flags. */
async function compile(files, flags, tag) {
  mkdirSync(objDir, { recursive: true });
  const jobs = Math.max(1, Number(process.env.NABLA_CUDA_JOBS) || Math.min(cpus().length, 8));
  const timeout = Number(process.env.NABLA_CUDA_BUILD_TIMEOUT ?? 900) * 1000;
  const flagHash = createHash("sha1").update(flags.join(" ")).digest("hex").slice(0, 12);
  const objects = files.map((f) => join(objDir, `${basename(f)}.${tag}.${flagHash}.o`));
  const queue = files.map((f, i) => ({ src: join(srcDir, f), obj: objects[i] }));
  const failures = [];
  let built = 0;
  const worker = async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      if (isFile(job.obj) && statSync(job.obj).mtimeMs > Math.max(statSync(job.src).mtimeMs, newestHeader)) continue;
      const r = await run(nvcc, [...flags, "-c", job.src, "-o", job.obj], timeout);
      logLines.push(`$ nvcc ${[...flags, "-c", job.src].join(" ")}\n${r.out}`);
      if (r.status !== 0) {
        rmSync(job.obj, { force: true });
        failures.push(`${basename(job.src)}: ${firstError(r.out) ?? `nvcc exited with status ${r.status}`}`);
      } else built++;
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  return { objects, failures, built };
}

function firstError(out) {
  return out.split("\n").find((l) => /error|fatal/i.test(l))?.trim().slice(0, 300);
}

// ---- the build -----------------------------------------------------------------------------------

const version = spawnSync(nvcc, ["--version"], { encoding: "utf8" }).stdout?.trim().split("\n").pop() ?? "nvcc";

if (checkLibs) {
  // Type-check the cuBLAS/cuDNN files against cuda/mock's stand-in declarations (never linked).
  const nodeInc = nodeApiInclude();
  if (!nodeInc) giveUp("Node-API headers not found (set NODE_API_INCLUDE)");
  const flags = [...common, "-DNAPI_VERSION=8", `-I${nodeInc}`, `-I${mockDir}`, "-DNABLA_CUDA_HAVE_CUBLAS", "-DNABLA_CUDA_HAVE_CUDNN"];
  const r = await compile(["gemm_cublas.cc", "conv_cudnn.cc"], flags, "mock");
  if (r.failures.length) giveUp(`type check against cuda/mock failed: ${r.failures.join("; ")}`);
  say(`gemm_cublas.cc and conv_cudnn.cc type-check against the stand-in cuBLAS/cuDNN declarations (${version})`);
  process.exit(0);
}

const kernelFlags = [...common, "-DNABLA_CUDA_KERNELS"];
const k = await compile(kernels, kernelFlags, "k");
if (k.failures.length) giveUp(`kernel compilation failed: ${k.failures.join("; ")}`);
if (kernelsOnly) {
  writeFileSync(logPath, logLines.join("\n"));
  say(`kernels compiled for ${arch} (${kernels.length} files, ${k.built} rebuilt) with ${version}; addon not linked (kernels-only)`);
  process.exit(0);
}

const nodeInc = nodeApiInclude();
if (!nodeInc) giveUp("Node-API headers not found (set NODE_API_INCLUDE to a folder holding node_api.h)");
const cublas = findLibrary("cublas", "cublas_v2.h", process.env.CUBLAS_INCLUDE, process.env.CUBLAS_LIB);
const cudnn = findLibrary("cudnn", "cudnn.h", process.env.CUDNN_INCLUDE, process.env.CUDNN_LIB);
const hostFlags = [...common, "-DNAPI_VERSION=8", `-I${nodeInc}`, `-DNABLA_CUDA_ARCH="${arch}"`];
if (cublas.lib) hostFlags.push(`-I${cublas.include}`, "-DNABLA_CUDA_HAVE_CUBLAS");
if (cudnn.lib) hostFlags.push(`-I${cudnn.include}`, "-DNABLA_CUDA_HAVE_CUDNN");
const h = await compile(hostSources, hostFlags, "h");
if (h.failures.length) giveUp(`compilation failed: ${h.failures.join("; ")}`);

// Link: the runtime shared, cuBLAS/cuDNN by full path, with rpaths so the addon finds them.
const libDirs = [cudaLibDir, cublas.lib && dirname(cublas.lib), cudnn.lib && dirname(cudnn.lib)].filter(Boolean);
const linkFlags = ["-shared", "--cudart", "shared", "-o", addonPath, ...k.objects, ...h.objects, `-L${cudaLibDir}`, "-lcudart"];
if (cublas.lib) linkFlags.push(cublas.lib);
if (cudnn.lib) linkFlags.push(cudnn.lib);
for (const d of new Set(libDirs)) linkFlags.push("-Xlinker", `-rpath,${d}`);
rmSync(failurePath, { force: true });
const link = await run(nvcc, linkFlags, 300_000);
logLines.push(`$ nvcc ${linkFlags.join(" ")}\n${link.out}`);
if (link.status !== 0) giveUp(`linking failed: ${firstError(link.out) ?? `nvcc exited with status ${link.status}`}`);

// Load it once in a child process: a module that builds but does not load is a failed build.
const env = { ...process.env, LD_LIBRARY_PATH: [...new Set(libDirs), process.env.LD_LIBRARY_PATH].filter(Boolean).join(delimiter) };
const check = spawnSync(process.execPath, ["-e", `const a = require(${JSON.stringify(addonPath)}); console.log(JSON.stringify(a.info()))`], { encoding: "utf8", env });
logLines.push(`load check:\n${check.stdout}\n${check.stderr}`);
if (check.status !== 0) giveUp(`the built addon does not load: ${(check.stderr || "").trim().split("\n").filter(Boolean).pop() ?? "unknown error"}`);
const info = JSON.parse(check.stdout.trim().split("\n").pop());
writeFileSync(logPath, logLines.join("\n"));
writeFileSync(infoPath, `${JSON.stringify({ nvcc: version, arch, cudaHome, cublas, cudnn, nodeApiInclude: nodeInc, libDirs, builtAt: new Date().toISOString() }, null, 2)}\n`);
const seconds = ((Date.now() - started) / 1000).toFixed(0);
const libs = `cuBLAS ${cublas.lib ? "yes" : `no (${cublas.missing} not found)`}, cuDNN ${cudnn.lib ? info.cudnnVersion || "yes" : `no (${cudnn.missing} not found)`}`;
const devices = info.deviceCount > 0 ? `${info.deviceCount} device(s)` : `no device here (${info.deviceError || "none visible"})`;
say(`backend built in ${seconds} s for ${arch} (${libs}; ${devices}): ${addonPath}`);
