/**
 * Issue 20's measurements, each reproduced against the service and now showing the defended
 * behaviour (on the embedded database and, with TEST_DATABASE_URL, on the server: the limiter
 * counts in PostgreSQL).
 */
import assert from "node:assert/strict";
import { logPseudonym } from "../../core/pseudonym.ts";
import type { DomainError } from "../../core/errors.ts";
import { requireAdmin } from "../../http/auth.ts";
import { dbTestOptions, postJson, type TestApp, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";
import { sessionEvents } from "../helpers/play.ts";
import { EngagementDashboardSchema } from "../../openapi/engagement.ts";
import { productionEnv } from "../helpers/env.ts";

const db = testDatabase();
const opts = dbTestOptions;
const NOW = new Date("2026-11-20T10:00:00Z");

const COMPANY_SALT = "hardening-company-salt-0123456789";
const ADMIN_KEY = "hardening-admin-key-0123456789ab";
const ADMIN_TOKEN = "hardening-admin-token-0123456789a";
const TOK_ALICE = "hardening-alice-token-0123456789a";
const PROD = productionEnv({
  COMPANY_SALT,
  DASHBOARD_TOKEN_MAP: `${TOK_ALICE}:alice`,
  ADMIN_KEY,
  AUTH_FAIL_LIMIT: "5",
  ALLOWED_ORIGINS: "https://app.example.com",
});
let clients = 0;
/** Returns the handler info of a fresh client address (each test its own limiter window). */
function client(): { remoteAddr: { hostname: string; port: number; transport: "tcp" } } {
  clients++;
  return { remoteAddr: { hostname: `198.51.100.${clients}`, port: 4000, transport: "tcp" } };
}
function prodApp(env: Record<string, string> = {}): TestApp {
  const a = testApp(db.sql, { ...PROD, ...env });
  a.setNow(NOW);
  return a;
}

Deno.test(
  "the limiter never refuses the right admin key, however many guesses came first (measurement 2)",
  opts,
  async () => {
    const t = prodApp();
    const from = client();
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const res = await t.app.request("/admin/seed_company", {
        ...postJson({ company_name: "Acme" }, { "x-admin-key": `guess-${i}` }),
      }, from);
      statuses.push(res.status);
      await res.body?.cancel();
    }
    assert.deepEqual(statuses, [...Array(5).fill(403), ...Array(35).fill(429)]);
    const right = await t.app.request(
      "/admin/seed_company",
      postJson({ company_name: "Acme" }, { "x-admin-key": ADMIN_KEY }),
      from,
    );
    assert.equal(right.status, 200);
    // Production no longer starts with a guessable key at all (tests/config_test.ts).
    assert.throws(() => prodApp({ ADMIN_KEY: "1" }), /ADMIN_KEY must be at least 32 characters/);
  },
);

Deno.test(
  "reading the sign-in form without a cookie is never a failure: no lockout (measurement 3)",
  opts,
  async () => {
    const t = prodApp();
    const from = client();
    const statuses = new Set<number>();
    for (let i = 0; i < 34; i++) {
      const res = await t.app.request("/players/alice", {}, from);
      statuses.add(res.status);
      await res.body?.cancel();
    }
    assert.deepEqual([...statuses], [401]);
    // A wrong token posted to the form is a failure and is counted.
    const post = (token: string) =>
      t.app.request("/players/alice", {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          "sec-fetch-site": "same-origin",
        },
        body: `token=${token}`,
      }, from);
    const posted: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await post(`wrong-${i}`);
      posted.push(res.status);
      await res.body?.cancel();
    }
    assert.deepEqual(posted, [401, 401, 401, 401, 401, 429]);
    // The right token still signs in.
    assert.equal((await post(TOK_ALICE)).status, 303);
  },
);

