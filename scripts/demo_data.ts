/**
 * Demo data for `deno task demo`, generated without I/O from a seed: companies, players with
 * learning curves (first-try accuracy rising, repetition burden falling, with day-to-day noise),
 * their attempt events over the last ~90 days, and family-engagement session summaries over the
 * last 10 days. The same seed and the same day give the same data.
 */
import type { EngagementSessionSummary as EngagementSummary } from "../openapi/engagement.ts";
import type { AttemptEvent } from "../openapi/telemetry.ts";
import { mulberry32, type Rng } from "../core/random.ts";
import { WATER } from "../core/tasks.ts";

/** The water task's version and the finalize body field and range it reads (core/tasks.ts). */
const WATER_VERSION = WATER.versions[0];
const [STRESS] = WATER.body;

const DAY_MS = 86_400_000;

/** A company and the players who play under its name. */
export interface DemoCompany {
  name: string;
  players: string[];
}

/** One play session: its events (as the client would post them) and when it is finalized. */
export interface DemoSession {
  sessionId: string;
  playerId: string;
  events: AttemptEvent[];
  finalizeAt: Date;
  /** The finalize body: a water_v1 session's stress score; absent for earth sessions. */
  finalize?: { task_version: string; stress_score: number };
}

/** Everything the demo task writes. */
export interface DemoData {
  companies: DemoCompany[];
  /** Every player, company players first. */
  players: string[];
  /** In play order (earliest first). */
  sessions: DemoSession[];
  engagement: EngagementSummary[];
  /** Users with engagement summaries (some are players too). */
  familyUsers: string[];
}

const between = (rng: Rng, lo: number, hi: number) => lo + (hi - lo) * rng();
const int = (rng: Rng, lo: number, hi: number) => Math.floor(between(rng, lo, hi + 1));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

function gaussian(rng: Rng): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

const NAMES = ("ava ben chloe dev emma finn grace hugo iris jack kai lena milo nora omar pia " +
  "quinn rosa sam tara uma vik").split(" ");

const COMPANIES = [
  { name: "Acme Corp", slug: "acme", size: 9 },
  { name: "Globex Industries", slug: "globex", size: 7 },
  { name: "Initech", slug: "initech", size: 3 },
];
const SOLO_PLAYERS = 2;

/** Difficulty of sequences 1..3 (lengths 4, 5, 6). */
const DIFFICULTY = [-0.7, 0, 0.7];

