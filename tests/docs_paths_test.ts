/**
 * The docs name real files: every repository path a doc, the README or deploy/nginx.conf names
 * exists, and no doc counts the migrations in words that went stale ("both migrations").
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url).pathname;
const TOP = [
  "api",
  "bench",
  "chaos",
  "core",
  "db",
  "deploy",
  "docs",
  "http",
  "islands",
  "migrations",
  "openapi",
  "routes",
  "scripts",
  "sdk",
  "services",
  "static",
  "tests",
  "vendor",
];
const PATH = new RegExp(
  `(?<![\\w./-])((?:${TOP.join("|")})/[\\w./-]*\\.(?:ts|tsx|md|sql|conf|json|sh|png))(?![\\w/-])`,
  "g",
);

/** Returns the texts the docs test reads, by repository path. */
async function documents(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const entry of Deno.readDir(`${ROOT}docs`)) {
    if (entry.name.endsWith(".md")) {
      out[`docs/${entry.name}`] = await Deno.readTextFile(`${ROOT}docs/${entry.name}`);
    }
  }
  out["README.md"] = await Deno.readTextFile(`${ROOT}README.md`);
  out["deploy/nginx.conf"] = await Deno.readTextFile(`${ROOT}deploy/nginx.conf`);
  return out;
}

/** Returns whether a repository path exists. */
async function exists(path: string): Promise<boolean> {
  return await Deno.stat(`${ROOT}${path}`).then(() => true, () => false);
}

/**
 * Returns the docs screenshots `deno task screenshots` writes (1280 px and `-phone`, of each
 * `doc: true` page of the browser tests): generated files, like openapi.json, that a branch may
 * name before the lead regenerates them (tests/readme_test.ts checks the README names no other).
 */
async function generatedScreenshots(): Promise<Set<string>> {
  const e2e = await Deno.readTextFile(`${ROOT}tests/e2e/pages_e2e.ts`);
  const pages = [...e2e.matchAll(/name: "([\w-]+)",(?:(?!name:)[^\]])*?doc: true/g)];
  return new Set(
    pages.flatMap((m) => [`docs/screenshots/${m[1]}.png`, `docs/screenshots/${m[1]}-phone.png`]),
  );
}

Deno.test("every repository path the docs, the README and deploy/nginx.conf name exists", async () => {
  const missing: string[] = [];
  const generated = await generatedScreenshots();
  assert.ok(generated.has("docs/screenshots/company.png"), "the company page is shot");
  for (const [doc, text] of Object.entries(await documents())) {
    for (const [, path] of text.matchAll(PATH)) {
      if (/[{]|NNNN|\/X\./.test(path)) continue; // placeholders: {id}, NNNN_name, islands/X.tsx
      if (generated.has(path)) continue; // written by `deno task screenshots`
      if (!(await exists(path.replace(/\.$/, "")))) missing.push(`${doc}: ${path}`);
    }
  }
  assert.deepEqual(missing, []);
});

Deno.test("no doc says “both migrations” (there are more than two)", async () => {
  const migrations = [...Deno.readDirSync(`${ROOT}migrations`)].filter((e) =>
    e.name.endsWith(".sql")
  );
  assert.ok(migrations.length > 2);
  const stale = Object.entries(await documents())
    .filter(([, text]) => /both migrations/i.test(text))
    .map(([doc]) => doc);
  assert.deepEqual(stale, []);
});

Deno.test("the production example of docs/deploy.md grants dashboard reads (DASHBOARD_TOKEN_MAP)", async () => {
  const deploy = await Deno.readTextFile(`${ROOT}docs/deploy.md`);
  const start = deploy.indexOf("```sh\nAPP_ENV=production");
  assert.ok(start >= 0, "docs/deploy.md opens with a production example");
  const example = deploy.slice(start, deploy.indexOf("```", start + 6));
  assert.match(example, /^DASHBOARD_TOKEN_MAP='[^']+:[^']+'/m);
});

Deno.test("docs/screenshots/ is written only by `deno task screenshots`, never by `deno task e2e`", async () => {
  const { tasks } = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  assert.doesNotMatch(tasks.e2e, /DOCS_SCREENSHOTS/);
  assert.match(
    tasks.screenshots,
    /DOCS_SCREENSHOTS=1 deno test --allow-all tests\/e2e\/pages_e2e\.ts/,
  );
  const e2e = await Deno.readTextFile(`${ROOT}tests/e2e/pages_e2e.ts`);
  const writes = [...e2e.matchAll(/screenshot\(`\$\{DOCS_SHOTS\}/g)].map((m) => m.index);
  assert.ok(writes.length >= 2, "the browser tests write the docs' screenshots");
  // Every write of a docs screenshot sits inside the one `if (p.doc && DOCS_SCREENSHOTS)` block.
  const guard = e2e.indexOf("if (p.doc && DOCS_SCREENSHOTS) {");
  const end = e2e.indexOf("\n    }\n", guard);
  assert.ok(guard > 0 && writes.every((i) => i > guard && i < end));
});
