// Headless Debian Chromium for viewer tests and screenshots (no browser download: playwright-core only).
// playwright gives each launch a fresh, temporary profile.
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      // WebGL (sigma) through software rendering.
      "--use-angle=swiftshader",
      "--enable-unsafe-swiftshader",
    ],
  });
}
