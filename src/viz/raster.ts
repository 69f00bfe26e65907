// SVG -> PNG through resvg (a Rust SVG renderer shipped as prebuilt npm binaries), with the Roboto
// font files from an npm package, so text renders the same on a fresh machine with no system
// fonts. Loaded on first use: importing nabla never loads the native renderer.

import { createRequire } from "node:module";

interface ResvgModule {
  Resvg: new (svg: string, options: object) => { render(): { asPng(): Uint8Array } };
}

const FONT_FILES = [
  "@expo-google-fonts/roboto/400Regular/Roboto_400Regular.ttf",
  "@expo-google-fonts/roboto/700Bold/Roboto_700Bold.ttf",
];

let renderer: { resvg: ResvgModule; fontFiles: string[] } | undefined;

function loadRenderer(fn: string): { resvg: ResvgModule; fontFiles: string[] } {
  if (renderer) return renderer;
  const require = createRequire(import.meta.url);
  try {
    const resvg = require("@resvg/resvg-js") as ResvgModule;
    const fontFiles = FONT_FILES.map((f) => require.resolve(f));
    renderer = { resvg, fontFiles };
    return renderer;
  } catch (err) {
    const reason = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new Error(
      `${fn}: PNG output needs the npm packages @resvg/resvg-js (with its prebuilt binary for ${process.platform}-${process.arch}) ` +
        `and @expo-google-fonts/roboto, which failed to load (${reason}); reinstall with npm ci, or write SVG only`,
    );
  }
}

/** Rasterise an SVG document at its own width and height. */
export function svgToPng(svg: string, fn: string): Uint8Array {
  const { resvg, fontFiles } = loadRenderer(fn);
  const image = new resvg.Resvg(svg, {
    font: { loadSystemFonts: false, fontFiles, defaultFontFamily: "Roboto", sansSerifFamily: "Roboto" },
    background: "#ffffff",
  });
  const png = image.render().asPng();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}
