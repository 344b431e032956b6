/**
 * Static assets of the pages: the stylesheet and the island bundles.
 *
 * Islands are bundled with `deno bundle` (browser platform, minified, ESM with code splitting so
 * preact and chart.js are shared chunks): one generated entry per island that imports the island
 * and hands it to islands/_boot.ts. The output is cached under node_modules/.cache/islands/<key>,
 * where the key hashes every file of islands/, deno.json, deno.lock and the Deno version, so a
 * restart with unchanged sources reuses it and `deno task build` can prepare it ahead of time.
 * Entry files are renamed `<Island>.<content hash>.js`; chunks already carry esbuild's content
 * hash. Everything is served with a one-year immutable cache header, gzipped when accepted.
 */
import { type StaticFile, staticFile } from "../http/static.ts";
import { islandModules, type IslandName } from "../islands/mod.ts";

const ROOT = new URL("../", import.meta.url);
const ISLANDS_DIR = new URL("islands/", ROOT);
/** Where built bundles are cached (ignored by git, fmt and lint like the rest of node_modules). */
export const DEFAULT_CACHE_DIR = new URL("node_modules/.cache/islands/", ROOT);

/** A finished island build. */
export interface IslandBuild {
  key: string;
  /** Island name → file name of its entry bundle. */
  entries: Record<IslandName, string>;
  /** File name → contents (entries and shared chunks). */
  files: Map<string, StaticFile>;
}

async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function readIfExists(url: URL): Promise<string> {
  try {
    return await Deno.readTextFile(url);
  } catch {
    return "";
  }
}

/** Returns the cache key of the current island sources and toolchain. */
export async function sourceKey(): Promise<string> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(ISLANDS_DIR)) {
    if (entry.isFile && /\.(ts|tsx)$/.test(entry.name)) names.push(entry.name);
  }
  names.sort();
  let text = `deno ${Deno.version.deno}\n`;
  for (const name of names) {
    text += `== ${name}\n${await Deno.readTextFile(new URL(name, ISLANDS_DIR))}`;
  }
  for (const name of ["deno.json", "deno.lock"]) {
    text += `== ${name}\n${await readIfExists(new URL(name, ROOT))}`;
  }
  return (await sha256Hex(text)).slice(0, 16);
}

async function loadBuild(dir: URL, key: string): Promise<IslandBuild | null> {
  let manifest: { entries: Record<IslandName, string> };
  try {
    manifest = JSON.parse(await Deno.readTextFile(new URL("manifest.json", dir)));
  } catch {
    return null;
  }
  const files = new Map<string, StaticFile>();
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || !entry.name.endsWith(".js")) continue;
    const body = await Deno.readFile(new URL(entry.name, dir));
    files.set(entry.name, await staticFile(body, "text/javascript; charset=utf-8"));
  }
  return { key, entries: manifest.entries, files };
}

/** Bundles every island into `out` (`tmp` holds the generated entry files). */
export type Bundler = (tmp: URL, out: URL) => Promise<void>;

/** Bundles the islands with `deno bundle`. */
export async function runBundler(tmp: URL, out: URL): Promise<void> {
  const entries: string[] = [];
  await Deno.mkdir(new URL("entries/", tmp), { recursive: true });
  const boot = new URL("_boot.ts", ISLANDS_DIR).href;
  for (const [name, module] of Object.entries(islandModules)) {
    const file = new URL(`entries/${name}.js`, tmp);
    await Deno.writeTextFile(
      file,
      `import { boot } from ${JSON.stringify(boot)};\n` +
        `import Island from ${JSON.stringify(new URL(module, ISLANDS_DIR).href)};\n` +
        `boot(${JSON.stringify(name)}, Island);\n`,
    );
    entries.push(file.pathname);
  }
  const result = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--config",
      new URL("deno.json", ROOT).pathname,
      "--platform",
      "browser",
      "--format",
      "esm",
      "--minify",
      "--code-splitting",
      "--outdir",
      out.pathname,
      ...entries,
    ],
    cwd: ROOT.pathname,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!result.success) {
    const text = new TextDecoder().decode(result.stderr) + new TextDecoder().decode(result.stdout);
    throw new Error(`deno bundle failed (exit ${result.code}): ${text.trim().slice(0, 2000)}`);
  }
}

/** Returns the island build for the current sources: from the cache, or bundled now. */
export async function buildIslands(
  cacheDir: URL = DEFAULT_CACHE_DIR,
  bundle: Bundler = runBundler,
): Promise<IslandBuild> {
  const key = await sourceKey();
  const dir = new URL(`${key}/`, cacheDir);
  const cached = await loadBuild(dir, key);
  if (cached) return cached;

  await Deno.mkdir(cacheDir, { recursive: true });
  const tmp = new URL(`.tmp-${crypto.randomUUID()}/`, cacheDir);
  const out = new URL("out/", tmp);
  try {
    await bundle(tmp, out);
    const entries = {} as Record<IslandName, string>;
    for (const name of Object.keys(islandModules) as IslandName[]) {
      const body = await Deno.readFile(new URL(`${name}.js`, out));
      const hashed = `${name}.${(await sha256Hex(body)).slice(0, 10)}.js`;
      await Deno.rename(new URL(`${name}.js`, out), new URL(hashed, out));
      entries[name] = hashed;
    }
    await Deno.writeTextFile(new URL("manifest.json", out), JSON.stringify({ entries }, null, 2));
    try {
      await Deno.rename(out, dir);
    } catch {
      // Another process finished the same build first; use its copy.
    }
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
  const built = await loadBuild(dir, key);
  if (!built) throw new Error(`island build ${key} missing after bundling`);
  await pruneOldBuilds(cacheDir, key);
  return built;
}

/** Removes builds of other source versions that were last written over an hour ago. */
async function pruneOldBuilds(cacheDir: URL, keep: string): Promise<void> {
  const cutoff = Date.now() - 3_600_000;
  for await (const entry of Deno.readDir(cacheDir)) {
    if (!entry.isDirectory || entry.name === keep) continue;
    const url = new URL(`${entry.name}/`, cacheDir);
    const info = await Deno.stat(url).catch(() => null);
    if (info?.mtime && info.mtime.getTime() < cutoff) {
      await Deno.remove(url, { recursive: true }).catch(() => {});
    }
  }
}
