import assert from "node:assert/strict";
import { dbTestOptions } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";
import { flacFile, multipartBody, multipartType } from "../helpers/audio.ts";
import { ADMIN, appsPerStore, turnMeta, upload } from "../helpers/recordings.ts";
import { STORE_KINDS, type StoreUnderTest, testStores } from "../helpers/stores.ts";
import { ingestRecording } from "../../services/recording_ingest.ts";
import {
  eraseDeviceRecordings,
  ORPHAN_GRACE_MS,
  purgeOldRecordings,
  recordingMaintenance,
} from "../../services/recording_erasure.ts";
import { markParticipantRecordings } from "../../db/recordings.ts";

const db = testDatabase();
const stores = testStores();
const appFor = appsPerStore(db.sql);
const SESSION_AUDIO = "/internal/ingest/session_audio";
const HOUR = 3_600_000;

let tone: Uint8Array;
db.prepare(async () => {
  tone = await flacFile();
});

const keysOf = async (s: StoreUnderTest, prefix: string) =>
  (await Array.fromAsync(s.store.list(prefix))).map((o) => o.key);

async function rowCount(where: { participant?: string; device?: string; session?: string }) {
  const [row] = await db.sql<{ n: number }[]>`
    select count(*)::int as n from recordings
    where (${where.participant ?? null}::text is null or participant_id = ${
    where.participant ?? null
  })
      and (${where.device ?? null}::text is null or device_id = ${where.device ?? null})
      and (${where.session ?? null}::uuid is null or session_id = ${where.session ?? null}::uuid)`;
  return row.n;
}

/** Returns the request of an upload as `ingestRecording` takes it. */
function request(meta: unknown, file: Uint8Array) {
  const body = multipartBody(meta, file);
  return {
    body: new Response(body as Uint8Array<ArrayBuffer>).body,
    contentType: multipartType(),
    contentLength: String(body.length),
  };
}

