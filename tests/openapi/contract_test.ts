/**
 * The committed contract (openapi/openapi.json): it is what the app serves, every operation is
 * fully documented, and its examples are real. Every request example is sent to the app (with
 * production settings and the credentials its security names) and must answer the documented
 * status with a body matching the documented schema and the documented response example.
 */
import assert from "node:assert/strict";
import { documentText, OPENAPI_PATH } from "../../scripts/openapi.ts";
import { dbTestOptions, postJson, testApp } from "../helpers/app.ts";
import type { Config } from "../../config.ts";
import { testDatabase } from "../helpers/db.ts";
import { type Pattern, sampleEvents, sessionEvents } from "../helpers/play.ts";
import { legacyAudioMetadata, recordingMetadata, sampleSession } from "../../openapi/examples.ts";
import { flacFile, multipartBody, multipartType, opusFile } from "../helpers/audio.ts";
import {
  EXAMPLE_COMMAND_ID,
  EXAMPLE_DEVICE,
  queuedCommand,
} from "../../openapi/device_examples.ts";
import {
  exampleRequest,
  jsonMedia,
  mediaExample,
  operations,
  parameterExample,
  parameters,
  response,
  securityOf,
} from "./contract.ts";
import { check, resolveRef, type Schema } from "./jsonschema.ts";
import { productionEnv } from "../helpers/env.ts";

const opts = dbTestOptions;
const text = await Deno.readTextFile(OPENAPI_PATH);
const doc = JSON.parse(text) as Schema;
const db = testDatabase();

/** Production settings; the salts are the legacy system's reference ones (tests/fixtures/company_vectors.json). */
const INGEST = "contract-ingest-token-kkkkkkkkkk";
const DASHBOARD = "contract-dashboard-token-kkkkkkk";
const ADMIN = "contract-admin-key-kkkkkkkkkkkkk";
const ADMIN_TOKEN = "contract-admin-token-kkkkkkkkkkkk";
const PRODUCTION = productionEnv({
  INGEST_SERVICE_TOKEN: INGEST,
  DASHBOARD_TOKEN_MAP: `${DASHBOARD}:*`,
  ADMIN_KEY: ADMIN,
  ADMIN_TOKEN,
  // The documented examples are the legacy system's exact values.
  COMPANY_PRIVACY: "exact",
});
/** The examples' company ids and tokens come from the legacy system's reference salts. */
const referenceSalts = (config: Config): Config => ({
  ...config,
  companySalt: "csalt",
  dashboardTokenSalt: "dsalt",
});
const CREDENTIALS: Record<string, Record<string, string>> = {
  ingestToken: { authorization: `Bearer ${INGEST}` },
  dashboardToken: { authorization: `Bearer ${DASHBOARD}` },
  adminKey: { "x-admin-key": ADMIN },
  adminToken: { authorization: `Bearer ${ADMIN_TOKEN}` },
  companyToken: {}, // the `t` example itself
};

type Contract = {
  tag: string;
  security: string[][];
  statuses: number[];
  optionalBody?: true;
  /** A multipart/form-data body (streamed uploads): no JSON body example. */
  multipart?: true;
  /** Its 2xx answers are audio, not JSON. */
  binary?: true;
  /** Its 422 is a plain `{"detail": "…"}` (a checksum mismatch), not a validation error. */
  plain422?: true;
};
const INGEST_OPTIONAL = [["ingestToken"], []];
const READ_OPTIONAL = [["dashboardToken"], []];
const DB = [503];
const LIMITED = [429, 503];
const ADMIN_EITHER = [["adminKey"], ["adminToken"]];
const DEVICE_ADMIN = { tag: "devices", security: ADMIN_EITHER };
const DEVICE_INGEST = { tag: "devices", security: [["ingestToken"]] };