Deno.test(
  "a page cookie that no longer verifies shows the form again and is never counted",
  opts,
  async () => {
    const t = prodApp();
    const from = client();
    const signIn = await t.app.request("/players/alice", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "sec-fetch-site": "same-origin",
      },
      body: `token=${TOK_ALICE}`,
    }, from);
    assert.equal(signIn.status, 303);
    const cookie = signIn.headers.get("set-cookie")!.split(";")[0];
    const [name, value] = [
      cookie.slice(0, cookie.indexOf("=")),
      cookie.slice(cookie.indexOf("=") + 1),
    ];
    // Forged (signature changed), garbage, and expired (the clock past the cookie's eight hours).
    const stale = [`${name}=${value.slice(0, -2)}xx`, `${name}=v2.nothing`];
    for (let i = 0; i < 8; i++) {
      const res = await t.app.request("/players/alice", {
        headers: { cookie: stale[i % stale.length] },
      }, from);
      assert.equal(res.status, 401);
      assert.match(await res.text(), /<form method="post" action="\/players\/alice"/);
    }
    t.setNow(new Date(NOW.getTime() + 9 * 3_600_000));
    for (let i = 0; i < 8; i++) {
      const res = await t.app.request("/players/alice", { headers: { cookie } }, from);
      assert.equal(res.status, 401);
      await res.body?.cancel();
    }
    const rows = await db.sql<{ failures: number }[]>`
      select failures from auth_failures where client = ${from.remoteAddr.hostname}`;
    assert.deepEqual([...rows], [], "no failure counted for this client");
  },
);

Deno.test(
  "a wrong ?t= on /company counts exactly as on /dashboard/company (measurement 4)",
  opts,
  async () => {
    for (const path of ["/company", "/dashboard/company"]) {
      const t = prodApp();
      const from = client();
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) {
        const res = await t.app.request(`${path}?t=wrong-${i}`, {}, from);
        statuses.push(res.status);
        await res.body?.cancel();
      }
      assert.deepEqual(statuses, [403, 403, 403, 403, 403, 429, 429, 429], path);
      const rows = await db.sql<{ failures: number }[]>`
        select failures from auth_failures where client = ${from.remoteAddr.hostname}`;
      assert.equal(rows[0].failures, 6, path);
    }
  },
);

Deno.test(
  "every method and spelling of an admin player path logs the keyed hash, never the id (measurement 7)",
  opts,
  async () => {
    const t = prodApp();
    const id = "raw-player-id-7";
    const requests: [string, RequestInit][] = [
      [`/admin/players/${id}/export`, {
        method: "OPTIONS",
        headers: {
          Origin: "https://app.example.com",
          "Access-Control-Request-Method": "GET",
          "Access-Control-Request-Headers": "x-admin-key",
        },
      }],
      [`/admin/players/${id}/export`, { method: "PUT" }],
      [`/admin/players/${id}/export/`, { headers: { "x-admin-key": ADMIN_KEY } }],
      [`/admin/players/${id}/export`, { headers: { "x-admin-key": ADMIN_KEY } }],
      [`/admin/players/${id}`, { method: "DELETE", headers: { "x-admin-key": "wrong" } }],
      [`/admin/players/${id}/other/${id}`, { method: "PATCH" }],
    ];
    for (const [path, init] of requests) {
      const before = t.logs.length;
      const res = await t.request(path, init);
      await res.body?.cancel();
      const lines = t.logs.slice(before).join("\n");
      assert.ok(!lines.includes(id), `${init.method ?? "GET"} ${path}: ${lines}`);
      const line = JSON.parse(t.logs.at(-1)!);
      assert.equal(line.player_hash, logPseudonym(id, COMPANY_SALT), path);
      assert.match(line.path, /^\/admin\/players\/\{player_id\}/, path);
    }
  },
);

/** Returns the status of a sign-in form post with the given browser headers. */
async function signInStatus(t: TestApp, headers: Record<string, string>): Promise<number> {
  const res = await t.request("/players/alice", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: `token=${TOK_ALICE}`,
  });
  await res.body?.cancel();
  return res.status;
}

