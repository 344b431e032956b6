import assert from "node:assert/strict";
import {
  dailyAggregates,
  insertEngagementSessions,
  type NewEngagementSession,
  recordGameSession,
} from "../../db/engagement.ts";
import { buildEngagementDashboard, ingestSessionSummary } from "../../services/engagement.ts";
import { dbTestOptions } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";

const db = testDatabase();
const NOW = new Date("2025-10-22T18:00:00Z"); // window 2025-10-16 .. 2025-10-22

/** Returns the stored engagement sessions of a user, oldest first, as plain objects. */
async function rowsOf(user: string) {
  const rows = await db.sql<
    { source: string; session_id: string; duration_seconds: number; sentiment: number | null }[]
  >`
    select source, session_id, duration_seconds, sentiment_hundredths as sentiment
    from engagement_sessions where user_external_id = ${user} order by started_at, id`;
  return rows.map((r) => ({ ...r }));
}

/** Returns the stored last_session_end of a user as ISO text (null when none). */
async function lastEnd(user: string): Promise<string | null> {
  const [row] = await db.sql<{ last_session_end: Date | null }[]>`
    select last_session_end from engagement_users where external_id = ${user}`;
  return row.last_session_end?.toISOString() ?? null;
}

Deno.test(
  "recordGameSession: stored once per session id, user created lazily",
  dbTestOptions,
  async () => {
    const game = {
      playerId: "player-1",
      sessionId: "game-1",
      startedAt: new Date("2025-10-22T10:00:00Z"),
      durationSeconds: 245.4,
    };
    await recordGameSession(db.sql, game);
    await recordGameSession(db.sql, game);
    await recordGameSession(db.sql, { ...game, durationSeconds: 999 });
    assert.deepEqual(await rowsOf("player-1"), [
      { source: "earth_task", session_id: "game-1", duration_seconds: 245, sentiment: null },
    ]);
    assert.equal(await lastEnd("player-1"), "2025-10-22T10:04:05.000Z");
  },
);

Deno.test(
  "recordGameSession: duration clamped to 0..86400, works inside a transaction",
  dbTestOptions,
  async () => {
    const at = new Date("2025-10-20T08:00:00Z");
    await db.sql.begin(async (tx) => {
      await recordGameSession(tx, {
        playerId: "player-2",
        sessionId: "g-long",
        startedAt: at,
        durationSeconds: 100_000,
      });
      await recordGameSession(tx, {
        playerId: "player-2",
        sessionId: "g-neg",
        startedAt: at,
        durationSeconds: -5,
      });
      await recordGameSession(tx, {
        playerId: "player-2",
        sessionId: "g-nan",
        startedAt: at,
        durationSeconds: NaN,
      });
    });
    const rows = await rowsOf("player-2");
    assert.deepEqual(rows.map((r) => [r.session_id, r.duration_seconds]).sort(), [
      ["g-long", 86400],
      ["g-nan", 0],
      ["g-neg", 0],
    ]);
    assert.equal(await lastEnd("player-2"), "2025-10-21T08:00:00.000Z");
  },
);

Deno.test(
  "recordGameSession: a rolled-back transaction stores nothing",
  dbTestOptions,
  async () => {
    await assert.rejects(
      db.sql.begin(async (tx) => {
        await recordGameSession(tx, {
          playerId: "player-3",
          sessionId: "g-rb",
          startedAt: NOW,
          durationSeconds: 60,
        });
        throw new Error("finalize failed");
      }),
      /finalize failed/,
    );
    assert.deepEqual(await rowsOf("player-3"), []);
  },
);

