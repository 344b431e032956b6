/**
 * Typed client for the Earth Task Telemetry API: the generated contract types (schema.d.ts,
 * `deno task sdk`) on `openapi-fetch`, plus credentials, retries and a batch helper.
 *
 * Every operation may be retried: resending an event or a batch stores nothing twice, finalize
 * returns the same summary, the company seed is an upsert and a repeated session summary answers
 * `duplicate`. So the client retries 503 answers and network errors (timeouts included) with
 * exponential backoff and jitter. Any other non-2xx answer throws an {@link ApiError}.
 *
 * @module
 */
import createFetchClient from "openapi-fetch";
import type { components, operations, paths } from "./schema.d.ts";

/** An attempt event as a client sends it (`POST /events`, `POST /events/batch`). */
export type AttemptEvent = components["schemas"]["AttemptSubmitted"];
/** The answer of a batch: events newly stored and identical resends stored before. */
export type BatchResult = components["schemas"]["BatchResult"];
/** A finalized session's summary: its task's metrics, company, play time and attempt count. */
export type SessionSummary = components["schemas"]["SessionSummary"];
/** A player's model of one task: status, coefficients, error and the next prediction. */
export type ModelState = components["schemas"]["ModelState"];
/** The company a dashboard token belongs to (`GET /dashboard/company`). */
export type CompanyInfo = components["schemas"]["CompanyInfo"];
/** A company's averages over its players (`GET /dashboard/summary`). */
export type CompanySummary = components["schemas"]["CompanySummary"];
/** A company's averages per day, week or month (`GET /dashboard/timeseries`). */
export type Timeseries = components["schemas"]["Timeseries"];
/** A company's forecast tiles (`GET /dashboard/forecast`). */
export type CompanyForecast = components["schemas"]["CompanyForecast"];
/** The optional body of `POST /sessions/{session_id}/finalize` (task and stress score). */
export type FinalizeRequest = components["schemas"]["FinalizeRequest"];
/** The task a model learns: `earth` (earth_v1 and unknown versions) or `water` (water_v1). */
export type ModelName = ModelState["model_name"];
/** The body of `POST /admin/seed_company`: the company's name. */
export type SeedCompany = components["schemas"]["SeedCompany"];
/** A registered company: its id and its dashboard token. */
export type SeededCompany = components["schemas"]["SeededCompany"];
/** A companion-device session summary (`POST /internal/ingest/session_summary`). */
export type EngagementSession = components["schemas"]["EngagementSessionSummary"];
/** The ingest answer: `ok` when stored, `duplicate` for a session_id stored before. */
export type IngestStatus = components["schemas"]["IngestStatus"];
/** The seven-day engagement rollup of one user (`GET /api/dashboard/{user_id}`). */
export type EngagementDashboard = components["schemas"]["EngagementDashboard"];
/** One problem of a 422 answer: where (`loc`), what (`msg`) and its kind (`type`). */
export type ValidationIssue = components["schemas"]["ValidationIssue"];
/** What an erasure removed, per kind of record (zeros when nothing was held). */
export type Erasure = components["schemas"]["Erasure"];
/** Everything held on a participant (`GET /admin/players/{player_id}/export`). */
export type PlayerExport = components["schemas"]["PlayerExport"];
/** The `metadata` part of an audio upload (`role` and `codec` have defaults). */
export type RecordingMetadata = components["schemas"]["RecordingMetadata"];
/** The answer of an audio upload: the stored object's and manifest's admin URLs. */
export type RecordingUpload = components["schemas"]["RecordingUpload"];
/** A session's recordings manifest: its turns with each role's audio path and transcript. */
export type RecordingManifest = components["schemas"]["RecordingManifest"];
/** A participant's recordings index: their sessions with turn counts and durations. */
export type ParticipantRecordingIndex = components["schemas"]["ParticipantRecordingIndex"];
/** A device heartbeat (`POST /internal/heartbeat`): agent version, connectivity, network and health. */
export type Heartbeat = components["schemas"]["Heartbeat"];
/** The fleet's status (`GET /api/heartbeats`): every device, newest heartbeat first. */
export type Fleet = components["schemas"]["Fleet"];
/** One device of the fleet status: its status, last heartbeat and network figures. */
export type DeviceStatus = components["schemas"]["DeviceStatus"];
/** Uptime and reboots of every device over the last 7 days (`GET /admin/devices/uptime`). */
export type FleetUptime = components["schemas"]["FleetUptime"];
/** The users whose sessions came from one device, most recent first. */
export type DeviceUsers = components["schemas"]["DeviceUsers"];
/** A remote command a device can be sent. */
export type CommandType = components["schemas"]["NewCommand"]["command"];
/** A command as queued (`POST /admin/commands`), status `PENDING`. */
export type QueuedCommand = components["schemas"]["QueuedCommand"];
/** The poll's answer (`GET /internal/commands/pending`): the oldest pending command or null. */
export type PendingCommand = components["schemas"]["PendingCommand"];
/** A device's report on a command it picked up: `COMPLETED` or `FAILED`, with an error. */
export type CommandReport = components["schemas"]["CommandReport"];
/** A device's commands, newest first (`GET /admin/devices/{device_id}/commands`). */
export type DeviceCommands = components["schemas"]["DeviceCommands"];
/** A device's latest log snapshot (`GET /admin/logs/{device_id}`), or null. */
export type LogSnapshot = components["schemas"]["LogSnapshot"];
/** What `DELETE /admin/devices/{device_id}` removed, per kind of record. */
export type DeviceErasure = components["schemas"]["DeviceErasure"];
export type { components, operations, paths };

