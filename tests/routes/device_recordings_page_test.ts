/**
 * The fleet device page's recorded sessions (issue 22 item 4): the turns of the device's latest
 * sessions with an audio player each, and the page-side audio route the players stream from
 * (a `*` session; byte ranges; 404 for another device's recording). Real FLAC, embedded store.
 */
import assert from "node:assert/strict";
import { dbTestOptions, postJson, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";
import { flacFile } from "../helpers/audio.ts";
import { INGEST, turnMeta, upload } from "../helpers/recordings.ts";

const db = testDatabase();
let dataDir = "";
let t: ReturnType<typeof testApp>;
const NOW = new Date("2026-03-02T12:00:00Z");
const SESSION_AUDIO = "/internal/ingest/session_audio";
const OLD = "5f0e8d6c-1b2a-4c3d-9e8f-7a6b5c4d3e2f";
const NEW = "0b7f1c2e-4a5d-4e6f-8a9b-1c2d3e4f5a6b";
const OTHER = "7a6b5c4d-3e2f-4c3d-9e8f-5f0e8d6c1b2a";
let tone: Uint8Array;
let reply: Uint8Array;
/** Recording ids by `session/turn/role`. */
const ids = new Map<string, string>();

async function store(
  session: string,
  turn: number,
  over: Record<string, unknown>,
  file: Uint8Array,
) {
  const res = await upload(t, SESSION_AUDIO, turnMeta(session, turn, over), file);
  assert.equal(res.status, 200);
  const body = await res.json();
  ids.set(`${session}/${turn}/${over.role ?? "user"}`, body.recording_id);
}

db.prepare(async () => {
  dataDir = await Deno.makeTempDir({ prefix: "etl_device_rec_" });
  t = testApp(db.sql, {
    DATA_DIR: dataDir,
    DASHBOARD_TOKEN_MAP: "tok-alice:alice,tok-all:*",
  });
  tone = await flacFile({ samples: 40000 });
  reply = await flacFile({ samples: 24000, frequency: 660 });
  t.setNow(NOW);
  for (const device of ["box-rec", "box-other", "box-many"]) {
    const res = await t.request(
      "/internal/heartbeat",
      postJson({
        device_id: device,
        agent_version: "2.4.1",
        connectivity: "wifi",
        network: { interface: "wlan0", ip: "203.0.113.7", latency_ms: 40 },
        agent_status: "ok",
      }, INGEST),
    );
    assert.equal(res.status, 200);
  }
  const rec = { device_id: "box-rec" };
  await store(OLD, 0, {
    ...rec,
    recorded_at: "2026-03-01T10:00:00Z",
    transcript: "<b>Hola</b> & adiós",
  }, tone);
  await store(OLD, 0, {
    ...rec,
    role: "assistant",
    recorded_at: "2026-03-01T10:00:04Z",
    duration_ms: 1500,
  }, reply);
  await store(OLD, 1, { ...rec, recorded_at: "2026-03-01T10:00:09Z", duration_ms: 2480 }, tone);
  await store(NEW, 0, { ...rec, recorded_at: "2026-03-02T09:15:00+01:00" }, tone);
  // Another device: never on box-rec's page, and not playable through it.
  await store(OTHER, 0, { device_id: "box-other", recorded_at: "2026-03-02T11:00:00Z" }, tone);
  // Six sessions of one device: the page lists the five latest.
  for (let i = 0; i < 6; i++) {
    const session = `00000000-0000-4000-8000-00000000000${i}`;
    await store(session, 0, {
      device_id: "box-many",
      recorded_at: `2026-03-01T0${i}:00:00Z`,
    }, tone);
  }
});

Deno.test.afterAll(async () => {
  if (dataDir) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
});

const form = (fields: Record<string, string>) => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams(fields).toString(),
});

/** Returns the session cookie for `token`, signed in on `path`. */
async function signIn(path: string, token: string): Promise<string> {
  t.setNow(NOW);
  const res = await t.request(path, form({ token }));
  assert.equal(res.status, 303);
  return res.headers.get("set-cookie")!.split(";")[0];
}

