/**
 * Hostile input, part 1: a seeded, reproducible fuzz run over every endpoint and page.
 *
 * Every case is generated up front from one seed (`FUZZ_SEED`, default below; `FUZZ_REQUESTS`
 * sets how many, at least 2,000), sent through `app.request()` eight at a time, and checked:
 * no 5xx, every JSON 4xx has the documented `detail` shape, every API 4xx is JSON, every answer
 * carries X-Request-ID, bodies over 1 MiB get 413. A failure prints the seed and the case number,
 * so `FUZZ_SEED=<seed> deno task test tests/security/fuzz_test.ts` replays the same requests.
 * A second test speaks raw HTTP/1.1 to the app behind `Deno.serve` for what `Request` cannot
 * express (TRACE, CONNECT, garbage request lines, oversized header blocks).
 */
import assert from "node:assert/strict";
import { dashboardTokenFor } from "../../core/company.ts";
import { DEV_DASHBOARD_TOKEN_SALT } from "../../config.ts";
import { dbTestOptions, postJson, type TestApp, testApp } from "../helpers/app.ts";
import { openTestDatabase } from "../helpers/db.ts";
import { playSession, sessionEvents } from "../helpers/play.ts";
import { mulberry32 } from "../../core/random.ts";

const SEED = Number(Deno.env.get("FUZZ_SEED") ?? "20261121") >>> 0;
const REQUESTS = Math.max(2000, Number(Deno.env.get("FUZZ_REQUESTS") ?? "2400") || 0);
const CONCURRENCY = 8;
const MIB = 1024 * 1024;

const db = await openTestDatabase();
const opts = dbTestOptions;

const PROD_ENV = {
  APP_ENV: "production",
  DATABASE_URL: "postgres://unused/x",
  COMPANY_SALT: "fuzz-prod-salt-1",
  DASHBOARD_TOKEN_SALT: "fuzz-prod-salt-2",
  INGEST_SERVICE_TOKEN: "fuzz-ingest-token",
  DASHBOARD_TOKEN_MAP: "fuzz-dash-token:fz-p1,fuzz-star-token:*",
  ADMIN_KEY: "fuzz-admin-key",
  AUTH_FAIL_LIMIT: "0",
};
const apps: Record<"open" | "prod", TestApp> = {
  open: testApp(db.sql, { AUTH_FAIL_LIMIT: "0" }),
  prod: testApp(db.sql, PROD_ENV),
};

// A company with five players, so the dashboards' success paths are reachable too.
const COMPANY = "c_fuzzco000001";
const COMPANY_TOKEN = dashboardTokenFor(COMPANY, DEV_DASHBOARD_TOKEN_SALT);
for (let i = 1; i <= 5; i++) {
  await playSession(apps.open, {
    player: `fz-p${i}`,
    session: `fz-setup-${i}`,
    pattern: [1, 2, 0],
    start: "2026-01-05T10:00:00Z",
    company_id: COMPANY,
  });
}

/** Returns a page-session cookie ("name=value") signed in with a dashboard token. */
async function signIn(app: TestApp, token: string): Promise<string> {
  const res = await app.request("/engagement/fz-p1", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: `token=${token}`,
  });
  assert.equal(res.status, 303, "sign-in for the fuzz run");
  return res.headers.get("set-cookie")!.split(";")[0];
}
const cookies = {
  open: await signIn(apps.open, "dev-dashboard-token"),
  prod: await signIn(apps.prod, "fuzz-star-token"),
};

// ---------------------------------------------------------------------------------------------
// Seeded generation

const rng = mulberry32(SEED);
const int = (n: number) => Math.floor(rng() * n);
const chance = (p: number) => rng() < p;
function pick<T>(items: readonly T[]): T {
  return items[int(items.length)];
}

type Body = string | Uint8Array | { streamBytes: number };

interface Case {
  n: number;
  kind: string;
  app: "open" | "prod";
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Body;
}

const enc = new TextEncoder();
const deep = (depth: number, open: string, close: string, inner = "") =>
  open.repeat(depth) + inner + close.repeat(depth);

