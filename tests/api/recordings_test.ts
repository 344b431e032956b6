import assert from "node:assert/strict";
import { dbTestOptions } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";
import { flacFile, multipartBody, multipartType, opusFile, sha256Hex } from "../helpers/audio.ts";
import {
  ADMIN,
  appsPerStore,
  chunked,
  INGEST,
  spoolLeft,
  turnMeta,
  upload,
} from "../helpers/recordings.ts";
import { STORE_KINDS, type StoreUnderTest, testStores } from "../helpers/stores.ts";

const db = testDatabase();
const stores = testStores();
const appFor = appsPerStore(db.sql, { AUDIO_MAX_BYTES: String(300 * 1024) });

const SESSION_AUDIO = "/internal/ingest/session_audio";
const LEGACY = "/internal/ingest/audio";

let tone: Uint8Array;
let otherTone: Uint8Array;
let opus: Uint8Array;
db.prepare(async () => {
  tone = await flacFile({ rate: 16000, channels: 1, bits: 16, samples: 40000 });
  otherTone = await flacFile({ frequency: 660 });
  opus = await opusFile();
});

async function rowsOf(session: string) {
  return [
    ...await db.sql<
      {
        turn_number: number;
        role: string;
        object_key: string;
        size_bytes: number;
        sha256: string;
        sample_rate: number | null;
        channels: number | null;
        bits_per_sample: number | null;
        file_duration_ms: number | null;
        duration_warning: string | null;
        codec: string;
      }[]
    >`select turn_number, role, object_key, size_bytes::int as size_bytes, sha256, sample_rate,
      channels, bits_per_sample, file_duration_ms, duration_warning, codec
    from recordings where session_id = ${session}::uuid order by turn_number, role`,
  ];
}

async function objectsUnder(s: StoreUnderTest, prefix: string): Promise<string[]> {
  return (await Array.fromAsync(s.store.list(prefix))).map((o) => o.key);
}

const newSession = () => crypto.randomUUID();

