/**
 * The SDK end to end against the real service (main.ts spawned on a free port). By default the
 * service runs in development on the embedded database in an empty temporary DATA_DIR; with
 * TEST_DATABASE_URL it runs with production settings (every credential enforced) on a fresh
 * server database.
 */
import assert from "node:assert/strict";
import { generateSchemaTypes, SCHEMA_PATH } from "../../scripts/sdk.ts";
import { ApiError, type AttemptEvent, createClient, type TelemetryClient } from "../../sdk/mod.ts";
import { createServerDatabase, serverUrl } from "../helpers/db.ts";
import { type Pattern, sampleEvents, sessionEvents } from "../helpers/play.ts";
import { type Service, startService } from "../helpers/process.ts";
import { flacFile, sha256Hex } from "../helpers/audio.ts";
import { productionEnv } from "../helpers/env.ts";

const INGEST = "sdk-ingest-token-kkkkkkkkkkkkkkk";
const DASHBOARD = "sdk-dashboard-token-kkkkkkkkkkkk";
const ADMIN = "sdk-admin-key-kkkkkkkkkkkkkkkkkk";
const ADMIN_TOKEN = "sdk-admin-token-kkkkkkkkkkkkkkkk";
const opts = { sanitizeOps: false, sanitizeResources: false } as const;

const credentials = {
  INGEST_SERVICE_TOKEN: INGEST,
  DASHBOARD_TOKEN_MAP: `${DASHBOARD}:*`,
  ADMIN_KEY: ADMIN,
  ADMIN_TOKEN,
};

/** The spawned service, started before the first test that runs and stopped after the last. */
let running: { service: Service; dataDir: string; database: { drop(): Promise<void> } | null };
/** The client every test uses unless it needs its own. */
let sdk: TelemetryClient;
Deno.test.beforeEach(async () => {
  if (running) return;
  const dataDir = await Deno.makeTempDir({ prefix: "etl-sdk-" });
  const base = serverUrl();
  const database = base ? await createServerDatabase(base) : null;
  const service = await startService(
    database
      ? productionEnv({
        ...credentials,
        DATA_DIR: dataDir,
        DATABASE_URL: database.url,
        HOST: "127.0.0.1",
        WORKERS: "1",
        COMPANY_PRIVACY: "exact",
      })
      : { ...credentials, APP_ENV: "development", DATA_DIR: dataDir, COMPANY_PRIVACY: "exact" },
  );
  running = { service, dataDir, database };
  sdk = client();
});
// Stopping is checked too: SIGTERM exits 0 and the service logged no token.
Deno.test.afterAll(async () => {
  if (!running) return;
  const { code, output } = await running.service.stop("SIGTERM");
  await running.database?.drop();
  await Deno.remove(running.dataDir, { recursive: true });
  assert.equal(code, 0, output);
  assert.ok(!output.includes(INGEST) && !output.includes(DASHBOARD), "no token in the logs");
});

/** Returns a client for the spawned service; `fetch` lets a test see or fake every request. */
function client(
  fetch?: (request: Request) => Promise<Response>,
  extra: { retries?: number } = {},
): TelemetryClient {
  return createClient({
    baseUrl: running.service.baseUrl,
    ingestToken: INGEST,
    dashboardToken: DASHBOARD,
    adminKey: ADMIN,
    retryDelayMs: 5,
    fetch,
    ...extra,
  });
}

/** Returns the ApiError `call` rejects with, after checking its status (and detail). */
async function rejects(call: Promise<unknown>, status: number, detail?: string): Promise<ApiError> {
  try {
    await call;
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    assert.equal(err.status, status, err.message);
    if (detail !== undefined) assert.equal(err.detail, detail);
    return err;
  }
  return assert.fail(`expected ApiError ${status}`);
}

async function play(player: string, session: string, pattern: Pattern, start: string, co?: string) {
  const events = sessionEvents({ player, session, pattern, start, company_name: co });
  await sdk.postEvents(events as AttemptEvent[]);
  return await sdk.finalizeSession(session);
}

Deno.test(
  "sdk/schema.d.ts is generated from openapi/openapi.json (run deno task sdk)",
  opts,
  async () => {
    const committed = await Deno.readTextFile(SCHEMA_PATH);
    assert.ok(
      committed === await generateSchemaTypes(),
      "sdk/schema.d.ts is stale: run deno task sdk",
    );
  },
);

