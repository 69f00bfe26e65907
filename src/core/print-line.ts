// A line of progress output: stdout under Node, the console where there is none (a browser page),
// so that verbose training helpers run in the browser build too.
export function printLine(text: string): void {
  if (typeof process !== "undefined" && process.stdout) process.stdout.write(`${text}\n`);
  else console.log(text);
}
