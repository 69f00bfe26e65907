// The dashboard page's stylesheet (see index-html.ts for why it is a string module).

export const STYLE_CSS = String.raw`
:root { --fg: #1d2330; --muted: #6b7280; --line: #e5e7eb; --bg: #fafafa; --card: #fff; --accent: #2563eb; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: baseline; gap: 16px; padding: 10px 20px; background: #111827; color: #fff; }
header h1 { margin: 0; font-size: 18px; }
header .light { font-weight: 400; opacity: 0.7; }
header .muted { color: #cbd5e1; }
main { padding: 12px 20px 40px; }
h2 { font-size: 15px; margin: 18px 0 8px; }
h3 { font-size: 14px; margin: 10px 0 4px; }
.muted { color: var(--muted); }
.small { font-size: 12px; }
table { border-collapse: collapse; background: var(--card); width: 100%; }
th, td { text-align: left; padding: 4px 10px; border-bottom: 1px solid var(--line); white-space: nowrap; }
td.about { white-space: normal; color: var(--muted); font-size: 12px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: middle; }
.status-running { color: #b45309; font-weight: 600; }
.status-finished { color: #047857; }
#progress .run-progress { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; margin: 8px 0; }
#progress progress { width: 100%; height: 10px; }
#charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 14px; margin-top: 14px; }
.chart { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 8px; min-width: 0; }
.chart h3 { margin: 0 0 4px; }
#diagnosis .verdict { background: var(--card); border-left: 4px solid var(--accent); padding: 8px 14px; margin: 8px 0; }
#diagnosis ul { margin: 4px 0; padding-left: 20px; }
#filters { display: flex; flex-wrap: wrap; gap: 14px; }
#filters figure { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 8px; }
#filters img { image-rendering: pixelated; min-width: 280px; max-width: 560px; display: block; }
`;
