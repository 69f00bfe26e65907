// Bundles nabla's browser build (src/index.browser.ts) the way a web bundler does for a page:
// esbuild (the bundler tsx runs on) with platform "browser". Used by test/browser/.

import * as esbuild from "esbuild";
import { fileURLToPath } from "node:url";

export const BROWSER_ENTRY = fileURLToPath(new URL("../../src/index.browser.ts", import.meta.url));

export interface Bundle {
  code: string;
  metafile: esbuild.Metafile;
  warnings: esbuild.Message[];
}

/**
 * One ES module holding `entry` and everything it imports. A failed resolution (a Node module the
 * browser has not) rejects with esbuild's messages, each naming the file and the import.
 */
export async function bundleForBrowser(entry = BROWSER_ENTRY, opts: { minify?: boolean } = {}): Promise<Bundle> {
  let result: esbuild.BuildResult<{ write: false; metafile: true }>;
  try {
    result = await esbuild.build({
      entryPoints: [entry], bundle: true, platform: "browser", format: "esm", target: "es2022",
      minify: opts.minify ?? false, write: false, metafile: true, logLevel: "silent",
    });
  } catch (e) {
    const errors = (e as esbuild.BuildFailure).errors ?? [];
    if (errors.length === 0) throw e;
    const lines = errors.map((m) => `${m.location ? `${m.location.file}:${m.location.line}: ` : ""}${m.text}`);
    throw new Error(`esbuild could not bundle ${entry} for a browser (${errors.length} errors):\n${lines.join("\n")}`);
  }
  return { code: result.outputFiles[0].text, metafile: result.metafile, warnings: result.warnings };
}

/** Imports left in the bundle that a browser cannot resolve: node: builtins and bare Node module names. */
export function nodeImportsIn(code: string): string[] {
  const found = code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["']((?:node:)?(?:fs|fs\/promises|path|os|url|module|zlib|buffer|stream|util|events|assert|crypto|child_process|worker_threads|http|net)|node:[^"']+)["']/g);
  return [...found].map((m) => m[1]);
}
