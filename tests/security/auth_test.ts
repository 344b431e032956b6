/**
 * Hostile input, part 3: authentication and its edges. Every protected endpoint refuses missing,
 * malformed, wrong and other-user credentials with the documented 401/403; the admin endpoint is
 * locked without ADMIN_KEY; secrets never reach the log; CORS reflects only listed origins;
 * production refuses unsafe configuration; token comparison looks at every candidate.
 */
import assert from "node:assert/strict";
import { dashboardGrantOf, requireAdmin, tokenMatches } from "../../http/auth.ts";
import { ConfigError, DEV_DASHBOARD_TOKEN_SALT, loadConfig } from "../../config.ts";
import { constantTimeEqual, dashboardTokenFor } from "../../core/company.ts";
import { DomainError } from "../../core/errors.ts";
import { dbTestOptions, postJson, type TestApp, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";
import { sessionEvents } from "../helpers/play.ts";
import { productionEnv } from "../helpers/env.ts";

const db = testDatabase();
const opts = dbTestOptions;
const NOW = new Date("2026-04-01T12:00:00.000Z");

const INGEST_NEW = "ingest-new-4f1c-kkkkkkkkkkkkkkkk";
const INGEST_OLD = "ingest-old-9a2b-kkkkkkkkkkkkkkkk";
const TOK_ALICE = "tok-alice-7d3e-kkkkkkkkkkkkkkkkk";
const TOK_BOB = "tok-bob-2c8f-kkkkkkkkkkkkkkkkkkk";
const TOK_STAR = "tok-star-5e6a-kkkkkkkkkkkkkkkkkk";
const ADMIN_KEY = "admin-key-0b1d2e3f-kkkkkkkkkkkkk";
const PROD = productionEnv({
  INGEST_SERVICE_TOKEN: `${INGEST_NEW},${INGEST_OLD}`,
  DASHBOARD_TOKEN_MAP: `${TOK_ALICE}:alice,${TOK_BOB}:bob,${TOK_STAR}:*`,
  ADMIN_KEY,
  AUTH_FAIL_LIMIT: "0",
  ALLOWED_ORIGINS: "https://app.example.com,http://localhost:8501",
  DASHBOARD_ORIGIN: "https://dash.example.org",
  DASHBOARD_ALLOWED_ORIGINS: "https://a.example.net:8443",
});
const apps: TestApp[] = [];
function app(env: Record<string, string>): TestApp {
  const a = testApp(db.sql, env);
  a.setNow(NOW);
  apps.push(a);
  return a;
}
const prod = app(PROD);
const locked = app({ ...PROD, ADMIN_KEY: "" });
const open = app({ AUTH_FAIL_LIMIT: "0", ADMIN_KEY: "open-admin-key-77" });

/** Every credential this file sends; none may ever appear in a log line. */
const secrets = new Set<string>([
  INGEST_NEW,
  INGEST_OLD,
  TOK_ALICE,
  TOK_BOB,
  TOK_STAR,
  ADMIN_KEY,
  "open-admin-key-77",
  "dev-ingest-token",
  "dev-dashboard-token",
]);
const bearer = (token: string) => {
  if (token.length >= 8) secrets.add(token);
  return { authorization: `Bearer ${token}` };
};

const COMPANY = "c_authco000001";
const OTHER = "c_authco000002";
const companyToken = (id: string) => dashboardTokenFor(id, PROD.DASHBOARD_TOKEN_SALT);
secrets.add(companyToken(COMPANY));
secrets.add(companyToken(OTHER));

// Alice and Bob each play one session in production (company COMPANY / OTHER).
const events = {
  alice: sessionEvents({
    player: "alice",
    session: "auth-s-alice",
    pattern: [1, 2, 0],
    start: "2026-03-30T10:00:00Z",
    company_id: COMPANY,
  }),
  bob: sessionEvents({
    player: "bob",
    session: "auth-s-bob",
    pattern: [1, 1, 1],
    start: "2026-03-30T11:00:00Z",
    company_id: OTHER,
  }),
};
db.prepare(async () => {
  for (const [who, list] of Object.entries(events)) {
    const batch = await prod.request(
      "/events/batch",
      postJson({ events: list }, bearer(INGEST_NEW)),
    );
    assert.equal(batch.status, 200);
    const fin = await prod.request(`/sessions/auth-s-${who}/finalize`, {
      method: "POST",
      headers: bearer(INGEST_OLD),
    });
    assert.equal(fin.status, 200);
  }
});

async function detailOf(res: Response): Promise<string> {
  const body = await res.json() as { detail: unknown };
  assert.equal(typeof body.detail, "string", JSON.stringify(body));
  return body.detail as string;
}

const MISSING_AUTH = "Missing Authorization header";
const MALFORMED_AUTH = "Authorization header must be 'Bearer <token>'";

/** Authorization values that are not `Bearer <token>` at all. */
const MALFORMED = [
  INGEST_NEW,
  TOK_ALICE,
  "Bearer",
  "Bearer ",
  `Basic ${btoa(`x:${INGEST_NEW}`)}`,
  `Token ${INGEST_NEW}`,
  `Bearer ${INGEST_NEW} extra`,
  `Bearer${INGEST_NEW}`,
  `Bearer: ${INGEST_NEW}`,
  `Bearer\u00a0${INGEST_NEW}`,
  `Bearer ${TOK_ALICE} ${TOK_ALICE}`,
];

/** Wrong ingest tokens: near misses, other kinds of secret, development defaults. */
const WRONG_INGEST = [
  INGEST_NEW.slice(0, -1),
  `${INGEST_NEW}x`,
  INGEST_NEW.toUpperCase(),
  `${INGEST_NEW},${INGEST_OLD}`,
  INGEST_NEW.replace("4", "5"),
  TOK_STAR,
  ADMIN_KEY,
  "dev-ingest-token",
  "x".repeat(10_000),
  "*",
];

interface Protected {
  label: string;
  send(app: TestApp, headers: Record<string, string>): Promise<Response>;
}

const summaryBody = {
  session_id: "auth-eng-1",
  user_external_id: "alice",
  started_at: "2026-03-31T09:00:00Z",
  duration_seconds: 300,
  sentiment_score: 0.7,
};

/** Attempts of a session that stays open, so a valid resend is always a 200. */
const openSession = sessionEvents({
  player: "alice",
  session: "auth-s-open",
  pattern: [1, 1, 1],
  start: "2026-03-31T10:00:00Z",
});

const INGEST_ENDPOINTS: Protected[] = [
  {
    label: "POST /events",
    send: (a, h) => a.request("/events", postJson(openSession[0], h)),
  },
  {
    label: "POST /events/batch",
    send: (a, h) => a.request("/events/batch", postJson({ events: openSession.slice(0, 2) }, h)),
  },
  {
    label: "POST /sessions/{id}/finalize",
    send: (a, h) => a.request("/sessions/auth-s-alice/finalize", { method: "POST", headers: h }),
  },
  {
    label: "POST /internal/ingest/session_summary",
    send: (a, h) => a.request("/internal/ingest/session_summary", postJson(summaryBody, h)),
  },
];

Deno.test(
  "ingest endpoints (production) refuse missing, malformed and wrong tokens with 401",
  opts,
  async () => {
    for (const ep of INGEST_ENDPOINTS) {
      const missing = await ep.send(prod, {});
      assert.equal(missing.status, 401, ep.label);
      assert.equal(await detailOf(missing), MISSING_AUTH);
      for (const value of MALFORMED) {
        const res = await ep.send(prod, { authorization: value });
        assert.equal(res.status, 401, `${ep.label} ${value}`);
        assert.ok([MALFORMED_AUTH, "Invalid service token"].includes(await detailOf(res)));
      }
      for (const token of WRONG_INGEST) {
        const res = await ep.send(prod, bearer(token));
        assert.equal(res.status, 401, `${ep.label} ${token.slice(0, 30)}`);
        assert.equal(await detailOf(res), "Invalid service token");
      }
      // Either rotated token works; the check ignores the scheme's case.
      for (const token of [INGEST_NEW, INGEST_OLD]) {
        const ok = await ep.send(prod, bearer(token));
        assert.ok(ok.status === 200, `${ep.label} with a valid token: ${ok.status}`);
        await ok.body?.cancel();
      }
      const lower = await ep.send(prod, { authorization: `bearer ${INGEST_NEW}` });
      assert.equal(lower.status, 200);
      await lower.body?.cancel();
    }
    // Credentials are checked before the body: a stranger learns nothing about the schema.
    const junk = await prod.request("/events", postJson({ junk: true }));
    assert.equal(junk.status, 401);
    assert.equal(await detailOf(junk), MISSING_AUTH);
    const junkBad = await prod.request("/events/batch", postJson([1, 2], bearer("nope-nope")));
    assert.equal(junkBad.status, 401);
    // Session-summary ingest needs the token in every environment.
    const dev = await open.request("/internal/ingest/session_summary", postJson(summaryBody));
    assert.equal(dev.status, 401);
    assert.equal(await detailOf(dev), MISSING_AUTH);
  },
);

const READ_ENDPOINTS: { label: string; path: (user: string) => string }[] = [
  { label: "GET /players/{id}/sessions", path: (u) => `/players/${u}/sessions` },
  { label: "GET /model/state/{id}", path: (u) => `/model/state/${u}` },
  { label: "GET /api/dashboard/{id}", path: (u) => `/api/dashboard/${u}` },
];

const WRONG_DASHBOARD = [
  TOK_ALICE.slice(0, -1),
  `${TOK_ALICE}x`,
  TOK_ALICE.toUpperCase(),
  `${TOK_ALICE}:alice`,
  INGEST_NEW,
  ADMIN_KEY,
  "dev-dashboard-token",
  "*",
  "alice",
  companyToken(COMPANY),
  "y".repeat(5000),
];

Deno.test(
  "player and engagement reads refuse missing/malformed/wrong (401) and other-user (403) tokens",
  opts,
  async () => {
    for (const ep of READ_ENDPOINTS) {
      const read = (user: string, headers: Record<string, string>) =>
        prod.request(ep.path(user), { headers });
      const missing = await read("alice", {});
      assert.equal(missing.status, 401, ep.label);
      assert.equal(await detailOf(missing), MISSING_AUTH);
      for (const value of MALFORMED) {
        const res = await read("alice", { authorization: value });
        assert.equal(res.status, 401, `${ep.label} ${value}`);
        await res.body?.cancel();
      }
      for (const token of WRONG_DASHBOARD) {
        const res = await read("alice", bearer(token));
        assert.equal(res.status, 401, `${ep.label} ${token.slice(0, 30)}`);
        assert.equal(await detailOf(res), "Invalid dashboard token");
      }
      // Another user's token, and ids that only look like alice's.
      for (
        const [user, token] of [
          ["alice", TOK_BOB],
          ["bob", TOK_ALICE],
          ["Alice", TOK_ALICE],
          ["alice%20", TOK_ALICE],
          ["%20alice", TOK_ALICE],
          ["alice%00", TOK_ALICE],
          ["alice%2F", TOK_ALICE],
          ["ALICE", TOK_ALICE],
          ["alic%C3%A9", TOK_ALICE],
        ]
      ) {
        const res = await read(user, bearer(token));
        assert.equal(res.status, 403, `${ep.label} ${user} with ${token}`);
        assert.equal(await detailOf(res), "Token not permitted for this user");
      }
      for (
        const [user, token] of [["alice", TOK_ALICE], ["%61lice", TOK_ALICE], ["bob", TOK_STAR]]
      ) {
        const res = await read(user, bearer(token));
        assert.equal(res.status, 200, `${ep.label} ${user} with ${token}`);
        await res.body?.cancel();
      }
    }
    // The development dashboard token means nothing in production (no default grant).
    const dev = await prod.request("/api/dashboard/alice", {
      headers: bearer("dev-dashboard-token"),
    });
    assert.equal(dev.status, 401);
    await dev.body?.cancel();
  },
);

Deno.test(
  "company dashboards: 403 for missing, malformed or wrong tokens; a token reads only its company",
  opts,
  async () => {
    const valid = companyToken(COMPANY);
    const wrong = [
      "",
      "t",
      valid.slice(0, -1),
      `${valid}0`,
      valid.toUpperCase(),
      ` ${valid}`,
      valid.replace(/^./, (c) => (c === "a" ? "b" : "a")),
      "0".repeat(24),
      dashboardTokenFor(COMPANY, DEV_DASHBOARD_TOKEN_SALT),
      dashboardTokenFor(COMPANY, PROD.COMPANY_SALT),
      "' or '1'='1' --",
      "%00",
      INGEST_NEW,
    ];
    for (const token of wrong) if (token.length >= 8) secrets.add(token);
    for (const path of ["/dashboard/company", "/dashboard/summary", "/dashboard/timeseries"]) {
      const none = await prod.request(path);
      assert.equal(none.status, 403, path);
      assert.equal(await detailOf(none), "Invalid or missing dashboard token");
      for (const token of wrong) {
        const res = await prod.request(`${path}?t=${encodeURIComponent(token)}`);
        assert.equal(res.status, 403, `${path} t=${token}`);
        assert.equal(await detailOf(res), "Invalid or missing dashboard token");
      }
    }
    // The exact player count (the released one is noisy): exact mode.
    const exact = app({ ...PROD, COMPANY_PRIVACY: "exact" });
    for (const [id, other] of [[COMPANY, OTHER], [OTHER, COMPANY]]) {
      const info = await exact.request(`/dashboard/company?t=${companyToken(id)}`);
      assert.equal(info.status, 200);
      const body = await info.json() as { company_id: string; n_players: number };
      assert.equal(body.company_id, id);
      assert.equal(body.n_players, 1);
      // Naming the other company anywhere in the query changes nothing.
      const sneaky = await prod.request(
        `/dashboard/company?company_id=${other}&t=${companyToken(id)}&c=${other}`,
      );
      assert.equal((await sneaky.json() as { company_id: string }).company_id, id);
      const twice = await prod.request(
        `/dashboard/company?t=${companyToken(id)}&t=${companyToken(other)}`,
      );
      assert.ok(twice.status === 422 || twice.status === 403, `two tokens: ${twice.status}`);
      await twice.body?.cancel();
    }
    const page = await prod.request(`/company?t=${encodeURIComponent(wrong[2])}`);
    assert.equal(page.status, 403);
    await page.body?.cancel();
  },
);

Deno.test(
  "admin: 401 without X-ADMIN-KEY, 403 for a wrong key, locked (403) when ADMIN_KEY is empty",
  opts,
  async () => {
    const seed = (a: TestApp, headers: Record<string, string>) =>
      a.request("/admin/seed_company", postJson({ company_name: "Auth Admin Co" }, headers));
    const noKey: Record<string, string>[] = [{}, { "x-admin-key": "" }, bearer(ADMIN_KEY)];
    for (const headers of noKey) {
      const res = await seed(prod, headers);
      assert.equal(res.status, 401, JSON.stringify(headers));
      assert.equal(await detailOf(res), "Missing X-ADMIN-KEY header");
    }
    for (
      const key of [
        ADMIN_KEY.slice(0, -1),
        `${ADMIN_KEY}x`,
        ADMIN_KEY.toUpperCase(),
        `x${ADMIN_KEY}`,
        INGEST_NEW,
        "open-admin-key-77",
        "a".repeat(70_000),
      ]
    ) {
      if (key.length >= 8) secrets.add(key);
      const res = await seed(prod, { "x-admin-key": key });
      assert.equal(res.status, 403, key.slice(0, 30));
      assert.equal(await detailOf(res), "Invalid admin key");
    }
    const ok = await seed(prod, { "x-admin-key": ADMIN_KEY });
    assert.equal(ok.status, 200);
    const token = (await ok.json() as { dashboard_token: string }).dashboard_token;
    secrets.add(token);

    const lockedTries: Record<string, string>[] = [
      {},
      { "x-admin-key": "" },
      { "x-admin-key": ADMIN_KEY },
      { "x-admin-key": "x" },
    ];
    for (const headers of lockedTries) {
      const res = await seed(locked, headers);
      assert.equal(res.status, 403, `locked ${JSON.stringify(headers)}`);
      assert.equal(await detailOf(res), "Admin endpoints are locked (ADMIN_KEY is not set)");
    }
    // An unset ADMIN_KEY is an empty one, in every environment.
    for (const env of [{}, { APP_ENV: "test" }, { ...PROD, ADMIN_KEY: undefined }]) {
      assert.equal(loadConfig(env).adminKey, "");
    }
    assert.throws(
      () =>
        requireAdmin({ adminKey: "", adminToken: "" }, {
          adminKey: ADMIN_KEY,
          authorization: undefined,
        }),
      (e: unknown) => e instanceof DomainError && e.kind === "forbidden",
    );
  },
);

/** Returns the signed session cookie ("name=value") a page sign-in sets, asserting its flags. */
async function signIn(a: TestApp, path: string, token: string): Promise<string> {
  const res = await a.request(path, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: `token=${encodeURIComponent(token)}`,
  });
  assert.equal(res.status, 303, `${path} sign-in`);
  const header = res.headers.get("set-cookie") ?? "";
  assert.match(
    header,
    /^__Host-ett_session=[^;]+; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Strict; Secure$/,
  );
  assert.ok(!header.includes(token), "the cookie does not carry the token");
  const cookie = header.split(";")[0];
  secrets.add(cookie.slice(cookie.indexOf("=") + 1));
  secrets.add(cookie.split(".").at(-1)!);
  return cookie;
}