/** JSON tokens JSON.stringify cannot produce, spliced in through sentinels. */
const RAW_TOKENS = [
  "1e400",
  "-1e400",
  "NaN",
  "Infinity",
  "-Infinity",
  "01",
  "0x10",
  "1.",
  ".5",
  "+1",
  "undefined",
  "'single'",
  "9223372036854775808",
  "-9223372036854775809",
  "1e308",
  "-0",
  "1E+2",
  '"\\ud800"',
  '"\\udc00x"',
  '"\\u0000"',
  '"\\x41"',
  '"unterminated',
  deep(10_000, "[", "]"),
  deep(10_000, '{"a":', "}", "1"),
  deep(2_000, "[", "]", '"x"'),
];

const WEIRD_VALUES: readonly unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  2 ** 63,
  -(2 ** 63),
  2 ** 53 + 1,
  Number.MIN_VALUE,
  "",
  " ",
  "NaN",
  "Infinity",
  "-Infinity",
  "1e308",
  "null",
  "true",
  "0",
  [],
  {},
  [null],
  [[[]]],
  { a: { b: {} } },
  "x".repeat(10_000),
  "\u0000",
  "a\u0000b",
  "\ud800",
  "\udfff\ud800",
  "é😀\u202e",
  "<script>alert(1)</script>",
  "' or 1=1 --",
  "2026-13-45T25:61:61Z",
  "2026-01-01T00:00:00",
  "2026-01-01T00:00:00+99:99",
  "+275760-09-13T00:00:00Z",
  "-271821-04-20T00:00:00Z",
  Array.from({ length: 65 }, (_, i) => i),
  Array.from({ length: 2000 }, () => "x"),
  { __proto__: { polluted: true } },
];

const EXTRA_KEYS = [
  "extra",
  "__proto__",
  "constructor",
  "prototype",
  "x".repeat(1000),
  "é😀",
  "",
  "$where",
  "id",
  "company_id",
];

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
    ...(chance(0.3) ? { company_id: COMPANY } : {}),
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

interface JsonPost {
  path: string;
  auth: "ingest" | "ingestAlways" | "admin";
  body: () => Record<string, unknown>;
}

const JSON_POSTS: readonly JsonPost[] = [
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

const SEGMENTS = [
  "%00",
  "a%00b",
  "..",
  "%2e%2e",
  "%2E%2E%2F..%2F",
  ".",
  "",
  "%ZZ",
  "%",
  "%E0%A4%A",
  "%ED%A0%80",
  "%C0%AF",
  "%FF%FE",
  "a%2Fb",
  "a%5Cb",
  ";x=1",
  "%0D%0ASet-Cookie:%20x=1",
  "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
  encodeURIComponent("é😀\u202e"),
  "é😀",
  "a".repeat(5000),
  "x".repeat(129),
  "x".repeat(128),
  "%20",
  "+",
  "~",
  "*",
  "'",
  "%27%20or%20%271%27%3D%271",
  "%u0041",
  "%%32%65",
  "fz-p1",
  "fz-p2",
  "fz-s1",
];

const PATH_TEMPLATES = [
  "/players/{}/sessions",
  "/model/state/{}",
  "/api/dashboard/{}",
  "/sessions/{}/finalize",
  "/players/{}",
  "/engagement/{}",
  "/static/{}",
  "/static/islands/{}",
  "/{}",
  "/{}/{}",
  "/players/{}/sessions/{}",
  "/health/{}",
  "/dashboard/{}",
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
  `/company?t=${COMPANY_TOKEN}`,
  `/dashboard/company?t=${COMPANY_TOKEN}`,
  `/dashboard/summary?t=${COMPANY_TOKEN}`,
  `/dashboard/timeseries?t=${COMPANY_TOKEN}&bucket=week`,
];

const QUERY_BASES = [
  "/dashboard/company",
  "/dashboard/summary",
  "/dashboard/timeseries",
  "/company",
  "/player",
  "/engagement",
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
    `?t=${COMPANY_TOKEN}&t=${COMPANY_TOKEN}`,
    "?t[]=x",
    `?t=${COMPANY_TOKEN}&bucket=${bucket}`,
    `?t=${COMPANY_TOKEN}&bucket=day&bucket=week`,
    `?t=${COMPANY_TOKEN.toUpperCase()}`,
    `?t=${COMPANY_TOKEN} `,
    "?" + Array.from({ length: 2000 }, (_, i) => `k${i}=v`).join("&"),
    "?&&&==&t&t=&%=%",
    `?t=${COMPANY_TOKEN}#frag`,
    `?player_id=${pick(SEGMENTS)}`,
    `?user_id=${pick(SEGMENTS)}`,
    `?player_id=%20%20`,
    `?player_id=${encodeURIComponent("//evil.example")}`,
  ]);
}