/** What each operation must document: its tag, its security alternatives, every status. */
const CONTRACT: Record<string, Contract> = {
  "GET /health": { tag: "health", security: [], statuses: [200] },
  "GET /healthz": { tag: "health", security: [], statuses: [200, ...DB] },
  "GET /readyz": { tag: "health", security: [], statuses: [200, ...DB] },
  "POST /events": {
    tag: "telemetry",
    security: INGEST_OPTIONAL,
    statuses: [200, 400, 401, 409, 413, 415, 422, ...LIMITED],
  },
  "POST /events/batch": {
    tag: "telemetry",
    security: INGEST_OPTIONAL,
    statuses: [200, 400, 401, 409, 413, 415, 422, ...LIMITED],
  },
  "POST /sessions/{session_id}/finalize": {
    tag: "telemetry",
    security: INGEST_OPTIONAL,
    statuses: [200, 400, 401, 404, 413, 415, 422, ...LIMITED],
    optionalBody: true,
  },
  "GET /players/{player_id}/sessions": {
    tag: "telemetry",
    security: READ_OPTIONAL,
    statuses: [200, 401, 403, 422, ...LIMITED],
  },
  "GET /model/state/{player_id}": {
    tag: "telemetry",
    security: READ_OPTIONAL,
    statuses: [200, 401, 403, 404, 422, ...LIMITED],
  },
  "GET /dashboard/company": {
    tag: "company",
    security: [["companyToken"]],
    statuses: [200, 403, 422, ...LIMITED],
  },
  "GET /dashboard/summary": {
    tag: "company",
    security: [["companyToken"]],
    statuses: [200, 403, 422, ...LIMITED],
  },
  "GET /dashboard/timeseries": {
    tag: "company",
    security: [["companyToken"]],
    statuses: [200, 400, 403, 422, ...LIMITED],
  },
  "GET /dashboard/forecast": {
    tag: "company",
    security: [["companyToken"]],
    statuses: [200, 403, 422, ...LIMITED],
  },
  "POST /admin/seed_company": {
    tag: "admin",
    security: ADMIN_EITHER,
    statuses: [200, 400, 401, 403, 413, 415, 422, ...LIMITED],
  },
  "DELETE /admin/players/{player_id}": {
    tag: "admin",
    security: ADMIN_EITHER,
    statuses: [200, 401, 403, 422, ...LIMITED],
  },
  "GET /admin/players/{player_id}/export": {
    tag: "admin",
    security: ADMIN_EITHER,
    statuses: [200, 401, 403, 422, ...LIMITED],
  },
  "POST /internal/ingest/session_summary": {
    tag: "engagement",
    security: [["ingestToken"]],
    statuses: [200, 400, 401, 413, 415, 422, ...LIMITED],
  },
  "GET /api/dashboard/{user_id}": {
    tag: "engagement",
    security: [["dashboardToken"]],
    statuses: [200, 401, 403, 422, ...LIMITED],
  },
  "POST /internal/ingest/session_audio": {
    tag: "recordings",
    security: [["ingestToken"]],
    statuses: [200, 400, 401, 409, 413, 415, 422, ...LIMITED],
    multipart: true,
    plain422: true,
  },
  "POST /internal/ingest/audio": {
    tag: "recordings",
    security: [["ingestToken"]],
    statuses: [200, 400, 401, 409, 413, 415, 422, ...LIMITED],
    multipart: true,
    plain422: true,
  },
  "GET /admin/sessions/{session_id}/recordings": {
    tag: "recordings",
    security: ADMIN_EITHER,
    statuses: [200, 401, 403, 404, 422, ...LIMITED],
  },
  "GET /admin/recordings/{recording_id}/audio": {
    tag: "recordings",
    security: ADMIN_EITHER,
    statuses: [200, 206, 401, 403, 404, 416, 422, ...LIMITED],
    binary: true,
  },
  "GET /admin/participants/{participant_id}/recordings": {
    tag: "recordings",
    security: ADMIN_EITHER,
    statuses: [200, 401, 403, 404, 422, ...LIMITED],
  },
  "POST /internal/heartbeat": {
    ...DEVICE_INGEST,
    statuses: [200, 400, 401, 413, 415, 422, ...LIMITED],
  },
  "GET /api/heartbeats": {
    tag: "devices",
    security: [["dashboardToken"]],
    statuses: [200, 400, 401, 403, 422, ...LIMITED],
  },
  "GET /admin/devices/uptime": { ...DEVICE_ADMIN, statuses: [200, 401, 422, ...LIMITED] },
  "GET /admin/devices/{device_id}/users": {
    ...DEVICE_ADMIN,
    statuses: [200, 401, 422, ...LIMITED],
  },
  "POST /admin/commands": {
    ...DEVICE_ADMIN,
    statuses: [201, 400, 401, 413, 415, 422, ...LIMITED],
  },
  "GET /internal/commands/pending": {
    ...DEVICE_INGEST,
    statuses: [200, 400, 401, 415, 422, ...LIMITED],
  },
  "POST /internal/commands/{id}/status": {
    ...DEVICE_INGEST,
    statuses: [200, 400, 401, 404, 409, 413, 415, 422, ...LIMITED],
  },
  "GET /admin/devices/{device_id}/commands": {
    ...DEVICE_ADMIN,
    statuses: [200, 401, 422, ...LIMITED],
  },
  "POST /internal/ingest/logs": {
    ...DEVICE_INGEST,
    statuses: [200, 400, 401, 413, 415, 422, ...LIMITED],
  },
  "GET /admin/logs/{device_id}": { ...DEVICE_ADMIN, statuses: [200, 401, 422, ...LIMITED] },
  "DELETE /admin/devices/{device_id}": { ...DEVICE_ADMIN, statuses: [200, 401, 422, ...LIMITED] },
};