Deno.test(
  "pages (production): no cookie 401, forged/expired/revoked cookie 401, other user 403, sign-in rules",
  opts,
  async () => {
    const pages = ["/players/alice", "/engagement/alice"];
    const alice = await signIn(prod, "/players/alice", TOK_ALICE);
    const star = await signIn(prod, "/engagement/alice", TOK_STAR);
    const value = alice.slice(alice.indexOf("=") + 1);
    const [version, id, user, expires, grant, sig] = value.split(".");
    const b64 = (s: string) => btoa(s).replace(/=+$/, "");
    const otherSalt = app({ ...PROD, DASHBOARD_TOKEN_SALT: "another-salt-entirely-kkkkkkkkkk" });
    const foreign = await signIn(otherSalt, "/players/alice", TOK_ALICE);
    const forged = [
      "",
      "__Host-ett_session=garbage",
      `__Host-ett_session=${[version, id, b64("bob"), expires, grant, sig].join(".")}`,
      `__Host-ett_session=${[version, id, user, "9999999999", grant, sig].join(".")}`,
      `__Host-ett_session=${
        [version, id, user, expires, grant, sig.slice(0, -2) + "AA"].join(".")
      }`,
      `__Host-ett_session=${[version, id, b64("*"), expires, grant, sig].join(".")}`,
      `__Host-ett_session=${["v3", id, user, expires, grant, sig].join(".")}`,
      `__Host-ett_session=${["v1", user, expires, grant, sig].join(".")}`,
      `__Host-ett_session=${[version, "A".repeat(22), user, expires, grant, sig].join(".")}`,
      `__Host-ett_session=${value}.extra`,
      `ett_session=${value}`,
      foreign,
      `__Host-ett_session=${TOK_ALICE}`,
    ];
    for (const path of pages) {
      for (const cookie of forged) {
        const res = await prod.request(path, { headers: cookie ? { cookie } : {} });
        assert.equal(res.status, 401, `${path} cookie ${cookie.slice(0, 60)}`);
        assert.match(
          await res.text(),
          /<form method="post" action="\/(players|engagement)\/alice"/,
        );
      }
      assert.equal((await prod.request(path, { headers: { cookie: alice } })).status, 200, path);
      assert.equal((await prod.request(path, { headers: { cookie: star } })).status, 200, path);
      const bob = path.replace("alice", "bob");
      assert.equal((await prod.request(bob, { headers: { cookie: alice } })).status, 403, bob);
      assert.equal((await prod.request(bob, { headers: { cookie: star } })).status, 200, bob);
    }
    // Expired after eight hours.
    const later = app(PROD);
    later.setNow(new Date(NOW.getTime() + 8 * 3600_000 + 1000));
    assert.equal(
      (await later.request("/players/alice", { headers: { cookie: alice } })).status,
      401,
    );
    // Revoked: a map without the token ends its sessions.
    const revoked = app({ ...PROD, DASHBOARD_TOKEN_MAP: `${TOK_BOB}:bob,${TOK_STAR}:*` });
    assert.equal(
      (await revoked.request("/players/alice", { headers: { cookie: alice } })).status,
      401,
    );
    // The Bearer header is not a page credential.
    assert.equal(
      (await prod.request("/players/alice", { headers: bearer(TOK_ALICE) })).status,
      401,
    );

    const form = (path: string, token: string, headers: Record<string, string> = {}) =>
      prod.request(path, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
        body: `token=${encodeURIComponent(token)}`,
      });
    for (const path of pages) {
      for (
        const token of ["", "wrong-token-1", TOK_ALICE.slice(0, -1), INGEST_NEW, "x".repeat(300)]
      ) {
        const res = await form(path, token);
        assert.equal(res.status, 401, `${path} token ${token.slice(0, 20)}`);
        assert.equal(res.headers.get("set-cookie"), null);
        await res.body?.cancel();
      }
      const other = await form(path.replace("alice", "bob"), TOK_ALICE);
      assert.equal(other.status, 403);
      assert.equal(other.headers.get("set-cookie"), null);
      await other.body?.cancel();
      const crossSite: Record<string, string>[] = [
        { origin: "https://evil.example" },
        { origin: "http://localhost.evil.example" },
        { origin: "null", "sec-fetch-site": "cross-site" },
        { "sec-fetch-site": "cross-site" },
        { "sec-fetch-site": "same-site" },
      ];
      for (const headers of crossSite) {
        const cross = await form(path, TOK_ALICE, headers);
        assert.equal(cross.status, 403, `${path} from ${JSON.stringify(headers)}`);
        assert.equal(cross.headers.get("set-cookie"), null);
        await cross.body?.cancel();
      }
    }
    const out = await prod.request("/logout", { method: "POST", headers: { cookie: alice } });
    assert.equal(out.status, 303);
    assert.match(out.headers.get("set-cookie") ?? "", /^__Host-ett_session=; Path=\/; Max-Age=0;/);
  },
);

