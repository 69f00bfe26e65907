// nb.distributed: process groups and collectives over Gloo (docs/distributed.md).
export {
  initProcessGroup, isInitialized, getRank, getWorldSize, destroyProcessGroup, type InitProcessGroupOptions,
} from "./process-group.js";
export {
  allReduce, allReduceSync, broadcast, broadcastSync, allGather, allGatherSync, reduceScatter, reduceScatterSync, barrier, barrierSync,
  type ReduceOp,
} from "./collectives.js";
export { glooUnavailableReason } from "./addon.js";
