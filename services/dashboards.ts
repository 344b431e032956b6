/**
 * Page-level compositions: everything one dashboard page shows, read through the same services
 * the API uses (no HTTP round trip to itself).
 */
import type { EngagementDashboard } from "../openapi/engagement.ts";
import type { Sql } from "../db/client.ts";
import type { ModelState, SessionSummary } from "../openapi/telemetry.ts";
import { buildEngagementDashboard } from "./engagement.ts";
import { findModelState, listPlayerSessions } from "./players.ts";

/** Averages over a player's sessions. */
export interface PlayerTotals {
  sessions: number;
  avgFta: number;
  avgBurden: number;
  avgEarthScore: number;
  /** Sessions per earth-score outcome. */
  outcomes: { 0: number; 5: number; 10: number };
}

/** What the player page shows. */
export interface PlayerDashboard {
  playerId: string;
  /** Sessions in play order (played_at, ties by finalize order), as the learner sees them. */
  sessions: SessionSummary[];
  totals: PlayerTotals | null;
  model: ModelState | null;
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

/** Returns the totals of a list of sessions, or null for none. */
export function playerTotals(sessions: readonly SessionSummary[]): PlayerTotals | null {
  const n = sessions.length;
  if (n === 0) return null;
  const mean = (f: (s: SessionSummary) => number) => sessions.reduce((a, s) => a + f(s), 0) / n;
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

/** Returns the player page data; an unknown player gets empty sessions and nulls. */
export async function playerDashboard(
  sql: Sql,
  playerId: string,
  now: Date,
): Promise<PlayerDashboard> {
  const sessions = playOrder(await listPlayerSessions(sql, playerId));
  const model = await findModelState(sql, playerId);
  // Only read the rollup for a known player: reading creates the engagement user.
  const engagement = sessions.length > 0
    ? await buildEngagementDashboard(sql, playerId, now)
    : null;
  return { playerId, sessions, totals: playerTotals(sessions), model, engagement };
}
