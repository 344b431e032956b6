/** Contract of the companion-device fleet: heartbeats, fleet status, uptime, users, logs. */
import { createRoute, z } from "@hono/zod-openapi";
import { hasUtcOffset } from "../core/time.ts";
import { STALE_MINUTES } from "../core/devices.ts";
import { errors, errorWith, IdSchema, security, text } from "./common.ts";
import * as ex from "./device_examples.ts";

const INT32 = { min: -2_147_483_648, max: 2_147_483_647 };

/** An ISO-8601 timestamp with `Z` or an offset, or null. */
export const OffsetTimestampSchema = z.string().refine(hasUtcOffset, {
  message: "Invalid input: expected an ISO-8601 timestamp with Z or a UTC offset",
}).nullable().optional().openapi({
  description: "ISO-8601 with `Z` or `±HH:MM`, or null; without an offset the answer is 422.",
  example: "2025-10-22T14:30:00Z",
});

/** A device id (1–128 characters, like a user id). */
export const DeviceIdSchema = IdSchema.openapi({ example: "dev-0001" });

export const HeartbeatSchema = z.object({
  device_id: DeviceIdSchema,
  agent_version: text(1, 64).openapi({ example: "2.4.1" }),
  connectivity: z.enum(["wifi", "lte", "offline"]),
  network: z.object({
    interface: text(1, 64).openapi({ example: "wlan0" }),
    ip: text(1, 64).openapi({ example: "192.168.1.23" }),
    signal_rssi: z.number().int().min(INT32.min).max(INT32.max).nullable().optional()
      .openapi({ example: -58 }),
    latency_ms: z.number().int().min(0).max(INT32.max).nullable().optional()
      .openapi({ example: 42 }),
  }),
  agent_status: z.enum(["ok", "degraded", "crashed"]),
  last_session_at: OffsetTimestampSchema,
  timestamp: OffsetTimestampSchema.openapi({
    description: "The device's clock: stored, never used for freshness (the server stamps " +
      "its own receive time). ISO-8601 with an offset, or null.",
  }),
  boot_time: OffsetTimestampSchema.openapi({
    description: "When the device booted: a change between two heartbeats counts a reboot. " +
      "ISO-8601 with an offset, or null.",
  }),
}).openapi("Heartbeat", {
  description: "One agent heartbeat. Unknown fields are ignored.",
  example: ex.heartbeat,
});

export type Heartbeat = z.infer<typeof HeartbeatSchema>;

/** Returns true for a string `text(min, max)` accepts (openapi/common.ts). */
function isText(v: unknown, min: number, max: number): v is string {
  return typeof v === "string" && v.length >= min && v.length <= max && !v.includes("\u0000") &&
    v.isWellFormed();
}

/** Returns true for an integer in [min, max], null or undefined (`nullable().optional()`). */
function isIntOrNull(v: unknown, min: number, max: number): v is number | null | undefined {
  return v == null || (typeof v === "number" && Number.isInteger(v) && v >= min && v <= max);
}

