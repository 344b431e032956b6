/**
 * No answer falls outside its own contract (issue 20, item 4). A production app on the test
 * database, filled with realistic data through its own API (players with sessions, a company
 * with enough players, devices, commands, log snapshots, recordings, engagement sessions and a
 * legacy import), is sent valid requests to every operation of openapi/openapi.json and the
 * typical bad ones (no or a wrong credential, a malformed or wrong body, an unknown or invalid
 * id, a bad query). Every answer is checked by `contractChecker` (tests/openapi/answers.ts): its
 * status must be declared for the operation and its body must fit that status's schema, in the
 * document and in the zod schema behind it. The last test checks every operation answered at
 * least one success and one refusal, so a new route cannot be skipped.
 */
import assert from "node:assert/strict";
import { createApi } from "../../api/mod.ts";
import { composeDeps } from "../../app.ts";
import { loadConfig } from "../../config.ts";
import { OPENAPI_PATH } from "../../scripts/openapi.ts";
import { importLegacy } from "../../scripts/import_legacy.ts";
import { LegacyFileError } from "../../db/legacy_sqlite.ts";
import { legacyAudioMetadata, recordingMetadata } from "../../openapi/examples.ts";
import { dbTestOptions, postJson, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";
import { insertSummary } from "../helpers/summaries.ts";
import { seededWords } from "../../core/random_words.ts";
import { productionEnv } from "../helpers/env.ts";
import { flacFile, multipartBody, multipartType, opusFile } from "../helpers/audio.ts";
import { addEvents, addSummary, buildLegacyFile, HANDOVER_SCHEMA } from "../helpers/legacy.ts";
import { type Pattern, sessionEvents } from "../helpers/play.ts";
import { contractChecker, zodRoutes } from "./answers.ts";
import {
  exampleRequest,
  jsonMedia,
  mediaExample,
  type Operation,
  operations,
  parameters,
  securityOf,
} from "./contract.ts";
import type { Schema } from "./jsonschema.ts";

const opts = dbTestOptions;
const doc = JSON.parse(await Deno.readTextFile(OPENAPI_PATH)) as Schema;
const ops = operations(doc);
const db = testDatabase();

const INGEST = "answers-ingest-token-kkkkkkkkkkkk";
const DASHBOARD = "answers-dashboard-token-kkkkkkkkk";
const ADMIN_KEY = "answers-admin-key-kkkkkkkkkkkkkkk";
const ADMIN_TOKEN = "answers-admin-token-kkkkkkkkkkkkk";
const DATA_DIR = `${Deno.env.get("TMPDIR") ?? "/tmp"}/etl_answers_${crypto.randomUUID()}`;
Deno.test.afterAll(() => Deno.remove(DATA_DIR, { recursive: true }).catch(() => {}));
const ENV = productionEnv({
  DATA_DIR,
  INGEST_SERVICE_TOKEN: INGEST,
  DASHBOARD_TOKEN_MAP: `${DASHBOARD}:*`,
  ADMIN_KEY,
  ADMIN_TOKEN,
  // Every refusal is answered as itself, not as the limiter's 429.
  AUTH_FAIL_LIMIT: "0",
});
// Seeded noise: the released company numbers are the same on every run.
const app = testApp(db.sql, ENV, { random: seededWords(20) });
/** The server's clock: every client time below is before it. */
const NOW = new Date("2026-12-02T12:00:00Z");
app.setNow(NOW);

const checker = contractChecker(
  doc,
  zodRoutes(
    createApi(composeDeps({ config: loadConfig(ENV), sql: db.sql, log: () => {}, now: () => NOW }))
      .openAPIRegistry.definitions,
  ),
);

const CREDENTIALS: Record<string, Record<string, string>> = {
  ingestToken: { authorization: `Bearer ${INGEST}` },
  dashboardToken: { authorization: `Bearer ${DASHBOARD}` },
  adminKey: { "x-admin-key": ADMIN_KEY },
  adminToken: { authorization: `Bearer ${ADMIN_TOKEN}` },
  companyToken: {},
};
const WRONG: Record<string, Record<string, string>> = {
  ingestToken: { authorization: "Bearer wrong-ingest-token-kkkkkkkkkkkkkk" },
  dashboardToken: { authorization: "Bearer wrong-dashboard-token-kkkkkkkkkk" },
  adminKey: { "x-admin-key": "wrong-admin-key-kkkkkkkkkkkkkkkkk" },
  adminToken: { authorization: "Bearer wrong-admin-token-kkkkkkkkkkkkk" },
  companyToken: {},
};
const ingest = CREDENTIALS.ingestToken;
const dashboard = CREDENTIALS.dashboardToken;
const admin = CREDENTIALS.adminKey;

/** Sends a request to the app, checks its answer against the contract; returns status and body. */
async function call(
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: unknown }> {
  const req = new Request(`http://answers.test${path}`, init);
  const res = await app.app.request(req.clone());
  const answer = await checker.answer(req, res);
  problems.push(...answer.problems.map((p) => `${init.method ?? "GET"} ${path}: ${p}`));
  return answer;
}

/** Every contract problem of the current test's answers (each test ends with `noProblems`). */
const problems: string[] = [];

/** Asserts that no answer of the test broke the contract (all listed at once). */
function noProblems(): void {
  const found = problems.splice(0);
  assert.deepEqual(found, []);
}

/** Declares a test whose every answer must fit the contract (checked at its end, all at once). */
function contractTest(name: string, fn: () => Promise<void>): void {
  Deno.test(name, opts, async () => {
    problems.length = 0;
    await fn();
    noProblems();
  });
}

/** Sends a request and asserts its status (the answer is checked against the contract too). */
async function expect(status: number, path: string, init: RequestInit = {}): Promise<unknown> {
  const answer = await call(path, init);
  assert.equal(answer.status, status, `${path}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** Returns the credential headers of an operation's first security alternative. */
const credentialsOf = (op: Operation): Record<string, string> =>
  Object.assign({}, ...(securityOf(op.op)[0] ?? []).map((s) => CREDENTIALS[s]));

/** Sends the operation's own documented example (with its credentials); returns the answer. */
function sendExample(key: string, headers: Record<string, string> = {}) {
  const op = ops.find((o) => o.key === key)!;
  const req = exampleRequest(doc, op, { ...credentialsOf(op), ...headers });
  const url = new URL(req.url);
  return req.arrayBuffer().then((body) =>
    call(`${url.pathname}${url.search}`, {
      method: req.method,
      headers: req.headers,
      ...(body.byteLength > 0 ? { body } : {}),
    })
  );
}

const COMPANY = "Acme Corp";
const player = (n: number) => `answers-player-${n}`;

/** Plays and finalizes a session through the API. */
async function play(p: string, session: string, pattern: Pattern, start: string): Promise<void> {
  const events = sessionEvents({ player: p, session, pattern, start, company_name: COMPANY });
  await expect(200, "/events/batch", postJson({ events }, ingest));
  await expect(200, `/sessions/${session}/finalize`, { method: "POST", headers: ingest });
}

/** Uploads a recording (multipart) to an ingest endpoint. */
async function upload(endpoint: string, metadata: unknown, file: Uint8Array | null) {
  return await call(`/internal/ingest/${endpoint}`, {
    method: "POST",
    headers: { ...ingest, "content-type": multipartType() },
    body: multipartBody(metadata, file) as Uint8Array<ArrayBuffer>,
  });
}

let companyToken = "";
let commandId = "";
let recordingId = "";

contractTest("health, telemetry and company answers fit the contract", async () => {
  await expect(200, "/health");
  await expect(200, "/healthz");
  await expect(200, "/readyz");

  const seeded = await expect(
    200,
    "/admin/seed_company",
    postJson({ company_name: COMPANY }, admin),
  ) as Schema;
  companyToken = seeded.dashboard_token as string;

  // Five players of the company play through the API, a session in each of the three weeks
  // before the server's clock; forty more stand behind its numbers (summaries written directly).
  const patterns: Pattern[] = [[1, 1, 1], [1, 2, 1], [2, 1, 3], [1, 1, 0], [1, 2, 2]];
  for (let n = 1; n <= 5; n++) {
    for (let week = 0; week < 3; week++) {
      const at = new Date(Date.UTC(2026, 10, 16 + 7 * week + (n % 3), 9));
      await play(player(n), `answers-s-${n}-${week}`, patterns[(n + week) % 5], at.toISOString());
    }
  }
  for (let n = 6; n <= 45; n++) {
    for (let week = 0; week < 3; week++) {
      const at = new Date(Date.UTC(2026, 10, 16 + 7 * week + (n % 3), 10)).toISOString();
      await insertSummary(db.sql, {
        player: player(n),
        company: seeded.company_id as string,
        at,
        fta: (n % 4) / 4,
        burden: 1 + (n % 3),
        bucket: ([0, 5, 10] as const)[n % 3],
      });
      await insertSummary(db.sql, {
        player: player(n),
        company: seeded.company_id as string,
        at,
        stress: 20 + n,
      });
    }
  }
  const [single] = sessionEvents({
    player: player(11),
    session: "answers-single",
    pattern: [1, 1, 1],
    start: "2026-12-01T10:00:00Z",
  });
  await expect(200, "/events", postJson(single, ingest));
  await expect(200, "/sessions/answers-single/finalize", postJson({}, ingest));

  await expect(200, `/players/${player(1)}/sessions`, { headers: dashboard });
  await expect(200, `/model/state/${player(1)}?model_name=earth`, { headers: dashboard });
  await expect(200, `/model/state/${player(1)}`, { headers: dashboard });

  const t = encodeURIComponent(companyToken);
  await expect(200, `/dashboard/company?t=${t}`);
  await expect(200, `/dashboard/summary?t=${t}`);
  await expect(200, `/dashboard/timeseries?t=${t}&bucket=week`);
  await expect(200, `/dashboard/timeseries?t=${t}&bucket=day`);
  await expect(200, `/dashboard/timeseries?t=${t}`);
  await expect(200, `/dashboard/forecast?t=${t}`);
});

contractTest("engagement and device fleet answers fit the contract", async () => {
  const device = { ...ingest, "x-device-id": "answers-dev-1" };
  for (const [i, day] of ["2026-11-28", "2026-11-30", "2026-12-01", "2026-12-02"].entries()) {
    await expect(
      200,
      "/internal/ingest/session_summary",
      postJson({
        session_id: `answers-game-${i}`,
        user_external_id: "answers-user",
        started_at: `${day}T08:00:00Z`,
        duration_seconds: 600 + 60 * i,
        sentiment_score: 0.2 * i,
      }, device),
    );
  }
  await expect(200, "/api/dashboard/answers-user", { headers: dashboard });
  await expect(200, "/api/dashboard/nobody-at-all", { headers: dashboard });

  const heartbeat = (id: string, at: string) =>
    postJson({
      device_id: id,
      agent_version: "2.4.1",
      connectivity: "wifi",
      network: { interface: "wlan0", ip: "192.168.1.23", signal_rssi: -58, latency_ms: 42 },
      agent_status: "ok",
      last_session_at: "2026-12-02T08:10:00Z",
      timestamp: at,
      boot_time: "2026-12-01T06:00:00Z",
    }, ingest);
  await expect(200, "/internal/heartbeat", heartbeat("answers-dev-1", "2026-12-02T11:59:30Z"));
  await expect(200, "/internal/heartbeat", heartbeat("answers-dev-2", "2026-12-02T09:00:00Z"));
  await expect(200, "/api/heartbeats", { headers: dashboard });
  await expect(200, "/api/heartbeats?status=healthy&limit=1", { headers: dashboard });
  const page = await expect(200, "/api/heartbeats?limit=1", { headers: dashboard }) as Schema;
  if (typeof page.next_cursor === "string") {
    await expect(200, `/api/heartbeats?limit=1&after=${page.next_cursor}`, { headers: dashboard });
  }
  await expect(200, "/admin/devices/uptime", { headers: admin });
  await expect(200, "/admin/devices/uptime?limit=1&after=answers-dev-1", { headers: admin });
  await expect(200, "/admin/devices/answers-dev-1/users", { headers: admin });

  const queued = await expect(
    201,
    "/admin/commands",
    postJson({ device_id: "answers-dev-1", command: "UPLOAD_LOGS" }, CREDENTIALS.adminToken),
  ) as Schema;
  commandId = queued.id as string;
  await expect(200, "/internal/commands/pending", { headers: device });
  const report = (status: string) =>
    postJson({ status, error: status === "FAILED" ? "disk full" : null }, device);
  await expect(200, `/internal/commands/${commandId}/status`, report("COMPLETED"));
  await expect(409, `/internal/commands/${commandId}/status`, report("FAILED"));
  await expect(200, "/admin/devices/answers-dev-1/commands", { headers: admin });

  await expect(
    200,
    "/internal/ingest/logs",
    postJson({ device_id: "answers-dev-1", content: "agent[412]: heartbeat ok\n" }, ingest),
  );
  await expect(200, "/admin/logs/answers-dev-1", { headers: admin });
});

contractTest("recording answers fit the contract, with ranges", async () => {
  const uploaded = await upload(
    "session_audio",
    { ...recordingMetadata, recording_id: crypto.randomUUID() },
    await flacFile({ samples: 40000 }),
  );
  assert.equal(uploaded.status, 200, JSON.stringify(uploaded.body));
  recordingId = (uploaded.body as Schema).recording_id as string;
  const legacy = await upload(
    "audio",
    { ...legacyAudioMetadata, recording_id: crypto.randomUUID() },
    await opusFile(1.5),
  );
  assert.equal(legacy.status, 200, JSON.stringify(legacy.body));
  // The same recording again with other bytes: a conflict.
  const again = await upload(
    "session_audio",
    { ...recordingMetadata, recording_id: recordingId },
    await flacFile({ samples: 20000 }),
  );
  assert.ok(again.status === 409 || again.status === 200, JSON.stringify(again.body));

  await expect(200, `/admin/sessions/${recordingMetadata.session_id}/recordings`, {
    headers: admin,
  });
  await expect(200, `/admin/participants/${recordingMetadata.participant_id}/recordings`, {
    headers: admin,
  });
  await expect(200, `/admin/recordings/${recordingId}/audio`, { headers: admin });
  await expect(206, `/admin/recordings/${recordingId}/audio`, {
    headers: { ...admin, range: "bytes=0-99" },
  });
  await expect(416, `/admin/recordings/${recordingId}/audio`, {
    headers: { ...admin, range: "bytes=999999999-" },
  });
  await expect(404, `/admin/recordings/${crypto.randomUUID()}/audio`, { headers: admin });
  await expect(422, "/admin/recordings/not-a-uuid/audio", { headers: admin });
});

contractTest("the documented examples are answered inside the contract", async () => {
  // Whatever state the examples' ids find, each answer fits what the contract declares.
  for (const op of ops) {
    const body = op.op.requestBody as Schema | undefined;
    // Erasures come last; the uploads are multipart (sent above).
    if (op.method === "delete" || (body && !jsonMedia(body))) continue;
    await sendExample(op.key);
  }
});

contractTest("client times outside the window are refused, naming the field", async () => {
  const [event] = sessionEvents({
    player: "answers-clock",
    session: "answers-clock-s",
    pattern: [1, 1, 1],
    start: "2026-12-01T10:00:00Z",
  });
  for (const ts of ["2099-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z"]) {
    const body = await expect(422, "/events", postJson({ ...event, ts_utc: ts }, ingest));
    assert.match(JSON.stringify(body), /ts_utc/);
  }
  const summary = {
    session_id: "answers-far",
    user_external_id: "answers-far-user",
    started_at: "9999-12-31T23:00:00Z",
    duration_seconds: 7200,
    sentiment_score: 0.5,
  };
  const body = await expect(422, "/internal/ingest/session_summary", postJson(summary, ingest));
  assert.match(JSON.stringify(body), /started_at/);
  const dashboardBody = await expect(200, "/api/dashboard/answers-far-user", {
    headers: dashboard,
  }) as Schema;
  assert.deepEqual(dashboardBody.lastSession, { timestamp: null });
});

contractTest(
  "a legacy file with times outside the window is refused, and what it holds stays in schema",
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      const path = `${dir}/telemetry.db`;
      const file = await buildLegacyFile(path, HANDOVER_SCHEMA);
      const far = sessionEvents({
        player: "answers-legacy-far",
        session: "answers-legacy-far-s",
        pattern: [1, 1, 1],
        start: "9999-12-31T23:59:30Z",
      });
      addEvents(file, far);
      addSummary(file, far, {
        player_id: "answers-legacy-far",
        session_id: "answers-legacy-far-s",
        created: "9999-12-31T23:59:59Z",
      });
      file.close();
      await assert.rejects(
        importLegacy(db.sql, loadConfig(ENV), path, NOW),
        (err: Error) => err instanceof LegacyFileError && /ts_utc|created_ts_utc/.test(err.message),
      );
      // Nothing of the file was imported: the far player has nothing to show, in schema.
      await expect(200, "/players/answers-legacy-far/sessions", { headers: dashboard });
      await expect(200, "/api/dashboard/answers-legacy-far", { headers: dashboard });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

/** A path with each path parameter replaced by `value(param)`, and the example query. */
function pathWith(op: Operation, value: (p: Schema) => string): string {
  let url = op.path;
  const query = new URLSearchParams();
  for (const p of parameters(op.op)) {
    const example = p.example ?? (p.schema as Schema | undefined)?.example;
    if (p.in === "path") url = url.replace(`{${p.name}}`, encodeURIComponent(value(p)));
    if (p.in === "query" && p.name === "t") query.set("t", companyToken);
    else if (p.in === "query" && example !== undefined && p.required) {
      query.set(p.name as string, String(example));
    }
  }
  const qs = query.toString();
  return qs ? `${url}?${qs}` : url;
}

/** Header parameters of an operation with their examples (e.g. x-device-id). */
function headerParams(op: Operation): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of parameters(op.op)) {
    const example = p.example ?? (p.schema as Schema | undefined)?.example;
    if (p.in === "header" && example !== undefined) out[p.name as string] = String(example);
  }
  return out;
}

const isUuid = (p: Schema) => (p.schema as Schema | undefined)?.format === "uuid";
const unknownId = (p: Schema) => (isUuid(p) ? crypto.randomUUID() : `unknown-${p.name}-4f1c`);
const knownId = (p: Schema) =>
  p.name === "id" ? commandId : String(p.example ?? (p.schema as Schema).example);

contractTest(
  "without a credential, or with a wrong one, every secured operation is refused",
  async () => {
    for (const op of ops) {
      const alternatives = securityOf(op.op);
      if (alternatives.length === 0) continue;
      const path = pathWith(op, knownId).replace(/([?&])t=[^&]*/, "$1t=wrong-company-token");
      for (
        const headers of [
          {},
          ...alternatives.map((a) => Object.assign({}, ...a.map((s) => WRONG[s]))),
        ]
      ) {
        const answer = await call(path, {
          method: op.method.toUpperCase(),
          headers: { ...headerParams(op), ...headers },
        });
        assert.ok([401, 403, 422].includes(answer.status), `${op.key}: ${answer.status}`);
      }
    }
  },
);

contractTest(
  "malformed, mistyped and oversized bodies are refused inside the contract",
  async () => {
    const invalidUtf8 = new Uint8Array([
      0x7b,
      0x22,
      0x61,
      0x22,
      0x3a,
      0x22,
      0xff,
      0xfe,
      0x22,
      0x7d,
    ]);
    for (const op of ops) {
      const body = op.op.requestBody as Schema | undefined;
      if (!body) continue;
      const path = pathWith(op, knownId);
      const headers = { ...headerParams(op), ...credentialsOf(op) };
      const json = { ...headers, "content-type": "application/json" };
      const sends: [string, RequestInit][] = [
        ["not JSON", { headers: json, body: '{"a": ' }],
        ["an empty object", { headers: json, body: "{}" }],
        ["an array", { headers: json, body: "[1, 2]" }],
        ["null", { headers: json, body: "null" }],
        ["invalid UTF-8", { headers: json, body: invalidUtf8 }],
        ["text/plain", { headers: { ...headers, "content-type": "text/plain" }, body: "hello" }],
        ["no content type", { headers, body: "{}" }],
        ["over 1 MiB", { headers: json, body: `{"a":"${"x".repeat(1_100_000)}"}` }],
        ["a broken form", {
          headers: { ...headers, "content-type": multipartType() },
          body: "--not-the-boundary\r\n\r\n",
        }],
      ];
      for (const [what, init] of sends) {
        const answer = await call(path, { method: op.method.toUpperCase(), ...init });
        // A finalize body is optional: an empty object (or none) is a valid request.
        if (
          op.key === "POST /sessions/{session_id}/finalize" && what === "an empty object"
        ) continue;
        assert.ok(answer.status >= 400, `${op.key} with ${what}: ${answer.status}`);
      }
    }
  },
);

contractTest(
  "unknown, invalid and odd ids and queries are answered inside the contract",
  async () => {
    for (const op of ops) {
      const headers = { ...headerParams(op), ...credentialsOf(op) };
      const media = jsonMedia(op.op.requestBody as Schema | undefined);
      const example = media ? mediaExample(doc, media) : undefined;
      const init = (extra: Record<string, string> = {}): RequestInit => ({
        method: op.method.toUpperCase(),
        headers: {
          ...headers,
          ...extra,
          ...(example ? { "content-type": "application/json" } : {}),
        },
        ...(example ? { body: JSON.stringify(example) } : {}),
      });
      if (op.key.startsWith("DELETE ")) {
        // Erasing what is unknown is answered (and nothing of the realistic data is erased here).
        await call(pathWith(op, unknownId), init());
        continue;
      }
      if (parameters(op.op).some((p) => p.in === "path")) {
        await call(pathWith(op, unknownId), init());
        await call(pathWith(op, () => "x".repeat(300)), init());
        await call(pathWith(op, () => "bad\u0000id"), init());
      }
      for (const p of parameters(op.op).filter((p) => p.in === "query" && p.name !== "t")) {
        for (const bad of ["", "-1", "0", "99999999999", "not-a-valid-value", "%ZZ"]) {
          const path = pathWith(op, knownId);
          const sep = path.includes("?") ? "&" : "?";
          await call(`${path}${sep}${p.name}=${bad}`, init());
        }
      }
      for (const p of parameters(op.op).filter((p) => p.in === "header")) {
        await call(pathWith(op, knownId), init({ [p.name as string]: "" }));
        await call(pathWith(op, knownId), init({ [p.name as string]: "d".repeat(300) }));
      }
    }
  },
);

contractTest("erasures of a player and a device are answered inside the contract", async () => {
  await expect(200, `/admin/players/${player(1)}/export`, { headers: admin });
  await expect(200, "/admin/players/answers-user/export", { headers: admin });
  await expect(200, `/admin/players/${player(1)}`, { method: "DELETE", headers: admin });
  await expect(200, "/admin/players/answers-user", {
    method: "DELETE",
    headers: CREDENTIALS.adminToken,
  });
  await expect(200, "/admin/devices/answers-dev-2", { method: "DELETE", headers: admin });
  await expect(404, `/model/state/${player(1)}`, { headers: dashboard });
  await expect(200, `/players/${player(1)}/sessions`, { headers: dashboard });
});

contractTest("the checker refuses an undeclared status and a body outside its schema", async () => {
  const req = new Request("http://answers.test/api/dashboard/someone");
  const json = (body: unknown, status: number) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { "content-type": "application/json" },
    });
  const undeclared = await checker.answer(req, json({ detail: "boom" }, 500));
  assert.match(undeclared.problems.join("\n"), /undeclared status 500/);
  const good = await call("/api/dashboard/answers-player-2", { headers: dashboard }) as Schema;
  const body = good.body as Schema;
  const far = await checker.answer(
    req,
    json({ ...body, lastSession: { timestamp: "+010000-01-01T01:00:00.000Z" } }, 200),
  );
  assert.match(far.problems.join("\n"), /\(zod\) \$\.lastSession\.timestamp/);
  const typed = await checker.answer(req, json({ ...body, streak: { days: "7" } }, 200));
  assert.match(typed.problems.join("\n"), /\(document\) \$\.streak/);
  const html = await checker.answer(
    req,
    new Response("<p>hi</p>", { status: 200, headers: { "content-type": "text/html" } }),
  );
  assert.match(html.problems.join("\n"), /not JSON/);
});

Deno.test("every operation of the document answered a success and a refusal", opts, () => {
  const missing: string[] = [];
  for (const op of ops) {
    const statuses = [...(checker.seen.get(op.key) ?? [])];
    if (!statuses.some((s) => s < 300)) missing.push(`${op.key}: no success`);
    const refusals = Object.keys(op.op.responses as Schema).filter((s) => s.startsWith("4"));
    if (refusals.length > 0 && !statuses.some((s) => s >= 400)) {
      missing.push(`${op.key}: no refusal`);
    }
  }
  assert.deepEqual(missing, []);
});