/** The most events one POST /events/batch accepts. */
export const MAX_BATCH = 500;

/** Settings of {@link createClient}: where the service is, credentials and retries. */
export interface ClientOptions {
  /** Service root, e.g. `http://127.0.0.1:8000` (no trailing path). */
  baseUrl: string;
  /** INGEST_SERVICE_TOKEN: sent on event ingest, finalize and session-summary ingest. */
  ingestToken?: string | undefined;
  /** A DASHBOARD_TOKEN_MAP token: sent on player reads and the engagement dashboard. */
  dashboardToken?: string | undefined;
  /** ADMIN_KEY: sent as X-ADMIN-KEY on every admin endpoint. */
  adminKey?: string | undefined;
  /** ADMIN_TOKEN: sent as `Authorization: Bearer` on every admin endpoint (either one suffices). */
  adminToken?: string | undefined;
  /** Retries after a 503 or a network error (default 3; 0 disables). */
  retries?: number | undefined;
  /** First backoff in ms, doubled on every retry, with jitter (default 250). */
  retryDelayMs?: number | undefined;
  /** Longest single wait in ms, also the cap for Retry-After (default 10 000). */
  maxRetryDelayMs?: number | undefined;
  /** Time limit of one attempt in ms (default 10 000); running out counts as a network error. */
  timeoutMs?: number | undefined;
  /** The fetch to use (default `globalThis.fetch`), e.g. to add logging or for tests. */
  fetch?: ((request: Request) => Promise<Response>) | undefined;
}

/** A non-2xx answer: its status, the `detail` of the body, and the X-Request-ID to quote. */
export class ApiError extends Error {
  /** Returns an error for an answer's status, detail and X-Request-ID. */
  constructor(
    /** The HTTP status of the answer. */
    readonly status: number,
    /** The answer's `detail`: a message, or for 422 the list of issues. */
    readonly detail: string | ValidationIssue[],
    /** The answer's X-Request-ID, to quote in a bug report (null when absent). */
    readonly requestId: string | null,
  ) {
    const text = typeof detail === "string"
      ? detail
      : detail.map((i) => `${i.loc.join(".")}: ${i.msg}`).join("; ");
    super(`HTTP ${status}: ${text}`);
    this.name = "ApiError";
  }
}