Deno.test(
  "sign-in and sign-out refuse Origin: null without Sec-Fetch-Site; the pages' own forms pass (measurement 8)",
  opts,
  async () => {
    const t = prodApp({ AUTH_FAIL_LIMIT: "0" });
    assert.equal(await signInStatus(t, { origin: "null" }), 403);
    assert.equal(await signInStatus(t, { origin: "null", "sec-fetch-site": "same-origin" }), 303);
    assert.equal(await signInStatus(t, { origin: "null", "sec-fetch-site": "cross-site" }), 403);
    assert.equal(await signInStatus(t, {}), 303, "a client sending neither (curl)");
    const logout = (headers: Record<string, string>) =>
      t.request("/logout", { method: "POST", headers }).then(async (r) => {
        await r.body?.cancel();
        return r.status;
      });
    assert.equal(await logout({ origin: "null" }), 403);
    assert.equal(await logout({ origin: "null", "sec-fetch-site": "same-origin" }), 303);
  },
);

Deno.test(
  "a body with invalid UTF-8 is refused with 400, never repaired (measurement 9)",
  opts,
  async () => {
    const t = testApp(db.sql, { AUTH_FAIL_LIMIT: "0" });
    t.setNow(NOW);
    // {"user_external_id":"u\xff","session_id":…}: \xff and \xfe are never UTF-8.
    const json = (bytes: number[]) =>
      new Uint8Array([
        ...new TextEncoder().encode('{"player_id":"p'),
        ...bytes,
        ...new TextEncoder().encode('","session_id":"s1"}'),
      ]);
    for (const bad of [[0xff], [0xfe], [0xc3], [0xed, 0xa0, 0x80]]) {
      const res = await t.request("/events", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: json(bad),
      });
      assert.equal(res.status, 400, JSON.stringify(bad));
      await res.body?.cancel();
    }
    const form = await t.request("/players/alice", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new Uint8Array([0x74, 0x6f, 0x6b, 0x65, 0x6e, 0x3d, 0xff]),
    });
    assert.equal(form.status, 400);
    await form.body?.cancel();
    // Valid UTF-8 (here "é") reaches validation: 422 for the incomplete event, not 400.
    const fine = await t.request("/events", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: json([0xc3, 0xa9]),
    });
    assert.equal(fine.status, 422);
    await fine.body?.cancel();
  },
);

Deno.test(
  "a streamed body is checked across its chunks: a character split between two passes, a bad byte in any chunk is 400",
  opts,
  async () => {
    const t = testApp(db.sql, { AUTH_FAIL_LIMIT: "0" });
    t.setNow(NOW);
    const enc = (s: string) => [...new TextEncoder().encode(s)];
    /** Posts the chunks as a streamed body (no Content-Length) and returns the status. */
    const post = async (...chunks: number[][]) => {
      const body = ReadableStream.from(chunks.map((c) => new Uint8Array(c)));
      const res = await t.request("/events", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        duplex: "half",
      } as RequestInit);
      await res.body?.cancel();
      return res.status;
    };
    const start = enc('{"player_id":"p');
    const end = enc('","session_id":"s1"}');
    // "é" split between two chunks is valid: validation answers (422 for the incomplete event).
    assert.equal(await post([...start, 0xc3], [0xa9, ...end]), 422);
    assert.equal(await post(start, [0xc3, 0xa9], end), 422);
    // A lead byte whose continuation never comes, in the first, a middle or the last chunk.
    assert.equal(await post([...start, 0xc3], [0x41, ...end]), 400);
    assert.equal(await post(start, [0xff], end), 400);
    assert.equal(await post(start, end, [0xfe]), 400);
    assert.equal(await post([...start, 0xc3, ...end]), 400, "one chunk");
  },
);