Deno.test("health probes", opts, async () => {
  assert.deepEqual(await sdk.health(), { status: "ok" });
  assert.deepEqual(await sdk.healthz(), { status: "ok" });
  assert.deepEqual(await sdk.readyz(), { status: "ready", windowDays: 7 });
});

Deno.test("the sample session: post, resend, finalize (idempotent)", opts, async () => {
  const events = (await sampleEvents()) as AttemptEvent[];
  for (const event of events) assert.deepEqual(await sdk.postEvent(event), { stored: true });
  assert.deepEqual(await sdk.postEvent(events[2]), { stored: true }, "a resend is accepted");
  const changed = { ...events[2], duration_ms: 1 };
  await rejects(sdk.postEvent(changed), 409);

  const summary = await sdk.finalizeSession("sess-001-2024-01-15");
  assert.equal(summary.fta_level, 1 / 3);
  assert.equal(summary.repetition_burden, 2);
  assert.equal(summary.earth_score_bucket, 5);
  assert.equal(summary.n_attempts, 6);
  assert.deepEqual(await sdk.finalizeSession("sess-001-2024-01-15"), summary);
  const missing = await rejects(sdk.finalizeSession("nope"), 404, "No events found for session");
  assert.match(missing.requestId ?? "", /^[0-9a-f-]{36}$/, "the error carries X-Request-ID");
  assert.deepEqual(await sdk.playerSessions(summary.player_id), [summary]);
});

Deno.test("postEvents splits 1200 events into 3 requests and sums the counts", opts, async () => {
  const sizes: number[] = [];
  const counting = client(async (request) => {
    if (new URL(request.url).pathname === "/events/batch") {
      sizes.push((await request.clone().json()).events.length);
    }
    return fetch(request);
  });
  const events: AttemptEvent[] = [];
  for (let seq = 1; seq <= 400; seq++) {
    for (let attempt = 1; attempt <= 3; attempt++) {
      events.push({
        player_id: "bulk-player",
        session_id: "bulk-session",
        sequence_index: seq,
        sequence_length: 4,
        attempt_index: attempt,
        presented: [1, 2, 3, 4],
        input: attempt === 3 ? [1, 2, 3, 4] : [4, 3, 2, 1],
        is_correct: attempt === 3,
        duration_ms: 1000,
        ts_utc: "2024-02-01T10:00:00Z",
        remediation_stage: "none",
      });
    }
  }
  assert.deepEqual(await counting.postEvents(events), { stored: 1200, duplicates: 0 });
  assert.deepEqual(sizes, [500, 500, 200]);
  assert.deepEqual(await counting.postEvents(events), { stored: 0, duplicates: 1200 });
  assert.deepEqual(await counting.postEvents([]), { stored: 0, duplicates: 0 });
  const summary = await sdk.finalizeSession("bulk-session");
  assert.equal(summary.n_attempts, 1200);
  assert.equal(summary.repetition_burden, 3);
});

Deno.test("model state: 404 before any session, trained after three", opts, async () => {
  await rejects(sdk.modelState("learner"), 404, "No model state found for player");
  await play("learner", "learner-1", [2, 2, 0], "2024-03-01T10:00:00Z");
  assert.equal((await sdk.modelState("learner")).status, "insufficient_data");
  await play("learner", "learner-2", [1, 2, 2], "2024-03-02T10:00:00Z");
  await play("learner", "learner-3", [1, 1, 1], "2024-03-03T10:00:00Z");
  const state = await sdk.modelState("learner");
  assert.equal(state.status, "trained");
  assert.equal(state.n_samples, 3);
  assert.equal(state.coefficients?.length, 2);
  assert.equal(typeof state.predicted_next_fta, "number");
});

Deno.test("company: seed, not enough players, then aggregates", opts, async () => {
  await rejects(
    createClient({ baseUrl: running.service.baseUrl }).seedCompany({ company_name: "x" }),
    401,
  );
  const seeded = await sdk.seedCompany({ company_name: "SDK Corp" });
  assert.match(seeded.dashboard_token, /^[0-9a-f]{24}$/);
  const token = seeded.dashboard_token;
  const empty = await sdk.companyInfo(token);
  assert.deepEqual([empty.company_id, empty.n_players, empty.has_sufficient_data], [
    seeded.company_id,
    0,
    false,
  ]);
  await rejects(sdk.companySummary(token), 403);
  await rejects(sdk.companyInfo("0".repeat(24)), 403, "Invalid or missing dashboard token");

  for (let n = 1; n <= 5; n++) {
    await play(
      `sdk-p${n}`,
      `sdk-s${n}`,
      [1, n % 2 ? 1 : 2, 1],
      `2024-04-0${n}T09:00:00Z`,
      "sdk corp",
    );
  }
  assert.equal((await sdk.companyInfo(token)).has_sufficient_data, true);
  const summary = await sdk.companySummary(token);
  assert.deepEqual([summary.n_players, summary.n_sessions], [5, 5]);
  const weeks = await sdk.companyTimeseries(token, "week");
  assert.equal(weeks.bucket_type, "week");
  assert.equal(weeks.buckets.reduce((n, b) => n + b.n_sessions, 0), 5);
  const days = await sdk.companyTimeseries(token);
  assert.equal(days.bucket_type, "day");
  assert.equal(days.suppressed_buckets, 5, "one player per day: every day is suppressed");
});