const ops = operations(doc);
const schemaOf = (media: Schema) => media.schema as Schema;
const problemsOf = (value: unknown, schema: Schema) => check(value, schema, doc);

Deno.test("openapi/openapi.json is what the app serves (run deno task openapi)", opts, async () => {
  const res = await testApp(db.sql).request("/openapi.json");
  assert.equal(res.status, 200);
  const served = documentText(await res.json());
  assert.ok(
    served === text,
    "openapi/openapi.json differs from the document the app serves: run deno task openapi",
  );
});

Deno.test("the document declares the five security schemes and the seven tags", opts, () => {
  const schemes = (doc.components as Schema).securitySchemes as Record<string, Schema>;
  assert.deepEqual(schemes.ingestToken.type, "http");
  assert.deepEqual(schemes.ingestToken.scheme, "bearer");
  assert.deepEqual(schemes.dashboardToken.scheme, "bearer");
  assert.deepEqual([schemes.adminKey.in, schemes.adminKey.name], ["header", "X-ADMIN-KEY"]);
  assert.deepEqual([schemes.companyToken.in, schemes.companyToken.name], ["query", "t"]);
  const tags = (doc.tags as Schema[]).map((t) => t.name);
  assert.deepEqual(tags, [
    "telemetry",
    "company",
    "engagement",
    "admin",
    "recordings",
    "devices",
    "health",
  ]);
  assert.deepEqual([schemes.adminToken.type, schemes.adminToken.scheme], ["http", "bearer"]);
  assert.equal(doc.openapi, "3.1.0");
});