Deno.test(
  "game and device sessions are separate sources; a game-only day is active with null sentiment and keeps the tone",
  dbTestOptions,
  async () => {
    const user = "player-4";
    // Device session yesterday at 0.61 (positive), game sessions yesterday and today.
    assert.equal(
      await ingestSessionSummary(db.sql, {
        session_id: "shared-id",
        user_external_id: user,
        started_at: "2025-10-21T09:00:00Z",
        duration_seconds: 600,
        sentiment_score: 0.61,
      }),
      "ok",
    );
    await recordGameSession(db.sql, {
      playerId: user,
      sessionId: "shared-id",
      startedAt: new Date("2025-10-21T12:00:00Z"),
      durationSeconds: 300,
    });
    await recordGameSession(db.sql, {
      playerId: user,
      sessionId: "g-today",
      startedAt: new Date("2025-10-22T07:00:00Z"),
      durationSeconds: 150,
    });
    assert.deepEqual(await buildEngagementDashboard(db.sql, user, NOW), {
      lastSession: { timestamp: "2025-10-22T07:02:30.000Z" },
      streak: { days: 2, dailyActivity: [false, false, false, false, false, true, true] },
      // yesterday 900 s = 15 min, today 150 s = 3 min (rounded half-up from 2.5); mean 9
      avgDuration: { minutes: 9, dailyDurations: [0, 0, 0, 0, 0, 15, 3] },
      toneTrend: {
        current: "positive",
        dailySentiment: [null, null, null, null, null, 0.61, null],
      },
      lastUpdated: "2025-10-22T18:00:00.000Z",
    });
  },
);

Deno.test(
  "dailyAggregates: one row per UTC day in [from, to), sums in SQL",
  dbTestOptions,
  async () => {
    const user = "agg-user";
    for (
      const [id, start, seconds, score] of [
        ["a1", "2025-10-20T23:59:59Z", 100, 0.5],
        ["a2", "2025-10-20T00:00:00Z", 50, 0.25],
        ["a3", "2025-10-21T00:00:00Z", 10, 1],
        ["a4", "2025-10-23T00:00:00Z", 10, 1],
      ] as const
    ) {
      await ingestSessionSummary(db.sql, {
        session_id: id,
        user_external_id: user,
        started_at: start,
        duration_seconds: seconds,
        sentiment_score: score,
      });
    }
    await recordGameSession(db.sql, {
      playerId: user,
      sessionId: "a5",
      startedAt: new Date("2025-10-21T05:00:00Z"),
      durationSeconds: 20,
    });
    const days = await dailyAggregates(
      db.sql,
      user,
      new Date("2025-10-16T00:00:00Z"),
      new Date("2025-10-23T00:00:00Z"),
    );
    assert.deepEqual(days, [
      { day: "2025-10-20", sessions: 2, seconds: 150, sentimentSum: 75, sentimentCount: 2 },
      { day: "2025-10-21", sessions: 2, seconds: 30, sentimentSum: 100, sentimentCount: 1 },
    ]);
  },
);

Deno.test(
  "insertEngagementSessions: one statement, repeats and stored ones answer false, max end kept",
  dbTestOptions,
  async () => {
    const at = (iso: string, seconds: number, id: string, user = "multi-1") =>
      ({
        source: "device",
        sessionId: id,
        userId: user,
        startedAt: new Date(iso),
        durationSeconds: seconds,
        sentimentHundredths: 50,
      }) satisfies NewEngagementSession;
    assert.deepEqual(
      await insertEngagementSessions(db.sql, [at("2025-10-20T10:00:00Z", 60, "m-0")]),
      [
        true,
      ],
    );
    const result = await insertEngagementSessions(db.sql, [
      at("2025-10-21T10:00:00Z", 600, "m-1"),
      at("2025-10-21T09:00:00Z", 60, "m-0"), // stored by the previous call
      at("2025-10-21T11:00:00Z", 30, "m-2"),
      at("2025-10-22T23:00:00Z", 5, "m-1"), // repeats m-1 of this call: not stored
      at("2025-10-19T10:00:00Z", 120, "m-3", "multi-2"),
      { ...at("2025-10-18T10:00:00Z", 1, "m-1"), source: "earth_task" }, // other source
    ]);
    assert.deepEqual(result, [true, false, true, false, true, true]);
    assert.deepEqual((await rowsOf("multi-1")).map((r) => `${r.source}/${r.session_id}`), [
      "earth_task/m-1",
      "device/m-0",
      "device/m-1",
      "device/m-2",
    ]);
    // The newest end among the stored sessions: m-2 (11:00:30), not the refused repeat of m-1.
    assert.equal(await lastEnd("multi-1"), "2025-10-21T11:00:30.000Z");
    assert.equal(await lastEnd("multi-2"), "2025-10-19T10:02:00.000Z");
    // Only duplicates: nothing changes.
    assert.deepEqual(
      await insertEngagementSessions(db.sql, [at("2025-10-23T10:00:00Z", 60, "m-2")]),
      [false],
    );
    assert.equal(await lastEnd("multi-1"), "2025-10-21T11:00:30.000Z");
  },
);