Deno.test(
  "no token, key, cookie or Authorization value ever appears in the request log",
  opts,
  async () => {
    // Spellings of the company token a logger might miss.
    const token = companyToken(COMPANY);
    for (
      const query of [
        `t=${token}`,
        `T=${token}`,
        `%74=${token}`,
        `bucket=day&t=${token}`,
        `x=1&&t=${token}&`,
        `t=${token}&t=${token}`,
        `token=${token}`,
        `access_token=${token}`,
        `t=${token};x=1`,
      ]
    ) {
      for (
        const path of [
          "/dashboard/company",
          "/dashboard/summary",
          "/dashboard/timeseries",
          "/company",
        ]
      ) {
        await (await prod.request(`${path}?${query}`, { headers: { cookie: "a=b" } })).body
          ?.cancel();
      }
    }
    // Credentials in every header that carries one, on success and failure paths.
    for (const headers of [bearer(INGEST_NEW), bearer(TOK_ALICE), { "x-admin-key": ADMIN_KEY }]) {
      await (await prod.request("/api/dashboard/alice", { headers })).body?.cancel();
      await (await prod.request("/nothing-here", { headers })).body?.cancel();
    }

    const lines = apps.flatMap((a) => a.logs);
    assert.ok(lines.length > 100, `captured ${lines.length} log lines`);
    const leaks: string[] = [];
    for (const line of lines) {
      const fields = JSON.parse(line) as Record<string, unknown>;
      for (const key of Object.keys(fields)) {
        if (/authorization|cookie|admin|token|secret|password/i.test(key)) {
          leaks.push(
            `key ${key}: ${line}`,
          );
        }
      }
      for (const secret of secrets) {
        if (line.includes(secret)) leaks.push(`${secret.slice(0, 24)} in ${line.slice(0, 200)}`);
      }
    }
    console.log(`log grep: ${lines.length} lines, ${secrets.size} secrets, ${leaks.length} leaks`);
    assert.deepEqual(leaks.slice(0, 10), []);
  },
);