Deno.test("every operation is documented completely", opts, async (t) => {
  assert.deepEqual(ops.map((o) => o.key).sort(), Object.keys(CONTRACT).sort());
  const ids = ops.map((o) => o.op.operationId);
  assert.equal(new Set(ids).size, ids.length, "operationIds are unique");
  for (const { key, op } of ops) {
    await t.step(key, () => {
      const want = CONTRACT[key];
      assert.ok(typeof op.operationId === "string", "operationId");
      assert.ok((op.summary as string)?.length > 0, "summary");
      assert.ok((op.description as string)?.length > 20, "description");
      assert.deepEqual(op.tags, [want.tag]);
      assert.deepEqual(securityOf(op), want.security, "security");
      const statuses = Object.keys(op.responses as Schema).map(Number);
      assert.deepEqual(statuses.sort(), [...want.statuses].sort(), "documented statuses");
      for (const status of statuses) {
        const res = response(op, status)!;
        assert.ok((res.description as string).length > 0, `${status} description`);
        if (want.binary && status < 300) {
          const types = Object.keys(res.content as Schema);
          assert.ok(types.length > 0 && types.every((t) => t.startsWith("audio/")), `${status}`);
          continue;
        }
        const media = jsonMedia(res);
        assert.ok(media, `${status} has a JSON body`);
        if (status >= 400) {
          const ref = status === 422 && !want.plain422 ? "ValidationError" : "Error";
          assert.equal(schemaOf(media).$ref, `#/components/schemas/${ref}`, `${status} shape`);
          assert.ok(media.example !== undefined, `${status} example`);
        } else {
          assert.ok(mediaExample(doc, media) !== undefined, `${status} example`);
        }
        if (status === 429 || status === 503) {
          assert.ok((res.headers as Schema | undefined)?.["Retry-After"], `${status} Retry-After`);
        }
      }
      for (const p of parameters(op)) {
        assert.ok(parameterExample(p) !== undefined, `parameter ${p.name} example`);
        assert.ok(p.schema, `parameter ${p.name} schema`);
      }
      const body = op.requestBody as Schema | undefined;
      if (body && want.multipart) {
        const form = (body.content as Schema)["multipart/form-data"] as Schema;
        const fields = (form.schema as Schema).properties as Schema;
        assert.deepEqual(Object.keys(fields).sort(), ["file", "metadata"]);
      } else if (body) {
        assert.equal(body.required, !want.optionalBody, "request body required (or optional)");
        const media = jsonMedia(body);
        assert.ok(media && mediaExample(doc, media) !== undefined, "request body example");
      }
    });
  }
});

Deno.test("every example in the document matches its schema", opts, () => {
  const problems: string[] = [];
  const visit = (where: string, value: unknown, schema: Schema) => {
    if (value !== undefined) {
      problems.push(...problemsOf(value, schema).map((p) => `${where} ${p}`));
    }
  };
  for (const [name, schema] of Object.entries((doc.components as Schema).schemas as Schema)) {
    visit(`schema ${name}`, (schema as Schema).example, schema as Schema);
  }
  for (const { key, op } of ops) {
    for (const p of parameters(op)) {
      visit(`${key} ${p.name}`, parameterExample(p), p.schema as Schema);
    }
    const body = jsonMedia(op.requestBody as Schema | undefined);
    if (body) visit(`${key} body`, mediaExample(doc, body), schemaOf(body));
    for (const [status, res] of Object.entries(op.responses as Record<string, Schema>)) {
      const media = jsonMedia(res);
      if (media) visit(`${key} ${status}`, mediaExample(doc, media), schemaOf(media));
    }
  }
  assert.deepEqual(problems, []);
});

// --- Sending the examples --------------------------------------------------------------------

// Recordings are stored under a folder of this file's own (made by the first upload, removed after
// the last test).
const DATA_DIR = `${Deno.env.get("TMPDIR") ?? "/tmp"}/etl_contract_${crypto.randomUUID()}`;
Deno.test.afterAll(() => Deno.remove(DATA_DIR, { recursive: true }).catch(() => {}));
const app = testApp(db.sql, { ...PRODUCTION, DATA_DIR }, { adjust: referenceSalts });
const ingestHeaders = CREDENTIALS.ingestToken;

async function ok(res: Response | Promise<Response>, what: string): Promise<void> {
  const r = await res;
  const body = await r.text();
  assert.equal(r.status, 200, `${what}: ${r.status} ${body}`);
}

/** Plays and finalizes a session through the API (production credentials). */
async function play(
  player: string,
  session: string,
  pattern: Pattern,
  start: string,
  company?: string,
): Promise<void> {
  const events = sessionEvents({ player, session, pattern, start, company_name: company });
  // Received just after it was played (the server refuses client times ahead of its clock).
  app.setNow(new Date(Date.parse(start) + 10 * 60_000));
  await ok(app.request("/events/batch", postJson({ events }, ingestHeaders)), "batch");
  const fin = app.request(`/sessions/${session}/finalize`, {
    method: "POST",
    headers: ingestHeaders,
  });
  await ok(fin, `finalize ${session}`);
}