function shuffled(rng: Rng, digits: number[]): number[] {
  const out = [...digits];
  for (let i = out.length - 1; i > 0; i--) {
    const j = int(rng, 0, i);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Returns a wrong answer: the presented sequence with two neighbours swapped. */
function mistake(rng: Rng, presented: number[]): number[] {
  const out = [...presented];
  const i = int(rng, 0, out.length - 2);
  [out[i], out[i + 1]] = [out[i + 1], out[i]];
  return out;
}

/** Returns the events of one session played at `start` with the given skill. */
function playSession(
  rng: Rng,
  ids: { playerId: string; sessionId: string; company?: string },
  start: Date,
  skill: number,
): { events: AttemptEvent[]; end: number } {
  const events: AttemptEvent[] = [];
  let t = start.getTime();
  let volts = 0;
  for (let seq = 1; seq <= 3; seq++) {
    const length = 3 + seq;
    const presented = shuffled(rng, [1, 2, 3, 4, 5, 6, 7, 8, 9]).slice(0, length);
    for (let attempt = 1; attempt <= 3; attempt++) {
      const p = sigmoid(1.3 * (skill - DIFFICULTY[seq - 1]) + 0.9 * (attempt - 1));
      const correct = rng() < p;
      if (attempt > 1) volts++;
      const duration = Math.round(length * between(rng, 700, 1300) * (1.4 - 0.5 * sigmoid(skill)));
      events.push({
        player_id: ids.playerId,
        session_id: ids.sessionId,
        task_version: "earth_v1",
        sequence_index: seq,
        sequence_length: length,
        attempt_index: attempt,
        presented,
        input: correct ? presented : mistake(rng, presented),
        is_correct: correct,
        duration_ms: duration,
        ts_utc: new Date(t).toISOString(),
        remediation_stage: attempt === 1 ? "none" : attempt === 2 ? "volts" : "space",
        volts_count: attempt === 1 ? null : volts,
        ...(ids.company ? { company_name: ids.company } : {}),
      });
      t += duration + int(rng, 4_000, 25_000);
      if (correct) break;
    }
  }
  return { events, end: t };
}

/** Returns a player's sessions over the last ~90 days, along a noisy learning curve. */
function playerSessions(
  rng: Rng,
  playerId: string,
  company: string | undefined,
  today: number,
  now: Date,
) {
  const sessions: DemoSession[] = [];
  const base = between(rng, -1.6, -0.2);
  const gain = between(rng, 1.6, 3.0);
  const rate = between(rng, 0.06, 0.15);
  const meanGap = between(rng, 4, 7);
  const lastDay = rng() < 0.15 ? int(rng, 15, 40) : 0; // some players stopped a while ago
  let day = 90 - int(rng, 0, 20);
  for (let n = 1; day >= lastDay; n++) {
    const start = new Date(today - day * DAY_MS + int(rng, 7 * 60, 21 * 60) * 60_000);
    const skill = base + gain * (1 - Math.exp(-rate * n)) + 0.35 * gaussian(rng);
    const sessionId = `${playerId}-s${String(n).padStart(3, "0")}`;
    const played = playSession(rng, { playerId, sessionId, company }, start, skill);
    const finalizeAt = new Date(played.end + int(rng, 20, 180) * 1000);
    if (finalizeAt < now) sessions.push({ sessionId, playerId, events: played.events, finalizeAt });
    day -= Math.max(1, Math.round(meanGap * between(rng, 0.4, 1.6)));
  }
  return sessions;
}

/**
 * Returns a company player's water_v1 sessions: one every 4-8 days over the last ~6 weeks, the
 * stress score easing from a personal start (with noise), rounded to 0.5.
 */
function waterSessions(rng: Rng, playerId: string, company: string, today: number, now: Date) {
  const sessions: DemoSession[] = [];
  const start = between(rng, 45, 80);
  const ease = between(rng, 0.5, 1.2);
  let day = 40 - int(rng, 0, 6);
  for (let n = 1; day >= 0; n++) {
    const at = new Date(today - day * DAY_MS + int(rng, 7 * 60, 21 * 60) * 60_000);
    const sessionId = `${playerId}-w${String(n).padStart(3, "0")}`;
    const played = playSession(rng, { playerId, sessionId, company }, at, 0.5);
    const events = played.events.map((e) => ({ ...e, task_version: WATER_VERSION }));
    const [lo, hi] = STRESS.range;
    const stress = Math.min(hi, Math.max(lo, start - ease * (40 - day) + 6 * gaussian(rng)));
    const finalizeAt = new Date(played.end + int(rng, 20, 180) * 1000);
    if (finalizeAt < now) {
      sessions.push({
        sessionId,
        playerId,
        events,
        finalizeAt,
        finalize: { task_version: WATER_VERSION, [STRESS.name]: Math.round(stress * 2) / 2 } as {
          task_version: string;
          stress_score: number;
        },
      });
    }
    day -= int(rng, 4, 8);
  }
  return sessions;
}

/** Returns engagement summaries for four family users over the last 10 days. */
function engagementSummaries(rng: Rng, users: string[], today: number, now: Date) {
  // [user, first day ago, last day ago, chance of a session per day, sentiment then, now]
  const plans: [string, number, number, number, number, number][] = [
    [users[0], 9, 0, 0.9, 0.62, 0.84],
    [users[1], 9, 1, 0.6, 0.5, 0.55],
    [users[2], 7, 0, 0.8, 0.58, 0.28],
    [users[3], 10, 8, 1, 0.7, 0.66],
  ];
  const out: EngagementSummary[] = [];
  for (const [user, from, to, chance, s0, s1] of plans) {
    for (let day = from; day >= to; day--) {
      // Always a session on the last day, so the current tone shows where the trend ends.
      const sessions = day === to || rng() < chance ? (rng() < 0.25 ? 2 : 1) : 0;
      for (let k = 0; k < sessions; k++) {
        const duration = int(rng, 4, 30) * 60 + int(rng, 0, 59);
        let startMs = today - day * DAY_MS + int(rng, 8 * 60, 20 * 60) * 60_000;
        // Early in the UTC day, today's sessions move to just before now.
        const latest = now.getTime() - duration * 1000 - (k + 1) * 600_000;
        if (startMs > latest) startMs = latest;
        if (startMs < today - day * DAY_MS) continue;
        const progress = from === to ? 1 : (from - day) / (from - to);
        const score = s0 + (s1 - s0) * progress + 0.05 * gaussian(rng);
        out.push({
          session_id: `family-${user}-d${day}-${k + 1}`,
          user_external_id: user,
          started_at: new Date(startMs).toISOString(),
          duration_seconds: duration,
          sentiment_score: Math.round(Math.min(1, Math.max(0, score)) * 1000) / 1000,
        });
      }
    }
  }
  return out.sort((a, b) => a.started_at.localeCompare(b.started_at));
}

/** Returns the demo data for a seed, dated relative to `now` (nothing after it). */
export function generateDemo(seed: number, now: Date): DemoData {
  const rng = mulberry32(seed);
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  const names = shuffled(rng, NAMES.map((_, i) => i)).map((i) => NAMES[i]);
  const companies: DemoCompany[] = [];
  const sessions: DemoSession[] = [];
  const players: string[] = [];
  const addPlayer = (id: string, company?: string) => {
    players.push(id);
    sessions.push(...playerSessions(rng, id, company, today, now));
  };
  for (const c of COMPANIES) {
    const company: DemoCompany = { name: c.name, players: [] };
    for (let i = 0; i < c.size; i++) company.players.push(`${c.slug}-${names.shift()}`);
    company.players.forEach((id) => addPlayer(id, c.name));
    companies.push(company);
  }
  for (let i = 0; i < SOLO_PLAYERS; i++) addPlayer(`solo-${names.shift()}`);
  // The first company's players also play the water task (stress scores, a water model each).
  const [water] = companies;
  for (const id of water.players) sessions.push(...waterSessions(rng, id, water.name, today, now));
  sessions.sort((a, b) => a.events[0].ts_utc.localeCompare(b.events[0].ts_utc));

  const familyUsers = [players[0], players[players.length - 1], "family-lena", "family-omar"];
  const engagement = engagementSummaries(rng, familyUsers, today, now);
  return { companies, players, sessions, engagement, familyUsers };
}
