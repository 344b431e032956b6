/** The service's periodic purge against a real database: it runs when due and logs the counts. */
import assert from "node:assert/strict";
import { scheduleRetention } from "../../services/retention_schedule.ts";
import { dbTestOptions, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";
import { playSession } from "../helpers/play.ts";

const db = testDatabase();
const t = testApp(db.sql);
const opts = dbTestOptions;
const NOW = new Date("2024-03-01T00:00:00Z");

db.prepare(async () => {
  // Finalized, every event 50 days before NOW: older than a 30-day retention.
  await playSession(t, {
    player: "rs1",
    session: "rs-old",
    pattern: [1, 2, 0],
    start: "2024-01-10T09:00:00Z",
  });
  // Received when played (retention goes by the server's receive time).
  await db.sql`update raw_events set received_at = ts_utc`;
});

async function events(): Promise<number> {
  const [{ n }] = await db.sql<{ n: number }[]>`select count(*)::int as n from raw_events`;
  return n;
}

/** Resolves after the schedule's 0 ms first-run timer has fired (timers fire in order). */
const firstRunStarted = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test(
  "scheduleRetention purges when its first run is due and logs the counts",
  opts,
  async () => {
    assert.equal(await events(), 6);
    const lines: { level: string; fields: Record<string, unknown> }[] = [];
    const schedule = scheduleRetention(db.sql, 30, {
      exclusive: db.kind === "postgres",
      now: () => NOW,
      firstRunMs: 0,
      intervalMs: 3_600_000,
      log: (level, fields) => {
        lines.push({ level, fields });
      },
    });
    await firstRunStarted();
    await schedule.stop();
    assert.equal(await events(), 0);
    assert.deepEqual(lines, [{
      level: "info",
      fields: {
        msg: "raw event retention",
        cutoff: "2024-01-31T00:00:00.000Z",
        deleted: 6,
        scanned: 6,
      },
    }]);
  },
);