/** Returns true for what `OffsetTimestampSchema` accepts. */
function isTimestamp(v: unknown): v is string | null | undefined {
  return v == null || (typeof v === "string" && hasUtcOffset(v));
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Returns what `HeartbeatSchema.safeParse(value)` returns as its data (the known fields only,
 * absent optional ones left out), or null where it fails: the same verdict without zod, for the
 * heartbeat's light path (api/devices.ts `lightHeartbeat`; the equivalence is tested on a corpus).
 */
export function parseHeartbeat(value: unknown): Heartbeat | null {
  if (!isObject(value)) return null;
  const { device_id, agent_version, connectivity, network, agent_status } = value;
  const { last_session_at, timestamp, boot_time } = value;
  if (!isText(device_id, 1, 128) || device_id === "." || device_id === "..") return null;
  if (!isText(agent_version, 1, 64)) return null;
  if (connectivity !== "wifi" && connectivity !== "lte" && connectivity !== "offline") return null;
  if (!isObject(network)) return null;
  const { interface: iface, ip, signal_rssi, latency_ms } = network;
  if (!isText(iface, 1, 64) || !isText(ip, 1, 64)) return null;
  if (!isIntOrNull(signal_rssi, INT32.min, INT32.max)) return null;
  if (!isIntOrNull(latency_ms, 0, INT32.max)) return null;
  if (agent_status !== "ok" && agent_status !== "degraded" && agent_status !== "crashed") {
    return null;
  }
  if (!isTimestamp(last_session_at) || !isTimestamp(timestamp) || !isTimestamp(boot_time)) {
    return null;
  }
  const net: Heartbeat["network"] = { interface: iface, ip };
  if (signal_rssi !== undefined) net.signal_rssi = signal_rssi;
  if (latency_ms !== undefined) net.latency_ms = latency_ms;
  const out: Heartbeat = { device_id, agent_version, connectivity, network: net, agent_status };
  if (last_session_at !== undefined) out.last_session_at = last_session_at;
  if (timestamp !== undefined) out.timestamp = timestamp;
  if (boot_time !== undefined) out.boot_time = boot_time;
  return out;
}

export const OkSchema = z.object({ status: z.literal("ok") }).openapi("Ok", {
  example: { status: "ok" },
});

export const DeviceStatusSchema = z.object({
  deviceId: z.string(),
  status: z.enum(["healthy", "degraded", "dead"]).openapi({
    description: `dead: lastSeen older than ${STALE_MINUTES} minutes; healthy: agent ok and ` +
      "latency known and below 500 ms; degraded otherwise.",
  }),
  lastSeen: z.string().openapi({ description: "Server receive time of the latest heartbeat" }),
  connectivity: z.enum(["wifi", "lte", "offline"]),
  agentVersion: z.string(),
  signalRssi: z.number().int().nullable(),
  latencyMs: z.number().int().nullable(),
  lastSessionAt: z.string().nullable(),
  bootTime: z.string().nullable(),
}).openapi("DeviceStatus");

export type DeviceStatusItem = z.infer<typeof DeviceStatusSchema>;

export const FleetSchema = z.object({
  devices: z.array(DeviceStatusSchema).openapi({ description: "Newest lastSeen first" }),
  asOf: z.string(),
  staleThresholdMinutes: z.literal(STALE_MINUTES),
  next: z.string().nullable().openapi({
    description: "With `limit`: the `after` of the next page, null on the last one. " +
      "Always null without `limit`.",
  }),
}).openapi("Fleet", { example: ex.fleet });

export type Fleet = z.infer<typeof FleetSchema>;

const limitParam = (name: string, description: string) =>
  z.coerce.number().int().min(1).max(1000).optional().openapi({
    param: { name, in: "query" },
    description,
    example: 100,
  });

export const FleetQuerySchema = z.object({
  status: z.enum(["healthy", "degraded", "dead"]).optional().openapi({
    param: { name: "status", in: "query" },
    example: "healthy",
  }),
  limit: limitParam("limit", "Page size 1–1000; without it every device is listed"),
  after: z.string().max(512).optional().openapi({
    param: { name: "after", in: "query" },
    description: "The `next` of the previous page",
    example: ex.FLEET_CURSOR_EXAMPLE,
  }),
});

export const UptimeSchema = z.object({
  devices: z.array(z.object({
    device_id: z.string(),
    uptime_pct_7d: z.number().openapi({
      description: "Uptime seconds × 100 / (7 × 86,400), 2 decimals",
    }),
    reboots_7d: z.number().int(),
    total_hours_tracked: z.number().int().openapi({ description: "Hours with a heartbeat" }),
  })).openapi({ description: "By device_id" }),
  as_of: z.string(),
  next: z.string().nullable().openapi({ description: "With `limit`: the next `after`" }),
}).openapi("FleetUptime", { example: ex.uptime });

export type Uptime = z.infer<typeof UptimeSchema>;

export const UptimeQuerySchema = z.object({
  limit: limitParam("limit", "Page size 1–1000; without it every device is listed"),
  after: text(1, 128).optional().openapi({
    param: { name: "after", in: "query" },
    description: "The last device_id of the previous page",
    example: "dev-0000",
  }),
});

export const DeviceUsersSchema = z.object({
  device_id: z.string(),
  users: z.array(z.object({
    user_external_id: z.string(),
    last_session_at: z.string().openapi({ description: "started_at of the newest session" }),
    session_count: z.number().int(),
  })).openapi({ description: "Most recent first" }),
}).openapi("DeviceUsers", { example: ex.deviceUsers });

export type DeviceUsers = z.infer<typeof DeviceUsersSchema>;

export const COMMAND_TYPES = ["REBOOT", "RESTART_SERVICE", "UPLOAD_LOGS", "UPDATE_NOW"] as const;

export const NewCommandSchema = z.object({
  device_id: DeviceIdSchema,
  command: z.enum(COMMAND_TYPES),
}).openapi("NewCommand", {
  example: { device_id: ex.EXAMPLE_DEVICE, command: "REBOOT" },
});

export const QueuedCommandSchema = z.object({
  id: z.uuid(),
  device_id: z.string(),
  command_type: z.enum(COMMAND_TYPES),
  status: z.literal("PENDING"),
  created_at: z.string(),
}).openapi("QueuedCommand", { example: ex.queuedCommand });

export type QueuedCommand = z.infer<typeof QueuedCommandSchema>;

export const PendingCommandSchema = z.object({
  command: z.object({
    id: z.uuid(),
    command_type: z.enum(COMMAND_TYPES),
    payload: z.unknown().nullable(),
    created_at: z.string(),
  }).nullable(),
}).openapi("PendingCommand", { example: ex.pendingCommand });

export type PendingCommand = z.infer<typeof PendingCommandSchema>;

export const CommandReportSchema = z.object({
  status: z.enum(["COMPLETED", "FAILED"]),
  error: text(0, 4096).nullable().optional(),
}).openapi("CommandReport", { example: { status: "COMPLETED", error: null } });

export const CommandSchema = z.object({
  id: z.uuid(),
  device_id: z.string(),
  command_type: z.enum(COMMAND_TYPES),
  status: z.enum(["PENDING", "PICKED_UP", "COMPLETED", "FAILED"]),
  payload: z.unknown().nullable(),
  error: z.string().nullable(),
  created_at: z.string(),
  picked_up_at: z.string().nullable(),
  finished_at: z.string().nullable(),
}).openapi("Command");

export type Command = z.infer<typeof CommandSchema>;

export const DeviceCommandsSchema = z.object({
  device_id: z.string(),
  commands: z.array(CommandSchema).openapi({ description: "Newest first (at most 200)" }),
}).openapi("DeviceCommands", { example: ex.deviceCommands });

/** Most characters (UTF-8 bytes) a log snapshot's content may hold. */
export const LOG_CONTENT_MAX_BYTES = 512 * 1024;
/** Snapshots kept per device (older ones are deleted as new ones arrive). */
export const LOG_SNAPSHOTS_KEPT = 10;

export const LogUploadSchema = z.object({
  device_id: DeviceIdSchema,
  content: z.string().min(1).refine((v) => !v.includes("\u0000"), {
    message: "Must not contain NUL characters",
  }).refine((v) => v.isWellFormed(), {
    message: "Must be well-formed Unicode (no lone surrogates)",
  }).openapi({
    description: `1 character to ${LOG_CONTENT_MAX_BYTES} bytes of UTF-8 (over it: 413).`,
  }),
}).openapi("LogUpload", { example: ex.logUpload });

export const LogStoredSchema = z.object({
  status: z.literal("ok"),
  snapshot_id: z.number().int(),
}).openapi("LogStored", { example: { status: "ok", snapshot_id: 1 } });

export const LogSnapshotSchema = z.object({
  snapshot: z.object({
    id: z.number().int(),
    device_id: z.string(),
    log_content: z.string(),
    created_at: z.string(),
  }).nullable(),
}).openapi("LogSnapshot", { example: ex.logSnapshot });

export const DeviceErasureSchema = z.object({
  device_id: z.string(),
  deleted: z.record(z.string(), z.number().int()).openapi({
    description: "Rows removed per kind: state, heartbeats, hourly_summaries, commands, " +
      "log_snapshots, session_links (sessions kept, their device link removed), recordings " +
      "(voice recordings of the device: objects, then rows), and any further kind a later " +
      "erasure step adds",
  }),
}).openapi("DeviceErasure", { example: ex.deviceErasure });

export type DeviceErasure = z.infer<typeof DeviceErasureSchema>;

const deviceParam = z.object({
  device_id: IdSchema.openapi({
    param: { name: "device_id", in: "path" },
    example: ex.EXAMPLE_DEVICE,
  }),
});

export const DeviceIdHeaderSchema = z.object({
  "x-device-id": text(1, 128).optional().openapi({
    param: { name: "x-device-id", in: "header" },
    description: "The device asking (1–128 characters)",
    example: ex.EXAMPLE_DEVICE,
  }),
});

const DEVICE_ADMIN_ERRORS = {
  401: errorWith(401, "Invalid admin credentials"),
  422: errors[422],
  429: errors[429],
  503: errors[503],
};

const ok = (description: string) => ({
  description,
  content: { "application/json": { schema: OkSchema } },
});

const INGEST_ERRORS = {
  400: errors[400],
  401: errorWith(401, "Invalid service token"),
  415: errors[415],
  422: errors[422],
  429: errors[429],
  503: errors[503],
};

export const heartbeatRoute = createRoute({
  method: "post",
  path: "/internal/heartbeat",
  operationId: "postHeartbeat",
  tags: ["devices"],
  summary: "Post one agent heartbeat",
  description: "Stores the heartbeat as the device's latest state and appends it to the " +
    "device's event log, stamped with the server's receive time. The credential is checked " +
    "before the body.",
  security: security.ingest,
  request: {
    body: { required: true, content: { "application/json": { schema: HeartbeatSchema } } },
  },
  responses: { 200: ok("Stored"), ...INGEST_ERRORS, 413: errors[413] },
});

export const fleetRoute = createRoute({
  method: "get",
  path: "/api/heartbeats",
  operationId: "fleetStatus",
  tags: ["devices"],
  summary: "Every device's latest state and status",
  description: "Needs a dashboard token mapped to `*` (401 missing or unknown, 403 another). " +
    "Without parameters every device is listed, newest lastSeen first.",
  security: security.dashboardBearer,
  request: { query: FleetQuerySchema },
  responses: {
    200: { description: "The fleet", content: { "application/json": { schema: FleetSchema } } },
    400: errorWith(400, "after is not a cursor of this list"),
    401: errorWith(401, "Invalid dashboard token"),
    403: errorWith(403, "The fleet needs a dashboard token mapped to *"),
    422: errors[422],
    429: errors[429],
    503: errors[503],
  },
});

export const uptimeRoute = createRoute({
  method: "get",
  path: "/admin/devices/uptime",
  operationId: "fleetUptime",
  tags: ["devices"],
  summary: "Uptime and reboots of every device over the last 7 days",
  description: "The 168 hours ending with the current one, compacted and raw heartbeats " +
    "together. Each heartbeat confirms 300 s, at most 3,600 per hour.",
  security: security.admin,
  request: { query: UptimeQuerySchema },
  responses: {
    200: { description: "Uptime", content: { "application/json": { schema: UptimeSchema } } },
    ...DEVICE_ADMIN_ERRORS,
  },
});

export const deviceUsersRoute = createRoute({
  method: "get",
  path: "/admin/devices/{device_id}/users",
  operationId: "deviceUsers",
  tags: ["devices"],
  summary: "Who uses a device",
  description: "The users of the session summaries the device tagged, most recent first.",
  security: security.admin,
  request: { params: deviceParam },
  responses: {
    200: { description: "Users", content: { "application/json": { schema: DeviceUsersSchema } } },
    ...DEVICE_ADMIN_ERRORS,
  },
});

export const queueCommandRoute = createRoute({
  method: "post",
  path: "/admin/commands",
  operationId: "queueCommand",
  tags: ["devices"],
  summary: "Queue a remote command for a device",
  description: "Queues a PENDING command; the device picks it up at its next poll (every " +
    "30 s). Not idempotent: each call queues one more.",
  security: security.admin,
  request: {
    body: { required: true, content: { "application/json": { schema: NewCommandSchema } } },
  },
  responses: {
    201: {
      description: "Queued",
      content: { "application/json": { schema: QueuedCommandSchema } },
    },
    400: errors[400],
    413: errors[413],
    415: errors[415],
    ...DEVICE_ADMIN_ERRORS,
  },
});

export const pendingCommandRoute = createRoute({
  method: "get",
  path: "/internal/commands/pending",
  operationId: "pollCommand",
  tags: ["devices"],
  summary: "Pick up the device's oldest pending command",
  description: "Answers the oldest PENDING command of the `X-Device-ID` device and marks it " +
    "PICKED_UP in the same statement (two concurrent polls never get the same one). " +
    '`{"command": null}` when there is none or X-Device-ID is missing; such a poll writes ' +
    "nothing.",
  security: security.ingest,
  request: { headers: DeviceIdHeaderSchema },
  responses: {
    200: {
      description: "The command, or null",
      content: { "application/json": { schema: PendingCommandSchema } },
    },
    ...INGEST_ERRORS,
  },
});

export const reportCommandRoute = createRoute({
  method: "post",
  path: "/internal/commands/{id}/status",
  operationId: "reportCommand",
  tags: ["devices"],
  summary: "Report a picked-up command's outcome",
  description: "Only a PICKED_UP command can be completed or failed (409 names its state). " +
    "With X-Device-ID it must be the command's device (else 404). A pick-up older than " +
    "COMMAND_TIMEOUT_SECONDS has failed with `timed out` (409).",
  security: security.ingest,
  request: {
    params: z.object({
      id: z.string().max(64).openapi({
        param: { name: "id", in: "path" },
        description: "The command's id (a uuid; anything else is an unknown command, 404)",
        example: ex.EXAMPLE_COMMAND_ID,
      }),
    }),
    headers: DeviceIdHeaderSchema,
    body: { required: true, content: { "application/json": { schema: CommandReportSchema } } },
  },
  responses: {
    200: ok("Recorded"),
    404: errorWith(404, "Unknown command"),
    409: errorWith(409, "Command is COMPLETED, not PICKED_UP"),
    413: errors[413],
    ...INGEST_ERRORS,
  },
});

export const deviceCommandsRoute = createRoute({
  method: "get",
  path: "/admin/devices/{device_id}/commands",
  operationId: "deviceCommands",
  tags: ["devices"],
  summary: "A device's commands, newest first",
  description: "Every state with its timestamps and error (at most the newest 200).",
  security: security.admin,
  request: { params: deviceParam },
  responses: {
    200: {
      description: "Commands",
      content: { "application/json": { schema: DeviceCommandsSchema } },
    },
    ...DEVICE_ADMIN_ERRORS,
  },
});

export const uploadLogsRoute = createRoute({
  method: "post",
  path: "/internal/ingest/logs",
  operationId: "uploadLogs",
  tags: ["devices"],
  summary: "Upload a log snapshot",
  description: `Content of 1 character to ${LOG_CONTENT_MAX_BYTES} bytes (413 over it). The ` +
    `newest ${LOG_SNAPSHOTS_KEPT} snapshots per device are kept.`,
  security: security.ingest,
  request: {
    body: { required: true, content: { "application/json": { schema: LogUploadSchema } } },
  },
  responses: {
    200: { description: "Stored", content: { "application/json": { schema: LogStoredSchema } } },
    413: errorWith(413, `content over ${LOG_CONTENT_MAX_BYTES} bytes`),
    ...INGEST_ERRORS,
  },
});

export const latestLogsRoute = createRoute({
  method: "get",
  path: "/admin/logs/{device_id}",
  operationId: "latestLogs",
  tags: ["devices"],
  summary: "A device's latest log snapshot",
  description: '`{"snapshot": null}` for a device that never uploaded one.',
  security: security.admin,
  request: { params: deviceParam },
  responses: {
    200: {
      description: "The snapshot, or null",
      content: { "application/json": { schema: LogSnapshotSchema } },
    },
    ...DEVICE_ADMIN_ERRORS,
  },
});

export const eraseDeviceRoute = createRoute({
  method: "delete",
  path: "/admin/devices/{device_id}",
  operationId: "eraseDevice",
  tags: ["devices"],
  summary: "Erase everything held about a device",
  description: "In one transaction: latest state, heartbeats, hourly summaries, commands, log " +
    "snapshots; its engagement sessions stay with their users, unlinked. Idempotent (zeros). " +
    "A later heartbeat of the device starts it afresh.",
  security: security.admin,
  request: { params: deviceParam },
  responses: {
    200: {
      description: "What was removed",
      content: { "application/json": { schema: DeviceErasureSchema } },
    },
    ...DEVICE_ADMIN_ERRORS,
  },
});
