import assert from "node:assert/strict";
import postgres from "postgres";
import { failureVerdict } from "../../core/auth_limit.ts";
import { dbTestOptions, postJson, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";

const db = testDatabase();
const T0 = new Date("2026-11-20T10:00:00Z");
const from = (ip: string) => ({ remoteAddr: { hostname: ip, port: 5555, transport: "tcp" } });
const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });
const LIMITED = { detail: "Too many failed authentication attempts; retry later" };

/** Returns the stored failure count of a client key (0 without a row). */
async function failuresOf(client: string): Promise<number> {
  const rows = await db.sql<{ failures: number }[]>`
    select failures from auth_failures where client = ${client}`;
  return rows[0]?.failures ?? 0;
}

Deno.test(
  "`failureVerdict` limits past `limit` failures and counts down the window",
  dbTestOptions,
  () => {
    const start = new Date(0);
    assert.deepEqual(failureVerdict(3, start, new Date(0), 3, 60), {
      limited: false,
      retryAfterSeconds: 60,
    });
    assert.deepEqual(failureVerdict(4, start, new Date(44_500), 3, 60), {
      limited: true,
      retryAfterSeconds: 16,
    });
    assert.deepEqual(failureVerdict(4, start, new Date(60_000), 3, 60).retryAfterSeconds, 1);
    assert.equal(failureVerdict(1000, start, new Date(0), 0, 60).limited, false);
  },
);

Deno.test(
  "`authFailureLimit` refuses only failing credentials once a client is over the limit",
  dbTestOptions,
  async () => {
    const t = testApp(db.sql, { AUTH_FAIL_LIMIT: "3" });
    t.setNow(T0);
    const a = from("192.0.2.1");
    for (let i = 0; i < 3; i++) {
      assert.equal((await t.app.request("/api/dashboard/u1", bearer("wrong"), a)).status, 401);
    }
    assert.equal(await failuresOf("192.0.2.1"), 3);
    const limited = await t.app.request("/api/dashboard/u1", bearer("wrong"), a);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get("retry-after"), "60");
    assert.deepEqual(await limited.json(), LIMITED);
    // Lacking a required credential is failing one.
    assert.equal((await t.app.request("/api/dashboard/u1", {}, a)).status, 429);
    // A valid credential, and a route that needs none, are never refused.
    const valid = await t.app.request("/api/dashboard/u1", bearer("dev-dashboard-token"), a);
    assert.equal(valid.status, 200);
    const open = await t.app.request("/players/p-rl/sessions", {}, a);
    assert.equal(open.status, 200);
    assert.deepEqual(await open.json(), []);
    // Another client is unaffected.
    const b = await t.app.request("/api/dashboard/u1", bearer("wrong"), from("192.0.2.2"));
    assert.equal(b.status, 401);
    // The window counts down, then starts afresh.
    t.setNow(new Date(T0.getTime() + 45_000));
    const later = await t.app.request("/api/dashboard/u1", bearer("wrong"), a);
    assert.equal(later.status, 429);
    assert.equal(later.headers.get("retry-after"), "15");
    t.setNow(new Date(T0.getTime() + 60_000));
    assert.equal((await t.app.request("/api/dashboard/u1", bearer("wrong"), a)).status, 401);
    assert.equal(await failuresOf("192.0.2.1"), 1);
  },
);

Deno.test(
  "`authFailureLimit` holds across app instances sharing one database",
  dbTestOptions,
  async () => {
    const one = testApp(db.sql, { AUTH_FAIL_LIMIT: "3" });
    const two = testApp(db.sql, { AUTH_FAIL_LIMIT: "3" });
    one.setNow(T0);
    two.setNow(T0);
    const c = from("192.0.2.30");
    assert.equal((await one.app.request("/api/dashboard/u", bearer("x"), c)).status, 401);
    assert.equal((await two.app.request("/api/dashboard/u", bearer("x"), c)).status, 401);
    assert.equal((await one.app.request("/api/dashboard/u", bearer("x"), c)).status, 401);
    assert.equal((await two.app.request("/api/dashboard/u", bearer("x"), c)).status, 429);
    assert.equal((await one.app.request("/api/dashboard/u", bearer("x"), c)).status, 429);
    assert.equal(await failuresOf("192.0.2.30"), 5);
  },
);