for (const kind of STORE_KINDS) {
  Deno.test(
    `\`POST /internal/ingest/session_audio\` (${kind}) stores a FLAC turn with its STREAMINFO`,
    dbTestOptions,
    async () => {
      const s = stores.get(kind);
      const t = appFor(s);
      const session = newSession();
      const sha = await sha256Hex(tone);
      // Streamed in 1000-byte chunks: part boundaries fall across chunks.
      const res = await upload(t, SESSION_AUDIO, turnMeta(session, 3, { sha256: sha }), tone, {
        chunk: 1000,
      });
      assert.equal(res.status, 200);
      const body = await res.json();
      const key = `recordings/companion-7f3a/2026/02/28/${session}/03_user.flac`;
      assert.deepEqual(body, {
        success: true,
        url: `/admin/recordings/${body.recording_id}/audio`,
        manifest_url: `/admin/sessions/${session}/recordings`,
        recording_id: body.recording_id,
        object_key: key,
        duplicate: false,
        duration_warning: null,
      });
      assert.deepEqual(await rowsOf(session), [{
        turn_number: 3,
        role: "user",
        object_key: key,
        size_bytes: tone.length,
        sha256: sha,
        sample_rate: 16000,
        channels: 1,
        bits_per_sample: 16,
        file_duration_ms: 2500,
        duration_warning: null,
        codec: "flac",
      }]);
      assert.deepEqual(await objectsUnder(s, `recordings/companion-7f3a/2026/02/28/${session}/`), [
        key,
      ]);
      const audio = await t.request(body.url, { headers: ADMIN });
      assert.equal(audio.status, 200);
      assert.equal(audio.headers.get("content-type"), "audio/flac");
      assert.equal(audio.headers.get("cache-control"), "no-store");
      assert.equal(audio.headers.get("accept-ranges"), "bytes");
      assert.equal(audio.headers.get("content-length"), String(tone.length));
      assert.deepEqual(new Uint8Array(await audio.arrayBuffer()), tone);
      assert.deepEqual(await spoolLeft(s), []);
    },
  );

  Deno.test(
    `\`POST /internal/ingest/session_audio\` (${kind}) answers a resend with the same URLs and other content with 409`,
    dbTestOptions,
    async () => {
      const s = stores.get(kind);
      const t = appFor(s);
      const session = newSession();
      const first = await (await upload(t, SESSION_AUDIO, turnMeta(session, 0), tone)).json();
      const again = await upload(t, SESSION_AUDIO, turnMeta(session, 0), tone, { fileFirst: true });
      assert.equal(again.status, 200);
      assert.deepEqual(await again.json(), { ...first, duplicate: true });
      const other = await upload(t, SESSION_AUDIO, turnMeta(session, 0), otherTone);
      assert.equal(other.status, 409);
      assert.deepEqual(await other.json(), {
        detail: "Different content is already stored for this turn (session_id, turn_number, role)",
      });
      // The stored object is still the first content.
      const audio = await t.request(first.url, { headers: ADMIN });
      assert.deepEqual(new Uint8Array(await audio.arrayBuffer()), tone);
      assert.equal((await rowsOf(session)).length, 1);
      // The same turn as the assistant is another recording.
      const assistant = await upload(
        t,
        SESSION_AUDIO,
        turnMeta(session, 0, { role: "assistant" }),
        otherTone,
      );
      assert.equal(assistant.status, 200);
      assert.equal(
        (await assistant.json()).object_key,
        `recordings/companion-7f3a/2026/02/28/${session}/00_assistant.flac`,
      );
      assert.deepEqual(await spoolLeft(s), []);
    },
  );

  Deno.test(
    `\`POST /internal/ingest/session_audio\` (${kind}) refuses a wrong sha256 with 422, keeping nothing`,
    dbTestOptions,
    async () => {
      const s = stores.get(kind);
      const t = appFor(s);
      const session = newSession();
      const wrong = await sha256Hex(otherTone);
      const res = await upload(t, SESSION_AUDIO, turnMeta(session, 1, { sha256: wrong }), tone);
      assert.equal(res.status, 422);
      assert.deepEqual(await res.json(), {
        detail: "sha256 does not match the received file (nothing was kept)",
      });
      assert.deepEqual(await rowsOf(session), []);
      assert.deepEqual(
        await objectsUnder(s, `recordings/companion-7f3a/2026/02/28/${session}/`),
        [],
      );
      assert.deepEqual(await spoolLeft(s), []);
      // Upper-case hex of the right digest is accepted.
      const ok = await upload(
        t,
        SESSION_AUDIO,
        turnMeta(session, 1, { sha256: (await sha256Hex(tone)).toUpperCase() }),
        tone,
      );
      assert.equal(ok.status, 200);
    },
  );

  Deno.test(
    `\`POST /internal/ingest/session_audio\` (${kind}) answers 413 over AUDIO_MAX_BYTES, storing nothing`,
    dbTestOptions,
    async () => {
      const s = stores.get(kind);
      const t = appFor(s);
      const session = newSession();
      const big = await flacFile({ kind: "whitenoise", samples: 16000 * 12 });
      assert.ok(big.length > 300 * 1024, `a test file over the cap (${big.length})`);
      // Declared length over the cap: refused before reading.
      const declared = await upload(t, SESSION_AUDIO, turnMeta(session, 2), big);
      assert.equal(declared.status, 413);
      assert.deepEqual(await declared.json(), {
        detail: "Audio upload too large (limit 307200 bytes)",
      });
      // Streamed without a length: refused once the count passes the cap.
      const streamed = await upload(t, SESSION_AUDIO, turnMeta(session, 2), big, { chunk: 8192 });
      assert.equal(streamed.status, 413);
      await streamed.body?.cancel();
      assert.deepEqual(await rowsOf(session), []);
      assert.deepEqual(
        await objectsUnder(s, `recordings/companion-7f3a/2026/02/28/${session}/`),
        [],
      );
      assert.deepEqual(await spoolLeft(s), []);
    },
  );

  Deno.test(
    `\`POST /internal/ingest/audio\` (${kind}) stores Ogg/Opus under the recording id and refuses a wrong signature with 415`,
    dbTestOptions,
    async () => {
      const s = stores.get(kind);
      const t = appFor(s);
      const session = newSession();
      const recordingId = crypto.randomUUID();
      const meta = turnMeta(session, 4, {
        codec: "opus",
        recording_id: recordingId,
        recorded_at: "2026-07-04T23:59:59Z",
      });
      const res = await upload(t, LEGACY, meta, opus);
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.deepEqual(body, {
        success: true,
        url: `/admin/recordings/${recordingId}/audio`,
        recording_id: recordingId,
        object_key: `recordings/companion-7f3a/2026/07/04/${recordingId}.ogg`,
        duplicate: false,
        duration_warning: null,
      });
      const audio = await t.request(body.url, { headers: ADMIN });
      assert.equal(audio.headers.get("content-type"), "audio/ogg");
      assert.deepEqual(new Uint8Array(await audio.arrayBuffer()), opus);
      const [row] = await rowsOf(session);
      assert.deepEqual([row.codec, row.sample_rate, row.file_duration_ms], ["opus", null, null]);

      // FLAC content sent as Opus, and Opus sent to the FLAC-only endpoint: 415.
      const wrong = await upload(t, LEGACY, turnMeta(session, 5, { codec: "opus" }), tone);
      assert.equal(wrong.status, 415);
      assert.deepEqual(await wrong.json(), {
        detail: "The file does not start with the Ogg signature (OggS)",
      });
      const notFlac = await upload(t, SESSION_AUDIO, turnMeta(session, 5), opus);
      assert.equal(notFlac.status, 415);
      assert.deepEqual(await notFlac.json(), {
        detail: "The file does not start with the FLAC signature (fLaC)",
      });
      // The default codec of the older endpoint is FLAC, named by .flac.
      const flac = await (await upload(t, LEGACY, turnMeta(session, 6), tone)).json();
      assert.match(
        flac.object_key,
        /^recordings\/companion-7f3a\/2026\/02\/28\/[0-9a-f-]{36}\.flac$/,
      );
      assert.equal((await rowsOf(session)).length, 2);
      assert.deepEqual(await spoolLeft(s), []);
    },
  );
}