Deno.test(
  "water sessions: finalize with a stress score, the water model, the forecast",
  opts,
  async () => {
    const seeded = await sdk.seedCompany({ company_name: "SDK Water" });
    const water = async (player: string, session: string, start: string, stress?: number) => {
      const events = sessionEvents({
        player,
        session,
        pattern: [1, 1, 1],
        start,
        company_name: "SDK Water",
      })
        .map((e) => ({ ...e, task_version: "water_v1" }));
      await sdk.postEvents(events as AttemptEvent[]);
      return await sdk.finalizeSession(
        session,
        stress === undefined ? undefined : { task_version: "water_v1", stress_score: stress },
      );
    };
    await rejects(
      water("sdk-w0", "sdk-w0-a", "2024-05-01T09:00:00Z"),
      400,
      "water_v1 sessions require stress_score in request body",
    );
    const summary = await sdk.finalizeSession("sdk-w0-a", { stress_score: 33.5 });
    assert.deepEqual([summary.task_version, summary.stress_score, summary.fta_level], [
      "water_v1",
      33.5,
      null,
    ]);
    await rejects(sdk.modelState("sdk-w0"), 404, "No model state found for player");
    assert.equal((await sdk.modelState("sdk-w0", "water")).model_name, "water");

    for (let n = 1; n <= 5; n++) {
      for (const [d, stress] of [10 * n, 10 * n + 10, 10 * n + 20].entries()) {
        await water(`sdk-w${n}`, `sdk-w${n}-${d}`, `2024-05-0${d + 2}T09:00:00Z`, stress);
      }
    }
    // sdk-w1: 10, 20, 30 → slope 1, intercept 10, next 40.
    const state = await sdk.modelState("sdk-w1", "water");
    assert.deepEqual(
      [
        state.coefficients,
        state.intercept,
        state.mae,
        state.predicted_next,
        state.predicted_next_fta,
      ],
      [[1], 10, 0, 40, null],
    );
    // Six players; each of the five with three sessions predicts 10n + 30: mean 60.
    const forecast = await sdk.companyForecast(seeded.dashboard_token);
    assert.deepEqual(forecast, {
      earth: {
        predicted_next_brain_performance: null,
        predicted_next_brain_performance_interval: null,
        n_models: 0,
      },
      water: {
        predicted_next_stress_score: 60,
        predicted_next_stress_score_interval: null,
        n_models: 5,
      },
    });
    const company = await sdk.companySummary(seeded.dashboard_token);
    assert.deepEqual(
      [company.n_players, company.n_water_sessions, company.avg_brain_performance_score],
      [6, 16, null],
    );
    // (33.5 + Σ_n (30n + 30)) / 16 = (33.5 + 600) / 16
    assert.ok(Math.abs(company.avg_stress_score! - 633.5 / 16) < 1e-12);
  },
);

Deno.test("engagement: ingest (then duplicate) and the dashboard", opts, async () => {
  const session = {
    session_id: `sdk-engagement-${crypto.randomUUID()}`,
    user_external_id: "sdk-family",
    started_at: `${new Date().toISOString().slice(0, 10)}T00:00:00Z`, // today, UTC
    duration_seconds: 900,
    sentiment_score: 0.66,
  };
  assert.deepEqual(await sdk.ingestSessionSummary(session), { status: "ok" });
  assert.deepEqual(await sdk.ingestSessionSummary(session), { status: "duplicate" });
  const dashboard = await sdk.engagementDashboard("sdk-family");
  assert.equal(dashboard.streak.days, 1);
  assert.equal(dashboard.avgDuration.dailyDurations[6], 15);
  assert.equal(dashboard.toneTrend.current, "positive");

  const stranger = createClient({ baseUrl: running.service.baseUrl, dashboardToken: "wrong" });
  await rejects(stranger.engagementDashboard("sdk-family"), 401, "Invalid dashboard token");
  const invalid = await rejects(sdk.ingestSessionSummary({ ...session, sentiment_score: 2 }), 422);
  assert.deepEqual((invalid.detail as { loc: unknown[] }[])[0].loc, ["body", "sentiment_score"]);
});

