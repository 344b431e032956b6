/** SQL of remote commands: queue, poll (pick up the oldest pending one), report, list. */
import type { Sql, Tx } from "./client.ts";

export type CommandType = "REBOOT" | "RESTART_SERVICE" | "UPLOAD_LOGS" | "UPDATE_NOW";
export type CommandStatus = "PENDING" | "PICKED_UP" | "COMPLETED" | "FAILED";

/** The channel on which every newly queued command's device id is notified (migration 0016). */
export const COMMAND_CHANNEL = "device_commands";

/** A command as stored. */
export interface CommandRow {
  id: string;
  device_id: string;
  command_type: CommandType;
  payload: unknown;
  status: CommandStatus;
  error: string | null;
  created_at: Date;
  picked_up_at: Date | null;
  finished_at: Date | null;
}

/** Returns the queued command (PENDING, created at `at`). */
export async function insertCommand(
  sql: Sql,
  deviceId: string,
  type: CommandType,
  at: Date,
): Promise<CommandRow> {
  const [row] = await sql<CommandRow[]>`
    insert into device_commands (device_id, command_type, created_at)
    values (${deviceId}, ${type}, ${at})
    returning *`;
  return row;
}

/**
 * Returns the device's oldest pending command, marked PICKED_UP at `at`, or null. The empty case
 * (nearly every poll) is one read-only probe of the partial index of pending commands, exactly
 * as cheap as a primary-key SELECT and writing nothing; only when a command is pending does an
 * UPDATE pick it up, skipping a row another poll has locked, so no two get the same command.
 */
export async function pickUpCommand(
  sql: Sql | Tx,
  deviceId: string,
  at: Date,
): Promise<CommandRow | null> {
  const [pending] = await sql<{ id: string }[]>`
    select id from device_commands
    where device_id = ${deviceId} and status = 'PENDING'
    limit 1`;
  if (!pending) return null;
  const [row] = await sql<CommandRow[]>`
    update device_commands set status = 'PICKED_UP', picked_up_at = ${at}
    where id = (
      select id from device_commands
      where device_id = ${deviceId} and status = 'PENDING'
      order by created_at, id
      limit 1
      for update skip locked)
    returning *`;
  return row ?? null;
}

/** Returns the ids of the devices that have a PENDING command (a probe of the partial index). */
export async function pendingCommandDevices(sql: Sql): Promise<string[]> {
  const rows = await sql<{ device_id: string }[]>`
    select distinct device_id from device_commands where status = 'PENDING'`;
  return rows.map((r) => r.device_id);
}

/** What a status report did. */
export type ReportOutcome =
  | { kind: "done" }
  | { kind: "unknown" }
  | { kind: "wrong_state"; status: CommandStatus; error: string | null };

/**
 * Returns the outcome of reporting `status` for a command: done when it was PICKED_UP (by
 * `deviceId` when given) at or after `pickedUpSince`; a pick-up older than that is failed
 * "timed out" instead; unknown for no such command (of that device); else its state.
 */
export async function reportCommand(
  sql: Sql,
  r: {
    id: string;
    deviceId: string | null;
    status: "COMPLETED" | "FAILED";
    error: string | null;
    at: Date;
    pickedUpSince: Date;
  },
): Promise<ReportOutcome> {
  const ofDevice = r.deviceId === null ? sql`` : sql`and device_id = ${r.deviceId}`;
  return await sql.begin(async (tx) => {
    const [row] = await tx<{ status: CommandStatus; picked_up_at: Date | null; error: string }[]>`
      select status, picked_up_at, error from device_commands
      where id = ${r.id}::uuid ${ofDevice} for update`;
    if (!row) return { kind: "unknown" as const };
    if (row.status !== "PICKED_UP") {
      return { kind: "wrong_state" as const, status: row.status, error: row.error };
    }
    if (row.picked_up_at!.getTime() < r.pickedUpSince.getTime()) {
      await tx`update device_commands
        set status = 'FAILED', error = 'timed out', finished_at = ${r.at} where id = ${r.id}::uuid`;
      return { kind: "wrong_state" as const, status: "FAILED" as const, error: "timed out" };
    }
    await tx`update device_commands
      set status = ${r.status}, error = ${r.error}, finished_at = ${r.at} where id = ${r.id}::uuid`;
    return { kind: "done" as const };
  });
}

/** Returns up to `limit` of a device's commands, newest first. */
export async function deviceCommands(
  sql: Sql,
  deviceId: string,
  limit: number,
): Promise<CommandRow[]> {
  return await sql<CommandRow[]>`
    select * from device_commands where device_id = ${deviceId}
    order by created_at desc, id desc limit ${limit}`;
}

/** Returns the number of commands per status (every status, zeros included). */
export async function commandCounts(sql: Sql): Promise<Record<CommandStatus, number>> {
  const rows = await sql<{ status: CommandStatus; n: number }[]>`
    select status, count(*)::int as n from device_commands group by status`;
  const counts: Record<CommandStatus, number> = {
    PENDING: 0,
    PICKED_UP: 0,
    COMPLETED: 0,
    FAILED: 0,
  };
  for (const r of rows) counts[r.status] = r.n;
  return counts;
}