Deno.test(
  "`POST /internal/ingest/session_audio` records a duration more than 1 s off as a warning",
  dbTestOptions,
  async () => {
    const t = appFor(stores.get("filesystem"));
    const session = newSession();
    const within = await upload(
      t,
      SESSION_AUDIO,
      turnMeta(session, 0, { duration_ms: 3500 }),
      tone,
    );
    assert.equal((await within.json()).duration_warning, null);
    const off = await upload(t, SESSION_AUDIO, turnMeta(session, 1, { duration_ms: 3501 }), tone);
    assert.equal(off.status, 200);
    const warning = "duration_ms 3501 differs from the file's 2500 ms by more than 1000 ms";
    assert.equal((await off.json()).duration_warning, warning);
    assert.deepEqual((await rowsOf(session)).map((r) => r.duration_warning), [null, warning]);
  },
);

Deno.test(
  "`POST /internal/ingest/session_audio` refuses bad metadata and bodies with 400",
  dbTestOptions,
  async () => {
    const s = stores.get("filesystem");
    const t = appFor(s);
    const session = newSession();
    const cases: [unknown, Uint8Array | null, string][] = [
      [turnMeta(session, 0, { role: "moderator" }), tone, "metadata.role: "],
      [
        turnMeta(session, 0, { recorded_at: "2026-03-01T00:30:00" }),
        tone,
        "metadata.recorded_at: ",
      ],
      [turnMeta(session, 10_001), tone, "metadata.turn_number: "],
      [turnMeta("not-a-uuid", 0), tone, "metadata.session_id: Must be a UUID"],
      [turnMeta(session, 0, { device_id: "" }), tone, "metadata.device_id: "],
      [turnMeta(session, 0, { activity_id: "a".repeat(101) }), tone, "metadata.activity_id: "],
      [turnMeta(session, 0, { sha256: "abc" }), tone, "metadata.sha256: Must be 64 hex characters"],
      ["{not json", tone, "metadata is not valid JSON"],
      [turnMeta(session, 0), null, 'The multipart body needs a "file" part'],
    ];
    for (const [meta, file, message] of cases) {
      const res = await upload(t, SESSION_AUDIO, meta, file);
      assert.equal(res.status, 400, message);
      const { detail } = await res.json();
      assert.ok(detail.startsWith(message), `${detail} should start with ${message}`);
    }
    const noBoundary = await t.request(SESSION_AUDIO, {
      method: "POST",
      headers: { ...INGEST, "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(noBoundary.status, 400);
    assert.deepEqual(await noBoundary.json(), {
      detail: "Content-Type must be multipart/form-data",
    });
    // A body cut before its closing delimiter.
    const whole = multipartBody(turnMeta(session, 0), tone);
    const cut = await t.request(SESSION_AUDIO, {
      method: "POST",
      headers: { ...INGEST, "content-type": multipartType() },
      body: whole.slice(0, whole.length - 40),
    });
    assert.equal(cut.status, 400);
    assert.deepEqual(await cut.json(), {
      detail: "Multipart body ended before its closing boundary",
    });
    // The role defaults to user.
    const meta: Record<string, unknown> = turnMeta(session, 7);
    delete meta.role;
    const ok = await (await upload(t, SESSION_AUDIO, meta, tone)).json();
    assert.match(ok.object_key, /\/07_user\.flac$/);
    assert.deepEqual((await rowsOf(session)).length, 1);
    assert.deepEqual(await spoolLeft(s), []);
  },
);

Deno.test(
  "`POST /internal/ingest/session_audio` needs the ingest token before reading the body",
  dbTestOptions,
  async () => {
    const t = appFor(stores.get("filesystem"));
    const session = newSession();
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled++;
        c.enqueue(new Uint8Array(1024));
      },
    });
    const res = await t.request(SESSION_AUDIO, {
      method: "POST",
      headers: { "content-type": multipartType() },
      body,
      duplex: "half",
    } as RequestInit);
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), { detail: "Missing Authorization header" });
    assert.ok(pulled <= 1, `pulled ${pulled} chunks`);
    await body.cancel().catch(() => {});
    const wrong = await upload(t, SESSION_AUDIO, turnMeta(session, 0), tone, {
      headers: { authorization: "Bearer nope" },
    });
    assert.equal(wrong.status, 401);
    assert.deepEqual(await rowsOf(session), []);
  },
);

