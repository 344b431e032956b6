/** Remote command use cases: queue one, poll (pick up), report an outcome, list a device's. */
import { conflict, notFound } from "../core/errors.ts";
import type { Sql } from "../db/client.ts";
import {
  type CommandRow,
  type CommandType,
  deviceCommands,
  insertCommand,
  pickUpCommand,
  reportCommand,
} from "../db/commands.ts";
import type { Command, PendingCommand, QueuedCommand } from "../openapi/devices.ts";
import type { CommandHints } from "./command_hints.ts";

/** Most commands a device's history lists. */
export const COMMAND_HISTORY_LIMIT = 200;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Returns the queued command (PENDING) for the device, hinted in this process at once (other
 * processes learn of it from the notification its insert sends).
 */
export async function queueCommand(
  sql: Sql,
  deviceId: string,
  type: CommandType,
  now: Date,
  hints?: CommandHints,
): Promise<QueuedCommand> {
  const row = await insertCommand(sql, deviceId, type, now);
  hints?.add(deviceId);
  return {
    id: row.id,
    device_id: row.device_id,
    command_type: row.command_type,
    status: "PENDING",
    created_at: row.created_at.toISOString(),
  };
}

/**
 * Returns the device's oldest pending command, now PICKED_UP, or null (no device: null). With
 * `hints`, a device certainly without a pending command is answered null without SQL.
 */
export async function pollCommand(
  sql: Sql,
  deviceId: string | undefined,
  now: Date,
  hints?: CommandHints,
): Promise<PendingCommand> {
  if (deviceId === undefined) return { command: null };
  const probe = hints?.probe(deviceId);
  if (probe?.kind === "none") return { command: null };
  const row = await pickUpCommand(sql, deviceId, now);
  if (row === null && probe?.kind === "ask") hints!.settle(deviceId, probe.ticket);
  return {
    command: row === null ? null : {
      id: row.id,
      command_type: row.command_type,
      payload: row.payload ?? null,
      created_at: row.created_at.toISOString(),
    },
  };
}

/**
 * Resolves once a PICKED_UP command is COMPLETED or FAILED; throws 404 for an unknown command
 * (or one of another device than `deviceId`) and 409 naming the state of any other, including
 * a pick-up older than `timeoutSeconds` (which fails it "timed out").
 */
export async function reportCommandStatus(
  sql: Sql,
  r: {
    id: string;
    deviceId: string | undefined;
    status: "COMPLETED" | "FAILED";
    error: string | null;
    timeoutSeconds: number;
  },
  now: Date,
): Promise<void> {
  if (!UUID.test(r.id)) throw notFound("Unknown command");
  const outcome = await reportCommand(sql, {
    id: r.id,
    deviceId: r.deviceId ?? null,
    status: r.status,
    error: r.error,
    at: now,
    pickedUpSince: new Date(now.getTime() - r.timeoutSeconds * 1000),
  });
  if (outcome.kind === "unknown") throw notFound("Unknown command");
  if (outcome.kind === "wrong_state") {
    const why = outcome.error === "timed out" ? " (timed out)" : "";
    throw conflict(`Command is ${outcome.status}${why}, not PICKED_UP`);
  }
}

/** Returns a command as the API shows it. */
export function toCommand(row: CommandRow): Command {
  return {
    id: row.id,
    device_id: row.device_id,
    command_type: row.command_type,
    status: row.status,
    payload: row.payload ?? null,
    error: row.error,
    created_at: row.created_at.toISOString(),
    picked_up_at: row.picked_up_at?.toISOString() ?? null,
    finished_at: row.finished_at?.toISOString() ?? null,
  };
}

/** Returns the device's newest commands (at most COMMAND_HISTORY_LIMIT), newest first. */
export async function listDeviceCommands(sql: Sql, deviceId: string): Promise<Command[]> {
  return (await deviceCommands(sql, deviceId, COMMAND_HISTORY_LIMIT)).map(toCommand);
}
