import assert from "node:assert/strict";
import { dbTestOptions } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";
import { flacFile } from "../helpers/audio.ts";
import { appsPerStore, turnMeta, upload } from "../helpers/recordings.ts";
import { testStores } from "../helpers/stores.ts";
import { scheduleRecordingUpkeep } from "../../services/recording_schedule.ts";

const db = testDatabase();
const stores = testStores();
const appFor = appsPerStore(db.sql);

Deno.test(
  "`scheduleRecordingUpkeep` purges past the retention on its first run and logs the counts",
  dbTestOptions,
  async () => {
    const s = stores.get("filesystem");
    const t = appFor(s);
    const tone = await flacFile();
    for (const [turn, at] of [[0, "2026-01-01T00:00:00Z"], [1, "2026-06-01T00:00:00Z"]] as const) {
      const meta = turnMeta(crypto.randomUUID(), turn, { recorded_at: at, device_id: "sched" });
      assert.equal((await upload(t, "/internal/ingest/session_audio", meta, tone)).status, 200);
    }
    const lines: Record<string, unknown>[] = [];
    let ran!: () => void;
    const done = new Promise<void>((resolve) => (ran = resolve));
    const upkeep = scheduleRecordingUpkeep(db.sql, s.store, {
      retentionDays: 100,
      now: () => new Date("2026-06-02T00:00:00Z"),
      firstRunMs: 0,
      log: (level, fields) => {
        lines.push({ level, ...fields });
        if (fields.msg === "recording maintenance") ran();
      },
    });
    await done;
    await upkeep.stop();
    assert.deepEqual(lines[0], {
      level: "info",
      msg: "recording retention",
      cutoff: "2026-02-22T00:00:00.000Z",
      deleted: 1,
    });
    assert.equal(lines[1].msg, "recording maintenance");
    const [{ n }] = await db.sql<{ n: number }[]>`
    select count(*)::int as n from recordings where device_id = 'sched'`;
    assert.equal(n, 1);
  },
);

Deno.test(
  "`scheduleRecordingUpkeep` logs one warning when a run fails",
  dbTestOptions,
  async () => {
    const lines: Record<string, unknown>[] = [];
    let failed!: () => void;
    const done = new Promise<void>((resolve) => (failed = resolve));
    const broken = {
      ...stores.get("filesystem").store,
      // deno-lint-ignore require-yield
      async *list() {
        throw new Error("store down");
      },
    };
    const upkeep = scheduleRecordingUpkeep(db.sql, broken, {
      retentionDays: null,
      firstRunMs: 0,
      log: (level, fields) => {
        lines.push({ level, ...fields });
        failed();
      },
    });
    await done;
    await upkeep.stop();
    assert.deepEqual(lines, [{
      level: "warn",
      msg: "recording upkeep failed",
      error: "Error: store down",
    }]);
  },
);