Deno.test(
  "`authFailureLimit` keys on the address a trusted proxy forwards; spoofing from elsewhere gains nothing",
  dbTestOptions,
  async () => {
    const t = testApp(db.sql, { AUTH_FAIL_LIMIT: "2", TRUSTED_PROXIES: "127.0.0.1" });
    t.setNow(T0);
    const via = (client: string) => ({
      headers: { Authorization: "Bearer bad", "X-Forwarded-For": `10.9.9.9, ${client}` },
    });
    const proxy = from("127.0.0.1");
    for (let i = 0; i < 2; i++) {
      assert.equal(
        (await t.app.request("/api/dashboard/u", via("203.0.113.5"), proxy)).status,
        401,
      );
    }
    assert.equal((await t.app.request("/api/dashboard/u", via("203.0.113.5"), proxy)).status, 429);
    assert.equal((await t.app.request("/api/dashboard/u", via("203.0.113.6"), proxy)).status, 401);
    assert.equal(await failuresOf("203.0.113.5"), 3);
    assert.equal(await failuresOf("127.0.0.1"), 0, "the proxy itself is never the key");
    const logged = t.logs.map((l) => JSON.parse(l)).filter((l) => l.path === "/api/dashboard/u");
    assert.deepEqual(logged.map((l) => [l.client, l.status]), [
      ["203.0.113.5", 401],
      ["203.0.113.5", 401],
      ["203.0.113.5", 429],
      ["203.0.113.6", 401],
    ]);

    // Straight to the instance with a made-up header: counted under the real peer.
    const direct = from("198.51.100.1");
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      const spoofed = {
        headers: { Authorization: "Bearer bad", "X-Forwarded-For": `203.0.113.${100 + i}` },
      };
      statuses.push((await t.app.request("/api/dashboard/u", spoofed, direct)).status);
    }
    assert.deepEqual(statuses, [401, 401, 429, 429]);
    assert.equal(await failuresOf("198.51.100.1"), 3);
  },
);

Deno.test(
  "`authFailureLimit` counts IPv6 clients per /64 and IPv4-mapped peers as IPv4",
  dbTestOptions,
  async () => {
    const t = testApp(db.sql, { AUTH_FAIL_LIMIT: "2" });
    t.setNow(T0);
    for (const ip of ["2001:db8:7:7::1", "2001:db8:7:7::2", "2001:db8:7:7:ffff::3"]) {
      await t.app.request("/api/dashboard/u", bearer("bad"), from(ip));
    }
    assert.equal(await failuresOf("2001:db8:7:7::/64"), 3);
    assert.equal(
      (await t.app.request("/api/dashboard/u", bearer("bad"), from("2001:db8:7:8::1"))).status,
      401,
    );
    await t.app.request("/api/dashboard/u", bearer("bad"), from("::ffff:192.0.2.77"));
    assert.equal(await failuresOf("192.0.2.77"), 1);
  },
);

Deno.test(
  "'not enough players yet' 403s and health probes never count or get limited",
  dbTestOptions,
  async () => {
    const t = testApp(db.sql, { AUTH_FAIL_LIMIT: "3", ADMIN_KEY: "k" });
    t.setNow(T0);
    const c = from("192.0.2.20");
    const seeded = await t.app.request(
      "/admin/seed_company",
      postJson({ company_name: "Tiny Co" }, { "X-ADMIN-KEY": "k" }),
      c,
    );
    const { dashboard_token } = await seeded.json();
    for (let i = 0; i < 10; i++) {
      const res = await t.app.request(`/dashboard/summary?t=${dashboard_token}`, {}, c);
      assert.equal(res.status, 403, "a valid token below MIN_COMPANY_N is not a failed login");
    }
    assert.equal(await failuresOf("192.0.2.20"), 0);
    for (let i = 0; i < 4; i++) {
      await t.app.request("/admin/seed_company", postJson({ company_name: "X" }), c);
    }
    assert.equal(await failuresOf("192.0.2.20"), 4);
    const bad = await t.app.request("/dashboard/company?t=0123456789abcdef01234567", {}, c);
    assert.equal(bad.status, 429);
    assert.equal(
      (await t.app.request(`/dashboard/company?t=${dashboard_token}`, {}, c)).status,
      200,
    );
    for (const probe of ["/health", "/healthz", "/readyz"]) {
      assert.equal((await t.app.request(probe, {}, c)).status, 200, probe);
    }
  },
);

Deno.test(
  "`authFailureLimit` keeps the request's own answer when the database is out; 0 disables it",
  dbTestOptions,
  async () => {
    const down = postgres("postgres://postgres@127.0.0.1:1/none", {
      max: 1,
      connect_timeout: 1,
      onnotice: () => {},
    });
    try {
      const t = testApp(down, { AUTH_FAIL_LIMIT: "1" });
      for (let i = 0; i < 3; i++) {
        const res = await t.app.request("/api/dashboard/u", bearer("bad"), from("192.0.2.40"));
        assert.equal(res.status, 401);
      }
      assert.ok(t.logs.some((l) => l.includes("auth failure not counted")));
    } finally {
      await down.end({ timeout: 1 });
    }
    const off = testApp(db.sql, { AUTH_FAIL_LIMIT: "0" });
    for (let i = 0; i < 5; i++) {
      assert.equal(
        (await off.app.request("/api/dashboard/u", bearer("bad"), from("192.0.2.41"))).status,
        401,
      );
    }
    assert.equal(await failuresOf("192.0.2.41"), 0);
  },
);
