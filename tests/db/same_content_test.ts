/**
 * "Same content" has one meaning: `sameAttemptContent` (core, used within one request) and the
 * ingest statement's SQL rule (`sameContentInDatabase`) give the same answer for every pair.
 */
import assert from "node:assert/strict";
import { sameAttemptContent } from "../../core/attempt.ts";
import { type EventRow, sameContentInDatabase } from "../../db/events.ts";
import { dbTestOptions } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";

const db = testDatabase();

const base: EventRow = {
  player_id: "p-same",
  session_id: "s-same",
  task_version: "earth_v1",
  sequence_index: 1,
  sequence_length: 3,
  attempt_index: 1,
  presented: [1, 2, "three"],
  input: [1, 2, 3],
  is_correct: true,
  duration_ms: 1500,
  ts_utc: new Date("2026-11-20T10:00:01.000Z"),
  remediation_stage: "none",
  volts_count: null,
  company_id: null,
};

/** [name, changes to the resend, expected: same content?] */
const PAIRS: [string, Partial<EventRow>, boolean][] = [
  ["identical", {}, true],
  ["a number sent as a string", { input: [1, "2", 3] }, false],
  ["one item fewer", { input: [1, 2] }, false],
  ["array in another order", { input: [3, 2, 1] }, false],
  ["presented differs", { presented: [1, 2, "four"] }, false],
  ["duration differs", { duration_ms: 1501 }, false],
  ["timestamp 1 ms later", { ts_utc: new Date("2026-11-20T10:00:01.001Z") }, false],
  ["volts 0 instead of none", { volts_count: 0 }, false],
  ["a company instead of none", { company_id: "c_000000000000" }, false],
  ["another player", { player_id: "p-other" }, false],
  ["another task version", { task_version: "water_v1" }, false],
  ["another sequence length", { sequence_length: 4 }, false],
  ["wrong instead of right", { is_correct: false }, false],
  ["another remediation stage", { remediation_stage: "volts" }, false],
];

Deno.test(
  "sameAttemptContent agrees with sameContentInDatabase on every pair",
  dbTestOptions,
  async () => {
    for (const [name, changes, expected] of PAIRS) {
      const resend = { ...base, ...changes };
      assert.equal(sameAttemptContent(base, resend), expected, `core, ${name}`);
      assert.equal(await sameContentInDatabase(db.sql, base, resend), expected, `SQL, ${name}`);
    }
  },
);
