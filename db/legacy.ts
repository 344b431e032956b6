/**
 * SQL of the legacy import: rows keep their original times, nothing already stored is
 * overwritten (every insert is `on conflict do nothing` on the natural key).
 */
import { textArray, type Tx } from "./client.ts";
import { REGISTRY, type TaskModel, taskOfFlat, type TaskRegistry } from "../core/tasks.ts";
import type { LegacyCompany, LegacySummary } from "./legacy_sqlite.ts";

/** Resolves once every session has a play_sessions row (existing rows are left as they are). */
export async function insertPlaySessions(
  tx: Tx,
  sessions: readonly { session_id: string; player_id: string; first_seen_at: Date }[],
): Promise<void> {
  if (sessions.length === 0) return;
  const rows = sessions.map((s) => ({ ...s, first_seen_at: s.first_seen_at.toISOString() }));
  await tx`
    insert into play_sessions (session_id, player_id, first_seen_at)
    select session_id, player_id, first_seen_at
    from jsonb_to_recordset(${tx.json(rows)})
      as x(session_id text, player_id text, first_seen_at timestamptz)
    order by session_id
    on conflict (session_id) do nothing`;
}

/**
 * Inserts summaries in the given order (so their ids keep the legacy order) with played_at =
 * earliest event time (else the created time) and n_attempts from the stored events; marks
 * their sessions finalized at the created time. A summary's task is the registry task all of
 * whose metrics it has (its legacy columns are the metric keys). Returns the session ids it
 * inserted.
 */
export async function insertLegacySummaries(
  tx: Tx,
  summaries: readonly LegacySummary[],
  registry: TaskRegistry = REGISTRY,
): Promise<string[]> {
  if (summaries.length === 0) return [];
  const rows = summaries.map((s, ord) => {
    const of = taskOfFlat(registry, s as unknown as Record<string, number | boolean | null>);
    if (of === null) throw new Error(`legacy summary ${s.session_id} matches no task`);
    return {
      player_id: s.player_id,
      session_id: s.session_id,
      task_version: s.task_version,
      task: of.task.name,
      metrics: of.metrics,
      company_id: s.company_id,
      created_ts_utc: s.created_ts_utc.toISOString(),
      ord,
    };
  });
  const inserted = await tx<{ session_id: string }[]>`
    insert into session_summary (player_id, session_id, task_version, task, metrics, company_id,
      played_at, n_attempts, created_ts_utc)
    select x.player_id, x.session_id, x.task_version, x.task, x.metrics, x.company_id,
      coalesce(e.played_at, x.created_ts_utc), coalesce(e.n, 0), x.created_ts_utc
    from jsonb_to_recordset(${tx.json(rows)}) as x(player_id text, session_id text,
      task_version text, task text, metrics jsonb, company_id text, created_ts_utc timestamptz,
      ord int)
    left join lateral (
      select min(r.ts_utc) as played_at, count(*)::int as n
      from raw_events r where r.session_id = x.session_id
    ) e on true
    order by x.ord
    on conflict (session_id) do nothing
    returning session_id`;
  const ids = inserted.map((r) => r.session_id);
  if (ids.length > 0) {
    await tx`
      update play_sessions p set finalized_at = s.created_ts_utc
      from session_summary s
      where s.session_id = p.session_id and p.session_id = any(${textArray(tx, ids)})
        and p.finalized_at is null`;
  }
  return ids;
}

/** Returns, per session, its player, play start and end (last attempt's end, else its start). */
export async function sessionSpans(
  tx: Tx,
  sessionIds: readonly string[],
): Promise<{ session_id: string; player_id: string; played_at: Date; ended_at: Date }[]> {
  if (sessionIds.length === 0) return [];
  return await tx`
    select s.session_id, s.player_id, s.played_at,
      coalesce(max(r.ts_utc + r.duration_ms * interval '1 millisecond'), s.played_at) as ended_at
    from session_summary s left join raw_events r on r.session_id = s.session_id
    where s.session_id = any(${textArray(tx, sessionIds)})
    group by s.session_id, s.player_id, s.played_at
    order by s.played_at, s.session_id`;
}

/** Inserts registry rows with their own tokens and times; returns the company ids inserted. */
export async function insertLegacyCompanies(
  tx: Tx,
  companies: readonly LegacyCompany[],
): Promise<string[]> {
  if (companies.length === 0) return [];
  const rows = companies.map((c) => ({
    ...c,
    created_ts_utc: c.created_ts_utc?.toISOString() ?? null,
  }));
  const inserted = await tx<{ company_id: string }[]>`
    insert into company_registry (company_id, company_name, dashboard_token, created_ts_utc)
    select company_id, company_name, dashboard_token, coalesce(created_ts_utc, now())
    from jsonb_to_recordset(${tx.json(rows)}) as x(company_id text, company_name text,
      dashboard_token text, created_ts_utc timestamptz)
    on conflict do nothing
    returning company_id`;
  return inserted.map((r) => r.company_id);
}

/** Returns the stored dashboard token of each of the given companies that is registered. */
export async function registryTokens(
  tx: Tx,
  companyIds: readonly string[],
): Promise<Map<string, string>> {
  if (companyIds.length === 0) return new Map();
  const rows = await tx<{ company_id: string; dashboard_token: string }[]>`
    select company_id, dashboard_token from company_registry
    where company_id = any(${textArray(tx, companyIds)})`;
  return new Map(rows.map((r) => [r.company_id, r.dashboard_token]));
}

/**
 * Returns the players among `playerIds` who have sessions of the model's task and whose model of
 * that task is missing or trained on another number of them.
 */
export async function playersWithStaleModel(
  tx: Tx,
  playerIds: readonly string[],
  model: TaskModel,
): Promise<string[]> {
  if (playerIds.length === 0) return [];
  const rows = await tx<{ player_id: string }[]>`
    select s.player_id from session_summary s
    left join model_state m on m.player_id = s.player_id and m.model_name = ${model.name}
    where s.player_id = any(${textArray(tx, playerIds)}) and s.task = ${model.name}
    group by s.player_id, m.n_samples
    having m.n_samples is distinct from count(*)
    order by s.player_id`;
  return rows.map((r) => r.player_id);
}
