import assert from "node:assert/strict";
import { buildIslands, type Bundler, type IslandBuild, runBundler } from "../../routes/assets.ts";

/** Returns every file an entry loads (static and dynamic imports), itself included. */
function reachable(build: IslandBuild, entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    const file = build.files.get(name);
    assert.ok(file, `${name} is part of the build`);
    seen.add(name);
    const code = new TextDecoder().decode(file.body);
    for (const m of code.matchAll(/(?:from|import)\s*\(?\s*"\.\/([^"]+\.js)"/g)) visit(m[1]);
  };
  visit(entry);
  return seen;
}

Deno.test("islands bundle once per source version, with content-hashed names", async () => {
  const cache = new URL(`file://${await Deno.makeTempDir({ prefix: "ett-islands-" })}/`);
  try {
    let bundled = 0;
    const counting: Bundler = (tmp, out) => {
      bundled++;
      return runBundler(tmp, out);
    };
    const first = await buildIslands(cache, counting);
    assert.equal(bundled, 1);
    for (const [name, file] of Object.entries(first.entries)) {
      assert.match(file, new RegExp(`^${name}\\.[0-9a-f]{10}\\.js$`));
    }
    const again = await buildIslands(cache, counting);
    assert.equal(bundled, 1, "the second build of the same sources comes from the cache");
    assert.equal(again.key, first.key);
    assert.deepEqual(again.entries, first.entries);
    assert.deepEqual([...again.files.keys()].sort(), [...first.files.keys()].sort());

    // The player page loads the Chart and DemoGenerator islands: under 80 KB gzipped.
    const files = new Set([
      ...reachable(first, first.entries.Chart),
      ...reachable(first, first.entries.DemoGenerator),
    ]);
    const gzip = [...files].reduce((n, f) => n + first.files.get(f)!.gzip.length, 0);
    assert.ok(gzip < 80 * 1024, `player page JS ${gzip} bytes gzipped`);
    // chart.js is tree-shaken: controllers the pages do not use are not bundled.
    const all = [...first.files.values()].map((f) => new TextDecoder().decode(f.body)).join("");
    for (const unused of ["doughnut", "radar", "polarArea", "bubble"]) {
      assert.ok(!all.includes(`"${unused}"`), `${unused} controller left out`);
    }
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
});
