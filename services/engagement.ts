/** Engagement use cases: ingest a device session summary, build a user's seven-day dashboard. */
import { buildRollup, scoreToHundredths, windowDays } from "../core/rollup.ts";
import { badRequest } from "../core/errors.ts";
import { addDays, parseDayKey, parseTimestamp } from "../core/time.ts";
import type { Sql } from "../db/client.ts";
import {
  dailyAggregates,
  ensureEngagementUser,
  findLastSessionEnd,
  insertEngagementSession,
  insertEngagementSessions,
  type NewEngagementSession,
} from "../db/engagement.ts";
import type {
  EngagementDashboard,
  EngagementIngestStatus,
  EngagementSessionSummary,
} from "../openapi/engagement.ts";
import { createGroupCommit } from "./group_commit.ts";

/**
 * Returns the session to store for a validated summary (the X-Device-ID header, when sent,
 * wins over the body's device_id), or throws 400.
 */
function toEngagementSession(
  body: EngagementSessionSummary,
  headerDeviceId?: string,
): NewEngagementSession {
  const startedAt = parseTimestamp(body.started_at);
  if (startedAt === null) throw badRequest("started_at is not an ISO-8601 timestamp");
  return {
    source: "device",
    sessionId: body.session_id,
    userId: body.user_external_id,
    startedAt,
    durationSeconds: body.duration_seconds,
    sentimentHundredths: scoreToHundredths(body.sentiment_score),
    deviceId: headerDeviceId ?? body.device_id ?? null,
    status: body.status ?? null,
  };
}

/** Returns "ok" when the summary was stored, "duplicate" when its session_id already was. */
export async function ingestSessionSummary(
  sql: Sql,
  body: EngagementSessionSummary,
  headerDeviceId?: string,
): Promise<EngagementIngestStatus> {
  const session = toEngagementSession(body, headerDeviceId);
  return (await insertEngagementSession(sql, session)) ? "ok" : "duplicate";
}

/** Group-commit writer of session summaries: concurrent ingests share one statement. */
export interface SummaryWriter {
  /** Returns "ok" or "duplicate" once the statement holding the summary has committed. */
  ingest(body: EngagementSessionSummary, headerDeviceId?: string): Promise<EngagementIngestStatus>;
}

/** Returns the group-commit summary writer over `sql`. */
export function createSummaryWriter(sql: Sql, onBatch?: (size: number) => void): SummaryWriter {
  const queue = createGroupCommit(
    (sessions: NewEngagementSession[]) => insertEngagementSessions(sql, sessions),
    { onBatch },
  );
  return {
    async ingest(body, headerDeviceId) {
      return (await queue.submit(toEngagementSession(body, headerDeviceId))) ? "ok" : "duplicate";
    },
  };
}

/**
 * Returns the dashboard of the seven UTC days ending on the day of `now`, computed from the
 * stored sessions at this moment; an unknown user is created and gets the zeroed shape.
 */
export async function buildEngagementDashboard(
  sql: Sql,
  userId: string,
  now: Date,
): Promise<EngagementDashboard> {
  let lastSessionEnd = await findLastSessionEnd(sql, userId);
  if (lastSessionEnd === undefined) {
    // First sight of this user: create it (a concurrent ingest may have just done so).
    await ensureEngagementUser(sql, userId);
    lastSessionEnd = (await findLastSessionEnd(sql, userId)) ?? null;
  }
  const window = windowDays(now);
  const from = parseDayKey(window[0]);
  const to = parseDayKey(addDays(window[window.length - 1], 1));
  const days = await dailyAggregates(sql, userId, from, to);
  return buildRollup({ now, days, lastSessionEnd });
}