for (const kind of STORE_KINDS) {
  Deno.test(
    `\`GET /admin/sessions/{id}/recordings\` (${kind}) holds every turn of parallel uploads of one session`,
    dbTestOptions,
    async () => {
      const s = stores.get(kind);
      const t = appFor(s);
      const session = newSession();
      const turns = 12;
      const uploads = [];
      for (let turn = 0; turn < turns; turn++) {
        for (const role of ["user", "assistant"]) {
          uploads.push(upload(
            t,
            SESSION_AUDIO,
            turnMeta(session, turn, {
              role,
              duration_ms: 2500 + turn,
              activity_id: turn === 0 ? "story-time" : undefined,
              transcript: role === "assistant" ? `answer ${turn}` : undefined,
              recorded_at: new Date(Date.UTC(2026, 2, 1, 8, 0, turn)).toISOString(),
            }),
            role === "user" ? tone : otherTone,
            { chunk: 4096 },
          ));
        }
      }
      const answers = await Promise.all(uploads);
      assert.deepEqual(answers.map((r) => r.status), Array(turns * 2).fill(200));
      await Promise.all(answers.map((r) => r.body?.cancel()));

      const res = await t.request(`/admin/sessions/${session}/recordings`, { headers: ADMIN });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("cache-control"), "no-store");
      const manifest = await res.json();
      assert.equal(manifest.session_id, session);
      assert.equal(manifest.device_id, "companion-7f3a");
      assert.equal(manifest.participant_id, "kid-ana");
      assert.equal(manifest.started_at, "2026-03-01T08:00:00.000Z");
      assert.equal(manifest.turn_count, 12);
      // Σ over 12 turns of 2 × (2500 + turn) = 24·2500 + 2·66.
      assert.equal(manifest.total_duration_ms, 60_132);
      assert.deepEqual(manifest.turns.map((x: { turn: number }) => x.turn), [...Array(12).keys()]);
      const day = `recordings/companion-7f3a/2026/03/01/${session}`;
      assert.deepEqual(manifest.turns[0].activity_id, "story-time");
      assert.deepEqual(manifest.turns[5].user.audio_filepath, `${day}/05_user.flac`);
      assert.deepEqual(manifest.turns[5].assistant.audio_filepath, `${day}/05_assistant.flac`);
      assert.deepEqual(manifest.turns[5].assistant.text, "answer 5");
      assert.equal(manifest.turns[5].user.text, undefined);
      assert.equal(manifest.turns[11].user.duration_ms, 2511);
      assert.equal((await objectsUnder(s, `${day}/`)).length, 24);

      const index = await (await t.request("/admin/participants/kid-ana/recordings", {
        headers: ADMIN,
      })).json();
      const entry = index.sessions.find((x: { session_id: string }) => x.session_id === session);
      assert.deepEqual(entry, {
        session_id: session,
        device_id: "companion-7f3a",
        started_at: "2026-03-01T08:00:00.000Z",
        manifest_path: `/admin/sessions/${session}/recordings`,
        turn_count: 12,
        total_duration_ms: 60_132,
      });
    },
  );
}

