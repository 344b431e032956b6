/**
 * The two attacks of issue 19 against company numbers, with the mechanism on (protected) and off
 * (exact): differencing (read, finalize one more session into a closed past period, read again:
 * avg₂·n₂ − avg₁·n₁) and fake players (4 fabricated players of a known value and 1 victim in one
 * period: 5·avg − 4·fake). 200 trials each, different victims, a fixed seed, through the core
 * release and post-processing the service runs; then one trial of each end to end over HTTP.
 */
import assert from "node:assert/strict";
import { COMPANY_RELEASE_PLAN } from "../../core/company_plan.ts";
import { NEW_PLAYERS, type PeriodTruth, releasePeriod } from "../../core/company_release.ts";
import { countEstimate, meanEstimate, type PeriodRelease } from "../../core/company_estimates.ts";
import { dashboardTokenFor } from "../../core/company.ts";
import type { RandomWords } from "../../core/dp_sampler.ts";
import { mulberry32 } from "../../core/random.ts";
import { seededWords } from "../../core/random_words.ts";
import { DEV_DASHBOARD_TOKEN_SALT } from "../../config.ts";
import { dbTestOptions, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";
import { type Pattern, playSession } from "../helpers/play.ts";

const PLAN = COMPANY_RELEASE_PLAN;
const FTA = PLAN.metrics.find((m) => m.metric === "fta_level")!;
const K = 5;
const TRIALS = 200;
const PARAMS = { epsilon: { num: BigInt(1), den: BigInt(1) }, contributionBound: 3 };
/** The mechanism switched off: no noise, and the post-processing told so (ε = 10¹²). */
const OFF = { epsilon: { num: BigInt(10) ** BigInt(12), den: BigInt(1) }, contributionBound: 3 };
/** Session accuracies the game can produce. */
const THIRDS = [0, 1 / 3, 2 / 3, 1];

/**
 * Returns the true integers of one week where each player played one earth session (computed
 * here independently of the SQL: one value per player, scaled to 1/10,000 and rounded).
 */
function weekTruth(ftas: readonly number[]): PeriodTruth {
  const units = (v: number, scale: number) => BigInt(Math.round(v * scale));
  return {
    "earth.players": BigInt(ftas.length),
    "earth.sessions": BigInt(ftas.length),
    "earth.fta_level": ftas.reduce((a, v) => a + units(v, 10_000), BigInt(0)),
    "earth.repetition_burden": BigInt(ftas.length * 10_000),
    "earth.earth_score_bucket": BigInt(ftas.length * 5_000),
    "water.players": BigInt(0),
    "water.sessions": BigInt(0),
    "water.stress_score": BigInt(0),
    "all.new_players": BigInt(ftas.length),
  };
}

/** Returns the released week (noise from `random`, or none: the mechanism switched off). */
function release(ftas: readonly number[], random: RandomWords | null): PeriodRelease {
  const params = random === null ? OFF : PARAMS;
  const values = releasePeriod(PLAN, "w", weekTruth(ftas), params, random);
  return { kind: "w", start: "2024-03-04", params, values };
}

/** What the summary answers from released weeks: players and the accuracy average. */
function summaryOf(weeks: PeriodRelease[]): { n: number; avg: number | null } {
  const n = Math.round(countEstimate(PLAN, weeks, [NEW_PLAYERS]).value);
  return { n, avg: n < K ? null : meanEstimate(PLAN, weeks, FTA, K)?.value ?? null };
}

/** The attacker's guess where a number is hidden: the middle of the range. */
const PRIOR = 0.5;

/** Runs the differencing attack; returns the attacker's estimates and the victims' values. */
function differencing(random: RandomWords | null, seed: number) {
  const rng = mulberry32(seed);
  const trials: { victim: number; estimate: number }[] = [];
  for (let i = 0; i < TRIALS; i++) {
    const others = Array.from({ length: 19 }, () => THIRDS[Math.floor(rng() * 4)]);
    const victim = THIRDS[Math.floor(rng() * 4)];
    const before = summaryOf([release(others, random)]);
    // One more session is finalized into the closed week: its data changed, so it is
    // re-released with fresh noise.
    const after = summaryOf([release([...others, victim], random)]);
    const estimate = before.avg === null || after.avg === null
      ? PRIOR
      : after.avg * after.n - before.avg * before.n;
    trials.push({ victim, estimate });
  }
  return trials;
}

/** Runs the fake-player attack: 4 fakes of accuracy 1 and the victim in one week. */
function fakePlayers(random: RandomWords | null, seed: number) {
  const rng = mulberry32(seed);
  const trials: { victim: number; estimate: number }[] = [];
  for (let i = 0; i < TRIALS; i++) {
    const victim = THIRDS[Math.floor(rng() * 4)];
    const week = release([1, 1, 1, 1, victim], random);
    // The per-week bucket: its average when the noisy count clears k and the noise does not drown it.
    const avg = meanEstimate(PLAN, [week], FTA, K)?.value ?? null;
    trials.push({ victim, estimate: avg === null ? PRIOR : 5 * avg - 4 * 1 });
  }
  return trials;
}

const offShare = (trials: { victim: number; estimate: number }[]) =>
  trials.filter((t) => Math.abs(t.estimate - t.victim) > 0.1).length / trials.length;

Deno.test(
  "differencing attack: off by more than 0.1 in at least 60 % of 200 trials",
  dbTestOptions,
  () => {
    const share = offShare(differencing(seededWords(19_001), 1));
    assert.ok(share >= 0.6, `attacker within 0.1 in ${((1 - share) * 100).toFixed(1)} % of trials`);
  },
);

Deno.test(
  "differencing attack with the mechanism off recovers every victim exactly",
  dbTestOptions,
  () => {
    for (const t of differencing(null, 1)) {
      // Exact to the 1/10,000 grid values are scaled to; the nearest session accuracy is the victim's.
      assert.ok(Math.abs(t.estimate - t.victim) <= 0.5e-4 + 1e-9, `${t.estimate} vs ${t.victim}`);
      const nearest = THIRDS.reduce((
        a,
        v,
      ) => (Math.abs(v - t.estimate) < Math.abs(a - t.estimate) ? v : a));
      assert.equal(nearest, t.victim);
    }
  },
);

Deno.test(
  "fake-player attack: off by more than 0.1 in at least 60 % of 200 trials",
  dbTestOptions,
  () => {
    const share = offShare(fakePlayers(seededWords(19_002), 2));
    assert.ok(share >= 0.6, `attacker within 0.1 in ${((1 - share) * 100).toFixed(1)} % of trials`);
  },
);

Deno.test(
  "fake-player attack with the mechanism off recovers every victim exactly",
  dbTestOptions,
  () => {
    for (const t of fakePlayers(null, 2)) {
      assert.ok(
        Math.abs(t.estimate - t.victim) <= 0.5e-4 * 5 + 1e-9,
        `${t.estimate} vs ${t.victim}`,
      );
    }
  },
);

// --- End to end over HTTP (both databases) ---------------------------------------------------

const db = testDatabase();
const NOW = new Date("2024-03-13T12:00:00Z"); // the week of 2024-03-04 is closed
const tokenOf = (id: string) => dashboardTokenFor(id, DEV_DASHBOARD_TOKEN_SALT);
/** Patterns and their first-try accuracy. */
const PATTERN: Record<string, Pattern> = { "1": [1, 1, 1], "0.333": [1, 2, 2], "0": [2, 2, 2] };

function apps(mode: "protected" | "exact", seed: number) {
  const t = testApp(db.sql, { COMPANY_PRIVACY: mode }, { random: seededWords(seed) });
  t.setNow(NOW);
  return t;
}

let sessions = 0;
async function play(t: ReturnType<typeof apps>, company: string, player: string, fta: string) {
  await playSession(t, {
    player,
    session: `${company}-${++sessions}`,
    pattern: PATTERN[fta],
    start: "2024-03-05T09:00:00Z",
    company_id: company,
  });
}

/** Returns the answer's bytes; a 403 (too few players) is the status and its body. */
async function read(t: ReturnType<typeof apps>, path: string, company: string) {
  const res = await t.request(`${path}${path.includes("?") ? "&" : "?"}t=${tokenOf(company)}`);
  assert.ok(res.status === 200 || res.status === 403, String(res.status));
  return res.status === 200 ? await res.text() : `403 ${await res.text()}`;
}

for (const mode of ["protected", "exact"] as const) {
  Deno.test(
    `differencing over HTTP (${mode}): ${mode === "exact" ? "recovers" : "misses"} the victim`,
    dbTestOptions,
    async () => {
      const t = apps(mode, 23);
      const company = `c_attack_diff_${mode}`;
      for (let i = 0; i < 40; i++) await play(t, company, `${company}-p${i}`, i % 2 ? "1" : "0");
      const first = await read(t, "/dashboard/summary", company);
      assert.equal(
        await read(t, "/dashboard/summary", company),
        first,
        "repeated reads: same bytes",
      );
      await play(t, company, `${company}-victim`, "0.333");
      const second = await read(t, "/dashboard/summary", company);
      assert.equal(await read(t, "/dashboard/summary", company), second, "same bytes again");
      const a = JSON.parse(first);
      const b = JSON.parse(second);
      const shown = a.avg_brain_performance_score !== null &&
        b.avg_brain_performance_score !== null;
      const estimate = shown
        ? b.avg_brain_performance_score * b.n_players - a.avg_brain_performance_score * a.n_players
        : PRIOR;
      if (mode === "exact") {
        assert.ok(Math.abs(estimate - 1 / 3) < 1e-9, `exact: ${estimate}`);
        assert.equal(a.avg_brain_performance_score_interval, null);
      } else {
        assert.ok(Math.abs(estimate - 1 / 3) > 0.1, `protected: ${estimate}`);
        assert.equal(b.privacy, "protected");
        assert.ok(shown, `40 players: the average is shown, with its interval: ${first}`);
        const { low, high } = b.avg_brain_performance_score_interval;
        assert.ok(low <= b.avg_brain_performance_score && b.avg_brain_performance_score <= high);
      }
    },
  );

  Deno.test(
    `fake players over HTTP (${mode}): ${mode === "exact" ? "recover" : "miss"} the victim`,
    dbTestOptions,
    async () => {
      const t = apps(mode, 29);
      const company = `c_attack_fake_${mode}`;
      for (let i = 0; i < 4; i++) await play(t, company, `${company}-fake${i}`, "1");
      await play(t, company, `${company}-victim`, "0");
      const path = "/dashboard/timeseries?bucket=week";
      const body = await read(t, path, company);
      assert.equal(await read(t, path, company), body, "repeated reads: same bytes");
      // A 403 (the released player count is below k) tells the attacker nothing.
      const buckets = body.startsWith("403 ") ? [] : JSON.parse(body).buckets;
      const bucket = buckets.find((b: { bucket_start: string }) => b.bucket_start === "2024-03-04");
      const avg = bucket?.avg_brain_performance_score ?? null;
      const estimate = avg === null ? PRIOR : 5 * avg - 4;
      if (mode === "exact") assert.ok(Math.abs(estimate - 0) < 1e-9, `exact: ${estimate}`);
      else assert.ok(Math.abs(estimate - 0) > 0.1, `protected: ${estimate}`);
    },
  );
}
