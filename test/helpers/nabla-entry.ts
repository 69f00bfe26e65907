// The `nabla` command run from the TypeScript sources, for tests that need it as a separate
// process (signals, kill -9, file-size limits): node --import tsx test/helpers/nabla-entry.ts …
import { main } from "../../src/cli/main.js";

process.exitCode = await main(process.argv.slice(2));
