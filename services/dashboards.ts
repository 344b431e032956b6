/**
 * Page-level compositions: everything one dashboard page shows, read through the same services
 * the API uses (no HTTP round trip to itself).
 */
import type { EngagementDashboard } from "../openapi/engagement.ts";
import type { Sql } from "../db/client.ts";
import type { ModelState, SessionSummary } from "../openapi/telemetry.ts";
import { buildEngagementDashboard } from "./engagement.ts";
import { findModelState, listPlayerSessions } from "./players.ts";

/** Averages over a player's earth sessions. */
export interface PlayerTotals {
  sessions: number;
  avgFta: number;
  avgBurden: number;
  avgEarthScore: number;
  /** Sessions per earth-score outcome. */
  outcomes: { 0: number; 5: number; 10: number };
}

/** A player's stress scores over their water sessions. */
export interface WaterTotals {
  sessions: number;
  avgStress: number;
  /** The stress score of the newest water session (play order). */
  latestStress: number;
}

/** An earth session: the four earth metrics are set. */
export type EarthSession = SessionSummary & {
  fta_level: number;
  fta_strict: boolean;
  repetition_burden: number;
  earth_score_bucket: 0 | 5 | 10;
};

/** A water session: the stress score is set. */
export type WaterSession = SessionSummary & { stress_score: number };

/** What the player page shows. */
export interface PlayerDashboard {
  playerId: string;
  /** Sessions in play order (played_at, ties by finalize order), as the learner sees them. */
  sessions: SessionSummary[];
  /** The earth sessions among them (earth_v1 and unknown versions), in play order. */
  earthSessions: EarthSession[];
  /** The water sessions among them, in play order. */
  waterSessions: WaterSession[];
  /** Earth totals; null without earth sessions. */
  totals: PlayerTotals | null;
  /** Stress totals; null without water sessions. */
  water: WaterTotals | null;
  /** The earth model; null without earth sessions. */
  model: ModelState | null;
  /** The water model; null without water sessions. */
  waterModel: ModelState | null;
  /** The seven-day engagement rollup; null for a player without sessions. */
  engagement: EngagementDashboard | null;
}

/** Returns sessions sorted by play time, ties by finalize order (id). */
export function playOrder(sessions: readonly SessionSummary[]): SessionSummary[] {
  return [...sessions].sort((a, b) => {
    const ta = Date.parse(a.played_at);
    const tb = Date.parse(b.played_at);
    return ta !== tb ? ta - tb : a.id - b.id;
  });
}

/** Returns the earth sessions of a list (order kept). */
export function earthSessions(sessions: readonly SessionSummary[]): EarthSession[] {
  return sessions.filter((s): s is EarthSession =>
    s.fta_level !== null && s.fta_strict !== null && s.repetition_burden !== null &&
    s.earth_score_bucket !== null
  );
}

/** Returns the water sessions of a list (order kept). */
export function waterSessions(sessions: readonly SessionSummary[]): WaterSession[] {
  return sessions.filter((s): s is WaterSession => s.stress_score !== null);
}

/** Returns the totals of a list of earth sessions, or null for none. */
export function playerTotals(sessions: readonly EarthSession[]): PlayerTotals | null {
  const n = sessions.length;
  if (n === 0) return null;
  const mean = (f: (s: EarthSession) => number) => sessions.reduce((a, s) => a + f(s), 0) / n;
  const outcomes = { 0: 0, 5: 0, 10: 0 };
  for (const s of sessions) outcomes[s.earth_score_bucket] += 1;
  return {
    sessions: n,
    avgFta: mean((s) => s.fta_level),
    avgBurden: mean((s) => s.repetition_burden),
    avgEarthScore: mean((s) => s.earth_score_bucket),
    outcomes,
  };
}

/** Returns the stress totals of a list of water sessions in play order, or null for none. */
export function waterTotals(sessions: readonly WaterSession[]): WaterTotals | null {
  const n = sessions.length;
  if (n === 0) return null;
  return {
    sessions: n,
    avgStress: sessions.reduce((a, s) => a + s.stress_score, 0) / n,
    latestStress: sessions[n - 1].stress_score,
  };
}

/** Returns the player page data; an unknown player gets empty sessions and nulls. */
export async function playerDashboard(
  sql: Sql,
  playerId: string,
  now: Date,
): Promise<PlayerDashboard> {
  const sessions = playOrder(await listPlayerSessions(sql, playerId));
  const earth = earthSessions(sessions);
  const water = waterSessions(sessions);
  const [model, waterModel] = await Promise.all([
    earth.length > 0 ? findModelState(sql, playerId, "earth") : null,
    water.length > 0 ? findModelState(sql, playerId, "water") : null,
  ]);
  // Only read the rollup for a known player: reading creates the engagement user.
  const engagement = sessions.length > 0
    ? await buildEngagementDashboard(sql, playerId, now)
    : null;
  return {
    playerId,
    sessions,
    earthSessions: earth,
    waterSessions: water,
    totals: playerTotals(earth),
    water: waterTotals(water),
    model,
    waterModel,
    engagement,
  };
}
