/**
 * The service behind a real nginx (deploy/nginx.conf) with two instances on one PostgreSQL:
 * exactly-once storage under concurrent resends, the failed-credential limiter keyed on the
 * address nginx forwards, and SIGTERM of one instance under load. Loopback only; needs nginx
 * (skipped with a message when it is missing, unless ETL_REQUIRE_NGINX=1 as in .ci/run) and a
 * PostgreSQL server (CHAOS_PG_URL, default the local one).
 */
import assert from "node:assert/strict";
import { connect, type Sql } from "../db/client.ts";
import { createServerDatabase } from "../tests/helpers/db.ts";
import { freePort, type Service, startService } from "../tests/helpers/process.ts";
import { PG_URL } from "./_load.ts";
import { findNginx, type Nginx, requestsFrom, startNginx } from "./_nginx.ts";
import { productionEnv } from "../tests/helpers/env.ts";
import { flacFile, multipartBody, multipartType, sha256Hex } from "../tests/helpers/audio.ts";

const INGEST = "proxy-ingest-token-kkkkkkkkkkkkk";
const LIMIT = 30;
const opts = { sanitizeOps: false, sanitizeResources: false } as const;
const nginxBinary = findNginx();
const required = Deno.env.get("ETL_REQUIRE_NGINX") === "1";

/** Returns a valid AttemptSubmitted event; `variant` changes its content, not its key. */
function attempt(session: string, sequence: number, index: number, variant = false) {
  return {
    player_id: `player-${session}`,
    session_id: session,
    sequence_index: sequence,
    sequence_length: 4,
    attempt_index: index,
    presented: [1, 2, 3, 4],
    input: [1, 2, 3, 4],
    is_correct: true,
    duration_ms: variant ? 7777 : 5000,
    ts_utc: new Date(Date.UTC(2026, 10, 20, 10, 0, sequence * 3 + index)).toISOString(),
    remediation_stage: index === 1 ? "none" : index === 2 ? "volts" : "space",
    volts_count: index === 1 ? null : index - 1,
  };
}

const post = (token: string, body: unknown, headers: Record<string, string> = {}) => ({
  method: "POST",
  headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...headers },
  body: JSON.stringify(body),
});