/** The typed client; see {@link createClient}. */
export interface TelemetryClient {
  /** POST /events: one attempt (an identical resend is accepted and stored once). */
  postEvent(event: AttemptEvent): Promise<{ stored: true }>;
  /** POST /events/batch in chunks of 500 (any length; each chunk all-or-nothing); sums counts. */
  postEvents(events: readonly AttemptEvent[]): Promise<BatchResult>;
  /**
   * POST /sessions/{session_id}/finalize (idempotent). A water_v1 session needs
   * `{ task_version: "water_v1", stress_score }` (0–100; ApiError 400 without it).
   */
  finalizeSession(sessionId: string, body?: FinalizeRequest): Promise<SessionSummary>;
  /** GET /players/{player_id}/sessions, in finalize order. */
  playerSessions(playerId: string): Promise<SessionSummary[]>;
  /**
   * GET /model/state/{player_id}?model_name= (default earth); ApiError 404 before the player's
   * first finalized session of that task.
   */
  modelState(playerId: string, modelName?: ModelName): Promise<ModelState>;
  /** GET /dashboard/company?t= */
  companyInfo(token: string): Promise<CompanyInfo>;
  /** GET /dashboard/summary?t= (ApiError 403 below MIN_COMPANY_N players). */
  companySummary(token: string): Promise<CompanySummary>;
  /** GET /dashboard/timeseries?t=&bucket= */
  companyTimeseries(token: string, bucket?: "day" | "week" | "month"): Promise<Timeseries>;
  /** GET /dashboard/forecast?t= (ApiError 403 below MIN_COMPANY_N players). */
  companyForecast(token: string): Promise<CompanyForecast>;
  /** POST /admin/seed_company (X-ADMIN-KEY). */
  seedCompany(company: SeedCompany): Promise<SeededCompany>;
  /** DELETE /admin/players/{player_id} (X-ADMIN-KEY): erases everything held; zeros when nothing. */
  erasePlayer(playerId: string): Promise<Erasure>;
  /** GET /admin/players/{player_id}/export (X-ADMIN-KEY), parsed into one object. */
  exportPlayer(playerId: string): Promise<PlayerExport>;
  /** The same export as the raw JSON byte stream, for histories too large to parse at once. */
  exportPlayerStream(playerId: string): Promise<ReadableStream<Uint8Array>>;
  /**
   * POST /internal/ingest/session_audio (ingest token): one FLAC turn as multipart/form-data.
   * Retried like every call (safe: the same content for the same turn answers 200 with the same
   * URLs, `duplicate: true`); give `timeoutMs` room for large files.
   */
  uploadSessionAudio(
    file: Blob | Uint8Array,
    metadata: Partial<RecordingMetadata> & Omit<RecordingMetadata, "role" | "codec">,
  ): Promise<RecordingUpload>;
  /** POST /internal/ingest/audio (older endpoint; `metadata.codec` flac or opus). */
  uploadAudio(
    file: Blob | Uint8Array,
    metadata: Partial<RecordingMetadata> & Omit<RecordingMetadata, "role" | "codec">,
  ): Promise<RecordingUpload>;
  /** GET /admin/sessions/{session_id}/recordings (X-ADMIN-KEY): the session's manifest. */
  sessionRecordings(sessionId: string): Promise<RecordingManifest>;
  /** GET /admin/participants/{participant_id}/recordings (X-ADMIN-KEY): the index. */
  participantRecordings(participantId: string): Promise<ParticipantRecordingIndex>;
  /** POST /internal/ingest/session_summary: `ok`, or `duplicate` for a known session_id. */
  ingestSessionSummary(session: EngagementSession): Promise<IngestStatus>;
  /** GET /api/dashboard/{user_id}: the seven-day engagement rollup. */
  engagementDashboard(userId: string): Promise<EngagementDashboard>;
  /** POST /internal/heartbeat (ingest token). */
  postHeartbeat(heartbeat: Heartbeat): Promise<{ status: "ok" }>;
  /** GET /api/heartbeats (a `*` dashboard token): every device, or one page with `limit`. */
  fleetStatus(
    query?: { status?: DeviceStatus["status"]; limit?: number; after?: string },
  ): Promise<Fleet>;
  /** GET /admin/devices/uptime (admin): uptime and reboots over the last 7 days. */
  fleetUptime(query?: { limit?: number; after?: string }): Promise<FleetUptime>;
  /** GET /admin/devices/{device_id}/users (admin). */
  deviceUsers(deviceId: string): Promise<DeviceUsers>;
  /** POST /admin/commands (admin): queues a command (not retried: a resend queues another). */
  queueCommand(deviceId: string, command: CommandType): Promise<QueuedCommand>;
  /** GET /internal/commands/pending as `deviceId`: its oldest pending command, now picked up. */
  pollCommand(deviceId: string): Promise<PendingCommand["command"]>;
  /** POST /internal/commands/{id}/status as `deviceId` (ApiError 409 when not PICKED_UP). */
  reportCommand(id: string, report: CommandReport, deviceId?: string): Promise<{ status: "ok" }>;
  /** GET /admin/devices/{device_id}/commands (admin), newest first. */
  deviceCommands(deviceId: string): Promise<DeviceCommands>;
  /** POST /internal/ingest/logs: returns the snapshot id. */
  uploadLogs(deviceId: string, content: string): Promise<number>;
  /** GET /admin/logs/{device_id} (admin): the latest snapshot or null. */
  latestLogs(deviceId: string): Promise<LogSnapshot["snapshot"]>;
  /** DELETE /admin/devices/{device_id} (admin): everything held about the device. */
  eraseDevice(deviceId: string): Promise<DeviceErasure>;
  /** GET /health (process liveness). */
  health(): Promise<{ status: "ok" }>;
  /** GET /healthz (database round trip). */
  healthz(): Promise<{ status: "ok" }>;
  /** GET /readyz */
  readyz(): Promise<{ status: "ready"; windowDays: 7 }>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Retry settings of {@link retryingFetch} (the same fields as in {@link ClientOptions}). */
export type RetryOptions = Pick<
  ClientOptions,
  "retries" | "retryDelayMs" | "maxRetryDelayMs" | "timeoutMs"
>;

/** Returns a fetch that retries 503 answers and network errors with backoff and jitter. */
export function retryingFetch(
  inner: (request: Request) => Promise<Response>,
  { retries = 3, retryDelayMs = 250, maxRetryDelayMs = 10_000, timeoutMs = 10_000 }: RetryOptions =
    {},
): (request: Request) => Promise<Response> {
  const backoff = (attempt: number) => {
    const full = Math.min(maxRetryDelayMs, retryDelayMs * 2 ** attempt);
    return full / 2 + Math.random() * (full / 2);
  };
  return async (request) => {
    for (let attempt = 0;; attempt++) {
      const last = attempt >= retries;
      const signal = AbortSignal.any([request.signal, AbortSignal.timeout(timeoutMs)]);
      let res: Response;
      try {
        res = await inner(new Request(request.clone(), { signal }));
      } catch (err) {
        if (last || request.signal.aborted) throw err;
        await sleep(backoff(attempt));
        continue;
      }
      if (res.status !== 503 || last) return res;
      const retryAfter = Number(res.headers.get("retry-after")) * 1000;
      await res.body?.cancel();
      const wait = Number.isFinite(retryAfter) ? Math.min(retryAfter, maxRetryDelayMs) : 0;
      await sleep(Math.max(backoff(attempt), wait));
    }
  };
}

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** Returns the body of a 2xx answer, or throws ApiError with its status and detail. */
async function unwrap<T>(call: Promise<Answer<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok) return data as T;
  const detail = (error as { detail?: unknown } | undefined)?.detail ?? error;
  throw new ApiError(
    response.status,
    typeof detail === "string" || Array.isArray(detail)
      ? detail as string | ValidationIssue[]
      : String(detail ?? response.statusText),
    response.headers.get("x-request-id"),
  );
}

