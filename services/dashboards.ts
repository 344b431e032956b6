/**
 * Page-level compositions: everything one dashboard page shows, read through the same services
 * the API uses (no HTTP round trip to itself). The player page has one section per task the
 * player played, derived from the task registry.
 */
import { REGISTRY, type TaskDefinition, taskOfFlat, type TaskRegistry } from "../core/tasks.ts";
import type { EngagementDashboard } from "../openapi/engagement.ts";
import type { Sql } from "../db/client.ts";
import type { ModelState, SessionSummary } from "../openapi/telemetry.ts";
import { buildEngagementDashboard } from "./engagement.ts";
import { findModelState, listPlayerSessions } from "./players.ts";

/** A player's sessions of one task with their aggregates and the task's model. */
export interface TaskDashboard {
  task: TaskDefinition;
  /** The task's sessions in play order. */
  sessions: SessionSummary[];
  /** Per metric key: the mean over the sessions (booleans: the share of true). */
  averages: Record<string, number>;
  /** Per metric key with levels: sessions per level, in level order. */
  levelCounts: Record<string, number[]>;
  /** The player's model of the task (null before it was stored). */
  model: ModelState | null;
}

/** What the player page shows. */
export interface PlayerDashboard {
  playerId: string;
  /** Sessions in play order (played_at, ties by finalize order), as the learner sees them. */
  sessions: SessionSummary[];
  /** One entry per task the player has a session of, in registry order. */
  tasks: TaskDashboard[];
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

/** Returns the task of a session summary (the task all of whose metrics it has), or null. */
export function taskOfSession(registry: TaskRegistry, s: SessionSummary): TaskDefinition | null {
  return taskOfFlat(registry, s as Record<string, number | boolean | null>)?.task ?? null;
}

/** Returns a task's averages and level counts over its sessions (at least one). */
export function taskAggregates(
  task: TaskDefinition,
  sessions: readonly SessionSummary[],
): Pick<TaskDashboard, "averages" | "levelCounts"> {
  const averages: Record<string, number> = {};
  const levelCounts: Record<string, number[]> = {};
  for (const m of task.metrics) {
    const values = sessions.map((s) => s[m.key]);
    const numbers = values.map((v) => (typeof v === "boolean" ? (v ? 1 : 0) : v as number));
    averages[m.key] = numbers.reduce((a, v) => a + v, 0) / numbers.length;
    if (m.levels !== undefined) {
      levelCounts[m.key] = m.levels.map((l) => numbers.filter((v) => v === l).length);
    }
  }
  return { averages, levelCounts };
}

/** Returns the player page data; an unknown player gets empty sessions and no tasks. */
export async function playerDashboard(
  sql: Sql,
  playerId: string,
  now: Date,
  registry: TaskRegistry = REGISTRY,
): Promise<PlayerDashboard> {
  const sessions = playOrder(await listPlayerSessions(sql, playerId, registry));
  const tasks = await Promise.all(
    registry.tasks.map(async (task): Promise<TaskDashboard | null> => {
      const own = sessions.filter((s) => taskOfSession(registry, s) === task);
      if (own.length === 0) return null;
      const model = await findModelState(sql, playerId, task.model.name, registry);
      return { task, sessions: own, ...taskAggregates(task, own), model };
    }),
  );
  // Only read the rollup for a known player: reading creates the engagement user.
  const engagement = sessions.length > 0
    ? await buildEngagementDashboard(sql, playerId, now)
    : null;
  return {
    playerId,
    sessions,
    tasks: tasks.filter((t): t is TaskDashboard => t !== null),
    engagement,
  };
}