Deno.test(
  "`GET /admin/participants/{id}/recordings` answers the index of every session",
  dbTestOptions,
  async () => {
    const t = appFor(stores.get("filesystem"));
    const [a, b] = [newSession(), newSession()];
    const meta = (session: string, turn: number, at: string, ms: number) =>
      turnMeta(session, turn, { participant_id: "kid-index", recorded_at: at, duration_ms: ms });
    for (
      const m of [
        meta(b, 0, "2026-05-02T10:00:00Z", 1000),
        meta(a, 0, "2026-05-01T10:00:00Z", 2000),
        meta(a, 1, "2026-05-01T10:01:00Z", 2600),
      ]
    ) {
      assert.equal((await upload(t, SESSION_AUDIO, m, tone)).status, 200);
    }
    const res = await t.request("/admin/participants/kid-index/recordings", { headers: ADMIN });
    assert.deepEqual(await res.json(), {
      participant_id: "kid-index",
      session_count: 2,
      total_duration_ms: 5600,
      sessions: [
        {
          session_id: a,
          device_id: "companion-7f3a",
          started_at: "2026-05-01T10:00:00.000Z",
          manifest_path: `/admin/sessions/${a}/recordings`,
          turn_count: 2,
          total_duration_ms: 4600,
        },
        {
          session_id: b,
          device_id: "companion-7f3a",
          started_at: "2026-05-02T10:00:00.000Z",
          manifest_path: `/admin/sessions/${b}/recordings`,
          turn_count: 1,
          total_duration_ms: 1000,
        },
      ],
    });
    assert.deepEqual(
      await (await t.request("/admin/participants/nobody/recordings", { headers: ADMIN })).json(),
      { participant_id: "nobody", session_count: 0, total_duration_ms: 0, sessions: [] },
    );
    const line = t.logs.map((l) => JSON.parse(l)).find((l) =>
      l.path === "/admin/participants/{participant_id}/recordings"
    );
    assert.ok(line && typeof line.participant_hash === "string");
    assert.ok(!t.logs.some((l) => l.includes("kid-index")), "the raw participant id is not logged");
  },
);

for (const kind of STORE_KINDS) {
  Deno.test(
    `\`GET /admin/recordings/{id}/audio\` (${kind}) serves byte ranges`,
    dbTestOptions,
    async () => {
      const t = appFor(stores.get(kind));
      const { url } = await (await upload(t, SESSION_AUDIO, turnMeta(newSession(), 0), tone))
        .json();
      const part = await t.request(url, { headers: { ...ADMIN, range: "bytes=4-41" } });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get("content-range"), `bytes 4-41/${tone.length}`);
      assert.equal(part.headers.get("content-length"), "38");
      assert.equal(part.headers.get("cache-control"), "no-store");
      assert.deepEqual(new Uint8Array(await part.arrayBuffer()), tone.slice(4, 42));
      const tail = await t.request(url, { headers: { ...ADMIN, range: "bytes=-10" } });
      assert.deepEqual(new Uint8Array(await tail.arrayBuffer()), tone.slice(tone.length - 10));
      const beyond = await t.request(url, {
        headers: { ...ADMIN, range: `bytes=${tone.length}-` },
      });
      assert.equal(beyond.status, 416);
      await beyond.body?.cancel();
    },
  );
}

Deno.test(
  "admin recording reads need the admin key and answer 404 for unknown ids",
  dbTestOptions,
  async () => {
    const t = appFor(stores.get("filesystem"));
    const session = newSession();
    const { url } = await (await upload(t, SESSION_AUDIO, turnMeta(session, 0), tone)).json();
    for (
      const path of [
        url,
        `/admin/sessions/${session}/recordings`,
        "/admin/participants/kid-ana/recordings",
      ]
    ) {
      const none = await t.request(path);
      assert.equal(none.status, 401, path);
      await none.body?.cancel();
      const wrong = await t.request(path, { headers: { "x-admin-key": "wrong" } });
      assert.equal(wrong.status, 403, path);
      await wrong.body?.cancel();
    }
    const unknown = await t.request(`/admin/recordings/${crypto.randomUUID()}/audio`, {
      headers: ADMIN,
    });
    assert.equal(unknown.status, 404);
    assert.deepEqual(await unknown.json(), { detail: "No such recording" });
    const noSession = await t.request(`/admin/sessions/${newSession()}/recordings`, {
      headers: ADMIN,
    });
    assert.equal(noSession.status, 404);
    assert.deepEqual(await noSession.json(), { detail: "No recordings for this session" });
  },
);