/** Returns the rows of each session table: [session id, [turn, role, duration, recorded, src, transcript][]]. */
function sessionsOf(html: string): [string, string[][]][] {
  const out: [string, string[][]][] = [];
  for (const part of html.split('<section class="recorded-session">').slice(1)) {
    const id = /<h3>Session ([^<]+)<\/h3>/.exec(part)![1];
    const rows = [...part.split("</section>")[0].matchAll(/<tr><th scope="row">(.*?)<\/tr>/gs)]
      .map((m) => {
        const cells = [
          m[1].split("</th>")[0],
          ...[...m[1].matchAll(/<td>(.*?)<\/td>/gs)]
            .map((c) => c[1]),
        ];
        return cells.map((c) => {
          const src = /<audio [^>]*src="([^"]+)"/.exec(c);
          if (src) return src[1];
          const text = /<summary>Transcript<\/summary><p>(.*?)<\/p>/s.exec(c);
          return text ? text[1] : c;
        });
      });
    out.push([id, rows]);
  }
  return out;
}

const audioSrc = (device: string, id: string) => `/fleet/devices/${device}/recordings/${id}/audio`;

Deno.test(
  "the device page lists the device's latest sessions with each turn and an audio player",
  dbTestOptions,
  async () => {
    const cookie = await signIn("/fleet", "tok-all");
    const res = await t.request("/fleet/devices/box-rec", { headers: { cookie } });
    assert.equal(res.status, 200);
    const html = await res.text();
    const src = (s: string, turn: number, role = "user") =>
      audioSrc("box-rec", ids.get(`${s}/${turn}/${role}`)!);
    assert.deepEqual(sessionsOf(html), [
      [NEW, [["0", "user", "2.5 s", "2026-03-02 08:15:00 UTC", src(NEW, 0), "–"]]],
      [OLD, [
        [
          "0",
          "user",
          "2.5 s",
          "2026-03-01 10:00:00 UTC",
          src(OLD, 0),
          "&lt;b>Hola&lt;/b> &amp; adiós",
        ],
        ["0", "assistant", "1.5 s", "2026-03-01 10:00:04 UTC", src(OLD, 0, "assistant"), "–"],
        ["1", "user", "2.5 s", "2026-03-01 10:00:09 UTC", src(OLD, 1), "–"],
      ]],
    ]);
    assert.match(html, /Started 2026-03-01 10:00:00 UTC · 3 recordings/);
    assert.match(html, /Started 2026-03-02 08:15:00 UTC · 1 recording</);
    // One player per turn, loading nothing until played, labelled for assistive technology.
    assert.equal([...html.matchAll(/<audio controls preload="none" /g)].length, 4);
    assert.ok(html.includes('aria-label="Turn 0, assistant"'));
    assert.ok(!html.includes(OTHER), "another device's session is not listed");
    assert.ok(!html.includes("<b>Hola"), "the transcript is escaped");
    assert.equal(res.headers.get("cache-control"), "no-store");
    assert.match(res.headers.get("content-security-policy")!, /media-src 'self'/);

    const many = await (await t.request("/fleet/devices/box-many", { headers: { cookie } }))
      .text();
    assert.deepEqual(
      sessionsOf(many).map(([id]) => id),
      [5, 4, 3, 2, 1].map((i) => `00000000-0000-4000-8000-00000000000${i}`),
    );
    const none = await (await t.request("/fleet/devices/box-other", { headers: { cookie } }))
      .text();
    assert.equal(sessionsOf(none).length, 1);
    const silent = await t.request(
      "/internal/heartbeat",
      postJson({
        device_id: "box-silent",
        agent_version: "2.4.1",
        connectivity: "wifi",
        network: { interface: "wlan0", ip: "203.0.113.8", latency_ms: 40 },
        agent_status: "ok",
      }, INGEST),
    );
    assert.equal(silent.status, 200);
    const empty = await (await t.request("/fleet/devices/box-silent", { headers: { cookie } }))
      .text();
    assert.match(empty, /No voice recording from this device\./);
    assert.equal(sessionsOf(empty).length, 0);
    // The players are plain HTML: the page ships the same scripts as one without recordings.
    const scripts = (page: string) => [...page.matchAll(/<script[^>]*>/g)].map((m) => m[0]);
    assert.deepEqual(scripts(html), scripts(empty));
  },
);