Deno.test("CORS reflects only the listed origins, never a near miss", opts, async () => {
  const allowed = [
    "https://app.example.com",
    "http://localhost:8501",
    "https://dash.example.org",
    "https://a.example.net:8443",
  ];
  const nearMisses = new Set<string>([
    "null",
    "*",
    "file://",
    "https://evil.example",
    "https://app.example.com@evil.example",
    "https://evil.example#https://app.example.com",
    "https://app.example.com,https://evil.example",
    "https://app.example.com https://evil.example",
    "https://app.example.com.",
    "https://app-example.com",
    "https://appXexample.com",
    "http://127.0.0.1:8501",
    "http://[::1]:8501",
    "http://localhost",
    "http://localhost:850",
    "http://localhost:85011",
    "https://a.example.net",
    "https://a.example.net:443",
  ]);
  for (const o of allowed) {
    const url = new URL(o);
    const other = url.protocol === "https:" ? "http:" : "https:";
    for (
      const variant of [
        `${o}/`,
        `${o}.evil.example`,
        `${o}:1`,
        `${o}evil`,
        `${o}%00`,
        o.slice(0, -1),
        `x${o}`,
        o.toUpperCase(),
        o.replace(url.protocol, other),
        o.replace("//", "//evil."),
        o.replace("//", "//www."),
        `${url.protocol}//${url.hostname}:${url.port === "" ? "8080" : Number(url.port) + 1}`,
        `${o}/path`,
        `${o}?q=1`,
      ]
    ) nearMisses.add(variant);
  }
  const probes: [string, (origin: string) => Promise<Response>][] = [
    ["OPTIONS /events", (origin) =>
      prod.request("/events", {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST" },
      })],
    ["OPTIONS /api/dashboard/alice", (origin) =>
      prod.request("/api/dashboard/alice", {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": "GET",
          "access-control-request-headers": "authorization",
        },
      })],
    ["GET /readyz", (origin) => prod.request("/readyz", { headers: { origin } })],
    ["HEAD /readyz", (origin) => prod.request("/readyz", { method: "HEAD", headers: { origin } })],
    ["GET /health", (origin) => prod.request("/health", { headers: { origin } })],
    [
      "GET /api/dashboard/alice",
      (origin) =>
        prod.request("/api/dashboard/alice", { headers: { origin, ...bearer(TOK_ALICE) } }),
    ],
    [
      "POST /internal/ingest/session_summary (401)",
      (origin) =>
        prod.request("/internal/ingest/session_summary", postJson(summaryBody, { origin })),
    ],
    ["GET / (page)", (origin) => prod.request("/", { headers: { origin } })],
    ["GET /nothing (404)", (origin) => prod.request("/nothing", { headers: { origin } })],
  ];
  let checked = 0;
  for (const origin of nearMisses) {
    for (const [label, probe] of probes) {
      const res = await probe(origin);
      const acao = res.headers.get("access-control-allow-origin");
      assert.equal(acao, null, `${label} reflected ${JSON.stringify(origin)} as ${acao}`);
      assert.notEqual(res.headers.get("access-control-allow-credentials"), "true");
      await res.body?.cancel();
      checked++;
    }
  }
  for (const origin of allowed) {
    for (const [label, probe] of probes) {
      const res = await probe(origin);
      assert.equal(res.headers.get("access-control-allow-origin"), origin, `${label} ${origin}`);
      assert.match(res.headers.get("vary") ?? "", /origin/i, label);
      if (!label.startsWith("OPTIONS")) {
        assert.match(res.headers.get("access-control-expose-headers") ?? "", /x-request-id/i);
      }
      await res.body?.cancel();
    }
  }
  // The default (development) list is localhost:8501 only.
  for (const origin of ["http://localhost:8501", "http://localhost:3000", "null"]) {
    const res = await open.request("/readyz", { headers: { origin } });
    const expected = origin === "http://localhost:8501" ? origin : null;
    assert.equal(res.headers.get("access-control-allow-origin"), expected, origin);
    await res.body?.cancel();
  }
  console.log(
    `CORS: ${nearMisses.size} unlisted origins × ${probes.length} requests = ${checked}, 0 reflected`,
  );
});

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