Deno.test(
  "uploads log neither the transcript nor the participant id, and count in /metrics",
  dbTestOptions,
  async () => {
    const s = stores.get("filesystem");
    const t = appFor(s);
    const session = newSession();
    const before = await (await t.request("/metrics")).text();
    const count = (text: string, outcome: string) =>
      Number(
        new RegExp(`etl_recording_uploads_total\\{outcome="${outcome}"\\} (\\d+)`).exec(text)
          ?.[1] ?? 0,
      );
    const bytes = (text: string) => Number(/etl_recording_bytes_stored_total (\d+)/.exec(text)![1]);
    const meta = turnMeta(session, 0, {
      participant_id: "kid-secret-name",
      transcript: "my address is 12 Secret Street",
    });
    assert.equal((await upload(t, SESSION_AUDIO, meta, tone)).status, 200);
    assert.equal((await upload(t, SESSION_AUDIO, meta, tone)).status, 200);
    assert.equal((await upload(t, SESSION_AUDIO, meta, otherTone)).status, 409);
    assert.equal(
      (await upload(t, SESSION_AUDIO, { ...meta, turn_number: 1, sha256: "0".repeat(64) }, tone))
        .status,
      422,
    );
    const after = await (await t.request("/metrics")).text();
    assert.equal(count(after, "stored") - count(before, "stored"), 1);
    assert.equal(count(after, "duplicate") - count(before, "duplicate"), 1);
    assert.equal(count(after, "conflict") - count(before, "conflict"), 1);
    assert.equal(count(after, "checksum_mismatch") - count(before, "checksum_mismatch"), 1);
    assert.equal(bytes(after) - bytes(before), tone.length);
    const logs = t.logs.join("\n");
    assert.ok(!logs.includes("Secret Street"), "no transcript in the log");
    assert.ok(!logs.includes("kid-secret-name"), "no raw participant id in the log");
    const stored = t.logs.map((l) => JSON.parse(l)).filter((l) => l.upload === "stored");
    assert.ok(stored.some((l) => /^[0-9a-f]{16}$/.test(l.participant_hash)));
  },
);

Deno.test(
  "`chunked` bodies of one byte still parse (boundaries split everywhere)",
  dbTestOptions,
  async () => {
    const t = appFor(stores.get("filesystem"));
    const session = newSession();
    const small = tone.slice(0, 2000); // a FLAC head with STREAMINFO is all the parser needs
    const res = await t.request(SESSION_AUDIO, {
      method: "POST",
      headers: { ...INGEST, "content-type": multipartType() },
      body: chunked(multipartBody(turnMeta(session, 0), small), 1),
      duplex: "half",
    } as RequestInit);
    assert.equal(res.status, 200);
    const { url } = await res.json();
    const back = await t.request(url, { headers: ADMIN });
    assert.deepEqual(new Uint8Array(await back.arrayBuffer()), small);
  },
);

Deno.test(
  "`POST /internal/ingest/session_audio` answers 400 for a body that breaks off, keeping nothing",
  dbTestOptions,
  async () => {
    const s = stores.get("filesystem");
    const t = appFor(s);
    const session = newSession();
    const whole = multipartBody(turnMeta(session, 0), tone);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent > 0) return c.error(new Error("connection reset"));
        sent++;
        c.enqueue(whole.slice(0, 3000));
      },
    });
    const res = await t.request(SESSION_AUDIO, {
      method: "POST",
      headers: { ...INGEST, "content-type": multipartType() },
      body,
      duplex: "half",
    } as RequestInit);
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { detail: "The upload was cut off before its end" });
    assert.deepEqual(await rowsOf(session), []);
    assert.deepEqual(await spoolLeft(s), []);
  },
);

Deno.test(
  "`POST /internal/ingest/session_audio` refuses metadata that is not valid UTF-8",
  dbTestOptions,
  async () => {
    const s = stores.get("filesystem");
    const t = appFor(s);
    const session = newSession();
    const valid = multipartBody(turnMeta(session, 0, { transcript: "caf\u00e9" }), tone);
    // Replace the two bytes of "é" (C3 A9) by a lone continuation byte and a space: not UTF-8.
    const at = valid.findIndex((b, i) => b === 0xc3 && valid[i + 1] === 0xa9);
    const broken = valid.slice();
    broken[at] = 0xa9;
    broken[at + 1] = 0x20;
    const res = await t.request(SESSION_AUDIO, {
      method: "POST",
      headers: { ...INGEST, "content-type": multipartType() },
      body: broken,
    });
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { detail: "metadata is not valid UTF-8" });
    assert.deepEqual(await rowsOf(session), []);
    assert.deepEqual(await spoolLeft(s), []);
  },
);
