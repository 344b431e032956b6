/**
 * Slow uploads through the real socket path (main.ts's `serveBehindFront`): an upload whose
 * ingest token is valid outlasts BODY_TIMEOUT_SECONDS while it keeps
 * UPLOAD_MIN_BYTES_PER_SECOND per UPLOAD_RATE_WINDOW_SECONDS; one that falls below is cut (408);
 * a trickle without a valid token, or on another path, is still cut at the body timeout. The
 * deadlines are the configuration's smallest (1 s), so the file runs in a few seconds.
 */
import assert from "node:assert/strict";
import { dbTestOptions, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";
import { flacFile, multipartBody, multipartType } from "../helpers/audio.ts";
import { INGEST, turnMeta } from "../helpers/recordings.ts";
import { loadConfig } from "../../config.ts";
import { UPLOAD_PATHS } from "../../api/recordings.ts";
import { frontTimeouts, serveBehindFront, type Served } from "../../http/serve.ts";

const db = testDatabase();
const ENV = {
  BODY_TIMEOUT_SECONDS: "1",
  UPLOAD_RATE_WINDOW_SECONDS: "1",
  UPLOAD_MIN_BYTES_PER_SECOND: "2000",
};
let dataDir = "";
let served: Served;
let file: Uint8Array;

db.prepare(async () => {
  dataDir = await Deno.makeTempDir({ prefix: "etl_slow_upload_" });
  const t = testApp(db.sql, { DATA_DIR: dataDir, ...ENV });
  const config = loadConfig({ APP_ENV: "test", DATA_DIR: dataDir, ...ENV });
  served = serveBehindFront(
    t.app,
    { hostname: "127.0.0.1", port: 0 },
    frontTimeouts(config, UPLOAD_PATHS),
  );
  // White noise compresses badly: about 30 KB, three seconds at 10 KB/s.
  file = await flacFile({ kind: "whitenoise", samples: 16000 });
});

Deno.test.afterAll(async () => {
  served?.front.stopAccepting();
  served?.front.closeAll();
  await served?.server.shutdown();
  if (dataDir) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
});

const enc = (s: string) => new TextEncoder().encode(s);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sends `head`, then `body` in pieces of `piece` bytes every `everyMs` (after `first` bytes at
 * once), reading the answer meanwhile. Returns the answer and whether every byte was sent before
 * the service closed the connection.
 */
async function trickle(
  head: string,
  body: Uint8Array,
  { piece, everyMs, first = 0 }: { piece: number; everyMs: number; first?: number },
): Promise<{ answer: string; sentAll: boolean }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: served.front.addr.port });
  let closed = false;
  const reading = (async () => {
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(4096);
    while (true) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
    closed = true;
    return new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
  })();
  let sentAll = true;
  try {
    await conn.write(new Uint8Array([...enc(head), ...body.subarray(0, first)]));
    for (let at = first; at < body.length; at += piece) {
      await sleep(everyMs);
      if (closed) {
        sentAll = false;
        break;
      }
      await conn.write(body.subarray(at, at + piece));
    }
  } catch {
    sentAll = false;
  }
  const answer = await reading;
  try {
    conn.close();
  } catch {
    // closed by the service
  }
  return { answer, sentAll };
}

function uploadHead(path: string, length: number, authorization: string): string {
  return `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${authorization}\r\n` +
    `Content-Type: ${multipartType()}\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n`;
}

async function rowsOf(session: string): Promise<number> {
  const [{ n }] = await db.sql<{ n: number }[]>`
    select count(*)::int as n from recordings where session_id = ${session}::uuid`;
  return n;
}

Deno.test(
  "an upload with a valid token outlasts the body timeout at the minimum rate; one below it is cut",
  dbTestOptions,
  async () => {
    const fast = crypto.randomUUID();
    const slow = crypto.randomUUID();
    const good = multipartBody(turnMeta(fast, 0, { duration_ms: 1000 }), file);
    const bad = multipartBody(turnMeta(slow, 0, { duration_ms: 1000 }), file);
    const path = "/internal/ingest/session_audio";
    const [steady, stalled] = await Promise.all([
      // 1000 bytes every 100 ms (about 10 KB/s, five times the minimum): about 3 s in all,
      // three times BODY_TIMEOUT_SECONDS.
      trickle(uploadHead(path, good.length, INGEST.authorization), good, {
        piece: 1000,
        everyMs: 100,
      }),
      // 2000 bytes at once, then 100 bytes every 200 ms (500 B/s): below the minimum.
      trickle(uploadHead(path, bad.length, INGEST.authorization), bad, {
        piece: 100,
        everyMs: 200,
        first: 2000,
      }),
    ]);
    assert.ok(good.length > 25_000, `the body takes over 2.5 s (${good.length} bytes)`);
    assert.equal(steady.sentAll, true);
    assert.match(steady.answer, /^HTTP\/1\.1 200 OK\r\n/);
    const answer = JSON.parse(steady.answer.slice(steady.answer.indexOf("\r\n\r\n") + 4));
    assert.equal(answer.success, true);
    assert.equal(answer.duplicate, false);
    assert.equal(await rowsOf(fast), 1);

    assert.equal(stalled.sentAll, false);
    assert.match(stalled.answer, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.match(stalled.answer, /Upload slower than the minimum rate/);
    assert.equal(await rowsOf(slow), 0);
  },
);

Deno.test(
  "a trickle without a valid token, or on another path, is still cut at the body timeout",
  dbTestOptions,
  async () => {
    const session = crypto.randomUUID();
    const body = multipartBody(turnMeta(session, 0), file);
    const [unsigned, other] = await Promise.all([
      // Above the minimum rate, but the token is wrong: answered 401 at once (the body is not
      // read) and the connection cut at BODY_TIMEOUT_SECONDS, long before the body is in.
      trickle(
        uploadHead("/internal/ingest/session_audio", body.length, "Bearer not-the-token"),
        body,
        { piece: 1000, everyMs: 100 },
      ),
      // A valid token on a path that is not an upload path: the body deadline holds.
      trickle(
        `POST /internal/ingest/session_summary HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
          `Authorization: ${INGEST.authorization}\r\nContent-Type: application/json\r\n` +
          `Content-Length: 30000\r\n\r\n`,
        new Uint8Array(30000).fill(32),
        { piece: 1000, everyMs: 100 },
      ),
    ]);
    assert.equal(unsigned.sentAll, false);
    assert.match(unsigned.answer, /^HTTP\/1\.1 401 Unauthorized\r\n/);
    // Not /408/: the answer's random X-Request-ID holds "408" about once in a hundred.
    assert.doesNotMatch(unsigned.answer, /HTTP\/1\.1 408/, "no second answer after the server's");
    assert.equal(await rowsOf(session), 0);
    assert.equal(other.sentAll, false);
    assert.match(other.answer, /^HTTP\/1\.1 408 Request Timeout\r\n[\s\S]*Request took too long/);
    assert.equal(served.front.connections(), 0);
  },
);