Deno.test(
  "a sign-in form over 4 KiB is refused before it is read (measurement 1)",
  opts,
  async () => {
    const t = prodApp({ AUTH_FAIL_LIMIT: "0" });
    const res = await t.request("/players/alice", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "content-length": "1000000",
      },
      body: "t",
    });
    assert.equal(res.status, 413);
    assert.equal(res.headers.get("connection"), "close");
    await res.body?.cancel();
    const big = await t.request("/players/alice", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `token=${"a".repeat(5000)}`,
    });
    assert.equal(big.status, 413);
    await big.body?.cancel();
  },
);

Deno.test(
  "API answers carry Cache-Control: no-store; production sends HSTS (measurement 11)",
  opts,
  async () => {
    const t = prodApp();
    const dashboard = await t.request("/api/dashboard/alice", {
      headers: { authorization: `Bearer ${TOK_ALICE}` },
    });
    assert.equal(dashboard.status, 200);
    assert.equal(dashboard.headers.get("cache-control"), "no-store");
    assert.equal(
      dashboard.headers.get("strict-transport-security"),
      "max-age=31536000; includeSubDomains",
    );
    await dashboard.body?.cancel();
    const denied = await t.request("/dashboard/company?t=nope");
    assert.equal(denied.headers.get("cache-control"), "no-store");
    await denied.body?.cancel();
    const short = prodApp({ HSTS_MAX_AGE_SECONDS: "600" });
    const health = await short.request("/health");
    assert.equal(health.headers.get("strict-transport-security"), "max-age=600; includeSubDomains");
    await health.body?.cancel();
    const dev = testApp(db.sql, { APP_ENV: "development" });
    const open = await dev.request("/health");
    assert.equal(open.headers.get("strict-transport-security"), null);
    await open.body?.cancel();
  },
);

Deno.test(
  "development refuses a Host that is not a loopback name: DNS rebinding (measurement 11)",
  opts,
  async () => {
    const dev = testApp(db.sql, { APP_ENV: "development" });
    for (const host of ["attacker.example", "192.168.1.20:8000", "localhost.attacker.example"]) {
      const res = await dev.request("http://x/players/p1/sessions", { headers: { host } });
      assert.equal(res.status, 421, host);
      await res.body?.cancel();
    }
    for (const host of ["localhost:8000", "127.0.0.1:8000", "[::1]:8000", "app.localhost"]) {
      const res = await dev.request("http://x/health", { headers: { host } });
      assert.equal(res.status, 200, host);
      await res.body?.cancel();
    }
    // Production sits behind a domain name: no such check.
    const res = await prodApp().request("http://x/health", {
      headers: { host: "etl.example.org" },
    });
    assert.equal(res.status, 200);
    await res.body?.cancel();
  },
);

Deno.test(
  "an allowed preflight answers 200 with credentials; another origin is never echoed (measurement 12)",
  opts,
  async () => {
    const t = prodApp();
    const preflight = (origin: string) =>
      t.request("/internal/ingest/session_summary", {
        method: "OPTIONS",
        headers: {
          Origin: origin,
          "Access-Control-Request-Method": "POST",
          "Access-Control-Request-Headers": "authorization,content-type",
        },
      });
    const ok = await preflight("https://app.example.com");
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get("access-control-allow-origin"), "https://app.example.com");
    assert.equal(ok.headers.get("access-control-allow-credentials"), "true");
    const evil = await preflight("https://evil.example.com");
    assert.equal(evil.status, 204);
    assert.equal(evil.headers.get("access-control-allow-origin"), null);
    assert.equal(evil.headers.get("access-control-allow-credentials"), null);
    const nullOrigin = await preflight("null");
    assert.equal(nullOrigin.headers.get("access-control-allow-origin"), null);
  },
);

