import assert from "node:assert/strict";
import { Hono } from "hono";
import type { AppEnv } from "../../http/context.ts";
import { authFailureLimit } from "../../http/ratelimit.ts";
import { dbTestOptions, postJson, testApp } from "../helpers/app.ts";
import { openTestDatabase } from "../helpers/db.ts";

const from = (ip: string) => ({ remoteAddr: { hostname: ip, port: 5555, transport: "tcp" } });

function fakeApp(limit: number, windowSeconds: number, clock: () => number) {
  const app = new Hono<AppEnv>();
  app.use("*", authFailureLimit(limit, windowSeconds, clock));
  app.get(
    "/secret",
    (c) => c.req.header("authorization") === "ok" ? c.text("in") : c.text("no", 401),
  );
  return app;
}

Deno.test("after `limit` refusals a client gets 429 with Retry-After until its window ends", async () => {
  let now = 1_000_000;
  const app = fakeApp(3, 60, () => now);
  for (let i = 0; i < 3; i++) {
    assert.equal((await app.request("/secret", {}, from("10.0.0.1"))).status, 401);
  }
  const limited = await app.request(
    "/secret",
    { headers: { authorization: "ok" } },
    from("10.0.0.1"),
  );
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get("retry-after"), "60");
  assert.deepEqual(await limited.json(), {
    detail: "Too many failed authentication attempts; retry later",
  });
  // Another client is not affected.
  assert.equal(
    (await app.request("/secret", { headers: { authorization: "ok" } }, from("10.0.0.2"))).status,
    200,
  );
  now += 45_000;
  assert.equal(
    (await app.request("/secret", {}, from("10.0.0.1"))).headers.get("retry-after"),
    "15",
  );
  now += 15_000;
  assert.equal(
    (await app.request("/secret", { headers: { authorization: "ok" } }, from("10.0.0.1"))).status,
    200,
  );
});

Deno.test("successful requests never count; limit 0 disables the limiter", async () => {
  const app = fakeApp(2, 60, () => 0);
  for (let i = 0; i < 50; i++) {
    assert.equal(
      (await app.request("/secret", { headers: { authorization: "ok" } }, from("10.0.0.3"))).status,
      200,
    );
  }
  const off = fakeApp(0, 60, () => 0);
  for (let i = 0; i < 20; i++) {
    assert.equal((await off.request("/secret", {}, from("10.0.0.4"))).status, 401);
  }
});

Deno.test(
  "the service limits a token-guessing client, not a well-behaved ingest client",
  dbTestOptions,
  async () => {
    const db = await openTestDatabase();
    try {
      const t = testApp(db.sql, { AUTH_FAIL_LIMIT: "5" });
      const body = {
        session_id: "rl-1",
        user_external_id: "u-rl",
        started_at: "2026-11-20T10:00:00Z",
        duration_seconds: 60,
        sentiment_score: 0.5,
      };
      for (let i = 0; i < 5; i++) {
        const res = await t.app.request(
          "/dashboard/company?t=0123456789abcdef01234567",
          {},
          from("192.0.2.9"),
        );
        assert.equal(res.status, 403);
      }
      const blocked = await t.app.request(
        "/dashboard/company?t=0123456789abcdef01234567",
        {},
        from("192.0.2.9"),
      );
      assert.equal(blocked.status, 429);
      const good = await t.app.request(
        "/internal/ingest/session_summary",
        postJson(body, { Authorization: "Bearer dev-ingest-token" }),
        from("192.0.2.10"),
      );
      assert.equal(good.status, 200);
      assert.deepEqual(await good.json(), { status: "ok" });
    } finally {
      await db.close();
    }
  },
);

Deno.test(
  "'not enough players yet' 403s and health probes never count or get limited",
  dbTestOptions,
  async () => {
    const db = await openTestDatabase();
    try {
      const t = testApp(db.sql, { AUTH_FAIL_LIMIT: "3", ADMIN_KEY: "k" });
      const seeded = await t.app.request(
        "/admin/seed_company",
        postJson({ company_name: "Tiny Co" }, { "X-ADMIN-KEY": "k" }),
        from("192.0.2.20"),
      );
      const { dashboard_token } = await seeded.json();
      for (let i = 0; i < 10; i++) {
        const res = await t.app.request(
          `/dashboard/summary?t=${dashboard_token}`,
          {},
          from("192.0.2.20"),
        );
        assert.equal(res.status, 403, "a valid token below MIN_COMPANY_N is not a failed login");
      }
      for (let i = 0; i < 3; i++) {
        await t.app.request(
          "/admin/seed_company",
          postJson({ company_name: "X" }),
          from("192.0.2.20"),
        );
      }
      assert.equal(
        (await t.app.request("/dashboard/company?t=" + dashboard_token, {}, from("192.0.2.20")))
          .status,
        429,
      );
      for (const probe of ["/health", "/healthz", "/readyz"]) {
        assert.equal((await t.app.request(probe, {}, from("192.0.2.20"))).status, 200, probe);
      }
    } finally {
      await db.close();
    }
  },
);