/** Returns a client for the service at `options.baseUrl`. */
export function createClient(options: ClientOptions): TelemetryClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const send = retryingFetch(options.fetch ?? ((r) => fetch(r)), options);
  const api = createFetchClient<paths>({ baseUrl, fetch: send });
  const bearer = (token?: string): Record<string, string> =>
    token ? { Authorization: `Bearer ${token}` } : {};
  const ingest = bearer(options.ingestToken);
  const reader = bearer(options.dashboardToken);
  const admin: Record<string, string> = {
    ...(options.adminKey ? { "X-ADMIN-KEY": options.adminKey } : {}),
    ...bearer(options.adminToken),
  };
  // A queued command is not idempotent: its POST is sent once (no retry of a lost answer).
  const once = createFetchClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    fetch: retryingFetch(options.fetch ?? ((r) => fetch(r)), { ...options, retries: 0 }),
  });
  const device = (id?: string): Record<string, string> => (id ? { "X-Device-ID": id } : {});

  /** Returns the answer of a multipart audio upload to `path`. */
  async function uploadTo(
    path: string,
    file: Blob | Uint8Array,
    metadata: unknown,
  ): Promise<RecordingUpload> {
    const form = new FormData();
    form.append("metadata", JSON.stringify(metadata));
    const blob = file instanceof Blob ? file : new Blob([file as Uint8Array<ArrayBuffer>]);
    form.append("file", blob, "audio");
    const response = await send(
      new Request(`${baseUrl}${path}`, { method: "POST", headers: ingest, body: form }),
    );
    const body = await response.json().catch(() => ({ detail: response.statusText }));
    return await unwrap(Promise.resolve(
      response.ok ? { data: body, response } : { error: body, response },
    ));
  }

  return {
    uploadSessionAudio: (file, metadata) =>
      uploadTo("/internal/ingest/session_audio", file, metadata),
    uploadAudio: (file, metadata) => uploadTo("/internal/ingest/audio", file, metadata),
    sessionRecordings: (sessionId) =>
      unwrap(api.GET("/admin/sessions/{session_id}/recordings", {
        params: { path: { session_id: sessionId } },
        headers: admin,
      })) as Promise<RecordingManifest>,
    participantRecordings: (participantId) =>
      unwrap(api.GET("/admin/participants/{participant_id}/recordings", {
        params: { path: { participant_id: participantId } },
        headers: admin,
      })) as Promise<ParticipantRecordingIndex>,
    postEvent: (event) => unwrap(api.POST("/events", { body: event, headers: ingest })),
    async postEvents(events) {
      const total = { stored: 0, duplicates: 0 };
      for (let i = 0; i < events.length; i += MAX_BATCH) {
        const body = { events: events.slice(i, i + MAX_BATCH) };
        const part = await unwrap(api.POST("/events/batch", { body, headers: ingest }));
        total.stored += part.stored;
        total.duplicates += part.duplicates;
      }
      return total;
    },
    finalizeSession: (sessionId, body) =>
      unwrap(api.POST("/sessions/{session_id}/finalize", {
        params: { path: { session_id: sessionId } },
        headers: ingest,
        ...(body === undefined ? {} : { body }),
      })),
    playerSessions: (playerId) =>
      unwrap(api.GET("/players/{player_id}/sessions", {
        params: { path: { player_id: playerId } },
        headers: reader,
      })),
    modelState: (playerId, modelName = "earth") =>
      unwrap(api.GET("/model/state/{player_id}", {
        params: { path: { player_id: playerId }, query: { model_name: modelName } },
        headers: reader,
      })),
    companyInfo: (t) => unwrap(api.GET("/dashboard/company", { params: { query: { t } } })),
    companySummary: (t) => unwrap(api.GET("/dashboard/summary", { params: { query: { t } } })),
    companyTimeseries: (t, bucket = "day") =>
      unwrap(api.GET("/dashboard/timeseries", { params: { query: { t, bucket } } })),
    companyForecast: (t) => unwrap(api.GET("/dashboard/forecast", { params: { query: { t } } })),
    seedCompany: (company) =>
      unwrap(api.POST("/admin/seed_company", { body: company, headers: admin })),
    erasePlayer: (playerId) =>
      unwrap(api.DELETE("/admin/players/{player_id}", {
        params: { path: { player_id: playerId } },
        headers: admin,
      })),
    exportPlayer: (playerId) =>
      // openapi-fetch's Readable<> adds an index signature to the summary; same shape.
      unwrap(api.GET("/admin/players/{player_id}/export", {
        params: { path: { player_id: playerId } },
        headers: admin,
      })) as Promise<PlayerExport>,
    async exportPlayerStream(playerId) {
      const answer = await api.GET("/admin/players/{player_id}/export", {
        params: { path: { player_id: playerId } },
        headers: admin,
        parseAs: "stream",
      });
      return await unwrap(Promise.resolve(answer as Answer<ReadableStream<Uint8Array>>));
    },
    ingestSessionSummary: (session) =>
      unwrap(api.POST("/internal/ingest/session_summary", { body: session, headers: ingest })),
    engagementDashboard: (userId) =>
      unwrap(api.GET("/api/dashboard/{user_id}", {
        params: { path: { user_id: userId } },
        headers: reader,
      })),
    postHeartbeat: (heartbeat) =>
      unwrap(api.POST("/internal/heartbeat", { body: heartbeat, headers: ingest })),
    fleetStatus: (query = {}) =>
      unwrap(api.GET("/api/heartbeats", { params: { query }, headers: reader })),
    fleetUptime: (query = {}) =>
      unwrap(api.GET("/admin/devices/uptime", { params: { query }, headers: admin })),
    deviceUsers: (deviceId) =>
      unwrap(api.GET("/admin/devices/{device_id}/users", {
        params: { path: { device_id: deviceId } },
        headers: admin,
      })),
    queueCommand: (deviceId, command) =>
      unwrap(
        once.POST("/admin/commands", { body: { device_id: deviceId, command }, headers: admin }),
      ),
    pollCommand: async (deviceId) =>
      (await unwrap(api.GET("/internal/commands/pending", {
        headers: { ...ingest, ...device(deviceId) },
      }))).command,
    reportCommand: (id, report, deviceId) =>
      unwrap(api.POST("/internal/commands/{id}/status", {
        params: { path: { id } },
        body: report,
        headers: { ...ingest, ...device(deviceId) },
      })),
    deviceCommands: (deviceId) =>
      unwrap(api.GET("/admin/devices/{device_id}/commands", {
        params: { path: { device_id: deviceId } },
        headers: admin,
      })) as Promise<DeviceCommands>,
    uploadLogs: async (deviceId, content) =>
      (await unwrap(api.POST("/internal/ingest/logs", {
        body: { device_id: deviceId, content },
        headers: ingest,
      }))).snapshot_id,
    latestLogs: async (deviceId) =>
      (await unwrap(api.GET("/admin/logs/{device_id}", {
        params: { path: { device_id: deviceId } },
        headers: admin,
      }))).snapshot,
    eraseDevice: (deviceId) =>
      unwrap(api.DELETE("/admin/devices/{device_id}", {
        params: { path: { device_id: deviceId } },
        headers: admin,
      })),
    health: () => unwrap(api.GET("/health")),
    healthz: () => unwrap(api.GET("/healthz")),
    readyz: () => unwrap(api.GET("/readyz")),
  };
}
