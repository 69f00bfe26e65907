#!/usr/bin/env node
// The `nabla` command (npx nabla …): runs the compiled CLI.
import { main } from "../dist/cli/main.js";

process.exitCode = await main(process.argv.slice(2));
