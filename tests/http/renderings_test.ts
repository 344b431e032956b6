/**
 * One error vocabulary, two renderings: the same failure answers the same status (and
 * Retry-After) as `{"detail": …}` from the API and as an HTML page from the pages sub-app; unknown
 * paths are an HTML 404 for browsers and JSON for API clients. No database: the app runs over a
 * fake client that fails (or answers) as each test says.
 */
import assert from "node:assert/strict";
import { createApp } from "../../app.ts";
import { loadConfig } from "../../config.ts";
import { conflict, DomainError, InvariantViolation } from "../../core/errors.ts";
import type { Sql } from "../../db/client.ts";
import type { LogFields } from "../../http/log.ts";

const TOKEN = "0123456789abcdef01234567"; // a well-formed company token
const BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/** Returns a database client whose every query answers `respond(query text)`. */
function fakeSql(respond: (text: string) => unknown[]): Sql {
  const sql = (strings: TemplateStringsArray) => {
    try {
      return Promise.resolve(respond(strings.join("?")));
    } catch (err) {
      return Promise.reject(err);
    }
  };
  return sql as unknown as Sql;
}

function appOver(sql: Sql) {
  const logged: LogFields[] = [];
  const app = createApp({
    config: loadConfig({ APP_ENV: "test", DASHBOARD_TOKEN_MAP: "tok-any:*" }),
    sql,
    log: (_level, fields) => logged.push(fields),
    now: () => new Date("2025-10-22T18:00:00Z"),
  });
  return { app, logged };
}

const failing = (err: unknown) =>
  appOver(fakeSql(() => {
    throw err;
  }));

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

const CASES: {
  name: string;
  err: unknown;
  status: number;
  retryAfter: string | null;
  detail: string;
  page: RegExp;
  logged: boolean;
}[] = [
  {
    name: "a conflict",
    err: conflict("Session already finalized"),
    status: 409,
    retryAfter: null,
    detail: "Session already finalized",
    page: /This page cannot be shown[\s\S]*Session already finalized/,
    logged: false,
  },
  {
    name: "too_many_requests",
    err: new DomainError("too_many_requests", "Slow down"),
    status: 429,
    retryAfter: null,
    detail: "Slow down",
    page: /This page cannot be shown[\s\S]*Slow down/,
    logged: false,
  },
  {
    name: "a serialization failure (40001)",
    err: withCode("could not serialize access", "40001"),
    status: 503,
    retryAfter: "1",
    detail: "Database busy (concurrent writers); retry",
    page: /The service is busy[\s\S]*Try again in a moment\./,
    logged: false,
  },
  {
    name: "a database outage",
    err: withCode("connect ECONNREFUSED 127.0.0.1:9", "ECONNREFUSED"),
    status: 503,
    retryAfter: "2",
    detail: "Database unavailable",
    page: /The database is unavailable[\s\S]*Try again soon\./,
    logged: false,
  },
  {
    name: "a data exception (22021)",
    err: withCode("invalid byte sequence", "22021"),
    status: 400,
    retryAfter: null,
    detail: "Invalid value in request",
    page: /This page cannot be shown[\s\S]*Invalid value in request/,
    logged: false,
  },
  {
    name: "an invariant violation",
    err: new InvariantViolation("stored count is -1"),
    status: 500,
    retryAfter: null,
    detail: "Internal server error",
    page: /Something went wrong[\s\S]*The error was logged\./,
    logged: true,
  },
  {
    name: "an unexpected error",
    err: new Error("boom"),
    status: 500,
    retryAfter: null,
    detail: "Internal server error",
    page: /Something went wrong[\s\S]*The error was logged\./,
    logged: true,
  },
];

for (const c of CASES) {
  Deno.test(`createApp answers ${c.name} ${c.status} as JSON from the API and HTML from pages`, async () => {
    const { app, logged } = failing(c.err);
    const api = await app.request(`/dashboard/company?t=${TOKEN}`);
    assert.equal(api.status, c.status);
    assert.equal(api.headers.get("retry-after"), c.retryAfter);
    assert.equal(api.headers.get("content-type"), "application/json");
    assert.deepEqual(await api.json(), { detail: c.detail });

    const page = await app.request(`/company?t=${TOKEN}`, { headers: { accept: BROWSER } });
    assert.equal(page.status, c.status);
    assert.equal(page.headers.get("retry-after"), c.retryAfter);
    assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
    const html = await page.text();
    assert.match(html, c.page);
    assert.ok(!html.includes("stored count is -1") && !html.includes("boom"));

    const bugs = logged.filter((f) =>
      f.msg === "unhandled error" || f.msg === "invariant violated"
    );
    assert.equal(bugs.length, c.logged ? 2 : 0);
  });
}

Deno.test("createApp logs an invariant violation in stored aggregates and answers 500", async () => {
  const { app, logged } = appOver(fakeSql((text) => {
    if (text.includes("from session_revocations")) return []; // the session is not signed out
    if (text.includes("from engagement_users")) return [{ last_session_end: null }];
    if (text.includes("from session_revocations")) return []; // the page session is not revoked
    if (text.includes("from engagement_sessions")) {
      return [{ day: "2025-10-22", sessions: -1, seconds: 60, sentimentSum: 0, sentimentCount: 0 }];
    }
    throw new Error(`unexpected query: ${text}`);
  }));
  const api = await app.request("/api/dashboard/alice", {
    headers: { authorization: "Bearer tok-any" },
  });
  assert.equal(api.status, 500);
  assert.deepEqual(await api.json(), { detail: "Internal server error" });

  const signIn = await app.request("/engagement/alice", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "token=tok-any",
  });
  assert.equal(signIn.status, 303);
  const cookie = signIn.headers.get("set-cookie")!.split(";")[0];
  const page = await app.request("/engagement/alice", { headers: { cookie } });
  assert.equal(page.status, 500);
  assert.match(await page.text(), /Something went wrong/);

  const bugs = logged.filter((f) => f.msg === "invariant violated");
  assert.equal(bugs.length, 2);
  for (const bug of bugs) {
    assert.equal(bug.error, "InvariantViolation");
    assert.equal(bug.message, "days[0].sessions must be a non-negative integer, got -1");
    assert.equal(typeof bug.stack, "string");
  }
});

Deno.test("createApp answers unknown paths with an HTML 404 to browsers, JSON to API clients", async () => {
  const { app } = failing(new Error("no query expected"));
  const page = await app.request("/no/such/page", { headers: { accept: BROWSER } });
  assert.equal(page.status, 404);
  assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
  assert.equal(page.headers.get("content-security-policy")?.includes("default-src"), true);
  const html = await page.text();
  assert.match(html, /<title>Page not found · Earth Task Telemetry<\/title>/);
  assert.match(html, /There is no page at this address\./);

  for (const accept of [undefined, "application/json", "*/*"]) {
    const res = await app.request("/no/such/page", accept ? { headers: { accept } } : {});
    assert.equal(res.status, 404, accept);
    assert.equal(res.headers.get("content-type"), "application/json");
    assert.deepEqual(await res.json(), { detail: "Not Found" });
  }
});