for (const kind of STORE_KINDS) {
  Deno.test(
    `\`ingestRecording\` (${kind}) leaves no row when it dies between object and row; maintenance sweeps the object`,
    dbTestOptions,
    async () => {
      const s = stores.get(kind);
      const session = crypto.randomUUID();
      const device = `crash-${kind}`;
      const meta = turnMeta(session, 0, { device_id: device });
      const now = new Date();
      await assert.rejects(
        ingestRecording(
          {
            sql: db.sql,
            store: s.store,
            maxBytes: 10_000_000,
            now: () => now,
            afterStore: () => Promise.reject(new Error("process killed here")),
          },
          "session_audio",
          request(meta, tone),
        ),
        /process killed here/,
      );
      assert.equal(await rowCount({ session }), 0, "no row for an object without its commit");
      const prefix = `recordings/${device}/`;
      assert.equal((await keysOf(s, prefix)).length, 1, "the object was stored");
      // Within the grace period an object without a row stays (its upload may be under way).
      const early = await recordingMaintenance(db.sql, s.store, new Date());
      assert.equal(early.orphans_deleted, 0);
      assert.equal((await keysOf(s, prefix)).length, 1);
      const later = await recordingMaintenance(
        db.sql,
        s.store,
        new Date(Date.now() + ORPHAN_GRACE_MS + 60_000),
      );
      assert.ok(later.orphans_deleted >= 1);
      assert.deepEqual(await keysOf(s, prefix), []);
      // The device's retry then stores it normally.
      const t = appFor(s);
      assert.equal((await upload(t, SESSION_AUDIO, meta, tone)).status, 200);
      assert.equal(await rowCount({ session }), 1);
      assert.equal((await keysOf(s, prefix)).length, 1);
      // Maintenance never sweeps an object that has its row.
      await recordingMaintenance(db.sql, s.store, new Date(Date.now() + 10 * HOUR));
      assert.equal((await keysOf(s, prefix)).length, 1);
    },
  );

  Deno.test(
    `\`DELETE /admin/players/{id}\` (${kind}) removes the participant's recordings and counts them`,
    dbTestOptions,
    async () => {
      const s = stores.get(kind);
      const t = appFor(s);
      const device = `erase-${kind}`;
      const session = crypto.randomUUID();
      for (let turn = 0; turn < 3; turn++) {
        const meta = turnMeta(session, turn, { device_id: device, participant_id: `kid-${kind}` });
        assert.equal((await upload(t, SESSION_AUDIO, meta, tone)).status, 200);
      }
      const keep = turnMeta(crypto.randomUUID(), 0, { device_id: device, participant_id: "sib" });
      assert.equal((await upload(t, SESSION_AUDIO, keep, tone)).status, 200);
      assert.equal((await keysOf(s, `recordings/${device}/`)).length, 4);

      const res = await t.request(`/admin/players/kid-${kind}`, {
        method: "DELETE",
        headers: ADMIN,
      });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), {
        player_id: `kid-${kind}`,
        deleted: {
          raw_events: 0,
          sessions: 0,
          models: 0,
          engagement_sessions: 0,
          recordings: 3,
          device_links: 0,
        },
      });
      assert.equal(await rowCount({ participant: `kid-${kind}` }), 0);
      assert.equal(await rowCount({ participant: "sib" }) >= 1, true);
      assert.equal((await keysOf(s, `recordings/${device}/`)).length, 1);
      const manifest = await t.request(`/admin/sessions/${session}/recordings`, { headers: ADMIN });
      assert.equal(manifest.status, 404);
      await manifest.body?.cancel();
      // Again: nothing left.
      const again = await t.request(`/admin/players/kid-${kind}`, {
        method: "DELETE",
        headers: ADMIN,
      });
      assert.equal((await again.json()).deleted.recordings, 0);
    },
  );

  Deno.test(
    `\`recordingMaintenance\` (${kind}) finishes an erasure that crashed after marking its rows`,
    dbTestOptions,
    async () => {
      const s = stores.get(kind);
      const t = appFor(s);
      const device = `mark-${kind}`;
      const session = crypto.randomUUID();
      const meta = turnMeta(session, 0, { device_id: device, participant_id: `marked-${kind}` });
      const { url } = await (await upload(t, SESSION_AUDIO, meta, tone)).json();
      // The erasure's first step commits, then the process dies: rows marked, objects kept.
      const marked = await markParticipantRecordings(db.sql, `marked-${kind}`, new Date());
      assert.equal(marked.length, 1);
      const hidden = await t.request(url, { headers: ADMIN });
      assert.equal(hidden.status, 404, "a marked recording is no longer served");
      await hidden.body?.cancel();
      assert.equal((await keysOf(s, `recordings/${device}/`)).length, 1);
      const done = await recordingMaintenance(db.sql, s.store, new Date(Date.now() + 2 * HOUR));
      assert.ok(done.removals_finished >= 1);
      assert.deepEqual(await keysOf(s, `recordings/${device}/`), []);
      assert.equal(await rowCount({ participant: `marked-${kind}` }), 0);
    },
  );

  Deno.test(
    `\`eraseDeviceRecordings\` (${kind}) removes a device's recordings, objects then rows`,
    dbTestOptions,
    async () => {
      const s = stores.get(kind);
      const t = appFor(s);
      const device = `fleet-${kind}`;
      for (let turn = 0; turn < 2; turn++) {
        const meta = turnMeta(crypto.randomUUID(), turn, { device_id: device });
        assert.equal((await upload(t, SESSION_AUDIO, meta, tone)).status, 200);
      }
      const other = turnMeta(crypto.randomUUID(), 0, { device_id: `${device}-other` });
      assert.equal((await upload(t, SESSION_AUDIO, other, tone)).status, 200);
      assert.equal(await eraseDeviceRecordings(db.sql, s.store, device, new Date()), 2);
      assert.equal(await rowCount({ device }), 0);
      assert.deepEqual(await keysOf(s, `recordings/${device}/`), []);
      assert.equal(await rowCount({ device: `${device}-other` }), 1);
      assert.equal((await keysOf(s, `recordings/${device}-other/`)).length, 1);
      assert.equal(await eraseDeviceRecordings(db.sql, s.store, device, new Date()), 0);
    },
  );

  Deno.test(
    `DELETE /admin/devices/{device_id} (${kind}) also removes the device's recordings, counted`,
    dbTestOptions,
    async () => {
      const s = stores.get(kind);
      const t = appFor(s);
      const device = `erased-box-${kind}`;
      for (let turn = 0; turn < 3; turn++) {
        const meta = turnMeta(crypto.randomUUID(), turn, { device_id: device });
        assert.equal((await upload(t, SESSION_AUDIO, meta, tone)).status, 200);
      }
      const r = await t.request(`/admin/devices/${device}`, {
        method: "DELETE",
        headers: ADMIN,
      });
      assert.equal(r.status, 200);
      const body = await r.json();
      assert.equal(body.device_id, device);
      assert.equal(body.deleted.recordings, 3);
      assert.equal(await rowCount({ device }), 0);
      assert.deepEqual(await keysOf(s, `recordings/${device}/`), []);
    },
  );

  Deno.test(
    `\`purgeOldRecordings\` (${kind}) removes recordings past AUDIO_RETENTION_DAYS in bounded chunks`,
    dbTestOptions,
    async () => {
      const s = stores.get(kind);
      const t = appFor(s);
      const device = `old-${kind}`;
      // Move everything recorded so far out of the way of this retention run.
      await db.sql`update recordings set recorded_at = '2030-01-01T00:00:00Z'`;
      const days = ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04", "2026-01-05"];
      for (const [i, day] of days.entries()) {
        const meta = turnMeta(crypto.randomUUID(), i, {
          device_id: device,
          recorded_at: `${day}T12:00:00Z`,
        });
        assert.equal((await upload(t, SESSION_AUDIO, meta, tone)).status, 200);
      }
      // 30 days before 2026-02-03T12:00Z is 2026-01-04T12:00Z: the first three are older.
      const purge = await purgeOldRecordings(
        db.sql,
        s.store,
        30,
        new Date("2026-02-03T12:00:00Z"),
        2,
      );
      assert.deepEqual(purge, { cutoff: new Date("2026-01-04T12:00:00Z"), deleted: 3, chunks: 2 });
      assert.equal(await rowCount({ device }), 2);
      const left = await keysOf(s, `recordings/${device}/`);
      assert.deepEqual(left.map((k) => k.split("/").slice(2, 5).join("-")), [
        "2026-01-04",
        "2026-01-05",
      ]);
    },
  );
}

