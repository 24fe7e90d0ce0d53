// Renders Graphviz DOT to SVG offline for `make review` (scripts/review.py).
// Reads a JSON array of DOT sources on stdin, writes a JSON array of SVG strings on stdout.
// Graphviz runs as WebAssembly inside @viz-js/viz (pinned in package.json): no native binary, no network.
import { instance } from "@viz-js/viz";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const viz = await instance();
const out = JSON.parse(input).map((dot) => {
  const result = viz.render(dot, { format: "svg" });
  if (result.status !== "success") {
    throw new Error(result.errors.map((e) => e.message).join("\n"));
  }
  return result.output;
});
process.stdout.write(JSON.stringify(out));
