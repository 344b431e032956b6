/**
 * The case generator of the fuzz run (tests/security/fuzz_test.ts): every request is derived from
 * one seed (mulberry32), so a seed and a case number replay the same request. `pathSweep` is the
 * deterministic part (every weird segment in every path template, with credentials).
 */
import { mulberry32 } from "../../core/random.ts";
import { sessionEvents } from "../helpers/play.ts";
import {
  CONTENT_TYPES,
  deep,
  EXTRA_KEYS,
  INVALID_UTF8,
  MIB,
  ODD_METHODS,
  PATH_TEMPLATES,
  QUERY_BASES,
  RAW_TOKENS,
  SEGMENTS,
  WEIRD_VALUES,
} from "./_fuzz_values.ts";

/** Which app a case goes to: the open test app or the production-configured one. */
export type AppName = "open" | "prod";

/** A request body: text, bytes, or a stream of that many bytes. */
export type Body = string | Uint8Array | { streamBytes: number };

/** One generated request. */
export interface Case {
  n: number;
  kind: string;
  app: AppName;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Body;
}

/** A JSON POST endpoint, its credential kind and a generator of valid bodies. */
export interface JsonPost {
  path: string;
  auth: "ingest" | "ingestAlways" | "admin";
  body: () => Record<string, unknown>;
}

/** What the generated requests need to know about the apps under test. */
export interface FuzzContext {
  seed: number;
  /** Company with players (its dashboards' success paths are reachable). */
  company: string;
  companyToken: string;
  /** A signed-in page session cookie ("name=value") per app. */
  cookies: Record<AppName, string>;
  prodAdminKey: string;
  prodIngestToken: string;
}

/** A seeded generator: `generate(n)` returns case `n`; the JSON endpoints and credentials. */
export interface FuzzGenerator {
  generate(n: number): Case;
  jsonPosts: readonly JsonPost[];
  validAuth(app: AppName, kind: JsonPost["auth"] | "dashboard"): Record<string, string>;
}

const enc = new TextEncoder();

