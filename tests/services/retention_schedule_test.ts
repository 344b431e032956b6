/**
 * The service's periodic purge without a database: stop clears every timer (the ops sanitizer is
 * on here, so a timer left running fails these tests) and a failed run is a warning.
 */
import assert from "node:assert/strict";
import type { Sql } from "../../db/client.ts";
import { scheduleRetention } from "../../services/retention_schedule.ts";

const NOW = new Date("2024-03-01T00:00:00Z");

/** A client whose every use fails as a database outage would. */
const unreachable = Object.assign(() => Promise.reject(new Error("database gone")), {
  reserve: () => Promise.reject(new Error("database gone")),
}) as unknown as Sql;

/** Resolves after the schedule's 0 ms first-run timer has fired (timers fire in order). */
const firstRunStarted = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test(
  "scheduleRetention does nothing before its first run; stop clears its timers",
  async () => {
    const lines: unknown[] = [];
    const schedule = scheduleRetention(unreachable, 30, {
      exclusive: true,
      now: () => NOW,
      log: (_level, fields) => lines.push(fields),
    });
    await schedule.stop();
    assert.deepEqual(lines, []);
  },
);

Deno.test(
  "scheduleRetention logs a failed run as a warning and keeps the service up",
  async () => {
    const lines: { level: string; fields: Record<string, unknown> }[] = [];
    const schedule = scheduleRetention(
      unreachable,
      30,
      {
        exclusive: true,
        now: () => NOW,
        firstRunMs: 0,
        log: (level, fields) => {
          lines.push({ level, fields });
        },
      },
    );
    await firstRunStarted();
    await schedule.stop();
    assert.deepEqual(lines, [{
      level: "warn",
      fields: { msg: "raw event retention failed", error: "Error: database gone" },
    }]);
  },
);