/** Returns valid credentials for an endpoint (most of the time: a quarter go without). */
function authHeaders(app: "open" | "prod", kind: JsonPost["auth"] | "dashboard" | "none") {
  if (kind === "none" || chance(0.25)) return {};
  const h = validAuth(app, kind);
  if (kind === "dashboard" && chance(0.5)) h.cookie = cookies[app];
  return h;
}

function validAuth(app: "open" | "prod", kind: JsonPost["auth"] | "dashboard") {
  const h: Record<string, string> = {};
  if (kind === "admin") {
    h["x-admin-key"] = app === "prod" ? PROD_ENV.ADMIN_KEY : "test-admin-key";
  } else if (kind === "dashboard") {
    h.authorization = `Bearer ${
      app === "prod" ? pick(["fuzz-dash-token", "fuzz-star-token"]) : "dev-dashboard-token"
    }`;
  } else {
    h.authorization = `Bearer ${
      app === "prod" ? PROD_ENV.INGEST_SERVICE_TOKEN : "dev-ingest-token"
    }`;
  }
  return h;
}

const INVALID_UTF8: readonly number[][] = [
  [0xff],
  [0xfe, 0xff],
  [0xc0, 0xaf],
  [0xe2, 0x82],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0x80, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
];

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

const ODD_METHODS = ["PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "GET", "POST", "PROPFIND", "FOO"];
const CONTENT_TYPES = [
  undefined,
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/xml",
  "application/json; charset=utf-16",
  "application/json;;",
  "json",
  "application/jsonx",
  "*/*",
  "",
  "APPLICATION/JSON",
  "application/vnd.api+json",
  "application/json; charset=\u00ff",
];

function generate(n: number): Case {
  const app: "open" | "prod" = chance(0.25) ? "prod" : "open";
  const roll = rng();
  const post = pick(JSON_POSTS);
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
    const path = chance(0.5) ? pick(GET_PATHS) : pick(JSON_POSTS).path;
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
      headers["x-request-id"] = pick(["<script>", "a".repeat(500), "\u00ff", "", "id with space"]);
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
    else headers.origin = pick(["null", "https://evil.example", "http://localhost:8501", "\u00ff"]);
    const target = chance(0.5) ? pick(GET_PATHS) : post.path;
    const isPost = JSON_POSTS.some((p) => p.path === target);
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
        "token=fuzz-dash-token",
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
    const p = JSON_POSTS[r === 0 ? 0 : 3];
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

// ---------------------------------------------------------------------------------------------
// Checks

/** Returns why a JSON error body breaks the documented shape, or null when it is fine. */
function detailProblem(status: number, body: unknown): string | null {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return "not an object";
  const keys = Object.keys(body);
  if (keys.length !== 1 || keys[0] !== "detail") return `keys ${JSON.stringify(keys)}`;
  const detail = (body as { detail: unknown }).detail;
  if (status === 422) {
    if (!Array.isArray(detail) || detail.length === 0) return "422 detail is not a non-empty array";
    for (const issue of detail) {
      if (typeof issue !== "object" || issue === null) return "422 issue is not an object";
      const { loc, msg, type } = issue as Record<string, unknown>;
      if (
        !Array.isArray(loc) || !loc.every((p) => typeof p === "string" || typeof p === "number")
      ) {
        return "422 loc is not an array of strings/numbers";
      }
      if (typeof msg !== "string" || typeof type !== "string") return "422 msg/type not strings";
    }
    return null;
  }
  return typeof detail === "string" && detail.length > 0 ? null : "detail is not a string";
}

/** Pages answer HTML (or text for the sign-out guard); everything else answers JSON. */
const PAGE_PATH = [
  /^\/$/,
  /^\/players\/[^/]+$/,
  /^\/player$/,
  /^\/company$/,
  /^\/engagement(\/[^/]+)?$/,
  /^\/logout$/,
  /^\/static\//,
  /^\/docs$/,
];

function isPagePath(path: string): boolean {
  const pathname = new URL(path, "http://localhost").pathname;
  return PAGE_PATH.some((re) => re.test(pathname));
}

function describe(c: Case): string {
  let body = "";
  if (typeof c.body === "string") body = JSON.stringify(c.body.slice(0, 160));
  else if (c.body instanceof Uint8Array) body = `bytes[${c.body.length}] ${c.body.slice(0, 24)}`;
  else if (c.body) body = `stream(${c.body.streamBytes} bytes)`;
  const headers = Object.fromEntries(
    Object.entries(c.headers).map((
      [k, v],
    ) => [k, v.length > 80 ? `${v.slice(0, 40)}…(${v.length})` : v]),
  );
  return `#${c.n} [${c.kind}] app=${c.app} ${c.method} ${c.path.slice(0, 160)}` +
    `${c.path.length > 160 ? `…(${c.path.length})` : ""} headers=${JSON.stringify(headers)} ` +
    `body=${body}`;
}

function requestInit(c: Case): RequestInit {
  const init: RequestInit & { duplex?: "half" } = { method: c.method, headers: c.headers };
  if (c.body === undefined) return init;
  if (typeof c.body === "string" || c.body instanceof Uint8Array) {
    init.body = c.body as BodyInit;
    return init;
  }
  let left = c.body.streamBytes;
  init.body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const size = Math.min(left, 128 * 1024);
      if (size <= 0) return controller.close();
      controller.enqueue(new Uint8Array(size).fill(0x20));
      left -= size;
    },
  });
  init.duplex = "half";
  return init;
}