Deno.test(
  "`GET /admin/players/{id}/export` lists recordings with transcripts and download paths",
  dbTestOptions,
  async () => {
    const s = stores.get("filesystem");
    const t = appFor(s);
    const session = crypto.randomUUID();
    const meta = turnMeta(session, 2, {
      participant_id: "kid-export",
      transcript: "Tell me about volcanoes",
      activity_id: "science",
      role: "assistant",
    });
    const { recording_id, object_key } = await (await upload(t, SESSION_AUDIO, meta, tone)).json();
    const res = await t.request("/admin/players/kid-export/export", { headers: ADMIN });
    assert.equal(res.status, 200);
    const doc = await res.json();
    assert.deepEqual(doc.recordings, [{
      recording_id,
      session_id: session,
      turn_number: 2,
      role: "assistant",
      device_id: "companion-7f3a",
      activity_id: "science",
      recorded_at: "2026-02-28T22:30:00.000Z",
      duration_ms: 2500,
      codec: "flac",
      size_bytes: tone.length,
      sha256: doc.recordings[0].sha256,
      object_key,
      transcript: "Tell me about volcanoes",
      download_path: `/admin/recordings/${recording_id}/audio`,
    }]);
    assert.match(doc.recordings[0].sha256, /^[0-9a-f]{64}$/);
    const audio = await t.request(doc.recordings[0].download_path, { headers: ADMIN });
    assert.deepEqual(new Uint8Array(await audio.arrayBuffer()), tone);
  },
);

for (const kind of STORE_KINDS) {
  Deno.test(
    `\`ingestRecording\` (${kind}) refuses other content for a turn while one is being stored, and takes over an expired lease`,
    dbTestOptions,
    async () => {
      const s = stores.get(kind);
      const other = await flacFile({ frequency: 990 });
      const session = crypto.randomUUID();
      const meta = turnMeta(session, 0, { device_id: `lease-${kind}` });
      const now = new Date();
      let stored!: () => void;
      const isStored = new Promise<void>((resolve) => (stored = resolve));
      let proceed!: () => void;
      const held = new Promise<void>((resolve) => (proceed = resolve));
      const deps = { sql: db.sql, store: s.store, maxBytes: 10_000_000, now: () => now };
      // The first upload stops between its object and its row.
      const first = ingestRecording(
        {
          ...deps,
          afterStore: () => {
            stored();
            return held;
          },
        },
        "session_audio",
        request(meta, tone),
      );
      await isStored;
      await assert.rejects(
        ingestRecording(deps, "session_audio", request(meta, other)),
        /Different content for this turn is being stored right now/,
      );
      proceed();
      const done = await first;
      assert.equal(done.answer.duplicate, false);
      const t = appFor(s);
      const audio = await t.request(done.answer.url, { headers: ADMIN });
      assert.deepEqual(new Uint8Array(await audio.arrayBuffer()), tone);

      // A crash leaves the lease of turn 1; 16 minutes later it has expired and a retry stores.
      const crashed = turnMeta(session, 1, { device_id: `lease-${kind}` });
      await assert.rejects(
        ingestRecording(
          { ...deps, afterStore: () => Promise.reject(new Error("killed")) },
          "session_audio",
          request(crashed, other),
        ),
      );
      await db.sql`insert into recording_leases (lease_key, sha256, expires_at)
        values (${`turn:${session}:1:user`}, ${"f".repeat(64)}, ${new Date(
        now.getTime() + 900_000,
      )})
        on conflict (lease_key) do update set sha256 = excluded.sha256,
          expires_at = excluded.expires_at`;
      await assert.rejects(
        ingestRecording(deps, "session_audio", request(crashed, tone)),
        /being stored right now/,
      );
      const later = new Date(now.getTime() + 16 * 60_000);
      const retried = await ingestRecording(
        { ...deps, now: () => later },
        "session_audio",
        request(crashed, tone),
      );
      assert.equal(retried.answer.duplicate, false);
      assert.equal(await rowCount({ session }), 2);
    },
  );
}