Deno.test(
  "the page's audio route streams the exact bytes, whole or one range, to a `*` session only",
  dbTestOptions,
  async () => {
    const cookie = await signIn("/fleet", "tok-all");
    const path = audioSrc("box-rec", ids.get(`${OLD}/0/assistant`)!);
    const whole = await t.request(path, { headers: { cookie } });
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get("content-type"), "audio/flac");
    assert.equal(whole.headers.get("content-length"), String(reply.length));
    assert.equal(whole.headers.get("accept-ranges"), "bytes");
    assert.equal(whole.headers.get("cache-control"), "no-store");
    assert.deepEqual(new Uint8Array(await whole.arrayBuffer()), reply);

    const part = await t.request(path, { headers: { cookie, range: "bytes=4-41" } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get("content-range"), `bytes 4-41/${reply.length}`);
    assert.equal(part.headers.get("content-length"), "38");
    assert.equal(part.headers.get("cache-control"), "no-store");
    assert.deepEqual(new Uint8Array(await part.arrayBuffer()), reply.slice(4, 42));
    const open = await t.request(path, { headers: { cookie, range: "bytes=100-" } });
    assert.equal(open.status, 206);
    assert.equal(
      open.headers.get("content-range"),
      `bytes 100-${reply.length - 1}/${reply.length}`,
    );
    assert.deepEqual(new Uint8Array(await open.arrayBuffer()), reply.slice(100));
    const beyond = await t.request(path, { headers: { cookie, range: `bytes=${reply.length}-` } });
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers.get("content-range"), `bytes */${reply.length}`);
    await beyond.body?.cancel();

    // No session: the sign-in form (401); a single user's session: access denied (403).
    const unsigned = await t.request(path);
    assert.equal(unsigned.status, 401);
    assert.doesNotMatch(unsigned.headers.get("content-type")!, /audio/);
    await unsigned.body?.cancel();
    const alice = await signIn("/engagement/alice", "tok-alice");
    const denied = await t.request(path, { headers: { cookie: alice } });
    assert.equal(denied.status, 403);
    await denied.body?.cancel();
    // The admin credential is not what this route takes (no credential in a URL or header).
    const admin = await t.request(path, {
      headers: { "x-admin-key": "test-admin-key-kkkkkkkkkkkkkkkkk" },
    });
    assert.equal(admin.status, 401);
    await admin.body?.cancel();

    // Another device's recording through this device's page, an unknown id, not an id: 404.
    for (
      const other of [
        audioSrc("box-rec", ids.get(`${OTHER}/0/user`)!),
        audioSrc("box-rec", crypto.randomUUID()),
        audioSrc("box-rec", "not-a-uuid"),
      ]
    ) {
      const res = await t.request(other, { headers: { cookie } });
      assert.equal(res.status, 404, other);
      await res.body?.cancel();
    }
    // The same recording through its own device's page plays.
    const own = await t.request(audioSrc("box-other", ids.get(`${OTHER}/0/user`)!), {
      headers: { cookie },
    });
    assert.equal(own.status, 200);
    assert.deepEqual(new Uint8Array(await own.arrayBuffer()), tone);
    // The request log names the route template and the device's keyed hash, never the id.
    const line = t.logs.findLast((l) => l.includes("/recordings/{recording_id}/audio"))!;
    assert.ok(line.includes('"/fleet/devices/{device_id}/recordings/{recording_id}/audio"'), line);
    assert.ok(!line.includes("box-other"), line);
  },
);