Deno.test("production refuses every unsafe configuration, naming the variable", opts, async () => {
  const safe: Record<string, string | undefined> = productionEnv({
    DATABASE_URL: "postgres://db/x",
    INGEST_SERVICE_TOKEN: "prod-ingest-kkkkkkkkkkkkkkkkkkkk",
  });
  assert.deepEqual(problemsOf(safe), []);
  const unsafe: [Record<string, string | undefined>, RegExp][] = [
    [{ DATABASE_URL: undefined }, /^DATABASE_URL is required/],
    [{ DATABASE_URL: "" }, /^DATABASE_URL is required/],
    [{ DATABASE_URL: "mysql://db/x" }, /^DATABASE_URL must start with postgres/],
    [{ COMPANY_SALT: undefined }, /^COMPANY_SALT is required/],
    [{ COMPANY_SALT: "" }, /^COMPANY_SALT is required/],
    [
      { COMPANY_SALT: "dev-company-salt-change-in-prod" },
      /^COMPANY_SALT must not be the development/,
    ],
    [{ DASHBOARD_TOKEN_SALT: undefined }, /^DASHBOARD_TOKEN_SALT is required/],
    [
      { DASHBOARD_TOKEN_SALT: "dev-dashboard-token-salt-change-in-prod" },
      /^DASHBOARD_TOKEN_SALT must not be the development/,
    ],
    [{ INGEST_SERVICE_TOKEN: undefined }, /^INGEST_SERVICE_TOKEN is required/],
    [{ INGEST_SERVICE_TOKEN: " , " }, /^INGEST_SERVICE_TOKEN is required/],
    [
      { INGEST_SERVICE_TOKEN: "dev-ingest-token" },
      /^INGEST_SERVICE_TOKEN must not be the development/,
    ],
    [
      { INGEST_SERVICE_TOKEN: "prod-ingest-kkkkkkkkkkkkkkkkkkkk,dev-ingest-token" },
      /^INGEST_SERVICE_TOKEN must not be the development/,
    ],
    [
      { DASHBOARD_TOKEN_MAP: "dev-dashboard-token:*" },
      /^DASHBOARD_TOKEN_MAP must not contain the development token/,
    ],
    [{ DASHBOARD_TOKEN_MAP: "no-user-here" }, /^DASHBOARD_TOKEN_MAP entries must look like/],
    [{ ALLOWED_ORIGINS: "*" }, /^CORS origin "\*" is refused in production \(no wildcards\)/],
    [{ DASHBOARD_ORIGIN: "*" }, /^CORS origin "\*" is refused/],
    [{ DASHBOARD_ALLOWED_ORIGINS: "https://a.example, *" }, /^CORS origin "\*" is refused/],
    [{ ALLOWED_ORIGINS: "null" }, /^CORS origin "null" is refused in production/],
    [{ ADMIN_KEY: "1" }, /^ADMIN_KEY must be at least 32 characters \(got 1\)/],
    [{ MIN_COMPANY_N: "1" }, /^MIN_COMPANY_N must be at least 2/],
    [{ MIN_COMPANY_N: "-5" }, /^MIN_COMPANY_N must be a whole number/],
    [{ ROLLUP_WINDOW_DAYS: "30" }, /^ROLLUP_WINDOW_DAYS must be 7/],
  ];
  for (const [change, expected] of unsafe) {
    const problems = problemsOf({ ...safe, ...change });
    assert.equal(problems.length, 1, `${JSON.stringify(change)}: ${JSON.stringify(problems)}`);
    assert.match(problems[0], expected, JSON.stringify(change));
  }
  // Everything at once: one error naming every problem.
  const all = problemsOf({ APP_ENV: "production", ALLOWED_ORIGINS: "*", MIN_COMPANY_N: "0" });
  assert.ok(all.length >= 6, JSON.stringify(all));

  // A safe production app still keeps development conveniences off.
  for (const path of ["/docs", "/openapi.json"]) {
    const res = await prod.request(path);
    assert.equal(res.status, 404, path);
    await res.body?.cancel();
  }
  const config = loadConfig(safe);
  assert.deepEqual(config.dashboardGrants, [], "no default dashboard grant in production");
  assert.equal(config.adminKey, "", "admin locked unless ADMIN_KEY is set");
  assert.equal(config.policy.docsOpen, false);
});

