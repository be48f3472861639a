// The page is bundled when the viewer starts (esbuild, ~0.1 s), so there is no build step to forget.
import { build } from "esbuild";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const pageDir = join(dirname(fileURLToPath(import.meta.url)), "page");

export async function bundlePage(): Promise<{ html: string; js: string }> {
  const result = await build({
    entryPoints: [join(pageDir, "app.ts")],
    bundle: true,
    write: false,
    format: "iife",
    target: "es2022",
    minify: true,
    logLevel: "silent",
  });
  return { html: await readFile(join(pageDir, "index.html"), "utf8"), js: result.outputFiles[0]!.text };
}
