import assert from "node:assert/strict";
import { dashboardTokenFor } from "../../core/company.ts";
import { DEV_DASHBOARD_TOKEN_SALT } from "../../config.ts";
import { dbTestOptions, postJson, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";
import { type Pattern, playSession } from "../helpers/play.ts";

const db = testDatabase();
const t = testApp(db.sql, { COMPANY_PRIVACY: "exact" });
const opts = dbTestOptions;

const GLOBEX = "c_globex000001";
const SMALL = "c_small0000001";
const tokenOf = (id: string) => dashboardTokenFor(id, DEV_DASHBOARD_TOKEN_SALT);
const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} ≠ ${b}`);

async function play(company: string, player: string, day: string, pattern: Pattern, n: number) {
  await playSession(t, {
    player,
    session: `${company}-${player}-${day}-${n}`,
    pattern,
    start: `${day}T09:00:00Z`,
    company_id: company,
  });
}

// Globex: Mon 2024-01-15 players p1..p5 perfect; Tue 2024-01-16 p1..p6 [1,2,unsolved];
// Wed 2024-01-17 p1 alone [2,2,2]. Small: two players.
db.prepare(async () => {
  for (let i = 1; i <= 5; i++) await play(GLOBEX, `p${i}`, "2024-01-15", [1, 1, 1], 1);
  for (let i = 1; i <= 6; i++) await play(GLOBEX, `p${i}`, "2024-01-16", [1, 2, 0], 2);
  await play(GLOBEX, "p1", "2024-01-17", [2, 2, 2], 3);
  await play(SMALL, "q1", "2024-01-15", [1, 1, 1], 1);
  await play(SMALL, "q2", "2024-01-15", [1, 1, 1], 1);
});

Deno.test(
  "info is always available for a valid token; 403 for a bad or missing token",
  opts,
  async () => {
    const big = await t.request(`/dashboard/company?t=${tokenOf(GLOBEX)}`);
    assert.equal(big.status, 200);
    assert.deepEqual(await big.json(), {
      company_id: GLOBEX,
      n_players: 6,
      has_sufficient_data: true,
      message: "Aggregates available over 6 players.",
      n_players_interval: null,
      privacy: "exact",
    });
    const small = await t.request(`/dashboard/company?t=${tokenOf(SMALL)}`);
    assert.deepEqual(await small.json(), {
      company_id: SMALL,
      n_players: 2,
      has_sufficient_data: false,
      message: "Not enough data yet: 2 of 5 players needed before aggregates are shown.",
      n_players_interval: null,
      privacy: "exact",
    });
    for (const path of ["/dashboard/company", "/dashboard/summary", "/dashboard/timeseries"]) {
      for (const q of ["", "?t=", "?t=0123456789abcdef01234567", "?t=' or 1=1 --"]) {
        const res = await t.request(path + q);
        assert.equal(res.status, 403, path + q);
        assert.deepEqual(await res.json(), { detail: "Invalid or missing dashboard token" });
      }
    }
  },
);

Deno.test(
  "summary: exact aggregates over the company's sessions; 403 below MIN_COMPANY_N",
  opts,
  async () => {
    const res = await t.request(`/dashboard/summary?t=${tokenOf(GLOBEX)}`);
    assert.equal(res.status, 200);
    const s = await res.json();
    assert.equal(s.company_id, GLOBEX);
    assert.equal(s.n_players, 6);
    assert.equal(s.n_sessions, 12);
    near(s.avg_brain_performance_score, 7 / 12);
    near(s.avg_repetition_burden, 19 / 12);
    near(s.avg_earth_score_bucket, 55 / 12);
    const small = await t.request(`/dashboard/summary?t=${tokenOf(SMALL)}`);
    assert.equal(small.status, 403);
    assert.deepEqual(await small.json(), {
      detail: "Not enough data yet: 2 of 5 players needed before aggregates are shown.",
    });
    assert.equal((await t.request(`/dashboard/timeseries?t=${tokenOf(SMALL)}`)).status, 403);
  },
);

Deno.test(
  "timeseries by day: small bucket suppressed, plus complementary suppression",
  opts,
  async () => {
    const res = await t.request(`/dashboard/timeseries?t=${tokenOf(GLOBEX)}&bucket=day`);
    assert.equal(res.status, 200);
    const ts = await res.json();
    // Wed (1 player) is hidden; alone it would be revealed by total − visible, so the smallest
    // visible day (Mon, 5 players) is hidden too; Mon ∪ Wed hold 5 players, so Tue stays.
    assert.equal(ts.company_id, GLOBEX);
    assert.equal(ts.bucket_type, "day");
    assert.equal(ts.suppressed_buckets, 2);
    assert.equal(ts.buckets.length, 1);
    const [tue] = ts.buckets;
    assert.equal(tue.bucket_start, "2024-01-16");
    assert.equal(tue.bucket_end, "2024-01-16");
    assert.equal(tue.n_sessions, 6);
    near(tue.avg_brain_performance_score, 1 / 3);
    near(tue.avg_repetition_burden, 2);
    const byDefault = await (await t.request(`/dashboard/timeseries?t=${tokenOf(GLOBEX)}`)).json();
    assert.deepEqual(byDefault, ts, "bucket defaults to day");
  },
);

Deno.test("timeseries by week: weeks start Monday, nothing suppressed", opts, async () => {
  const ts = await (await t.request(`/dashboard/timeseries?t=${tokenOf(GLOBEX)}&bucket=week`))
    .json();
  assert.equal(ts.bucket_type, "week");
  assert.equal(ts.suppressed_buckets, 0);
  assert.equal(ts.buckets.length, 1);
  assert.equal(ts.buckets[0].bucket_start, "2024-01-15");
  assert.equal(ts.buckets[0].bucket_end, "2024-01-21");
  assert.equal(ts.buckets[0].n_sessions, 12);
  near(ts.buckets[0].avg_brain_performance_score, 7 / 12);
  near(ts.buckets[0].avg_repetition_burden, 19 / 12);
});

Deno.test("a bucket other than day, week or month is 400", opts, async () => {
  for (const bucket of ["year", "Month", "months"]) {
    const res = await t.request(`/dashboard/timeseries?t=${tokenOf(GLOBEX)}&bucket=${bucket}`);
    assert.equal(res.status, 400, bucket);
    assert.deepEqual(await res.json(), { detail: "bucket must be 'day', 'week' or 'month'" });
  }
});

Deno.test("timeseries by month: the calendar month of every session", opts, async () => {
  const ts = await (await t.request(`/dashboard/timeseries?t=${tokenOf(GLOBEX)}&bucket=month`))
    .json();
  assert.equal(ts.bucket_type, "month");
  assert.equal(ts.suppressed_buckets, 0);
  assert.deepEqual(ts.buckets.map((b: Record<string, unknown>) => [b.bucket_start, b.bucket_end]), [
    ["2024-01-01", "2024-01-31"],
  ]);
  assert.equal(ts.buckets[0].n_sessions, 12);
  near(ts.buckets[0].avg_brain_performance_score, 7 / 12);
  near(ts.buckets[0].avg_repetition_burden, 19 / 12);
});

Deno.test("a company token never reads another company's data", opts, async () => {
  const small = await (await t.request(`/dashboard/company?t=${tokenOf(SMALL)}`)).json();
  assert.equal(small.company_id, SMALL);
  assert.equal(small.n_players, 2);
});

Deno.test("dashboard tokens are redacted from the request log", opts, async () => {
  await t.request(`/dashboard/summary?t=${tokenOf(GLOBEX)}`);
  assert.ok(!t.logs.join("\n").includes(tokenOf(GLOBEX)));
  assert.ok(t.logs.join("\n").includes("/dashboard/summary?t=***"));
});

Deno.test(
  "admin: 401 without key, 403 wrong key, upsert with fixture identities",
  opts,
  async () => {
    const admin = testApp(db.sql, {
      COMPANY_PRIVACY: "exact",
      COMPANY_SALT: "csalt",
      DASHBOARD_TOKEN_SALT: "dsalt",
      ADMIN_KEY: "s3cret-admin",
    });
    const body = { company_name: "Acme Corp" };
    const probe = await admin.request("/admin/seed_company", postJson({ nonsense: 1 }));
    assert.equal(probe.status, 401, "the key is checked before the body");
    const missing = await admin.request("/admin/seed_company", postJson(body));
    assert.equal(missing.status, 401);
    assert.deepEqual(await missing.json(), { detail: "Missing X-ADMIN-KEY header" });
    const wrong = await admin.request(
      "/admin/seed_company",
      postJson(body, { "X-ADMIN-KEY": "nope" }),
    );
    assert.equal(wrong.status, 403);
    assert.deepEqual(await wrong.json(), { detail: "Invalid admin key" });

    const ok = await admin.request(
      "/admin/seed_company",
      postJson(body, { "X-ADMIN-KEY": "s3cret-admin" }),
    );
    assert.equal(ok.status, 200);
    // tests/fixtures/company_vectors.json: "Acme Corp" with salts csalt/dsalt.
    assert.deepEqual(await ok.json(), {
      company_id: "c_a7e357256323",
      company_name: "Acme Corp",
      dashboard_token: "6ce99e1e54ed18055b582ae8",
    });
    const renamed = await admin.request(
      "/admin/seed_company",
      postJson({ company_name: "ACME corp." }, { "X-ADMIN-KEY": "s3cret-admin" }),
    );
    assert.deepEqual(await renamed.json(), {
      company_id: "c_a7e357256323",
      company_name: "ACME corp.",
      dashboard_token: "6ce99e1e54ed18055b582ae8",
    });
    const rows = await db
      .sql`select count(*)::int as n from company_registry where company_id = 'c_a7e357256323'`;
    assert.equal(rows[0].n, 1, "upsert by company_id");

    const explicit = await admin.request(
      "/admin/seed_company",
      postJson({ company_name: "Whatever", company_id: "c_explicit01" }, {
        "X-ADMIN-KEY": "s3cret-admin",
      }),
    );
    assert.equal((await explicit.json()).company_id, "c_explicit01");
    const info = await admin.request("/dashboard/company?t=6ce99e1e54ed18055b582ae8");
    assert.deepEqual(await info.json(), {
      company_id: "c_a7e357256323",
      n_players: 0,
      has_sufficient_data: false,
      message: "Not enough data yet: 0 of 5 players needed before aggregates are shown.",
      n_players_interval: null,
      privacy: "exact",
    });
    const noLetters = await admin.request(
      "/admin/seed_company",
      postJson({ company_name: "!!! ..." }, { "X-ADMIN-KEY": "s3cret-admin" }),
    );
    assert.equal(noLetters.status, 422);
    assert.deepEqual((await noLetters.json()).detail, [{
      loc: ["body", "company_name"],
      msg: "company_name must contain at least one letter or digit",
      type: "custom",
    }]);
    const invalid = await admin.request(
      "/admin/seed_company",
      postJson({ company_name: "" }, { "X-ADMIN-KEY": "s3cret-admin" }),
    );
    assert.equal(invalid.status, 422);
    assert.ok(!admin.logs.join("\n").includes("s3cret-admin"));
  },
);

Deno.test("admin: an empty ADMIN_KEY locks the endpoint (403 whatever is sent)", opts, async () => {
  const locked = testApp(db.sql, { COMPANY_PRIVACY: "exact", ADMIN_KEY: "" });
  const variants: Record<string, string>[] = [{}, { "X-ADMIN-KEY": "" }, {
    "X-ADMIN-KEY": "anything",
  }];
  for (const headers of variants) {
    const res = await locked.request(
      "/admin/seed_company",
      postJson({ company_name: "X" }, headers),
    );
    assert.equal(res.status, 403);
    assert.deepEqual(await res.json(), {
      detail: "Admin endpoints are locked (ADMIN_KEY is not set)",
    });
  }
});