/** Plays and finalizes a water_v1 session of Acme Corp with a stress score. */
async function playWater(player: string, session: string, start: string, stress: number) {
  const events = sessionEvents({
    player,
    session,
    pattern: [1, 2, 1],
    start,
    company_name: "Acme Corp",
  })
    .map((e) => ({ ...e, task_version: "water_v1" }));
  // Received just after it was played (the server refuses client times ahead of its clock).
  app.setNow(new Date(Date.parse(start) + 10 * 60_000));
  await ok(app.request("/events/batch", postJson({ events }, ingestHeaders)), "batch");
  const body = { task_version: "water_v1", stress_score: stress };
  await ok(
    app.request(`/sessions/${session}/finalize`, postJson(body, ingestHeaders)),
    `finalize ${session}`,
  );
}

async function ingest(session: string, startedAt: string, seconds: number, score: number) {
  const body = {
    session_id: session,
    user_external_id: "demo-user",
    started_at: startedAt,
    duration_seconds: seconds,
    sentiment_score: score,
  };
  app.setNow(new Date("2025-10-22T18:00:00Z"));
  await ok(app.request("/internal/ingest/session_summary", postJson(body, ingestHeaders)), session);
}

const SAMPLE_PLAYER = "a1b2c3d4-e5f6-7890-abcd-ef1234567890";
const acme = (n: number) => `acme-player-${n}`;

/** The queued command's id is random: compared as the example's. */
const sameQueuedId = (body: Schema) => ({ ...body, id: queuedCommand.id });
const sameListedIds = (body: Schema) => ({
  ...body,
  commands: (body.commands as Schema[]).map((
    c,
    i,
  ) => (i === 0 ? { ...c, id: queuedCommand.id } : c)),
});

/**
 * Operations in the order their examples are sent, with the state each needs first (and, for a
 * random id, how the answer is made comparable with the example).
 */