interface Outcome {
  status: number;
  problem: string | null;
}

async function send(c: Case): Promise<Outcome> {
  const res = await apps[c.app].request(c.path, requestInit(c));
  const text = c.method === "HEAD" ? "" : await res.text();
  const type = res.headers.get("content-type") ?? "";
  if (res.status >= 500) {
    return { status: res.status, problem: `${res.status}: ${text.slice(0, 200)}` };
  }
  if (!res.headers.get("x-request-id")) return { status: res.status, problem: "no X-Request-ID" };
  if (c.kind === "enormous" && res.status !== 413) {
    return { status: res.status, problem: `body over 1 MiB answered ${res.status}, not 413` };
  }
  if (c.kind === "one-mib" && res.status === 413) {
    return { status: res.status, problem: "a body of exactly 1 MiB answered 413" };
  }
  if (res.status >= 400 && c.method !== "HEAD") {
    if (type.startsWith("application/json")) {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return { status: res.status, problem: `invalid JSON error body: ${text.slice(0, 120)}` };
      }
      const problem = detailProblem(res.status, body);
      if (problem) return { status: res.status, problem: `${problem}: ${text.slice(0, 160)}` };
    } else if (!isPagePath(c.path) && text !== "") {
      return { status: res.status, problem: `non-JSON ${type} 4xx on an API path` };
    }
  }
  if (res.status < 300 && type.startsWith("application/json") && c.method !== "HEAD") {
    try {
      JSON.parse(text);
    } catch {
      return { status: res.status, problem: "invalid JSON success body" };
    }
  }
  return { status: res.status, problem: null };
}

/**
 * Returns the deterministic part of the run: every weird segment in every path template, on both
 * apps, with credentials (bearer token and page session) so the request reaches the database.
 */
