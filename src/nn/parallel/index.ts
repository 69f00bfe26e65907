// nn.parallel: data-parallel wrappers over nb.distributed.
export { DistributedDataParallel, type DistributedDataParallelOptions } from "./distributed-data-parallel.js";
