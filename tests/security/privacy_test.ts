/**
 * Hostile input, part 4: privacy of the company dashboards. Random companies (seeded PRNG) are
 * played through the API; for every MIN_COMPANY_N from 2 to 6 and both bucket types, the answers
 * are compared with the truth computed here from the generated data:
 * - no company answer or page carries per-player data (no player id anywhere, no player keys);
 * - a company below k players gets no aggregates;
 * - every visible bucket stands for at least k distinct players and its numbers are exact;
 * - the suppressed buckets together hold 0 or at least k distinct players, or nothing is visible;
 * - the suppression is exactly the documented rule (small buckets, then smallest visible ones);
 * - a company token only ever reads its own company.
 */
import assert from "node:assert/strict";
import { dashboardTokenFor } from "../../core/company.ts";
import { DEV_DASHBOARD_TOKEN_SALT } from "../../config.ts";
import { dbTestOptions, postJson, type TestApp, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";
import { type Pattern, sessionEvents, type SessionSpec } from "../helpers/play.ts";
import { mulberry32 } from "../../core/random.ts";

const SEED = Number(Deno.env.get("PRIVACY_SEED") ?? "7151") >>> 0;
const K_VALUES = [2, 3, 4, 5, 6];
const COMPANIES = 10;

const db = testDatabase();
const opts = dbTestOptions;
const player = testApp(db.sql, { COMPANY_PRIVACY: "exact", AUTH_FAIL_LIMIT: "0" });

const rng = mulberry32(SEED);
const int = (n: number) => Math.floor(rng() * n);

interface Played {
  player: string;
  day: string;
  fta: number;
  burden: number;
}

interface Company {
  id: string;
  token: string;
  sessions: Played[];
  players: Set<string>;
}

const DAY = 86_400_000;
/** Monday 2025-06-02; companies play over the following weeks. */
const BASE = Date.parse("2025-06-02T00:00:00Z");
const dayKey = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Returns the Monday (UTC) of a YYYY-MM-DD day. */
function weekOf(day: string): string {
  const ms = Date.parse(`${day}T00:00:00Z`);
  const dow = (new Date(ms).getUTCDay() + 6) % 7;
  return dayKey(ms - dow * DAY);
}

function metrics(pattern: Pattern): { fta: number; burden: number } {
  const fta = pattern.filter((a) => a === 1).length / 3;
  const burden = pattern.reduce((s, a) => s + (a === 0 ? 3 : a), 0) / 3;
  return { fta, burden };
}

/** Plays sessions through the API: their events in batches of up to 500, then one finalize each. */
async function playAll(specs: readonly SessionSpec[]): Promise<void> {
  const events = specs.flatMap((spec) => sessionEvents(spec));
  for (let i = 0; i < events.length; i += 500) {
    const res = await player.request(
      "/events/batch",
      postJson({ events: events.slice(i, i + 500) }),
    );
    assert.equal(res.status, 200, await res.text());
  }
  for (const spec of specs) {
    const res = await player.request(`/sessions/${spec.session}/finalize`, { method: "POST" });
    assert.equal(res.status, 200, await res.text());
  }
}

// Generate and play the companies. Sizes run from 1 to 17 players, spans from 2 to 13 days, and
// play days are skewed so some buckets are crowded and others hold one or two players. A few
// players play for two companies, and some sessions carry no company at all. They are played
// (company by company) when the database opens.
const companies: Company[] = [];
const allPlayers = new Set<string>();
const firstPlayers: string[] = [];
const batches: SessionSpec[][] = [];
let played = 0;
for (let c = 0; c < COMPANIES; c++) {
  const id = `c_priv${String(c).padStart(8, "0")}`;
  const company: Company = {
    id,
    token: dashboardTokenFor(id, DEV_DASHBOARD_TOKEN_SALT),
    sessions: [],
    players: new Set(),
  };
  // Sizes around every threshold (1..6 players) and a few large companies.
  const nPlayers = c < 6 ? [1, 2, 3, 4, 5, 6][c] + int(2) : 8 + int(10);
  const span = 2 + int(12);
  const specs: SessionSpec[] = [];
  const skew = 1 + rng() * 3;
  for (let p = 0; p < nPlayers; p++) {
    // Shared players: every third company's first player also plays for the company before.
    const name = p === 0 && c % 3 === 2
      ? firstPlayers[c - 1]
      : `pv-${c}-${p}-${int(1e6).toString(36)}-q`;
    if (p === 0) firstPlayers.push(name);
    const sessions = 1 + int(3);
    for (let s = 0; s < sessions; s++) {
      const offset = Math.floor(rng() ** skew * span);
      const day = dayKey(BASE + (c * 3 + offset) * DAY);
      const pattern: Pattern = [int(4), int(4), int(4)];
      specs.push({
        player: name,
        session: `${id}-${name}-${s}`,
        pattern,
        start: `${day}T${String(8 + int(10)).padStart(2, "0")}:00:00Z`,
        company_id: id,
      });
      company.sessions.push({ player: name, day, ...metrics(pattern) });
      company.players.add(name);
      allPlayers.add(name);
      played++;
    }
  }
  batches.push(specs);
  companies.push(company);
}
// Sessions without a company count for no company.
const loose = [0, 1, 2].map((i): SessionSpec => ({
  player: `pv-nocompany-${i}-q`,
  session: `nocompany-${i}`,
  pattern: [1, 1, 1],
  start: "2025-06-03T09:00:00Z",
}));
batches.push(loose);
for (const spec of loose) allPlayers.add(spec.player);
played += loose.length;
db.prepare(async () => {
  const started = performance.now();
  for (const specs of batches) await playAll(specs);
  console.log(
    `privacy: PRIVACY_SEED=${SEED} played ${played} sessions for ${allPlayers.size} players in ` +
      `${COMPANIES} companies (sizes ${companies.map((c) => c.players.size).join(", ")}) in ` +
      `${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
});

// ---------------------------------------------------------------------------------------------
// Truth

interface TruthBucket {
  start: string;
  players: Set<string>;
  sessions: Played[];
}

function truthBuckets(company: Company, type: "day" | "week" | "month"): TruthBucket[] {
  const map = new Map<string, TruthBucket>();
  for (const s of company.sessions) {
    const start = type === "day"
      ? s.day
      : type === "week"
      ? weekOf(s.day)
      : `${s.day.slice(0, 8)}01`;
    const b = map.get(start) ?? { start, players: new Set(), sessions: [] };
    b.players.add(s.player);
    b.sessions.push(s);
    map.set(start, b);
  }
  return [...map.values()].sort((a, b) => (a.start < b.start ? -1 : 1));
}

function union(buckets: readonly TruthBucket[]): Set<string> {
  return new Set(buckets.flatMap((b) => [...b.players]));
}

/** The documented rule, written independently of core/privacy.ts. */
function expectedSuppressed(buckets: readonly TruthBucket[], k: number): Set<string> {
  const hidden = new Set(buckets.filter((b) => b.players.size < k).map((b) => b.start));
  while (hidden.size > 0) {
    const suppressed = buckets.filter((b) => hidden.has(b.start));
    if (union(suppressed).size >= k) break;
    const visible = buckets.filter((b) => !hidden.has(b.start));
    if (visible.length === 0) break;
    visible.sort((a, b) => a.players.size - b.players.size || (a.start < b.start ? -1 : 1));
    hidden.add(visible[0].start);
  }
  return hidden;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const near = (a: unknown, b: number, what: string) =>
  assert.ok(typeof a === "number" && Math.abs(a - b) < 1e-9, `${what}: ${a} ≠ ${b}`);

const PLAYER_KEYS = /^(player_?ids?|players|user_?ids?|user_external_id|session_?ids?|sessions)$/i;

/** Walks a JSON answer: no key names players, no string value is a player id. */
function assertNoPlayerData(value: unknown, where: string, path = "$"): void {
  if (typeof value === "string") {
    assert.ok(!allPlayers.has(value), `${where}: ${path} is a player id`);
    for (const p of allPlayers) assert.ok(!value.includes(p), `${where}: ${path} mentions ${p}`);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => assertNoPlayerData(v, where, `${path}[${i}]`));
  } else if (value && typeof value === "object") {
    for (const [key, v] of Object.entries(value)) {
      assert.ok(!PLAYER_KEYS.test(key), `${where}: ${path}.${key} is a per-player key`);
      assertNoPlayerData(v, where, `${path}.${key}`);
    }
  }
}

interface Figures {
  answers: number;
  visible: number;
  suppressed: number;
  complementary: number;
  below: number;
}
const figures: Figures = { answers: 0, visible: 0, suppressed: 0, complementary: 0, below: 0 };

async function get(app: TestApp, path: string): Promise<{ status: number; body: unknown }> {
  const res = await app.request(path);
  const body = await res.json();
  figures.answers++;
  return { status: res.status, body };
}

for (const k of K_VALUES) {
  Deno.test(
    `MIN_COMPANY_N=${k}: k-threshold and bucket suppression hold for every company`,
    opts,
    async () => {
      const app = testApp(db.sql, {
        COMPANY_PRIVACY: "exact",
        MIN_COMPANY_N: String(k),
        AUTH_FAIL_LIMIT: "0",
      });
      for (const company of companies) {
        const n = company.players.size;
        const where = `k=${k} ${company.id} (${n} players)`;
        const q = `t=${company.token}`;

        const info = await get(app, `/dashboard/company?${q}`);
        assert.equal(info.status, 200, where);
        assert.deepEqual(
          { ...(info.body as Record<string, unknown>), message: "" },
          {
            company_id: company.id,
            n_players: n,
            has_sufficient_data: n >= k,
            message: "",
            n_players_interval: null,
            privacy: "exact",
          },
          where,
        );
        assertNoPlayerData(info.body, where);

        const summary = await get(app, `/dashboard/summary?${q}`);
        assertNoPlayerData(summary.body, where);
        if (n < k) {
          figures.below++;
          assert.equal(summary.status, 403, where);
          for (const bucket of ["day", "week", "month"]) {
            const ts = await get(app, `/dashboard/timeseries?${q}&bucket=${bucket}`);
            assert.equal(ts.status, 403, `${where} ${bucket}`);
            assert.deepEqual(Object.keys(ts.body as object), ["detail"]);
          }
          continue;
        }
        assert.equal(summary.status, 200, where);
        const s = summary.body as Record<string, number | string>;
        assert.equal(s.company_id, company.id);
        assert.equal(s.n_players, n);
        assert.equal(s.n_sessions, company.sessions.length);
        near(s.avg_brain_performance_score, mean(company.sessions.map((x) => x.fta)), where);
        near(s.avg_repetition_burden, mean(company.sessions.map((x) => x.burden)), where);

        for (const type of ["day", "week", "month"] as const) {
          const ts = await get(app, `/dashboard/timeseries?${q}&bucket=${type}`);
          const here = `${where} ${type}`;
          assert.equal(ts.status, 200, here);
          assertNoPlayerData(ts.body, here);
          const body = ts.body as {
            company_id: string;
            bucket_type: string;
            suppressed_buckets: number;
            buckets: Record<string, number | string>[];
          };
          assert.equal(body.company_id, company.id);
          assert.equal(body.bucket_type, type);
          const truth = truthBuckets(company, type);
          const byStart = new Map(truth.map((b) => [b.start, b]));
          const shown = new Set<string>();
          for (const b of body.buckets) {
            const t = byStart.get(b.bucket_start as string);
            assert.ok(t, `${here}: bucket ${b.bucket_start} does not exist`);
            shown.add(t.start);
            // Every visible number stands for at least k distinct players, and is exact.
            assert.ok(
              t.players.size >= k,
              `${here}: ${t.start} shows ${t.players.size} < ${k} players`,
            );
            assert.equal(b.n_sessions, t.sessions.length, `${here} ${t.start}`);
            near(
              b.avg_brain_performance_score,
              mean(t.sessions.map((x) => x.fta)),
              `${here} ${t.start}`,
            );
            near(
              b.avg_repetition_burden,
              mean(t.sessions.map((x) => x.burden)),
              `${here} ${t.start}`,
            );
            const [y, m] = t.start.split("-").map(Number);
            const end = type === "day"
              ? t.start
              : type === "week"
              ? dayKey(Date.parse(`${t.start}T00:00:00Z`) + 6 * DAY)
              : dayKey(Date.UTC(y, m, 0)); // day 0 of the next month: this month's last
            assert.equal(b.bucket_end, end);
          }
          const hidden = truth.filter((b) => !shown.has(b.start));
          assert.equal(body.suppressed_buckets, hidden.length, here);
          assert.equal(body.buckets.length + body.suppressed_buckets, truth.length, here);
          // What is left out cannot be worked out from the total: 0 or ≥ k players, or nothing shown.
          const hiddenPlayers = union(hidden).size;
          assert.ok(
            hidden.length === 0 || hiddenPlayers >= k || body.buckets.length === 0,
            `${here}: suppressed buckets hold ${hiddenPlayers} players (< ${k}) while ` +
              `${body.buckets.length} are visible`,
          );
          // And it is exactly the documented rule.
          assert.deepEqual(
            [...hidden.map((b) => b.start)].sort(),
            [...expectedSuppressed(truth, k)].sort(),
            `${here}: suppression differs from the documented rule`,
          );
          const small = truth.filter((b) => b.players.size < k).length;
          figures.visible += body.buckets.length;
          figures.suppressed += hidden.length;
          figures.complementary += hidden.length - small;
        }
      }
    },
  );
}

Deno.test(
  "a company token reads only its own company, whatever else the query says",
  opts,
  async () => {
    const app = testApp(db.sql, {
      COMPANY_PRIVACY: "exact",
      MIN_COMPANY_N: "2",
      AUTH_FAIL_LIMIT: "0",
    });
    for (const company of companies) {
      for (const other of companies) {
        if (other === company) continue;
        for (
          const path of [
            `/dashboard/company?t=${company.token}&company_id=${other.id}`,
            `/dashboard/summary?company_id=${other.id}&t=${company.token}`,
            `/dashboard/timeseries?t=${company.token}&bucket=week&c=${other.id}`,
          ]
        ) {
          const res = await get(app, path);
          if (res.status === 200) {
            assert.equal((res.body as { company_id: string }).company_id, company.id, path);
          } else assert.equal(res.status, 403, path);
        }
      }
      // A token with the right shape but from another salt, or of an unregistered company: 403.
      for (
        const token of [
          dashboardTokenFor(company.id, "another-salt"),
          dashboardTokenFor(`${company.id}x`, DEV_DASHBOARD_TOKEN_SALT),
        ]
      ) {
        const res = await get(app, `/dashboard/company?t=${token}`);
        assert.equal(res.status, 403);
      }
    }
  },
);

Deno.test("the company page shows no player id and serializes only aggregates", opts, async () => {
  for (const k of [2, 5]) {
    const app = testApp(db.sql, {
      COMPANY_PRIVACY: "exact",
      MIN_COMPANY_N: String(k),
      AUTH_FAIL_LIMIT: "0",
    });
    for (const company of companies) {
      const res = await app.request(`/company?t=${company.token}`);
      assert.equal(res.status, 200, company.id);
      const html = await res.text();
      for (const p of allPlayers) {
        assert.ok(!html.includes(p), `k=${k} ${company.id}: page shows ${p}`);
      }
      for (
        const m of html.matchAll(/<script type="application\/json"[^>]*>([\s\S]*?)<\/script>/g)
      ) {
        assertNoPlayerData(JSON.parse(m[1]), `k=${k} ${company.id} island props`);
      }
      if (company.players.size < k) {
        assert.ok(!html.includes("<script"), "the insufficient-data page ships no data");
      }
    }
  }
  console.log(
    `privacy: ${figures.answers} company answers checked; ${figures.visible} visible buckets ` +
      `(each ≥ k players), ${figures.suppressed} suppressed of which ${figures.complementary} ` +
      `by complementary suppression; ${figures.below} company×k cases below k`,
  );
});