const FLOW: {
  key: string;
  now?: string;
  before?: () => Promise<void>;
  /** Sends the request itself (multipart uploads: no JSON example to send). */
  send?: () => Promise<Response>;
  /** Answers audio: only the status and content type are compared. */
  audio?: string;
  /** Makes a random id in the answer comparable with the example. */
  comparable?: (body: Schema) => Schema;
}[] = [
  { key: "GET /health" },
  { key: "GET /healthz" },
  { key: "GET /readyz" },
  { key: "POST /admin/seed_company" },
  { key: "POST /events/batch" },
  { key: "POST /events" },
  { key: "POST /sessions/{session_id}/finalize", now: "2024-01-15T14:40:00Z" },
  {
    key: "GET /players/{player_id}/sessions",
    before: async () => {
      await play(SAMPLE_PLAYER, "sess-002-2024-01-16", [1, 2, 1], "2024-01-16T15:00:00Z");
      await play(SAMPLE_PLAYER, "sess-003-2024-01-17", [1, 1, 2], "2024-01-17T15:00:00Z");
      await play(SAMPLE_PLAYER, "sess-004-2024-01-18", [1, 1, 1], "2024-01-18T15:00:00Z");
    },
  },
  { key: "GET /model/state/{player_id}" },
  {
    key: "GET /dashboard/company",
    before: async () => {
      const patterns: Pattern[] = [[1, 1, 1], [1, 2, 1], [2, 1, 3]];
      for (let n = 1; n <= 3; n++) {
        await play(
          acme(n),
          `acme-w1-${n}`,
          patterns[n - 1],
          `2024-01-1${n + 4}T09:00:00Z`,
          "Acme Corp",
        );
      }
    },
  },
  {
    key: "GET /dashboard/summary",
    before: async () => {
      await play(acme(4), "acme-w1-4", [1, 1, 0], "2024-01-18T09:00:00Z", "Acme Corp");
      await play(acme(5), "acme-w1-5", [1, 2, 2], "2024-01-19T09:00:00Z", "acme corp");
      const week2: Pattern[] = [[1, 1, 1], [1, 1, 1], [1, 1, 2], [1, 2, 1], [2, 1, 1]];
      for (let n = 1; n <= 5; n++) {
        await play(
          acme(n),
          `acme-w2-${n}`,
          week2[n - 1],
          `2024-01-2${n + 1}T09:00:00Z`,
          "Acme Corp",
        );
      }
    },
  },
  { key: "GET /dashboard/timeseries" },
  {
    key: "GET /dashboard/forecast",
    before: async () => {
      // A third week: every Acme player's earth model trains; three water sessions each, with
      // stress 10n, 10n + 10, 10n + 20: each water model predicts 10n + 30 (mean 60).
      const week3: Pattern[] = [[1, 1, 1], [1, 2, 1], [1, 1, 1], [2, 1, 1], [1, 1, 1]];
      const at = (n: number, hour: number) =>
        new Date(Date.UTC(2024, 0, 28 + n, hour)).toISOString();
      for (let n = 1; n <= 5; n++) {
        await play(acme(n), `acme-w3-${n}`, week3[n - 1], at(n, 9), "Acme Corp");
        for (let i = 0; i < 3; i++) {
          await playWater(acme(n), `acme-water-${n}-${i}`, at(n, 10 + i), 10 * n + 10 * i);
        }
      }
    },
  },
  {
    key: "POST /internal/ingest/session_summary",
    now: "2025-10-22T18:00:00Z",
    before: async () => {
      app.setNow(new Date("2025-10-22T18:00:00Z")); // the device uploads after the sessions
      await ingest("demo-session-1018", "2025-10-18T16:00:00Z", 720, 0.55);
      await ingest("demo-session-1021", "2025-10-21T17:30:00Z", 600, 0.6);
    },
  },
  { key: "GET /api/dashboard/{user_id}", now: "2025-10-22T18:00:00Z" },
  { key: "POST /internal/heartbeat" },
  { key: "GET /api/heartbeats" },
  { key: "GET /admin/devices/uptime" },
  { key: "GET /admin/devices/{device_id}/users" },
  {
    key: "POST /admin/commands",
    // A command queued five minutes earlier, with a known id, for the poll and the report.
    before: async () => {
      await db.sql`insert into device_commands (id, device_id, command_type, created_at)
        values (${EXAMPLE_COMMAND_ID}, ${EXAMPLE_DEVICE}, 'UPLOAD_LOGS',
          '2025-10-22T17:55:00Z')`;
    },
    comparable: sameQueuedId,
  },
  { key: "GET /internal/commands/pending" },
  { key: "POST /internal/commands/{id}/status" },
  { key: "GET /admin/devices/{device_id}/commands", comparable: sameListedIds },
  { key: "POST /internal/ingest/logs" },
  { key: "GET /admin/logs/{device_id}" },
  {
    key: "GET /admin/players/{player_id}/export",
    // The export carries the database's own receive times: pin them for a stable example.
    before: async () => {
      await db.sql`update engagement_sessions
        set created_at = started_at + duration_seconds * interval '1 second'
        where user_external_id = 'demo-user'`;
    },
  },
  { key: "DELETE /admin/players/{player_id}" },
  { key: "POST /internal/ingest/session_audio", send: () => uploadExample("session_audio") },
  { key: "POST /internal/ingest/audio", send: () => uploadExample("audio") },
  { key: "GET /admin/sessions/{session_id}/recordings" },
  { key: "GET /admin/participants/{participant_id}/recordings" },
  { key: "GET /admin/recordings/{recording_id}/audio", audio: "audio/flac" },
  { key: "DELETE /admin/devices/{device_id}" },
];

/** Sends the documented metadata with a real file to an upload endpoint (ingest token). */
async function uploadExample(endpoint: "session_audio" | "audio"): Promise<Response> {
  const [metadata, file] = endpoint === "session_audio"
    ? [recordingMetadata, await flacFile({ samples: 40000 })] // 2.5 s at 16 kHz
    : [legacyAudioMetadata, await opusFile(1.5)];
  return await app.app.request(`/internal/ingest/${endpoint}`, {
    method: "POST",
    headers: { ...ingestHeaders, "content-type": multipartType() },
    body: multipartBody(metadata, file) as Uint8Array<ArrayBuffer>,
  });
}

