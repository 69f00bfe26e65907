#!/usr/bin/env node
// The `nabla` command: runs the compiled CLI (dist/cli/main.js). In a project that depends on nabla
// it is `npx nabla …`; in this repository, `npm run nabla -- …` or `node bin/nabla.js …` (a bare
// `npx nabla` here would first install the repository into npx's cache and run its install hooks).
let main;
try {
  ({ main } = await import("../dist/cli/main.js"));
} catch (e) {
  if (e?.code === "ERR_MODULE_NOT_FOUND" && /dist[\\/]cli[\\/]main\.js/.test(String(e.message))) {
    console.error("nabla: dist/ is missing: the TypeScript sources have not been compiled. Run `npm ci` (or `npm run build`) first.");
    process.exit(1);
  }
  throw e;
}

process.exitCode = await main(process.argv.slice(2));