Deno.test(
  "retries: 503 twice then through; a network error once; give up after retries",
  opts,
  async () => {
    let calls = 0;
    const flaky = client((request) => {
      calls++;
      if (calls <= 2) {
        return Promise.resolve(Response.json({ detail: "Database unavailable" }, { status: 503 }));
      }
      return fetch(request);
    });
    const [event] = sessionEvents({
      player: "retry-player",
      session: "retry-session",
      pattern: [1, 1, 1],
      start: "2024-05-01T10:00:00Z",
    }) as AttemptEvent[];
    assert.deepEqual(await flaky.postEvent(event), { stored: true });
    assert.equal(calls, 3, "two 503s, then the real answer");

    let failures = 0;
    const offline = client((request) => {
      if (failures++ === 0) return Promise.reject(new TypeError("connection refused"));
      return fetch(request);
    });
    assert.deepEqual(await offline.postEvent(event), { stored: true }, "resend is idempotent");
    const summary = await offline.finalizeSession("retry-session");
    assert.equal(summary.n_attempts, 1, "the event was stored once");

    let tries = 0;
    const down = client(() => {
      tries++;
      return Promise.resolve(Response.json({ detail: "Database unavailable" }, { status: 503 }));
    }, { retries: 2 });
    await rejects(down.health(), 503, "Database unavailable");
    assert.equal(tries, 3, "one try and two retries");

    let thrown = 0;
    const unreachable = client(() => {
      thrown++;
      return Promise.reject(new TypeError("connection refused"));
    }, { retries: 1 });
    await assert.rejects(unreachable.health(), TypeError);
    assert.equal(thrown, 2);
  },
);

Deno.test(
  "privacy: export (parsed and streamed), erase, then zeros and an empty export",
  opts,
  async () => {
    const summary = await play("sdk-erase", "sdk-erase-1", [1, 2, 1], "2024-05-01T09:00:00Z");
    const parsed = await sdk.exportPlayer("sdk-erase");
    assert.equal(parsed.player_id, "sdk-erase");
    assert.deepEqual(parsed.sessions.map((s) => s.summary), [summary]);
    assert.equal(parsed.events.length, 4);
    assert.equal(parsed.models.length, 1);
    assert.equal(parsed.engagement_sessions.length, 1);
    const streamed = await sdk.exportPlayerStream("sdk-erase");
    const text = await new Response(streamed).text();
    assert.deepEqual({ ...JSON.parse(text), exported_at: "" }, { ...parsed, exported_at: "" });

    assert.deepEqual(await sdk.erasePlayer("sdk-erase"), {
      player_id: "sdk-erase",
      deleted: {
        raw_events: 4,
        sessions: 1,
        models: 1,
        engagement_sessions: 1,
        recordings: 0,
        device_links: 0,
      },
    });
    assert.deepEqual((await sdk.erasePlayer("sdk-erase")).deleted, {
      raw_events: 0,
      sessions: 0,
      models: 0,
      engagement_sessions: 0,
      recordings: 0,
      device_links: 0,
    });
    const empty = await sdk.exportPlayer("sdk-erase");
    assert.deepEqual([empty.sessions, empty.events, empty.models, empty.engagement_sessions], [
      [],
      [],
      [],
      [],
    ]);
    await rejects(createClient({ baseUrl: running.service.baseUrl }).erasePlayer("sdk-erase"), 401);
    await rejects(createClient({ baseUrl: running.service.baseUrl }).exportPlayerStream("x"), 401);
  },
);