const PRINT = Deno.env.get("CONTRACT_PRINT") === "1";

/** Returns where `actual` differs from `expected`; numbers may differ in the last bits (SQL). */
function differences(actual: unknown, expected: unknown, at = "$"): string[] {
  if (typeof actual === "number" && typeof expected === "number") {
    return Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected))
      ? []
      : [`${at}: ${actual} ≠ ${expected}`];
  }
  if (actual && expected && typeof actual === "object" && typeof expected === "object") {
    const a = actual as Schema;
    const e = expected as Schema;
    const keys = new Set([...Object.keys(a), ...Object.keys(e)]);
    return [...keys].flatMap((k) => differences(a[k], e[k], `${at}.${k}`));
  }
  return actual === expected
    ? []
    : [`${at}: ${JSON.stringify(actual)} ≠ ${JSON.stringify(expected)}`];
}

Deno.test(
  "every request example answers its documented status, schema and example",
  opts,
  async (t) => {
    assert.deepEqual(FLOW.map((s) => s.key).sort(), ops.map((o) => o.key).sort());
    for (const step of FLOW) {
      const operation = ops.find((o) => o.key === step.key)!;
      await t.step(step.key, async () => {
        await step.before?.();
        if (step.now) app.setNow(new Date(step.now));
        const [first] = securityOf(operation.op);
        const headers = Object.assign({}, ...(first ?? []).map((s) => CREDENTIALS[s]));
        const res = step.send
          ? await step.send()
          : await app.app.request(exampleRequest(doc, operation, headers));
        if (step.audio) {
          assert.equal(res.status, 200);
          assert.equal(res.headers.get("content-type"), step.audio);
          assert.ok((await res.arrayBuffer()).byteLength > 0);
          return;
        }
        const body = await res.json();
        if (PRINT) console.log(step.key, JSON.stringify(body, null, 2));
        const success = response(operation.op, 200) ? 200 : 201;
        assert.equal(res.status, success, JSON.stringify(body));
        const media = jsonMedia(response(operation.op, success))!;
        assert.deepEqual(problemsOf(body, schemaOf(media)), []);
        const example = mediaExample(doc, media);
        const seen = step.comparable ? step.comparable(body) : body;
        if (example !== undefined) assert.deepEqual(differences(seen, example), [], "the example");
      });
    }
  },
);

// In production even the credentials that development waives (`{}` alternatives) are required.
Deno.test(
  "without credentials, every secured operation answers a documented 401/403",
  opts,
  async (t) => {
    const strict = testApp(db.sql, PRODUCTION, { adjust: referenceSalts });
    for (const operation of ops) {
      const alternatives = securityOf(operation.op);
      if (alternatives.length === 0) continue;
      await t.step(operation.key, async () => {
        const res = await strict.app.request(exampleRequest(doc, operation, {}, ["t"]));
        const body = await res.json();
        assert.ok([401, 403].includes(res.status), `${res.status} ${JSON.stringify(body)}`);
        assert.ok(response(operation.op, res.status), "the status is documented");
        assert.deepEqual(problemsOf(body, { $ref: "#/components/schemas/Error" }), []);
      });
    }
  },
);

Deno.test(
  "the batch example is the legacy system's sample session (tests/fixtures/sample_events.jsonl)",
  opts,
  async () => {
    assert.deepEqual(sampleSession, await sampleEvents());
  },
);

Deno.test("docs/api.md lists every operation", opts, async () => {
  const overview = await Deno.readTextFile(new URL("../../docs/api.md", import.meta.url));
  for (const { path, method } of ops) {
    const row = overview.split("\n").find((line) => line.includes(`| \`${path}\``));
    assert.ok(row?.includes(method.toUpperCase()), `docs/api.md: ${method} ${path}`);
  }
});

Deno.test("the document resolves every $ref", opts, () => {
  const refs = text.match(/"\$ref": "[^"]+"/g) ?? [];
  for (const ref of refs) resolveRef(doc, ref.slice(9, -1));
  assert.ok(refs.length > 10);
});
