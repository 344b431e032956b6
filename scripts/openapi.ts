/**
 * `deno task openapi`: writes openapi/openapi.json (OpenAPI 3.1) from the route definitions.
 *
 * The app is built over a database client that is never connected, so no database is needed.
 * Keys are written in a stable order (sorted, except schema `properties` and example values,
 * which keep their declaration order), pretty-printed, with a trailing newline.
 */
import postgres from "postgres";
import { createApi, documentInfo } from "../api/mod.ts";
import { composeDeps } from "../app.ts";
import { loadConfig } from "../config.ts";

export const OPENAPI_PATH = new URL("../openapi/openapi.json", import.meta.url);

/** Keys whose values are payloads (kept verbatim) or property maps (kept in schema order). */
const VERBATIM = new Set(["example", "examples", "default", "const", "enum"]);
const PROPERTY_MAPS = new Set(["properties", "patternProperties"]);
/** The conventional order of the top-level keys; any other key follows, sorted. */
const TOP = ["openapi", "info", "servers", "tags", "security", "paths", "components", "webhooks"];

type Mode = "sort" | "keep" | "props";

function canonical(value: unknown, mode: Mode): unknown {
  if (mode === "keep" || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item) => canonical(item, "sort"));
  const record = value as Record<string, unknown>;
  const keys = mode === "props" ? Object.keys(record) : Object.keys(record).sort();
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const child: Mode = mode === "props"
      ? "sort"
      : VERBATIM.has(key)
      ? "keep"
      : PROPERTY_MAPS.has(key)
      ? "props"
      : "sort";
    out[key] = canonical(record[key], child);
  }
  return out;
}

/** Returns the committed text of an OpenAPI document: stable key order, trailing newline. */
export function documentText(document: unknown): string {
  const sorted = canonical(document, "sort") as Record<string, unknown>;
  const rank = (key: string) => (TOP.includes(key) ? TOP.indexOf(key) : TOP.length);
  const keys = Object.keys(sorted).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const ordered = Object.fromEntries(keys.map((key) => [key, sorted[key]]));
  return JSON.stringify(ordered, null, 2) + "\n";
}

/** Returns the OpenAPI document of the app, built without touching a database. */
export async function buildDocument(): Promise<unknown> {
  const sql = postgres("postgres://unused@127.0.0.1:9/unused", { max: 1 });
  try {
    const app = createApi(composeDeps({
      config: loadConfig({ APP_ENV: "test" }),
      sql,
      log: () => {},
      now: () => new Date(),
    }));
    return app.getOpenAPI31Document(documentInfo);
  } finally {
    await sql.end({ timeout: 0 });
  }
}

if (import.meta.main) {
  const text = documentText(await buildDocument());
  const before = await Deno.readTextFile(OPENAPI_PATH).catch(() => "");
  await Deno.writeTextFile(OPENAPI_PATH, text);
  const operations = Object.values(JSON.parse(text).paths as Record<string, object>)
    .reduce((n, item) => n + Object.keys(item).length, 0);
  console.log(
    `${before === text ? "unchanged" : "wrote"} openapi/openapi.json (${operations} operations)`,
  );
}