function pathSweep(): Case[] {
  const cases: Case[] = [];
  for (const template of PATH_TEMPLATES) {
    for (const segment of SEGMENTS) {
      for (const app of ["open", "prod"] as const) {
        const finalize = template.endsWith("/finalize");
        const ingest = app === "prod" ? PROD_ENV.INGEST_SERVICE_TOKEN : "dev-ingest-token";
        const reader = app === "prod" ? "fuzz-star-token" : "dev-dashboard-token";
        cases.push({
          n: cases.length,
          kind: "path-sweep",
          app,
          method: finalize ? "POST" : "GET",
          path: template.replace(/\{\}/g, segment),
          headers: finalize
            ? { authorization: `Bearer ${ingest}` }
            : { authorization: `Bearer ${reader}`, cookie: cookies[app] },
        });
      }
    }
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------

Deno.test(
  `fuzz: ${REQUESTS} seeded requests plus a path sweep over every endpoint, zero 5xx, documented error shapes`,
  opts,
  async () => {
    const sweep = pathSweep();
    const cases = [
      ...sweep,
      ...Array.from({ length: REQUESTS }, (_, n) => generate(sweep.length + n)),
    ];
    const started = performance.now();
    const statuses = new Map<number, number>();
    const kinds = new Map<string, number>();
    const failures: string[] = [];
    for (let i = 0; i < cases.length; i += CONCURRENCY) {
      const chunk = cases.slice(i, i + CONCURRENCY);
      const outcomes = await Promise.all(chunk.map((c) =>
        send(c).catch((err: unknown) => ({
          status: 0,
          problem: `request threw ${err instanceof Error ? `${err.name}: ${err.message}` : err}`,
        }))
      ));
      outcomes.forEach((o, j) => {
        statuses.set(o.status, (statuses.get(o.status) ?? 0) + 1);
        kinds.set(chunk[j].kind, (kinds.get(chunk[j].kind) ?? 0) + 1);
        if (o.problem) failures.push(`${describe(chunk[j])}\n    → ${o.problem}`);
      });
    }
    const ms = performance.now() - started;
    const histogram = Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0]));
    console.log(
      `fuzz: FUZZ_SEED=${SEED} requests=${cases.length} ` +
        `(${sweep.length} path sweep + ${REQUESTS} random) in ${(ms / 1000).toFixed(1)} s ` +
        `(${Math.round(cases.length / (ms / 1000))} req/s) db=${db.kind}`,
    );
    console.log(`fuzz: statuses ${JSON.stringify(histogram)}`);
    console.log(`fuzz: kinds ${JSON.stringify(Object.fromEntries([...kinds].sort()))}`);
    const fiveHundreds = [...statuses].filter(([s]) => s >= 500).reduce((a, [, n]) => a + n, 0);
    console.log(`fuzz: 5xx=${fiveHundreds} problems=${failures.length}`);

    assert.equal(
      failures.length,
      0,
      `FUZZ_SEED=${SEED}: ${failures.length} of ${cases.length} requests failed a check:\n` +
        failures.slice(0, 25).join("\n"),
    );
    const errorLines = [...apps.open.logs, ...apps.prod.logs].filter((l) =>
      l.startsWith('{"level":"error"')
    );
    assert.deepEqual(errorLines.slice(0, 3), [], "no unhandled error was logged");
  },
);

Deno.test(
  "after the fuzz run the app still serves: /health, /healthz, ingest, finalize",
  opts,
  async () => {
    for (const app of [apps.open, apps.prod]) {
      const health = await app.request("/health");
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: "ok" });
      assert.equal((await app.request("/healthz")).status, 200);
    }
    const [e] = sessionEvents({
      player: "fz-after",
      session: "fz-after-s",
      pattern: [1, 1, 1],
      start: "2026-01-07T10:00:00Z",
    });
    assert.deepEqual(await (await apps.open.request("/events", postJson(e))).json(), {
      stored: true,
    });
    const fin = await apps.open.request("/sessions/fz-after-s/finalize", { method: "POST" });
    assert.equal(fin.status, 200);
    assert.equal((await fin.json()).player_id, "fz-after");
  },
);