Deno.test(
  "`adminAuth` takes X-ADMIN-KEY or Bearer ADMIN_TOKEN; neither set locks",
  opts,
  async () => {
    const t = prodApp({ ADMIN_TOKEN, AUTH_FAIL_LIMIT: "0" });
    const seed = (headers: Record<string, string>) =>
      t.request("/admin/seed_company", postJson({ company_name: "Acme" }, headers)).then(
        async (r) => [r.status, (await r.json()).detail ?? "ok"],
      );
    assert.deepEqual(await seed({ "x-admin-key": ADMIN_KEY }), [200, "ok"]);
    assert.deepEqual(await seed({ authorization: `Bearer ${ADMIN_TOKEN}` }), [200, "ok"]);
    assert.deepEqual(await seed({ authorization: `Bearer ${ADMIN_KEY}` }), [
      403,
      "Invalid admin key",
    ]);
    assert.deepEqual(await seed({ "x-admin-key": ADMIN_TOKEN }), [403, "Invalid admin key"]);
    assert.deepEqual(await seed({}), [401, "Missing X-ADMIN-KEY header"]);
    const locked = testApp(db.sql, { ADMIN_KEY: "", AUTH_FAIL_LIMIT: "0" });
    const res = await locked.request(
      "/admin/seed_company",
      postJson({ company_name: "Acme" }, { "x-admin-key": "anything" }),
    );
    assert.equal(res.status, 403);
    assert.deepEqual(await res.json(), {
      detail: "Admin endpoints are locked (ADMIN_KEY is not set)",
    });
  },
);

Deno.test(
  "sign-out revokes the session on every instance; the check is one lookup (measurement 8)",
  opts,
  async () => {
    const one = prodApp({ AUTH_FAIL_LIMIT: "0" });
    const other = prodApp({ AUTH_FAIL_LIMIT: "0" }); // another instance on the same database
    const signIn = await one.request("/players/alice", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "sec-fetch-site": "same-origin",
      },
      body: `token=${TOK_ALICE}`,
    });
    assert.equal(signIn.status, 303);
    const cookie = signIn.headers.get("set-cookie")!.split(";")[0];
    const page = async (a: TestApp) => {
      const res = await a.request("/players/alice", { headers: { cookie } });
      await res.body?.cancel();
      return res.status;
    };
    assert.deepEqual([await page(one), await page(other)], [200, 200]);
    const out = await one.request("/logout", {
      method: "POST",
      headers: { cookie, origin: "null", "sec-fetch-site": "same-origin" },
    });
    assert.equal(out.status, 303);
    assert.match(out.headers.get("set-cookie")!, /Max-Age=0/);
    // The old cookie, replayed anywhere, no longer opens the page (it did for up to 8 h).
    assert.deepEqual([await page(one), await page(other)], [401, 401]);
    const rows = await db.sql<{ n: number }[]>`select count(*)::int as n from session_revocations`;
    assert.ok(rows[0].n >= 1);

    // What the check costs: one primary-key lookup per page request with a cookie.
    const { isSessionRevoked } = await import("../../db/sessions.ts");
    const n = 300;
    const started = performance.now();
    for (let i = 0; i < n; i++) await isSessionRevoked(db.sql, `probe-${i}`);
    console.log(
      `revocation check: ${((performance.now() - started) * 1000 / n).toFixed(0)} µs per lookup`,
    );
  },
);