Deno.test(
  "token comparison answers correctly for every candidate, whatever its length",
  opts,
  () => {
    const token = "abcdef0123456789abcdef01";
    const lengths = [0, 1, 8, 23, 24, 25, 64, 1000];
    for (const len of lengths) {
      const candidate = token.repeat(50).slice(0, len);
      assert.equal(constantTimeEqual(token, candidate), candidate === token, `length ${len}`);
      assert.equal(
        constantTimeEqual(candidate, token),
        candidate === token,
        `length ${len} reversed`,
      );
    }
    assert.equal(constantTimeEqual("", ""), true);
    assert.equal(constantTimeEqual("a", "a\u0000"), false);
    assert.equal(constantTimeEqual("\ud800", "\udc00"), false, "lone surrogates stay distinct");
    assert.equal(constantTimeEqual("é", "e\u0301"), false, "no normalization");
    // Differs only in the last character, or only in the first.
    assert.equal(constantTimeEqual(token, token.slice(0, -1) + "2"), false);
    assert.equal(constantTimeEqual(token, "b" + token.slice(1)), false);

    // tokenMatches compares every candidate: the match is found at any position, among candidates
    // of any length, and duplicates or empty candidates change nothing.
    const decoys = lengths.map((len) => "z".repeat(len));
    for (let pos = 0; pos <= decoys.length; pos++) {
      const candidates = [...decoys.slice(0, pos), token, ...decoys.slice(pos)];
      assert.equal(tokenMatches(token, candidates), true, `match at ${pos}`);
      assert.equal(tokenMatches(token.slice(0, -1), candidates), false, `prefix, match at ${pos}`);
      assert.equal(tokenMatches(`${token}x`, candidates), false, `suffix, match at ${pos}`);
    }
    assert.equal(tokenMatches(token, []), false);
    assert.equal(tokenMatches("", [""]), true);
    assert.equal(tokenMatches(token, [token, token]), true);

    // dashboardGrantOf walks every grant and keeps the first one that matches.
    const config = loadConfig({
      DASHBOARD_TOKEN_MAP: "short:u1,a-much-longer-token:u2,short:u3,x:*",
    });
    assert.equal(dashboardGrantOf(config, "short"), "u1");
    assert.equal(dashboardGrantOf(config, "a-much-longer-token"), "u2");
    assert.equal(dashboardGrantOf(config, "x"), "*");
    for (const bad of ["", "shor", "shortx", "a-much-longer-toke", "X", "*", "u1"]) {
      assert.equal(dashboardGrantOf(config, bad), null, bad);
    }
    // The admin key check: 403 for a wrong key of any length, nothing for the right one.
    for (const len of lengths.filter((l) => l > 0)) {
      const key = "k".repeat(len);
      assert.throws(
        () =>
          requireAdmin({ adminKey: ADMIN_KEY, adminToken: "" }, {
            adminKey: key,
            authorization: undefined,
          }),
        (e: unknown) => e instanceof DomainError,
      );
    }
    assert.doesNotThrow(() =>
      requireAdmin({ adminKey: ADMIN_KEY, adminToken: "" }, {
        adminKey: ADMIN_KEY,
        authorization: undefined,
      })
    );
  },
);