Deno.test(
  "every POST endpoint answers 413 over 1 MiB (declared or streamed) and 415 without JSON",
  opts,
  async () => {
    const big = `{"x":"${"a".repeat(MIB)}"}`;
    for (const post of JSON_POSTS) {
      const headers = { "content-type": "application/json", ...validAuth("open", post.auth) };
      const declared = await apps.open.request(post.path, { method: "POST", headers, body: big });
      assert.equal(declared.status, 413, post.path);
      assert.deepEqual(await declared.json(), { detail: "Request body too large (limit 1 MiB)" });
      const streamed = await apps.open.request(
        post.path,
        requestInit({
          n: 0,
          kind: "enormous",
          app: "open",
          method: "POST",
          path: post.path,
          headers,
          body: { streamBytes: MIB + 1 },
        }),
      );
      assert.equal(streamed.status, 413, `${post.path} streamed`);
      const plain = await apps.open.request(post.path, {
        method: "POST",
        headers: { ...headers, "content-type": "text/plain" },
        body: JSON.stringify(post.body()),
      });
      assert.equal(plain.status, 415, `${post.path} text/plain`);
      assert.equal(detailProblem(415, await plain.json()), null);
    }
  },
);

Deno.test(
  "raw HTTP/1.1: TRACE, CONNECT, garbage and oversized header blocks never give 5xx",
  opts,
  async () => {
    const controller = new AbortController();
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, signal: controller.signal, onListen() {} },
      (req, info) => apps.open.app.fetch(req, info),
    );
    const port = server.addr.port;
    /** Returns the status line the server answered, or "" when it closed the connection. */
    async function raw(bytes: Uint8Array): Promise<string> {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        await conn.write(bytes);
        const buf = new Uint8Array(4096);
        const timer = setTimeout(() => conn.close(), 3000);
        let n: number | null = null;
        try {
          n = await conn.read(buf);
        } catch {
          n = null;
        } finally {
          clearTimeout(timer);
        }
        return n ? new TextDecoder().decode(buf.subarray(0, n)).split("\r\n")[0] : "";
      } finally {
        try {
          conn.close();
        } catch { /* already closed */ }
      }
    }
    const line = (text: string) => enc.encode(text);
    const close = "Host: x\r\nConnection: close\r\n\r\n";
    const cases: [string, Uint8Array][] = [
      ["TRACE", line(`TRACE /health HTTP/1.1\r\n${close}`)],
      ["CONNECT", line("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")],
      ["unknown method", line(`FOO /health HTTP/1.1\r\n${close}`)],
      ["garbage", line("\x00\x01garbage\r\n\r\n")],
      ["200 KB header", line(`GET /health HTTP/1.1\r\nX-Big: ${"a".repeat(200_000)}\r\n${close}`)],
      [
        "500 headers",
        line(
          `GET /health HTTP/1.1\r\n${
            Array.from({ length: 500 }, (_, i) => `X-H${i}: v\r\n`).join("")
          }${close}`,
        ),
      ],
      ["bare % in path", line(`GET /players/%/sessions HTTP/1.1\r\n${close}`)],
      [
        "raw 0xFF in path",
        new Uint8Array([
          ...line("GET /players/"),
          0xff,
          0xfe,
          ...line(`/sessions HTTP/1.1\r\n${close}`),
        ]),
      ],
      ["absolute URI", line(`GET http://evil.example/health HTTP/1.1\r\n${close}`)],
      ["OPTIONS *", line(`OPTIONS * HTTP/1.1\r\n${close}`)],
      ["HTTP/1.0", line("GET /health HTTP/1.0\r\n\r\n")],
      ["HTTP/9.9", line(`GET /health HTTP/9.9\r\n${close}`)],
    ];
    const seen: string[] = [];
    try {
      for (const [label, bytes] of cases) {
        const status = await raw(bytes);
        seen.push(`${label} → ${status || "(closed)"}`);
        const code = Number(/^HTTP\/\d\.\d (\d{3})/.exec(status)?.[1] ?? "0");
        assert.ok(code < 500, `${label}: ${status}`);
      }
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      assert.equal(health.status, 200);
      await health.body?.cancel();
    } finally {
      controller.abort();
      await server.finished;
    }
    console.log(`raw HTTP: ${seen.join("; ")}`);
  },
);

Deno.test("teardown", opts, () => db.close());