Deno.test(
  "client timestamps outside 2000-01-01 … server clock + 5 min get 422 naming the field (measurement 5)",
  opts,
  async () => {
    const t = testApp(db.sql, { AUTH_FAIL_LIMIT: "0" });
    t.setNow(NOW); // 2026-11-20T10:00:00Z
    const event = (ts: string, session: string) =>
      sessionEvents({ player: "p-clock", session, pattern: [1, 1, 1], start: ts })[0];
    const post = async (ts: string, session: string) => {
      const res = await t.request("/events", postJson(event(ts, session)));
      return [res.status, await res.json()];
    };
    const window = "Must be from 2000-01-01T00:00:00.000Z to 5 minutes past the server's clock " +
      "(until 2026-11-20T10:05:00.000Z)";
    const refused = (loc: (string | number)[]) => ({
      detail: [{ loc, msg: window, type: "time_window" }],
    });
    assert.deepEqual(await post("2099-01-01T00:00:00Z", "s-2099"), [
      422,
      refused(["body", "ts_utc"]),
    ]);
    assert.deepEqual(await post("1970-01-01T00:00:00Z", "s-1970"), [
      422,
      refused(["body", "ts_utc"]),
    ]);
    assert.deepEqual(await post("1999-12-31T23:59:59.999Z", "s-1999"), [
      422,
      refused(["body", "ts_utc"]),
    ]);
    assert.deepEqual(await post("2026-11-20T10:05:01Z", "s-ahead"), [
      422,
      refused(["body", "ts_utc"]),
    ]);
    assert.deepEqual(await post("2000-01-01T00:00:00Z", "s-floor"), [200, { stored: true }]);
    assert.deepEqual(await post("2026-11-20T10:04:59Z", "s-skew"), [200, { stored: true }]);
    const batch = await t.request(
      "/events/batch",
      postJson({
        events: [event("2026-11-20T09:00:00Z", "s-b"), event("2099-01-01T00:00:00Z", "s-b2")],
      }),
    );
    assert.equal(batch.status, 422);
    assert.deepEqual(await batch.json(), refused(["body", "events", 1, "ts_utc"]));

    // The session summary at 9999-12-31 that made lastSession "+010000-…" is refused …
    const summary = (started_at: string, session_id: string) =>
      postJson(
        {
          session_id,
          user_external_id: "u-clock",
          started_at,
          duration_seconds: 86400,
          sentiment_score: 0.5,
        },
        { authorization: "Bearer dev-ingest-token" },
      );
    const far = await t.request(
      "/internal/ingest/session_summary",
      summary("9999-12-31T00:00:00Z", "x1"),
    );
    assert.equal(far.status, 422);
    assert.deepEqual(await far.json(), refused(["body", "started_at"]));
    // … and the latest accepted one keeps the dashboard inside its own schema.
    const edge = await t.request(
      "/internal/ingest/session_summary",
      summary("2026-11-20T10:05:00Z", "x2"),
    );
    assert.equal(edge.status, 200);
    await edge.body?.cancel();
    const dash = await t.request("/api/dashboard/u-clock", {
      headers: { authorization: "Bearer dev-dashboard-token" },
    });
    const body = await dash.json();
    assert.equal(body.lastSession.timestamp, "2026-11-21T10:05:00.000Z");
    assert.ok(EngagementDashboardSchema.safeParse(body).success, JSON.stringify(body));
  },
);

Deno.test(
  "`requireAdmin` answers 401 for the device endpoints' option, 403 by default",
  opts,
  () => {
    const config = { adminKey: ADMIN_KEY, adminToken: ADMIN_TOKEN };
    const kind = (fn: () => void) => {
      try {
        fn();
        return "ok";
      } catch (err) {
        return (err as DomainError).kind;
      }
    };
    const wrong = { adminKey: "nope", authorization: undefined };
    assert.equal(kind(() => requireAdmin(config, wrong)), "forbidden");
    assert.equal(kind(() => requireAdmin(config, wrong, { failureStatus: 401 })), "unauthorized");
    const locked = { adminKey: "", adminToken: "" };
    assert.equal(
      kind(() =>
        requireAdmin(locked, { adminKey: ADMIN_KEY, authorization: undefined }, {
          failureStatus: 401,
        })
      ),
      "unauthorized",
    );
    assert.equal(
      kind(() =>
        requireAdmin(config, { adminKey: undefined, authorization: `Bearer ${ADMIN_TOKEN}` }, {
          failureStatus: 401,
        })
      ),
      "ok",
    );
    assert.equal(
      kind(() =>
        requireAdmin(config, { adminKey: undefined, authorization: `Bearer ${ADMIN_KEY}` }, {
          failureStatus: 401,
        })
      ),
      "unauthorized",
    );
  },
);
