/**
 * `deno task build`: bundles the islands ahead of time into the cache the server reads
 * (node_modules/.cache/islands/<key>), and prints each bundle with its gzipped size.
 */
import { buildIslands } from "../routes/assets.ts";

const started = performance.now();
const build = await buildIslands();
console.log(`islands ${build.key} ready in ${Math.round(performance.now() - started)} ms`);
for (const [name, file] of [...build.files].sort(([a], [b]) => a.localeCompare(b))) {
  console.log(
    `  ${name.padEnd(40)} ${(file.body.length / 1024).toFixed(1).padStart(7)} KB` +
      `  gzip ${(file.gzip.length / 1024).toFixed(1).padStart(6)} KB`,
  );
}
