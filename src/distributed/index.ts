// nb.distributed: process groups and collectives over Gloo (docs/distributed.md).
export {
  initProcessGroup, isInitialized, getRank, getWorldSize, allReduce, broadcast, allGather, barrier, destroyProcessGroup,
  type InitProcessGroupOptions, type ReduceOp,
} from "./process-group.js";
export { glooUnavailableReason } from "./addon.js";