if (!nginxBinary) {
  const message = "nginx is not installed (apt-get install nginx); the proxy tests did not run";
  if (required) {
    Deno.test("nginx is installed for the proxy tests", () => assert.fail(message));
  } else {
    console.warn(`SKIPPED: ${message}`);
    Deno.test({ name: `proxy tests SKIPPED: ${message}`, ignore: true, fn() {} });
  }
} else {
  // Started before the first test that runs (not on import), stopped after the last.
  let database: { url: string; drop(): Promise<void> } | null = null;
  let sql: Sql;
  const instances: Service[] = [];
  let nginx: Nginx | null = null;
  let proxyUrl = "";
  Deno.test.beforeEach(async () => {
    if (database) return;
    database = await createServerDatabase(PG_URL);
    sql = connect(database.url, 2);
    const env = productionEnv({
      DATABASE_URL: database.url,
      HOST: "127.0.0.1",
      WORKERS: "1",
      INGEST_SERVICE_TOKEN: INGEST,
      TRUSTED_PROXIES: "127.0.0.1",
      AUTH_FAIL_LIMIT: String(LIMIT),
      AUTH_FAIL_WINDOW_SECONDS: "60",
    });
    instances.push(await startService(env));
    instances.push(await startService(env));
    nginx = await startNginx(nginxBinary, freePort(), [instances[0].port, instances[1].port]);
    proxyUrl = `http://127.0.0.1:${nginx.port}`;
  });
  Deno.test.afterAll(async () => {
    if (!database) return;
    await nginx?.stop();
    for (const s of instances) await s.stop();
    await sql.end({ timeout: 5 });
    await database.drop();
  });

  Deno.test(
    "32 concurrent clients resending overlapping attempts through nginx store each once",
    opts,
    async () => {
      // 160 attempts (8 sessions × 10 sequences × 2 attempts); client i sends the attempts j
      // with (i + j) % 4 === 0, so every attempt is sent by 8 clients at once. For every tenth
      // attempt one of its 8 senders sends a different content under the same key.
      const keys = Array.from({ length: 160 }, (_, j) => ({
        session: `px-${j % 8}`,
        sequence: 1 + (Math.floor(j / 8) % 10),
        index: 1 + Math.floor(j / 80),
      }));
      const answers: { j: number; variant: boolean; status: number }[] = [];
      await Promise.all(Array.from({ length: 32 }, async (_, i) => {
        const mine = keys.map((_, j) => j).filter((j) => (i + j) % 4 === 0);
        // A client-specific order, so the same attempt arrives from several clients at once.
        mine.sort((a, b) => ((a * 7 + i * 13) % 41) - ((b * 7 + i * 13) % 41));
        for (const j of mine) {
          const variant = j % 10 === 0 && i < 4;
          const k = keys[j];
          const res = await fetch(
            `${proxyUrl}/events`,
            post(INGEST, attempt(k.session, k.sequence, k.index, variant)),
          );
          await res.body?.cancel();
          answers.push({ j, variant, status: res.status });
        }
      }));
      assert.equal(answers.length, 32 * 40);
      const stored = await sql<
        { session_id: string; sequence_index: number; attempt_index: number; duration_ms: string }[]
      >`
        select session_id, sequence_index, attempt_index, duration_ms::text
        from raw_events where session_id like 'px-%'`;
      assert.equal(stored.length, 160, "each attempt stored exactly once");
      const storedDuration = new Map(
        stored.map((
          r,
        ) => [`${r.session_id}/${r.sequence_index}/${r.attempt_index}`, r.duration_ms]),
      );
      let conflicts = 0;
      for (const a of answers) {
        const k = keys[a.j];
        const duration = storedDuration.get(`${k.session}/${k.sequence}/${k.index}`);
        const same = duration === (a.variant ? "7777" : "5000");
        // The contract: an identical resend is 200, a different content under a stored key 409.
        assert.equal(a.status, same ? 200 : 409, `attempt ${a.j} variant=${a.variant}`);
        if (a.status === 409) conflicts++;
      }
      // 16 attempts had two contents: per attempt either its 1 variant or its 7 originals lost.
      assert.ok(conflicts >= 16 && conflicts <= 16 * 7, `conflicts ${conflicts}`);
      assert.equal(
        answers.filter((a) => a.j % 10 !== 0 && a.status !== 200).length,
        0,
        "attempts sent with one content are always 200",
      );
    },
  );

  Deno.test(
    "the limiter keys on the address nginx forwards; spoofing X-Forwarded-For gains nothing",
    opts,
    async () => {
      const bad = (n: number, headers: Record<string, string> = {}) =>
        Array.from({ length: n }, (_, i) => ({
          method: "POST",
          path: "/events",
          headers: { authorization: "Bearer wrong-token", ...headers },
          body: attempt("px-limit", 1 + i, 1),
        }));
      // Client A (127.0.0.2): 40 bad tokens through nginx, spread over both instances.
      const a = await requestsFrom("127.0.0.2", proxyUrl, bad(40));
      assert.deepEqual(a.map(([s]) => s), [...Array(LIMIT).fill(401), ...Array(10).fill(429)]);
      for (const [, retryAfter] of a.slice(LIMIT)) {
        assert.ok(Number(retryAfter) >= 1 && Number(retryAfter) <= 60, `Retry-After ${retryAfter}`);
      }
      // A's valid token and a spoofed header naming someone else: 200 and still limited.
      const after = await requestsFrom("127.0.0.2", proxyUrl, [
        {
          method: "POST",
          path: "/events",
          headers: { authorization: `Bearer ${INGEST}` },
          body: attempt("px-limit", 1, 1),
        },
        ...bad(1, { "x-forwarded-for": "198.51.100.77" }),
      ]);
      assert.deepEqual(after.map(([s]) => s), [200, 429]);
      // Client B (127.0.0.3), also claiming to be A: its own count, 401.
      const b = await requestsFrom(
        "127.0.0.3",
        proxyUrl,
        bad(1, { "x-forwarded-for": "127.0.0.2" }),
      );
      assert.deepEqual(b.map(([s]) => s), [401]);

      // Straight to an instance with a new made-up X-Forwarded-For each time: keyed on the peer.
      const direct = await requestsFrom(
        "127.0.0.4",
        instances[0].baseUrl,
        bad(35).map((r, i) => ({
          ...r,
          headers: { ...r.headers, "x-forwarded-for": `203.0.113.${i}` },
        })),
      );
      assert.deepEqual(direct.map(([s]) => s), [...Array(LIMIT).fill(401), ...Array(5).fill(429)]);

      const rows = await sql<{ client: string; failures: number }[]>`
        select client, failures from auth_failures order by client`;
      const counts = Object.fromEntries(rows.map((r) => [r.client, r.failures]));
      // Each process writes failures until it has seen the client over the limit (31), the
      // other at most once more (32); then both answer from memory.
      assert.ok(counts["127.0.0.2"] === 31 || counts["127.0.0.2"] === 32, JSON.stringify(counts));
      assert.equal(counts["127.0.0.3"], 1);
      assert.equal(counts["127.0.0.4"], 31);
      assert.deepEqual(Object.keys(counts).sort(), ["127.0.0.2", "127.0.0.3", "127.0.0.4"]);
      const stored = await sql`select 1 from raw_events where session_id = 'px-limit'`;
      assert.equal(stored.length, 1, "only the valid request stored its event");
    },
  );

  Deno.test(
    "nginx's access log holds no company token, no query string and no raw id (issue 20, 6)",
    opts,
    async () => {
      const token = "company-token-in-the-query-0123456789";
      const id = "raw-person-id-4711";
      const paths = [
        `/company?t=${token}`,
        `/dashboard/company?t=${token}&bucket=week`,
        `/players/${id}`,
        `/players/${id}/sessions`,
        `/engagement/${id}`,
        `/api/dashboard/${id}`,
        `/admin/players/${id}/export`,
        `/sessions/${id}/finalize`,
      ];
      await requestsFrom("127.0.0.5", proxyUrl, paths.map((path) => ({ method: "GET", path })));
      let log = "";
      for (let i = 0; i < 50 && log.split("\n").length <= paths.length; i++) {
        log = await nginx!.accessLog();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const mine = log.split("\n").filter((line) => line.startsWith("127.0.0.5 "));
      assert.equal(mine.length, paths.length, log);
      assert.ok(!log.includes(token), "no company token in the access log");
      assert.ok(!log.includes(id), "no raw id in the access log");
      assert.ok(!log.includes("?"), "no query string at all");
      for (
        const logged of [
          '"GET /company"',
          '"GET /dashboard/company"',
          '"GET /players/{player_id}"',
          '"GET /players/{player_id}/sessions"',
          '"GET /engagement/{user_id}"',
          '"GET /api/dashboard/{user_id}"',
          '"GET /admin/players/{player_id}/export"',
          '"GET /sessions/{session_id}/finalize"',
        ]
      ) {
        assert.ok(mine.some((line) => line.includes(logged)), `${logged} in ${log}`);
      }
    },
  );

  Deno.test(
    "a 3 MiB voice recording passes nginx: its body limit is the service's AUDIO_MAX_BYTES",
    opts,
    async () => {
      // White noise barely compresses: 1.6 M samples of 16 bits make a FLAC file of about 3 MB,
      // over the 2 MiB every other location allows.
      const file = await flacFile({ kind: "whitenoise", samples: 1_600_000 });
      assert.ok(file.length > 2 * 1024 * 1024, `${file.length} bytes`);
      const session = crypto.randomUUID();
      const res = await fetch(`${proxyUrl}/internal/ingest/session_audio`, {
        method: "POST",
        headers: { "content-type": multipartType(), authorization: `Bearer ${INGEST}` },
        body: multipartBody({
          session_id: session,
          device_id: "proxy-box",
          turn_number: 0,
          role: "user",
          recorded_at: "2026-11-20T10:00:00Z",
          duration_ms: 100_000,
          sha256: await sha256Hex(file),
        }, file) as Uint8Array<ArrayBuffer>,
      });
      const body = await res.json();
      assert.equal(res.status, 200, JSON.stringify(body));
      assert.equal(body.duplicate, false);
      const [row] = await sql<{ size_bytes: number }[]>`
        select size_bytes::int as size_bytes from recordings where session_id = ${session}::uuid`;
      assert.equal(row.size_bytes, file.length);
    },
  );

  Deno.test(
    "SIGTERM to one instance under load through nginx: no 5xx, no acknowledged event lost",
    opts,
    async () => {
      const acknowledged = new Set<string>();
      const failures: string[] = [];
      let stopAt = Infinity;
      let sent = 0;
      const client = async (c: number) => {
        // Bounded: at most 300 events per client.
        for (let n = 1; n <= 300 && acknowledged.size < stopAt; n++) {
          const session = `px-term-${c}`;
          sent++;
          try {
            const res = await fetch(`${proxyUrl}/events`, post(INGEST, attempt(session, n, 1)));
            const text = await res.text();
            if (res.status === 200) acknowledged.add(`${session}/${n}`);
            else failures.push(`${res.status} ${text.slice(0, 200)}`);
          } catch (err) {
            failures.push(`network: ${err}`);
          }
        }
      };
      const load = Promise.all(Array.from({ length: 16 }, (_, c) => client(c)));
      while (acknowledged.size < 300 && sent < 16 * 300) {
        await new Promise((r) => setTimeout(r, 10));
      }
      const stopped = instances[0].stop("SIGTERM");
      const { code, output } = await stopped;
      // Keep the load going on the survivor for another 300 events, then stop.
      stopAt = acknowledged.size + 300;
      await load;
      assert.equal(code, 0, output.slice(-2000));
      assert.deepEqual(failures, [], "no answer other than 200 reached a client");
      assert.ok(acknowledged.size >= 600, `acknowledged ${acknowledged.size}`);
      const rows = await sql<{ key: string }[]>`
        select session_id || '/' || sequence_index as key from raw_events
        where session_id like 'px-term-%'`;
      const stored = new Set(rows.map((r) => r.key));
      const lost = [...acknowledged].filter((k) => !stored.has(k));
      assert.deepEqual(lost, [], "every acknowledged event is stored");
      assert.equal(rows.length, stored.size, "no event stored twice");
      // Both instances served events through nginx, keyed on the forwarded client address.
      assert.match(output, /"path":"\/events","client":"127\.0\.0\.1"/);
    },
  );
}
