// Entry point of the bundled netlab CLI (the viewer image runs it); bin/netlab.js runs the sources with tsx.
import { main } from "./main.js";

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`netlab: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
