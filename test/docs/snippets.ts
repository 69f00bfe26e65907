// Runs the code of a Markdown guide: every ```ts block becomes a module run on its own, and the
// output the prose promises is checked. Conventions inside a ts block:
//   // prints: <text>        stdout contains <text> (after whatever the previous check matched)
//   // matches: /<re>/<fl>   stdout matches the regular expression (same ordering rule)
// `from "nabla"` is rewritten to this checkout's src/index.ts, so the guide reads like user code.
// ```console blocks hold shell sessions: lines starting with "$ " are commands, the rest their output.

import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";

export interface Block {
  lang: string;
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The nearest heading above the block. */
  section: string;
}

export type Expectation =
  | { kind: "prints"; text: string; line: number }
  | { kind: "matches"; regex: RegExp; line: number };

/** Fenced code blocks in document order (``` fences only, as the guide uses). */
export function extractBlocks(markdown: string): Block[] {
  const lines = markdown.split("\n");
  const blocks: Block[] = [];
  let section = "";
  for (let i = 0; i < lines.length; i++) {
    const heading = /^#{1,6}\s+(.*)$/.exec(lines[i]);
    if (heading) section = heading[1].trim();
    const open = /^```(\S*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
    if (i >= lines.length) throw new Error(`unclosed code fence opened at line ${start + 1}`);
    blocks.push({ lang: open[1], code: body.join("\n"), line: start + 1, section });
  }
  return blocks;
}

/** The `// prints:` and `// matches:` promises of a snippet, in order. */
export function expectationsOf(code: string): Expectation[] {
  const out: Expectation[] = [];
  code.split("\n").forEach((text, i) => {
    const prints = /\/\/ prints: (.*?)\s*$/.exec(text);
    if (prints) out.push({ kind: "prints", text: prints[1], line: i + 1 });
    const matches = /\/\/ matches: \/(.*)\/([a-z]*)\s*$/.exec(text);
    if (matches) out.push({ kind: "matches", regex: new RegExp(matches[1], matches[2].replace("g", "")), line: i + 1 });
  });
  return out;
}

/** Each promise not kept by stdout, as a message; each must be found after the previous one. */
export function unmetExpectations(stdout: string, expectations: readonly Expectation[]): string[] {
  const failures: string[] = [];
  let from = 0;
  for (const e of expectations) {
    const rest = stdout.slice(from);
    if (e.kind === "prints") {
      const at = rest.indexOf(e.text);
      if (at < 0) failures.push(`snippet line ${e.line}: expected the output to contain ${JSON.stringify(e.text)}${from > 0 ? " (after the previous check)" : ""}`);
      else from += at + e.text.length;
    } else {
      const m = e.regex.exec(rest);
      if (!m) failures.push(`snippet line ${e.line}: expected the output to match ${e.regex}${from > 0 ? " (after the previous check)" : ""}`);
      else from += m.index + m[0].length;
    }
  }
  return failures;
}

/** The snippet as a module file importing this checkout's nabla instead of the package. */
export function toModule(code: string, moduleFile: string, indexFile: string): string {
  let spec = relative(dirname(moduleFile), indexFile).split(sep).join("/").replace(/\.ts$/, ".js");
  if (!spec.startsWith(".")) spec = `./${spec}`;
  return code.replace(/from\s+"nabla"/g, `from "${spec}"`);
}

export function writeModule(dir: string, name: string, code: string, indexFile: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, toModule(code, file, indexFile));
  return file;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Run a TypeScript module through tsx in a child process (not a TTY: progress bars stay one line per epoch). */
export function runModule(file: string, opts: { cwd: string; timeoutMs: number; args?: string[]; env?: NodeJS.ProcessEnv }): Promise<RunResult> {
  return new Promise((resolve) => {
    const start = performance.now();
    const child = spawn(process.execPath, ["--import", "tsx", file, ...(opts.args ?? [])], { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - start });
    });
  });
}

/** Shell commands of ```console blocks with the output lines shown under each. */
export function consoleCommands(block: Block): { command: string; output: string[] }[] {
  const out: { command: string; output: string[] }[] = [];
  for (const line of block.code.split("\n")) {
    if (line.startsWith("$ ")) out.push({ command: line.slice(2).trim(), output: [] });
    else if (out.length > 0 && line.trim() !== "") out[out.length - 1].output.push(line);
  }
  return out;
}

/** Split a shell command line into words (no quoting needed by the guide beyond plain words). */
export function shellWords(command: string): string[] {
  return command.replace(/\\\n/g, " ").split(/\s+/).filter((w) => w.length > 0);
}
