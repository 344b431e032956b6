/** SQL of device–user links: the engagement sessions a device tagged, per user. */
import type { Sql } from "./client.ts";

/** A user of a device: their sessions on it. */
export interface DeviceUserRow {
  user_external_id: string;
  last_session_at: Date;
  session_count: number;
}

/** Returns the users of a device, the most recent session first (then by id). */
export async function deviceUsers(sql: Sql, deviceId: string): Promise<DeviceUserRow[]> {
  return await sql<DeviceUserRow[]>`
    select user_external_id, max(started_at) as last_session_at, count(*)::int as session_count
    from engagement_sessions where device_id = ${deviceId}
    group by user_external_id
    order by max(started_at) desc, user_external_id`;
}

/** A device a participant's sessions were tagged with. */
export interface ParticipantDeviceRow {
  device_id: string;
  session_count: number;
  first_session_at: Date;
  last_session_at: Date;
}

/** Returns the devices a participant's sessions came from, the most recent first. */
export async function participantDevices(
  sql: Sql,
  userId: string,
): Promise<ParticipantDeviceRow[]> {
  return await sql<ParticipantDeviceRow[]>`
    select device_id, count(*)::int as session_count, min(started_at) as first_session_at,
      max(started_at) as last_session_at
    from engagement_sessions
    where user_external_id = ${userId} and device_id is not null
    group by device_id
    order by max(started_at) desc, device_id`;
}
