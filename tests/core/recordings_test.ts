import assert from "node:assert/strict";
import { parseByteRange } from "../../core/byte_range.ts";
import {
  buildManifest,
  keySegment,
  legacyKey,
  type ManifestRow,
  sessionTurnKey,
} from "../../core/recordings.ts";

const SESSION = "5f0e8d6c-1b2a-4c3d-9e8f-7a6b5c4d3e2f";

Deno.test("`sessionTurnKey` uses the UTC date of recorded_at and a two-digit turn", () => {
  // 00:30 at +02:00 is still the previous day in UTC.
  const at = new Date("2026-03-01T00:30:00+02:00");
  assert.equal(
    sessionTurnKey("companion-7f3a", at, SESSION, 3, "user"),
    `recordings/companion-7f3a/2026/02/28/${SESSION}/03_user.flac`,
  );
  assert.equal(
    sessionTurnKey("d", new Date("2026-12-31T23:59:59Z"), SESSION, 120, "assistant"),
    `recordings/d/2026/12/31/${SESSION}/120_assistant.flac`,
  );
});

Deno.test("`legacyKey` names the object by recording id and codec extension", () => {
  const at = new Date("2026-07-04T12:00:00Z");
  assert.equal(legacyKey("d1", at, "abc", "flac"), "recordings/d1/2026/07/04/abc.flac");
  assert.equal(legacyKey("d1", at, "abc", "opus"), "recordings/d1/2026/07/04/abc.ogg");
});

Deno.test("`keySegment` keeps safe characters and encodes slashes, dots-only and the rest", () => {
  assert.equal(keySegment("esp32-A_b.c"), "esp32-A_b.c");
  assert.equal(keySegment("../x"), "..%2Fx");
  assert.equal(keySegment(".."), "%2E%2E");
  assert.equal(keySegment("a b/é"), "a%20b%2F%C3%A9");
});

function row(
  turn: number,
  role: "user" | "assistant",
  over: Partial<ManifestRow> = {},
): ManifestRow {
  return {
    recording_id: `r-${turn}-${role}`,
    device_id: "dev",
    participant_id: "kid-1",
    activity_id: null,
    turn_number: turn,
    role,
    object_key: `k/${turn}_${role}`,
    duration_ms: 1000 * (turn + 1),
    transcript: null,
    recorded_at: new Date(Date.UTC(2026, 0, 1, 10, 0, turn)),
    ...over,
  };
}

Deno.test("`buildManifest` groups turns by number with both roles, from rows in any order", () => {
  const manifest = buildManifest(SESSION, [
    row(1, "assistant", { transcript: "Hello!" }),
    row(0, "user", { activity_id: "story" }),
    row(1, "user"),
  ]);
  assert.deepEqual(manifest, {
    session_id: SESSION,
    device_id: "dev",
    participant_id: "kid-1",
    started_at: "2026-01-01T10:00:00.000Z",
    turn_count: 2,
    total_duration_ms: 1000 + 2000 + 2000,
    turns: [
      {
        turn: 0,
        activity_id: "story",
        user: {
          audio_filepath: "k/0_user",
          duration_ms: 1000,
          recording_id: "r-0-user",
          audio_url: "/admin/recordings/r-0-user/audio",
        },
      },
      {
        turn: 1,
        user: {
          audio_filepath: "k/1_user",
          duration_ms: 2000,
          recording_id: "r-1-user",
          audio_url: "/admin/recordings/r-1-user/audio",
        },
        assistant: {
          audio_filepath: "k/1_assistant",
          duration_ms: 2000,
          text: "Hello!",
          recording_id: "r-1-assistant",
          audio_url: "/admin/recordings/r-1-assistant/audio",
        },
      },
    ],
  });
  assert.equal(buildManifest(SESSION, []), null);
});

Deno.test("`parseByteRange` reads one range, clamps the end and refuses a start past the file", () => {
  assert.deepEqual(parseByteRange("bytes=0-9", 100), { start: 0, end: 9 });
  assert.deepEqual(parseByteRange("bytes=90-", 100), { start: 90, end: 99 });
  assert.deepEqual(parseByteRange("bytes=90-500", 100), { start: 90, end: 99 });
  assert.deepEqual(parseByteRange("bytes=-10", 100), { start: 90, end: 99 });
  assert.deepEqual(parseByteRange("bytes=-500", 100), { start: 0, end: 99 });
  assert.equal(parseByteRange("bytes=100-", 100), "unsatisfiable");
  assert.equal(parseByteRange("bytes=-0", 100), "unsatisfiable");
  assert.equal(parseByteRange(undefined, 100), null);
  assert.equal(parseByteRange("bytes=5-2", 100), null);
  assert.equal(parseByteRange("bytes=0-1,5-6", 100), null);
  assert.equal(parseByteRange("items=0-1", 100), null);
});
