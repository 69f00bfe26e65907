// Child process of native-isa.test.ts: loads the native addon under the NABLA_ISA the parent set,
// runs the GEMM cases of isaGemmCases() natively and prints { info, outputs } as one JSON line.

import { cpuBackend } from "../../src/backend/cpu/index.js";
import { nativeBackend, nativeInfo } from "../../src/backend/native/index.js";
import { isaGemmCases } from "./native-isa-cases.js";

const native = nativeBackend(cpuBackend);
const outputs = isaGemmCases().map(({ a, b, out }) => {
  native.matmul(a, b, out);
  return Array.from(out.buf as Float32Array);
});
const info = nativeInfo();
console.log(JSON.stringify({ info: info && { isa: info.isa, isas: info.isas, gemmKernel: info.gemmKernel, isaWarning: info.isaWarning }, outputs }));
