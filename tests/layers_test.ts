/** The import rules of docs/architecture.md hold for the repository and catch each breach. */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { importCycles, importsOf, importViolations, repositorySources } from "./helpers/imports.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

Deno.test("importViolations finds none in the repository", async () => {
  const sources = await repositorySources(ROOT);
  for (const file of ["app.ts", "api/mod.ts", "routes/mod.ts", "http/auth.ts", "core/rollup.ts"]) {
    assert.ok(file in sources, `${file} is scanned`);
  }
  assert.deepEqual(importViolations(sources), []);
});

Deno.test("importsOf reads static, multi-line, re-export, side-effect and dynamic imports", () => {
  const source = [
    'import { a } from "./a.ts";',
    "import {",
    "  b,",
    "  c,",
    '} from "../b.ts";',
    'import type { T } from "./t.ts";',
    'export { d } from "./d.ts";',
    'import "./side.ts";',
    'const m = await import("./lazy.ts");',
    "// a sentence that mentions from without quotes",
  ].join("\n");
  assert.deepEqual(importsOf(source).sort(), [
    "../b.ts",
    "./a.ts",
    "./d.ts",
    "./lazy.ts",
    "./side.ts",
    "./t.ts",
  ]);
});

Deno.test("importViolations names each broken rule when files break them", () => {
  const violations = importViolations({
    "api/x.ts": 'import { page } from "../routes/mod.ts";',
    "routes/y.tsx": 'import type { AppEnv } from "../api/context.ts";',
    "routes/z.tsx": 'import { fixed } from "../islands/_format.ts";',
    "tests/routes/w_test.ts": 'import { render } from "../../routes/_render.tsx";',
    "bench/v.ts": 'import { freePort } from "../tests/helpers/process.ts";',
    "core/u.ts": 'import { sql } from "../db/client.ts";\nimport postgres from "postgres";',
    "http/t.ts": 'import { createApi } from "../api/mod.ts";',
    "services/s.ts": 'import { x } from "../http/errors.ts";',
    "db/r.ts": 'import { y } from "../../outside.ts";',
  });
  assert.deepEqual(violations, [
    "api/x.ts → ../routes/mod.ts: api/ may import only api, http, services, db, core, openapi, config.ts",
    "bench/v.ts → ../tests/helpers/process.ts: only tests/ and chaos/ import tests/",
    "core/u.ts → ../db/client.ts: core/ may import only core",
    "core/u.ts → postgres: core/ imports no package",
    "db/r.ts → ../../outside.ts: outside the repository",
    "http/t.ts → ../api/mod.ts: http/ may import only http, db, core, config.ts",
    "routes/y.tsx → ../api/context.ts: routes/ may import only routes, islands, http, services, db, core, openapi, config.ts",
    "routes/z.tsx → ../islands/_format.ts: _format.ts is private to islands/",
    "services/s.ts → ../http/errors.ts: services/ may import only services, db, core, openapi, config.ts",
    "tests/routes/w_test.ts → ../../routes/_render.tsx: _render.tsx is private to routes/",
  ]);
});

Deno.test("importViolations allows private files within their folder and packages outside core", () => {
  assert.deepEqual(
    importViolations({
      "routes/page.tsx": 'import { sendPage } from "./_page.tsx";\nimport { h } from "preact";',
      "core/hash.ts": 'import { createHash } from "node:crypto";\nimport { x } from "./time.ts";',
      "chaos/soak_test.ts": 'import { freePort } from "../tests/helpers/process.ts";',
      "app.ts": 'import { createApi } from "./api/mod.ts";\nimport { p } from "./routes/mod.ts";',
    }),
    [],
  );
});

Deno.test("importCycles finds no import cycle between any two files of the repository", async () => {
  const sources = await repositorySources(ROOT);
  assert.deepEqual(importCycles(sources), []);
});

Deno.test("importCycles names each cycle, type-only imports and self-imports included", () => {
  const cycles = importCycles({
    "http/auth.ts": 'import type { AppEnv } from "./context.ts";',
    "http/context.ts": 'import type { Metrics } from "./metrics.ts";',
    "http/metrics.ts": 'import { bearerToken } from "./auth.ts";',
    "core/a.ts": 'import { b } from "./b.ts";',
    "core/b.ts": 'import { a } from "./a.ts";\nimport { c } from "./c.ts";',
    "core/c.ts": "export const c = 1;",
    "db/self.ts": 'export { x } from "./self.ts";',
    "app.ts": 'import { createApi } from "./api/mod.ts";',
  });
  assert.deepEqual(cycles, [
    "core/a.ts → core/b.ts → core/a.ts",
    "db/self.ts → db/self.ts",
    "http/auth.ts → http/context.ts → http/metrics.ts → http/auth.ts",
  ]);
  assert.deepEqual(importCycles({ "a.ts": 'import "./b.ts";', "b.ts": "" }), []);
});
