import assert from "node:assert/strict";
import { createApp } from "../../app.ts";
import { loadConfig } from "../../config.ts";
import { dbTestOptions, testApp } from "../helpers/app.ts";
import { testDatabase, unreachableDatabase } from "../helpers/db.ts";
import { productionEnv } from "../helpers/env.ts";

const db = testDatabase();
const t = testApp(db.sql, { DASHBOARD_ORIGIN: "https://dash.example.com" });

Deno.test("GET /health answers ok without touching the database", dbTestOptions, async () => {
  const res = await t.request("/health");
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { status: "ok" });
});

Deno.test(
  "GET /healthz and GET/HEAD /readyz after a database round trip",
  dbTestOptions,
  async () => {
    const z = await t.request("/healthz");
    assert.equal(z.status, 200);
    assert.deepEqual(await z.json(), { status: "ok" });
    const r = await t.request("/readyz");
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { status: "ready", windowDays: 7 });
    const head = await t.request("/readyz", { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), "");
  },
);

Deno.test("unknown paths are JSON 404", dbTestOptions, async () => {
  const res = await t.request("/no/such/path");
  assert.equal(res.status, 404);
  assert.equal(res.headers.get("content-type"), "application/json");
  assert.deepEqual(await res.json(), { detail: "Not Found" });
});

Deno.test("X-Request-ID: the caller's is echoed, otherwise a new UUID", dbTestOptions, async () => {
  const mine = await t.request("/health", { headers: { "X-Request-ID": "abc-123" } });
  assert.equal(mine.headers.get("x-request-id"), "abc-123");
  const fresh = await t.request("/health");
  assert.match(fresh.headers.get("x-request-id")!, /^[0-9a-f-]{36}$/);
  const unsafe = await t.request("/health", { headers: { "X-Request-ID": 'a b"<x>' } });
  assert.match(unsafe.headers.get("x-request-id")!, /^[0-9a-f-]{36}$/);
  const notFound = await t.request("/nope", { headers: { "X-Request-ID": "req-404" } });
  assert.equal(notFound.headers.get("x-request-id"), "req-404");
});

Deno.test(
  "one JSON log line per request, with token query values redacted",
  dbTestOptions,
  async () => {
    const before = t.logs.length;
    await t.request("/no/where?t=secret-token-value&bucket=day&token=abc", {
      headers: { "X-Request-ID": "log-1", Authorization: "Bearer super-secret" },
    });
    const lines = t.logs.slice(before);
    assert.equal(lines.length, 1);
    const line = JSON.parse(lines[0]);
    assert.equal(line.request_id, "log-1");
    assert.equal(line.method, "GET");
    assert.equal(line.path, "/no/where?t=***&bucket=day&token=***");
    assert.equal(line.status, 404);
    assert.equal(typeof line.duration_ms, "number");
    assert.ok(!lines[0].includes("secret-token-value"));
    assert.ok(!lines[0].includes("super-secret"));
  },
);

Deno.test("bodies over 1 MiB are 413 with a detail", dbTestOptions, async () => {
  const big = "x".repeat(1024 * 1024 + 1);
  const res = await t.request("/health", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: big,
  });
  assert.equal(res.status, 413);
  assert.deepEqual(await res.json(), { detail: "Request body too large (limit 1 MiB)" });
});

Deno.test(
  "CORS: configured origins only, preflight included, X-Request-ID exposed",
  dbTestOptions,
  async () => {
    const ok = await t.request("/readyz", { headers: { Origin: "https://dash.example.com" } });
    assert.equal(ok.headers.get("access-control-allow-origin"), "https://dash.example.com");
    assert.equal(ok.headers.get("access-control-expose-headers"), "X-Request-ID");
    const head = await t.request("/readyz", {
      method: "HEAD",
      headers: { Origin: "https://dash.example.com" },
    });
    assert.equal(head.headers.get("access-control-allow-origin"), "https://dash.example.com");
    const seedDefault = await t.request("/health", {
      headers: { Origin: "http://localhost:8501" },
    });
    assert.equal(seedDefault.headers.get("access-control-allow-origin"), "http://localhost:8501");
    const evil = await t.request("/readyz", { headers: { Origin: "https://evil.example.com" } });
    assert.equal(evil.headers.get("access-control-allow-origin"), null);

    const preflight = await t.request("/api/dashboard/u1", {
      method: "OPTIONS",
      headers: {
        Origin: "https://dash.example.com",
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization",
      },
    });
    // As the legacy engagement backend answered: 200 with credentials allowed.
    assert.equal(preflight.status, 200);
    assert.equal(preflight.headers.get("access-control-allow-origin"), "https://dash.example.com");
    assert.equal(preflight.headers.get("access-control-allow-credentials"), "true");
    assert.match(preflight.headers.get("access-control-allow-methods")!, /GET/);
    assert.match(preflight.headers.get("access-control-allow-headers")!, /Authorization/);
    assert.equal(ok.headers.get("access-control-allow-credentials"), "true");
    assert.equal(evil.headers.get("access-control-allow-credentials"), null);
    const badPreflight = await t.request("/api/dashboard/u1", {
      method: "OPTIONS",
      headers: { Origin: "https://evil.example.com", "Access-Control-Request-Method": "GET" },
    });
    assert.equal(badPreflight.status, 204);
    assert.equal(badPreflight.headers.get("access-control-allow-origin"), null);
    assert.equal(badPreflight.headers.get("access-control-allow-credentials"), null);
  },
);

Deno.test(
  "/openapi.json is OpenAPI 3.1 and /docs serves the UI (not in production)",
  dbTestOptions,
  async () => {
    const spec = await t.request("/openapi.json");
    assert.equal(spec.status, 200);
    const doc = await spec.json();
    assert.equal(doc.openapi, "3.1.0");
    assert.ok(doc.paths["/healthz"].get);
    assert.ok(doc.components.securitySchemes.adminKey);
    const docs = await t.request("/docs");
    assert.equal(docs.status, 200);
    assert.match(await docs.text(), /swagger/i);

    const prod = testApp(db.sql, productionEnv());
    assert.equal((await prod.request("/openapi.json")).status, 404);
    assert.equal((await prod.request("/docs")).status, 404);
    const opened = testApp(db.sql, productionEnv({ PUBLIC_DOCS: "true" }));
    assert.equal((await opened.request("/openapi.json")).status, 200);
  },
);

Deno.test(
  "an unreachable database answers 503 fast, never 500 or a hang",
  dbTestOptions,
  async () => {
    const dead = unreachableDatabase();
    const app = createApp({
      config: loadConfig({ APP_ENV: "test" }),
      sql: dead,
      log: () => {},
      now: () => new Date(),
    });
    const started = performance.now();
    const res = await app.request("/healthz");
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), { detail: "Database unavailable" });
    assert.equal(res.headers.get("retry-after"), "2");
    assert.equal((await app.request("/readyz")).status, 503);
    assert.equal((await app.request("/health")).status, 200);
    assert.ok(performance.now() - started < 5000);
    await dead.end();
  },
);
