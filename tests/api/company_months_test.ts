/**
 * Company time series per calendar month (issue 24): exact mode computes a month in SQL from
 * session_summary and runs the same k-anonymity with complementary suppression as days and weeks;
 * protected mode adds up the stored releases of the month's closed days (no new release).
 */
import assert from "node:assert/strict";
import { dashboardTokenFor } from "../../core/company.ts";
import { planOf } from "../../core/company_plan.ts";
import {
  metricKey,
  noiseScale,
  playersKey,
  quantitiesOf,
  sessionsKey,
  unitsOf,
} from "../../core/company_release.ts";
import { seededWords } from "../../core/random_words.ts";
import { REGISTRY } from "../../core/tasks.ts";
import { DEV_DASHBOARD_TOKEN_SALT } from "../../config.ts";
import { dbTestOptions, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";
import { insertSummary, registerCompany } from "../helpers/summaries.ts";

const db = testDatabase();
const exact = testApp(db.sql, { COMPANY_PRIVACY: "exact" });
const noisy = testApp(db.sql, {}, { random: seededWords(7) });
noisy.setNow(new Date("2024-04-10T12:00:00Z")); // March is closed, April open
const opts = dbTestOptions;
const tokenOf = (id: string) => dashboardTokenFor(id, DEV_DASHBOARD_TOKEN_SALT);

// MONTHS (exact): Jan 2024 a1..a5 (accuracy 1, 1, 0.5, 0.5, 0; a1's session at 00:30 on 1 Feb
// in UTC+1, so January in UTC); Feb a1..a6 (accuracy 1, burden 1, 2, 1, 2, 1, 2) and w1..w3
// water (stress 10, 20, 30); Mar a1..a5 (accuracy 0.5, burden 3); Apr a1 alone.
const MONTHS = "c_months000001";
// NOISY (protected): 200 players, one session each, on 4–7 March (accuracy 0, ⅓, ⅔, 1 in turn).
const NOISY = "c_monthsdp0001";

db.prepare(async () => {
  await registerCompany(db.sql, MONTHS, tokenOf(MONTHS));
  const jan = [1, 1, 0.5, 0.5, 0];
  for (let i = 1; i <= 5; i++) {
    const at = i === 1 ? "2024-02-01T00:30:00+01:00" : `2024-01-1${i}T09:00:00Z`;
    await insertSummary(db.sql, { player: `a${i}`, company: MONTHS, at, fta: jan[i - 1] });
  }
  for (let i = 1; i <= 6; i++) {
    await insertSummary(db.sql, {
      player: `a${i}`,
      company: MONTHS,
      at: `2024-02-0${i}T09:00:00Z`,
      fta: 1,
      burden: i % 2 === 0 ? 2 : 1,
    });
  }
  for (let i = 1; i <= 3; i++) {
    await insertSummary(db.sql, {
      player: `w${i}`,
      company: MONTHS,
      at: `2024-02-1${i}T09:00:00Z`,
      stress: 10 * i,
    });
  }
  for (let i = 1; i <= 5; i++) {
    await insertSummary(db.sql, {
      player: `a${i}`,
      company: MONTHS,
      at: `2024-03-0${i}T09:00:00Z`,
      fta: 0.5,
      burden: 3,
    });
  }
  await insertSummary(db.sql, {
    player: "a1",
    company: MONTHS,
    at: "2024-04-02T09:00:00Z",
    fta: 1,
  });

  await registerCompany(db.sql, NOISY, tokenOf(NOISY));
  for (let i = 0; i < 200; i++) {
    await insertSummary(db.sql, {
      player: `n${i}`,
      company: NOISY,
      at: `2024-03-0${4 + (i % 4)}T09:00:00Z`,
      fta: [0, 1 / 3, 2 / 3, 1][i % 4],
    });
  }
});

const get = async (app: typeof exact, path: string, company: string) => {
  const res = await app.request(`${path}&t=${tokenOf(company)}`);
  assert.equal(res.status, 200, path);
  return await res.json();
};

const NO_INTERVALS = {
  n_sessions_interval: null,
  avg_brain_performance_score_interval: null,
  avg_repetition_burden_interval: null,
  n_water_sessions_interval: null,
  avg_stress_score_interval: null,
};

Deno.test(
  "`companyTimeseries` per month (exact): SQL aggregates, suppression as for days",
  opts,
  async () => {
    const ts = await get(exact, "/dashboard/timeseries?bucket=month", MONTHS);
    // April (1 player) is hidden; alone it would be revealed by total − visible, so the smallest
    // visible month (January and March hold 5 each: the earlier) is hidden too, and January ∪
    // April hold 5 players. Water in February has 3 players: its average is hidden.
    assert.deepEqual(ts, {
      company_id: MONTHS,
      bucket_type: "month",
      buckets: [
        {
          bucket_start: "2024-02-01",
          bucket_end: "2024-02-29",
          n_sessions: 9,
          avg_brain_performance_score: 1,
          avg_repetition_burden: 1.5,
          n_water_sessions: 3,
          avg_stress_score: null,
          ...NO_INTERVALS,
        },
        {
          bucket_start: "2024-03-01",
          bucket_end: "2024-03-31",
          n_sessions: 5,
          avg_brain_performance_score: 0.5,
          avg_repetition_burden: 3,
          n_water_sessions: 0,
          avg_stress_score: null,
          ...NO_INTERVALS,
        },
      ],
      suppressed_buckets: 2,
      privacy: "exact",
      next_release_at: null,
    });
  },
);

Deno.test("`companyTimeseries` per month: UTC months, January shown alone", opts, async () => {
  // Without April's lone player nothing is suppressed: January (a1's session is 31 Jan 23:30
  // UTC) averages (1 + 1 + 0.5 + 0.5 + 0) / 5.
  await db.sql`delete from session_summary where company_id = ${MONTHS}
    and played_at >= '2024-04-01T00:00:00Z'`;
  try {
    const ts = await get(exact, "/dashboard/timeseries?bucket=month", MONTHS);
    assert.equal(ts.suppressed_buckets, 0);
    assert.deepEqual(
      ts.buckets.map((b: Record<string, unknown>) => [
        b.bucket_start,
        b.bucket_end,
        b.n_sessions,
        b.avg_brain_performance_score,
        b.avg_repetition_burden,
      ]),
      [
        ["2024-01-01", "2024-01-31", 5, 0.6, 1],
        ["2024-02-01", "2024-02-29", 9, 1, 1.5],
        ["2024-03-01", "2024-03-31", 5, 0.5, 3],
      ],
    );
  } finally {
    await insertSummary(db.sql, {
      player: "a1",
      company: MONTHS,
      at: "2024-04-02T09:00:00Z",
      fta: 1,
    });
  }
});

Deno.test("the company CSV per month carries the month's rows", opts, async () => {
  const res = await exact.request(`/company.csv?t=${tokenOf(MONTHS)}&bucket=month`);
  assert.equal(res.status, 200);
  assert.equal(
    res.headers.get("content-disposition"),
    `attachment; filename="company-${MONTHS}-month.csv"`,
  );
  assert.equal(
    await res.text(),
    "period_start,period_end,sessions,avg_brain_performance_score,avg_repetition_burden," +
      "water_sessions,avg_stress_score\r\n" +
      "2024-02-01,2024-02-29,9,1,1.5,3,\r\n" +
      "2024-03-01,2024-03-31,5,0.5,3,0,\r\n",
  );
});

Deno.test(
  "`protectedTimeseries` per month sums the stored releases of the month's days",
  opts,
  async () => {
    // The month is read first: it releases the closed days through the day release path.
    const ts = await get(noisy, "/dashboard/timeseries?bucket=month", NOISY);
    assert.equal(ts.bucket_type, "month");
    assert.equal(ts.privacy, "protected");
    assert.equal(ts.next_release_at, "2024-05-01T00:00:00.000Z");
    // No release of a new kind: days (and the weeks of the player count) only.
    const kinds = await db.sql<{ kind: string }[]>`
      select distinct kind from company_release where company_id = ${NOISY} order by kind`;
    assert.deepEqual(kinds.map((k) => k.kind), ["d", "w"]);
    // Every closed day from the first one (4 March) to yesterday is released, hidden ones too.
    const rows = await db.sql<{ day: string; task: string; metric: string; noisy: string }[]>`
      select to_char(period_start, 'YYYY-MM-DD') as day, task, metric, noisy::text as noisy
      from company_release_value where company_id = ${NOISY} and kind = 'd'
      order by period_start, task, metric`;
    const days = [...new Set(rows.map((r) => r.day))];
    assert.equal(days.length, 37); // 4 March … 9 April
    assert.equal(days[0], "2024-03-04");
    assert.equal(days.at(-1), "2024-04-09");

    // March from the stored rows: Σ noisy values per quantity over March's 28 days.
    const march = rows.filter((r) => r.day.startsWith("2024-03"));
    const sum = (key: string) =>
      march.filter((r) => `${r.task}.${r.metric}` === key).reduce((a, r) => a + Number(r.noisy), 0);
    const plan = planOf(REGISTRY);
    const fta = plan.metrics.find((m) => m.metric === "fta_level")!;
    // Every day released at the defaults: ε = 1, C = 3.
    const params = await db.sql<{ epsilon: string; contribution_bound: number }[]>`
      select distinct epsilon, contribution_bound from company_release
      where company_id = ${NOISY} and kind = 'd'`;
    assert.deepEqual(params.map((p) => [p.epsilon, p.contribution_bound]), [["1.0", 3]]);
    const qs = quantitiesOf(plan, "d", 3);
    const total = qs.reduce((a, q) => a + q.weight, BigInt(0));
    const b = (key: string) => {
      const s = noiseScale(qs.find((q) => q.key === key)!, total, { num: 1n, den: 1n });
      return Number(s.num) / Number(s.den);
    };
    const variance = (key: string) => {
      const p = Math.exp(-1 / b(key));
      return 28 * (2 * p) / ((1 - p) * (1 - p));
    };
    const n = sum(playersKey("earth"));
    const centred = sum(metricKey(fta)) / n;
    const value = (Number(unitsOf(fta).mid) + centred) / fta.scale;
    const half = 1.6448536269514722 *
      Math.sqrt(variance(metricKey(fta)) + centred * centred * variance(playersKey("earth"))) /
      n / fta.scale;
    const sessions = sum(sessionsKey("earth")) + sum(sessionsKey("water"));
    const sessionsHalf = 1.6448536269514722 *
      Math.sqrt(variance(sessionsKey("earth")) + variance(sessionsKey("water")));
    assert.equal(ts.buckets.length, 1);
    const [m] = ts.buckets;
    assert.equal(m.bucket_start, "2024-03-01");
    assert.equal(m.bucket_end, "2024-03-31");
    assert.equal(m.n_sessions, Math.max(0, sessions));
    assert.deepEqual(m.n_sessions_interval, {
      low: Math.round(Math.max(0, sessions - sessionsHalf)),
      high: Math.round(Math.max(0, sessions + sessionsHalf)),
    });
    const clamp = (v: number) => Math.min(1, Math.max(0, v));
    const near = (a: number, e: number) => assert.ok(Math.abs(a - e) < 1e-9, `${a} ≠ ${e}`);
    near(m.avg_brain_performance_score, clamp(value));
    near(m.avg_brain_performance_score_interval.low, clamp(value - half));
    near(m.avg_brain_performance_score_interval.high, clamp(value + half));
    // 200 players, accuracy ½ on average: near the truth, though 28 days of noise are summed.
    assert.ok(Math.abs(m.avg_brain_performance_score - 0.5) < 0.2, String(value));
    // April is open: not shown, not counted as suppressed.
    assert.equal(ts.suppressed_buckets, 0);
    // The same bytes on the next read (the stored releases, nothing new drawn).
    assert.deepEqual(await get(noisy, "/dashboard/timeseries?bucket=month", NOISY), ts);
  },
);
