// The plan's edge and bootstrap commands are shell strings; the rig runs them exactly as Pulumi's
// local.Command does: `sh -c <string>` on this machine.
import { execFile } from "node:child_process";

export class ShellCommandError extends Error {
  override name = "ShellCommandError";
}

export function runShell(what: string, command: string, timeoutMs = 180_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("sh", ["-c", command], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const output = `${stdout}${stderr}`.trim();
        reject(new ShellCommandError(`${what}: \`${command}\` failed (${error.message.split("\n")[0]})${output ? `:\n${output}` : ""}`));
      } else resolve(stdout);
    });
  });
}
