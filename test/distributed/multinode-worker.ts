// One rank of the multi-node launcher test: prints the variables `nabla run --nnodes` set and the
// result of collectives over every node's ranks. DIST_CASE=die: global rank 1 exits with status 3.
import * as nb from "../../src/index.js";

const { RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, GROUP_RANK } = process.env;
await nb.distributed.initProcessGroup({ timeoutMs: 20000 });
const rank = nb.distributed.getRank();
if (process.env.DIST_CASE === "die" && rank === 1) process.exit(3);
const sum = (await nb.distributed.allReduce(nb.tensor([rank, 1]))).toArray();
const locals = (await nb.distributed.allGather(nb.tensor([Number(LOCAL_RANK)], { dtype: "int32" }))).map((t) => t.item());
await nb.distributed.destroyProcessGroup();
console.log(JSON.stringify({ RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, GROUP_RANK, sum, locals }));
