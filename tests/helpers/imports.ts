/**
 * The import rules of docs/architecture.md as a checker: every import of every source file is
 * resolved to a repository path and held against the layer map below.
 */
import { dirname, join, normalize, relative } from "node:path";

/**
 * What each application folder may import (besides packages): always downwards. `core/` is pure
 * and imports nothing but itself; `api/` and `routes/` (the two edges) never import each other;
 * `http/` (what both edges share) imports neither edge.
 */
export const LAYERS: Record<string, readonly string[]> = {
  core: ["core"],
  openapi: ["openapi", "core"],
  db: ["db", "core", "config.ts"],
  services: ["services", "db", "core", "openapi", "config.ts"],
  http: ["http", "db", "core", "config.ts"],
  api: ["api", "http", "services", "db", "core", "openapi", "config.ts"],
  islands: ["islands", "openapi", "core"],
  routes: ["routes", "islands", "http", "services", "db", "core", "openapi", "config.ts"],
};

/** Packages `core/` may use: pure computation only (no I/O, no clock). */
export const CORE_PACKAGES: readonly string[] = ["node:crypto"];

const IMPORT_PATTERNS = [
  /^\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/gm,
  /^\s*import\s*["']([^"']+)["']/gm,
  /\bimport\(\s*["']([^"']+)["']\s*\)/g,
];

/** Returns the module specifiers a source file imports (static, re-export and dynamic). */
export function importsOf(source: string): string[] {
  const found: string[] = [];
  for (const pattern of IMPORT_PATTERNS) {
    for (const match of source.matchAll(pattern)) found.push(match[1]);
  }
  return found;
}

/** Returns the top folder of a repository path (`api/mod.ts` → `api`; `app.ts` → `app.ts`). */
function topOf(path: string): string {
  return path.split("/")[0];
}

/** Returns every broken rule as `file → import: rule`, for sources keyed by repository path. */
export function importViolations(sources: Record<string, string>): string[] {
  const violations: string[] = [];
  for (const [file, source] of Object.entries(sources)) {
    const from = topOf(file);
    for (const spec of importsOf(source)) {
      const broken = (rule: string) => violations.push(`${file} → ${spec}: ${rule}`);
      if (!spec.startsWith(".")) {
        if (from === "core" && !CORE_PACKAGES.includes(spec)) broken("core/ imports no package");
        continue;
      }
      const target = normalize(join(dirname(file), spec));
      if (target.startsWith("..")) {
        broken("outside the repository");
        continue;
      }
      const to = topOf(target);
      const allowed = LAYERS[from];
      if (allowed && !allowed.includes(to)) {
        broken(`${from}/ may import only ${allowed.join(", ")}`);
      }
      const name = target.split("/").pop()!;
      if (name.startsWith("_") && dirname(target) !== dirname(file)) {
        broken(`${name} is private to ${dirname(target)}/`);
      }
      if (to === "tests" && from !== "tests" && from !== "chaos") {
        broken("only tests/ and chaos/ import tests/");
      }
    }
  }
  return violations.sort();
}

const SKIP = new Set(["node_modules", "vendor", "data", ".git"]);

/** Returns every .ts/.tsx file under `root` keyed by its repository path (vendored code skipped). */
export async function repositorySources(root: string): Promise<Record<string, string>> {
  const sources: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory && !SKIP.has(entry.name)) await walk(path);
      else if (entry.isFile && /\.tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts")) {
        sources[relative(root, path)] = await Deno.readTextFile(path);
      }
    }
  };
  await walk(root);
  return sources;
}
