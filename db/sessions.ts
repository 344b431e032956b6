/** Page-session revocations (table session_revocations): sign-out for every instance. */
import type { Sql } from "./client.ts";

/** Records that session `id` is signed out (until `expiresAt`) and prunes expired rows. */
export async function revokeSession(
  sql: Sql,
  id: string,
  expiresAt: Date,
  now: Date,
): Promise<void> {
  await sql`
    insert into session_revocations (session_id, expires_at)
    values (${id}, ${expiresAt}) on conflict (session_id) do nothing`;
  await sql`delete from session_revocations where expires_at < ${now}`;
}

/** Returns true when session `id` was signed out (one primary-key lookup). */
export async function isSessionRevoked(sql: Sql, id: string): Promise<boolean> {
  const rows = await sql`select 1 from session_revocations where session_id = ${id}`;
  return rows.length > 0;
}