Deno.test(
  "recordings: upload a FLAC turn (a resend is a duplicate), read the manifest and the index",
  opts,
  async () => {
    const tone = await flacFile();
    const session = crypto.randomUUID();
    const metadata = {
      session_id: session,
      device_id: "sdk-device",
      turn_number: 1,
      recorded_at: "2026-04-01T10:00:00Z",
      duration_ms: 2500,
      participant_id: "sdk-voice",
      sha256: await sha256Hex(tone),
    };
    const first = await sdk.uploadSessionAudio(tone, metadata);
    assert.deepEqual(first, {
      success: true,
      url: `/admin/recordings/${first.recording_id}/audio`,
      manifest_url: `/admin/sessions/${session}/recordings`,
      recording_id: first.recording_id,
      object_key: `recordings/sdk-device/2026/04/01/${session}/01_user.flac`,
      duplicate: false,
      duration_warning: null,
    });
    assert.deepEqual(
      await sdk.uploadSessionAudio(new Blob([tone as Uint8Array<ArrayBuffer>]), metadata),
      {
        ...first,
        duplicate: true,
      },
    );
    await rejects(sdk.uploadSessionAudio(await flacFile({ frequency: 880 }), metadata), 422);
    const manifest = await sdk.sessionRecordings(session);
    assert.equal(manifest.turns[0].user?.audio_filepath, first.object_key);
    const index = await sdk.participantRecordings("sdk-voice");
    assert.deepEqual([index.session_count, index.total_duration_ms], [1, 2500]);
    await rejects(
      createClient({ baseUrl: running.service.baseUrl }).uploadAudio(tone, metadata),
      401,
    );
  },
);

Deno.test(
  "devices: heartbeat, fleet, command poll and report, logs, users, erase",
  opts,
  async () => {
    // The admin calls go with the bearer ADMIN_TOKEN only.
    const fleet = createClient({
      baseUrl: running.service.baseUrl,
      ingestToken: INGEST,
      dashboardToken: DASHBOARD,
      adminToken: ADMIN_TOKEN,
      retryDelayMs: 5,
    });
    const beat = {
      device_id: "sdk-box",
      agent_version: "3.0.0",
      connectivity: "lte" as const,
      network: { interface: "wwan0", ip: "10.0.0.7", signal_rssi: -70, latency_ms: 120 },
      agent_status: "ok" as const,
      boot_time: "2025-10-20T08:00:00Z",
    };
    assert.deepEqual(await fleet.postHeartbeat(beat), { status: "ok" });
    const status = await fleet.fleetStatus({ status: "healthy" });
    const mine = status.devices.find((d) => d.deviceId === "sdk-box")!;
    assert.equal(mine.status, "healthy");
    assert.equal(mine.connectivity, "lte");
    assert.equal(mine.latencyMs, 120);
    assert.equal(status.staleThresholdMinutes, 20);

    const queued = await fleet.queueCommand("sdk-box", "UPLOAD_LOGS");
    assert.equal(queued.status, "PENDING");
    const picked = await fleet.pollCommand("sdk-box");
    assert.equal(picked?.id, queued.id);
    assert.equal(await fleet.pollCommand("sdk-box"), null);
    const id = await fleet.uploadLogs("sdk-box", "boot ok\n");
    assert.deepEqual(await fleet.reportCommand(queued.id, { status: "COMPLETED" }, "sdk-box"), {
      status: "ok",
    });
    await rejects(fleet.reportCommand(queued.id, { status: "FAILED" }), 409);
    const history = await fleet.deviceCommands("sdk-box");
    assert.deepEqual(history.commands.map((c) => [c.id, c.status]), [[queued.id, "COMPLETED"]]);
    const snapshot = await fleet.latestLogs("sdk-box");
    assert.equal(snapshot?.id, id);
    assert.equal(snapshot?.log_content, "boot ok\n");

    await fleet.ingestSessionSummary({
      session_id: "sdk-box-session",
      user_external_id: "sdk-family",
      started_at: "2025-10-22T10:00:00Z",
      duration_seconds: 60,
      sentiment_score: 0.5,
      device_id: "sdk-box",
      status: "success",
    });
    assert.deepEqual((await fleet.deviceUsers("sdk-box")).users.map((u) => u.user_external_id), [
      "sdk-family",
    ]);
    const uptime = await fleet.fleetUptime();
    assert.deepEqual(uptime.devices.find((d) => d.device_id === "sdk-box"), {
      device_id: "sdk-box",
      uptime_pct_7d: 0.05,
      reboots_7d: 0,
      total_hours_tracked: 1,
    });
    const erased = await fleet.eraseDevice("sdk-box");
    assert.deepEqual(erased.deleted, {
      state: 1,
      heartbeats: 1,
      hourly_summaries: 0,
      commands: 1,
      log_snapshots: 1,
      session_links: 1,
      recordings: 0,
    });
    // Without an admin credential: 401 on the device endpoints.
    const stranger = createClient({ baseUrl: running.service.baseUrl, retries: 0 });
    await rejects(stranger.fleetUptime(), 401);
  },
);