/** Returns a generator whose cases depend only on `ctx` (the seed) and the order of calls. */
export function fuzzGenerator(ctx: FuzzContext): FuzzGenerator {
  const rng = mulberry32(ctx.seed);
  const int = (n: number) => Math.floor(rng() * n);
  const chance = (p: number) => rng() < p;
  function pick<T>(items: readonly T[]): T {
    return items[int(items.length)];
  }

  let rawSlot = 0;
  const rawSplices = new Map<string, string>();

  /** Returns a value that is either a weird JSON value or a sentinel for a raw token. */
  function weirdValue(): unknown {
    if (chance(0.3)) {
      const key = `__RAW_${rawSlot++}__`;
      rawSplices.set(key, pick(RAW_TOKENS));
      return key;
    }
    return pick(WEIRD_VALUES);
  }

  /** Returns JSON text with every raw-token sentinel replaced by its token. */
  function toJsonText(value: unknown): string {
    let text = JSON.stringify(value) ?? "null";
    text = text.replace(/"(__RAW_\d+__)"/g, (_, key: string) => rawSplices.get(key) ?? "null");
    return text;
  }

  const POOL_PLAYERS = ["fz-p1", "fz-p2", "fz-pool-a", "fz-pool-b"];

  function validEvent(): Record<string, unknown> {
    const session = `fz-s${int(40)}`;
    const [e] = sessionEvents({
      player: pick(POOL_PLAYERS),
      session,
      pattern: [1, 1, 1],
      start: "2026-01-06T10:00:00Z",
    });
    return {
      ...e,
      sequence_index: 1 + int(3),
      attempt_index: 1 + int(3),
      ...(chance(0.3) ? { company_id: ctx.company } : {}),
      ...(chance(0.2) ? { company_name: "Fuzz Corp" } : {}),
    };
  }

  function validSummary(): Record<string, unknown> {
    return {
      session_id: `fz-eng-${int(200)}`,
      user_external_id: pick(POOL_PLAYERS),
      started_at: "2026-01-06T10:00:00Z",
      duration_seconds: int(4000),
      sentiment_score: Math.round(rng() * 100) / 100,
    };
  }

  const jsonPosts: readonly JsonPost[] = [
    { path: "/events", auth: "ingest", body: validEvent },
    {
      path: "/events/batch",
      auth: "ingest",
      body: () => ({ events: Array.from({ length: 1 + int(3) }, validEvent) }),
    },
    {
      path: "/admin/seed_company",
      auth: "admin",
      body: () => ({ company_name: `Fuzz Company ${int(20)}` }),
    },
    { path: "/internal/ingest/session_summary", auth: "ingestAlways", body: validSummary },
  ];

  function weirdPath(): string {
    return pick(PATH_TEMPLATES).replace(/\{\}/g, () => pick(SEGMENTS));
  }

  const GET_PATHS = [
    "/health",
    "/healthz",
    "/readyz",
    "/docs",
    "/openapi.json",
    "/",
    "/players/fz-p1/sessions",
    "/model/state/fz-p1",
    "/api/dashboard/fz-p1",
    "/players/fz-p1",
    "/engagement/fz-p1",
    "/player?player_id=fz-p1",
    "/engagement?user_id=fz-p1",
    `/company?t=${ctx.companyToken}`,
    `/dashboard/company?t=${ctx.companyToken}`,
    `/dashboard/summary?t=${ctx.companyToken}`,
    `/dashboard/timeseries?t=${ctx.companyToken}&bucket=week`,
  ];

  function weirdQuery(): string {
    const hex = Array.from({ length: 24 }, () => "0123456789abcdef"[int(16)]).join("");
    const bucket = pick(["day", "week", "month", "", "DAY", "%00", "%ZZ", "1e308", "x".repeat(20)]);
    return pick([
      "",
      "?",
      "?t",
      "?t=",
      "?t=%ZZ",
      "?t=%00",
      `?t=${hex}`,
      `?t=${"a".repeat(300)}`,
      "?t=a&t=b",
      `?t=${ctx.companyToken}&t=${ctx.companyToken}`,
      "?t[]=x",
      `?t=${ctx.companyToken}&bucket=${bucket}`,
      `?t=${ctx.companyToken}&bucket=day&bucket=week`,
      `?t=${ctx.companyToken.toUpperCase()}`,
      `?t=${ctx.companyToken} `,
      "?" + Array.from({ length: 2000 }, (_, i) => `k${i}=v`).join("&"),
      "?&&&==&t&t=&%=%",
      `?t=${ctx.companyToken}#frag`,
      `?player_id=${pick(SEGMENTS)}`,
      `?user_id=${pick(SEGMENTS)}`,
      `?player_id=%20%20`,
      `?player_id=${encodeURIComponent("//evil.example")}`,
    ]);
  }

  /** Returns valid credentials for an endpoint (most of the time: a quarter go without). */
  function authHeaders(app: AppName, kind: JsonPost["auth"] | "dashboard" | "none") {
    if (kind === "none" || chance(0.25)) return {};
    const h = validAuth(app, kind);
    if (kind === "dashboard" && chance(0.5)) h.cookie = ctx.cookies[app];
    return h;
  }

  function validAuth(app: AppName, kind: JsonPost["auth"] | "dashboard") {
    const h: Record<string, string> = {};
    if (kind === "admin") {
      h["x-admin-key"] = app === "prod" ? ctx.prodAdminKey : "test-admin-key-kkkkkkkkkkkkkkkkk";
    } else if (kind === "dashboard") {
      h.authorization = `Bearer ${
        app === "prod"
          ? pick(["fuzz-dash-token-kkkkkkkkkkkkkkkk", "fuzz-star-token-kkkkkkkkkkkkkkkk"])
          : "dev-dashboard-token"
      }`;
    } else {
      h.authorization = `Bearer ${app === "prod" ? ctx.prodIngestToken : "dev-ingest-token"}`;
    }
    return h;
  }

  /** Returns a JSON body with invalid UTF-8 bytes inside (or instead of) a string value. */
  function invalidUtf8Body(post: JsonPost): Uint8Array {
    const bad = pick(INVALID_UTF8);
    const text = JSON.stringify(post.body());
    const quote = text.indexOf('":"') + 3;
    if (quote < 3 || chance(0.2)) {
      return Uint8Array.from({ length: 1 + int(64) }, () => int(256));
    }
    return new Uint8Array([
      ...enc.encode(text.slice(0, quote)),
      ...bad,
      ...enc.encode(text.slice(quote)),
    ]);
  }

  let enormous: string | undefined;
  let exactlyOneMiB: string | undefined;

  function mutateObject(value: Record<string, unknown>): unknown {
    if (chance(0.08)) return weirdValue();
    const target = Array.isArray(value.events) && chance(0.6)
      ? (value.events as Record<string, unknown>[])[0]
      : value;
    const ops = 1 + int(3);
    for (let i = 0; i < ops; i++) {
      const keys = Object.keys(target);
      const op = int(3);
      if (op === 0 && keys.length > 0) delete target[pick(keys)];
      else if (op === 1 && keys.length > 0) target[pick(keys)] = weirdValue();
      else {Object.defineProperty(target, pick(EXTRA_KEYS), {
          value: weirdValue(),
          enumerable: true,
          configurable: true,
          writable: true,
        });}
    }
    return value;
  }

  function generate(n: number): Case {
    const app: AppName = chance(0.25) ? "prod" : "open";
    const roll = rng();
    const post = pick(jsonPosts);
    const json = { "content-type": "application/json" };

    if (roll < 0.28) {
      // wrong types, missing and extra fields, huge numbers, NaN/Infinity, deep nesting
      return {
        n,
        kind: "body",
        app,
        method: "POST",
        path: post.path,
        headers: { ...json, ...authHeaders(app, post.auth) },
        body: toJsonText(mutateObject(post.body())),
      };
    }
    if (roll < 0.36) {
      let body: Body;
      let kind = "raw-body";
      const r = int(10);
      if (r === 0) {
        body = invalidUtf8Body(post);
        kind = "invalid-utf8";
      } else if (r === 1) body = "";
      else if (r === 2) {
        body = enormous ??= `{"player_id":"${"a".repeat(MIB + 16)}"}`;
        kind = "enormous";
      } else if (r === 3) {
        body = { streamBytes: MIB + 1 + int(1000) };
        kind = "enormous";
      } else if (r === 4) {
        body = exactlyOneMiB ??= `{"player_id":"${"b".repeat(MIB - 16)}"}`;
        kind = "one-mib";
      } else if (r === 5) body = pick(RAW_TOKENS);
      else if (r === 6) body = JSON.stringify(post.body()).slice(0, int(40));
      else if (r === 7) body = "\ufeff" + JSON.stringify(post.body());
      else if (r === 8) body = invalidUtf8Body(post);
      else body = `{"events":${deep(5_000 + int(5_000), "[", "]")}}`;
      return {
        n,
        kind,
        app,
        method: "POST",
        path: post.path,
        headers: { ...json, ...authHeaders(app, post.auth) },
        body,
      };
    }
    if (roll < 0.42) {
      const type = pick(CONTENT_TYPES);
      return {
        n,
        kind: "content-type",
        app,
        method: "POST",
        path: post.path,
        headers: {
          ...(type === undefined ? {} : { "content-type": type }),
          ...authHeaders(app, post.auth),
        },
        body: JSON.stringify(post.body()),
      };
    }
    if (roll < 0.5) {
      const method = pick(ODD_METHODS);
      const path = chance(0.5) ? pick(GET_PATHS) : pick(jsonPosts).path;
      const withBody = method !== "GET" && method !== "HEAD" && chance(0.5);
      return {
        n,
        kind: "method",
        app,
        method,
        path,
        headers: withBody ? json : {},
        body: withBody ? JSON.stringify(post.body()) : undefined,
      };
    }
    if (roll < 0.64) {
      const method = pick(["GET", "GET", "POST", "HEAD"]);
      return {
        n,
        kind: "path",
        app,
        method,
        path: weirdPath(),
        headers: { ...authHeaders(app, "dashboard") },
      };
    }
    if (roll < 0.72) {
      return {
        n,
        kind: "query",
        app,
        method: "GET",
        path: pick(QUERY_BASES) + weirdQuery(),
        headers: {},
      };
    }
    if (roll < 0.8) {
      const headers: Record<string, string> = {};
      const r = int(8);
      if (r === 0) headers["x-big"] = "a".repeat(65_536);
      else if (r === 1) { for (let i = 0; i < 300; i++) headers[`x-h${i}`] = String(i); }
      else if (r === 2) headers.authorization = `Bearer ${"a".repeat(100_000)}`;
      else if (r === 3) {
        headers.authorization = pick([
          "Bearer",
          "Bearer ",
          "Bearer \u00ff\u00fe",
          "Basic ZGV2OmRldg==",
          "Bearer a, Bearer b",
          "bearer dev-dashboard-token extra",
          "Bearer\tdev-dashboard-token",
        ]);
      } else if (r === 4) {
        headers["x-request-id"] = pick([
          "<script>",
          "a".repeat(500),
          "\u00ff",
          "",
          "id with space",
        ]);
      } else if (r === 5) {
        headers.cookie = pick([
          "ett_session=garbage",
          "ett_session=v1.x.y.z.w",
          `ett_session=${"v1.".repeat(2000)}`,
          "__Host-ett_session=v1.YQ.99999999999.aaaa.bbbb",
          Array.from({ length: 200 }, (_, i) => `c${i}=${i}`).join("; "),
          "ett_session=%ZZ; ett_session=%00",
        ]);
      } else if (r === 6) headers["x-admin-key"] = pick(["", " ", "x".repeat(70_000), "\u00ff"]);
      else {headers.origin = pick([
          "null",
          "https://evil.example",
          "http://localhost:8501",
          "\u00ff",
        ]);}
      const target = chance(0.5) ? pick(GET_PATHS) : post.path;
      const isPost = jsonPosts.some((p) => p.path === target);
      return {
        n,
        kind: "header",
        app,
        method: isPost ? "POST" : "GET",
        path: target,
        headers: isPost ? { ...json, ...headers } : headers,
        body: isPost ? JSON.stringify(post.body()) : undefined,
      };
    }
    if (roll < 0.88) {
      // The page sign-in forms and sign-out.
      const path = pick(["/players/", "/engagement/"]) + pick(SEGMENTS);
      const r = int(7);
      const headers: Record<string, string> = {};
      let body: Body | undefined;
      if (r === 0) {
        headers["content-type"] = "application/x-www-form-urlencoded";
        body = pick([
          "token=dev-dashboard-token",
          "token=fuzz-dash-token-kkkkkkkkkkkkkkkk",
          "token=%ZZ",
          `token=${"a".repeat(300)}`,
          "token=a&token=b",
          "token=",
          "=&&=",
        ]);
      } else if (r === 1) {
        headers["content-type"] = "multipart/form-data; boundary=zz";
        body = pick([
          "garbage",
          "--zz\r\nContent-Disposition: form-data; name=token\r\n\r\nx\r\n--zz--",
        ]);
      } else if (r === 2) {
        headers["content-type"] = "application/json";
        body = pick(['{"token":"dev-dashboard-token"}', "{", "[]"]);
      } else if (r === 3) {
        headers["content-type"] = "application/x-www-form-urlencoded";
        body = Uint8Array.from([0x74, 0x6f, 0x6b, 0x65, 0x6e, 0x3d, ...pick(INVALID_UTF8)]);
      } else if (r === 4) {
        headers.origin = pick(["https://evil.example", "null", "http://localhost", "%%%"]);
        headers["content-type"] = "application/x-www-form-urlencoded";
        body = "token=dev-dashboard-token";
      } else if (r === 5) {
        return {
          n,
          kind: "page-form",
          app,
          method: "POST",
          path: "/logout",
          headers: chance(0.5) ? { origin: pick(["https://evil.example", "null"]) } : {},
        };
      }
      return { n, kind: "page-form", app, method: "POST", path, headers, body };
    }
    // Well-formed traffic between the hostile requests, so the success paths run under the same load.
    const r = int(5);
    if (r === 0 || r === 1) {
      const p = jsonPosts[r === 0 ? 0 : 3];
      return {
        n,
        kind: "valid",
        app: "open",
        method: "POST",
        path: p.path,
        headers: { ...json, authorization: "Bearer dev-ingest-token" },
        body: JSON.stringify(p.body()),
      };
    }
    if (r === 2) {
      return {
        n,
        kind: "valid",
        app: "open",
        method: "POST",
        path: `/sessions/fz-s${int(40)}/finalize`,
        headers: {},
      };
    }
    return {
      n,
      kind: "valid",
      app: "open",
      method: "GET",
      path: pick(GET_PATHS),
      headers: { authorization: "Bearer dev-dashboard-token" },
    };
  }

  return { generate, jsonPosts, validAuth };
}

/**
 * Returns the deterministic part of the run: every weird segment in every path template, on both
 * apps, with credentials (bearer token and page session) so the request reaches the database.
 */
export function pathSweep(ctx: FuzzContext): Case[] {
  const cases: Case[] = [];
  for (const template of PATH_TEMPLATES) {
    for (const segment of SEGMENTS) {
      for (const app of ["open", "prod"] as const) {
        const finalize = template.endsWith("/finalize");
        const ingest = app === "prod" ? ctx.prodIngestToken : "dev-ingest-token";
        const reader = app === "prod" ? "fuzz-star-token-kkkkkkkkkkkkkkkk" : "dev-dashboard-token";
        cases.push({
          n: cases.length,
          kind: "path-sweep",
          app,
          method: finalize ? "POST" : "GET",
          path: template.replace(/\{\}/g, segment),
          headers: finalize
            ? { authorization: `Bearer ${ingest}` }
            : { authorization: `Bearer ${reader}`, cookie: ctx.cookies[app] },
        });
      }
    }
  }
  return cases;
}
