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

/**
 * Returns every import cycle between repository files (type-only imports included), each as
 * `a.ts → b.ts → a.ts` starting from its alphabetically first file; none is allowed anywhere.
 */
export function importCycles(sources: Record<string, string>): string[] {
  const edges = new Map<string, string[]>();
  for (const [file, source] of Object.entries(sources)) {
    const targets = importsOf(source)
      .filter((spec) => spec.startsWith("."))
      .map((spec) => normalize(join(dirname(file), spec)))
      .filter((target) => target in sources);
    edges.set(file, [...new Set(targets)].sort());
  }
  // Tarjan's strongly connected components; each component of two or more files (or a file
  // importing itself) holds a cycle, reported along one closed path through it.
  let index = 0;
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string) => {
    order.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)!) {
      if (!order.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, order.get(w)!));
    }
    if (low.get(v) === order.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      components.push(component);
    }
  };
  for (const file of [...edges.keys()].sort()) if (!order.has(file)) visit(file);
  const cycles: string[] = [];
  for (const component of components) {
    const members = new Set(component);
    const start = [...component].sort()[0];
    if (component.length === 1 && !edges.get(start)!.includes(start)) continue;
    // A shortest path back to `start` inside the component (breadth first).
    const previous = new Map<string, string>();
    const queue = [start];
    let closing: string | null = null;
    while (queue.length > 0 && closing === null) {
      const v = queue.shift()!;
      for (const w of edges.get(v)!) {
        if (w === start) {
          closing = v;
          break;
        }
        if (members.has(w) && !previous.has(w)) {
          previous.set(w, v);
          queue.push(w);
        }
      }
    }
    const path = [start];
    for (let v = closing!; v !== start; v = previous.get(v)!) path.splice(1, 0, v);
    cycles.push([...path, start].join(" → "));
  }
  return cycles.sort();
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
