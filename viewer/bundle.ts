// The page is bundled when the viewer starts (esbuild, ~0.1 s), so there is no build step to forget; the
// viewer image instead carries the page prebuilt (NETLAB_VIEWER_PAGE names its folder).
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export async function bundlePage(): Promise<{ html: string; js: string }> {
  const prebuilt = process.env.NETLAB_VIEWER_PAGE;
  if (prebuilt) return { html: await readFile(join(prebuilt, "index.html"), "utf8"), js: await readFile(join(prebuilt, "app.js"), "utf8") };
  const pageDir = join(dirname(fileURLToPath(import.meta.url)), "page");
  const { build } = await import("esbuild");
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
