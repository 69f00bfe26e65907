// A rank of the launcher test: prints the variables `nabla run` set, then exits with $EXIT_CODE.
const { RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, GROUP_RANK, MASTER_ADDR, MASTER_PORT } = process.env;
console.log(JSON.stringify({ RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, GROUP_RANK, MASTER_ADDR, MASTER_PORT, args: process.argv.slice(2) }));
