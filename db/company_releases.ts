/** SQL for released company periods (migration 0013, docs/privacy.md "Company numbers"). */
import {
  metricKey,
  NEW_PLAYERS,
  type PeriodKind,
  type PeriodTruth,
  playersKey,
  type QuantityKey,
  type ReleasePlan,
  sessionsKey,
} from "../core/company_release.ts";
import type { Sql } from "./client.ts";
import { textArray } from "./client.ts";

const UNIT = { d: "day", w: "week" } as const;
const STEP = { d: "1 day", w: "1 week" } as const;

/** A closed period that has no release yet, or whose data changed since and may be re-released. */
export interface PendingPeriod {
  period_start: string;
}

/**
 * Returns the closed periods (first period of the company's sessions through `lastStart`) that
 * need a release: none yet, or a data version other than the released one with fewer than
 * `maxReleases` releases.
 */
export async function pendingPeriods(
  sql: Sql,
  companyId: string,
  kind: PeriodKind,
  lastStart: string,
  maxReleases: number,
): Promise<string[]> {
  const rows = await sql<PendingPeriod[]>`
    with first as (
      select min(period_start) as start from company_period_version
      where company_id = ${companyId} and kind = ${kind}
    )
    select to_char(p.start, 'YYYY-MM-DD') as period_start
    from first, generate_series(first.start, ${lastStart}::date, ${
    STEP[kind]
  }::interval) as p(start)
    left join company_period_version v on v.company_id = ${companyId} and v.kind = ${kind}
      and v.period_start = p.start
    left join company_release r on r.company_id = ${companyId} and r.kind = ${kind}
      and r.period_start = p.start
    where first.start is not null
      and (r.period_start is null
        or (r.data_version <> coalesce(v.version, 0) and r.release_count < ${maxReleases}))
    order by p.start`;
  return rows.map((r) => r.period_start);
}

/** The true integers of one period and the data version they were read at. */
export interface PeriodTruthRow {
  period_start: string;
  version: bigint;
  truth: PeriodTruth;
}

/**
 * Returns, in one statement (one snapshot), each period's data version and true integers
 * (generic over tasks: session_summary's task and metrics, migration 0012):
 * per task its players and capped sessions, per metric the sum of the players' values (the mean
 * of their first C sessions of the task in the period, clamped and scaled), for weeks the new
 * players (whose first session in the company falls in the week).
 */
export async function periodTruths(
  sql: Sql,
  plan: ReleasePlan,
  companyId: string,
  kind: PeriodKind,
  starts: readonly string[],
  bound: number,
): Promise<PeriodTruthRow[]> {
  if (starts.length === 0) return [];
  const unit = UNIT[kind];
  const period = sql`date_trunc(${unit}, s.played_at at time zone 'UTC')::date`;
  // A session counts for its task among the player's first C sessions of that task.
  const counted = (task: string) => sql`task = ${task} and nth <= ${bound}`;
  const perPlayer = [
    ...plan.tasks.map((t, i) =>
      sql`, count(*) filter (where ${counted(t.task)}) as ${sql.unsafe(`n${i}`)}`
    ),
    ...plan.metrics.map((m, i) =>
      sql`, round((avg(least(greatest((metrics ->> ${m.metric})::float8, ${m.lo}::float8),
        ${m.hi}::float8)) filter (where ${counted(m.task)}) * ${m.scale})::numeric)
        as ${sql.unsafe(`v${i}`)}`
    ),
  ];
  const perPeriod = [
    ...plan.tasks.flatMap((_, i) => [
      sql`, (count(*) filter (where ${sql.unsafe(`n${i}`)} > 0))::text as ${sql.unsafe(`p${i}`)}`,
      sql`, coalesce(sum(${sql.unsafe(`n${i}`)}), 0)::text as ${sql.unsafe(`s${i}`)}`,
    ]),
    ...plan.metrics.map((_, i) =>
      sql`, coalesce(sum(${sql.unsafe(`v${i}`)}), 0)::text as ${sql.unsafe(`m${i}`)}`
    ),
  ];
  const columns = [
    ...plan.tasks.flatMap((_, i) => [
      sql`, coalesce(a.${sql.unsafe(`p${i}`)}, '0') as ${sql.unsafe(`p${i}`)}`,
      sql`, coalesce(a.${sql.unsafe(`s${i}`)}, '0') as ${sql.unsafe(`s${i}`)}`,
    ]),
    ...plan.metrics.map((_, i) =>
      sql`, coalesce(a.${sql.unsafe(`m${i}`)}, '0') as ${sql.unsafe(`m${i}`)}`
    ),
  ];
  const sorted = [...starts].sort();
  const rows = await sql<Record<string, string>[]>`
    with periods as (
      select unnest(${textArray(sql, sorted)}::date[]) as period_start
    ),
    ranked as (
      select ${period} as period_start, s.player_id, s.task, s.metrics,
        row_number() over (partition by ${period}, s.player_id, s.task
          order by s.played_at, s.id) as nth
      from session_summary s
      where s.company_id = ${companyId}
        and s.played_at >= (${sorted[0]}::date)::timestamp at time zone 'UTC'
        and s.played_at < (${sorted[sorted.length - 1]}::date + ${STEP[kind]}::interval)
          at time zone 'UTC'
    ),
    per_player as (
      select period_start, player_id${perPlayer}
      from ranked where period_start in (select period_start from periods) group by 1, 2
    ),
    per_period as (
      select period_start${perPeriod} from per_player group by 1
    ),
    firsts as (
      select date_trunc('week', f.first at time zone 'UTC')::date as period_start, count(*) as n
      from (
        select min(played_at) as first from session_summary where company_id = ${companyId}
        group by player_id
      ) f group by 1
    )
    select to_char(p.period_start, 'YYYY-MM-DD') as period_start,
      coalesce(v.version, 0)::text as version,
      coalesce(f.n, 0)::text as new_players${columns}
    from periods p
    left join company_period_version v on v.company_id = ${companyId} and v.kind = ${kind}
      and v.period_start = p.period_start
    left join per_period a on a.period_start = p.period_start
    left join firsts f on f.period_start = p.period_start
    order by p.period_start`;
  return rows.map((r) => {
    const truth: Record<QuantityKey, bigint> = {};
    plan.tasks.forEach((t, i) => {
      truth[playersKey(t.task)] = BigInt(r[`p${i}`]);
      truth[sessionsKey(t.task)] = BigInt(r[`s${i}`]);
    });
    plan.metrics.forEach((m, i) => truth[metricKey(m)] = BigInt(r[`m${i}`]));
    if (kind === "w") truth[NEW_PLAYERS] = BigInt(r.new_players);
    return { period_start: r.period_start, version: BigInt(r.version), truth };
  });
}

/** A release to store. */
export interface NewRelease {
  companyId: string;
  kind: PeriodKind;
  periodStart: string;
  version: bigint;
  epsilon: string;
  contributionBound: number;
  releasedAt: Date;
  values: Readonly<Record<QuantityKey, bigint>>;
}

/**
 * Stores each release in one transaction, unless another reader stored one of the same data
 * version first or the period's budget (`maxReleases`) is spent; returns how many were stored.
 */
export async function storeReleases(
  sql: Sql,
  releases: readonly NewRelease[],
  maxReleases: number,
): Promise<number> {
  if (releases.length === 0) return 0;
  const { companyId, kind } = releases[0];
  const heads = releases.map((r) => ({
    period_start: r.periodStart,
    data_version: r.version.toString(),
    epsilon: r.epsilon,
    contribution_bound: r.contributionBound,
    released_at: r.releasedAt.toISOString(),
  }));
  return await sql.begin(async (tx) => {
    // One statement: a period another reader released at the same version (or whose budget is
    // spent) keeps its release; the others are (re)released here.
    const won = await tx<{ period_start: string }[]>`
      insert into company_release as c (company_id, kind, period_start, data_version,
        release_count, epsilon, contribution_bound, released_at)
      select ${companyId}, ${kind}, h.period_start, h.data_version, 1, h.epsilon,
        h.contribution_bound, h.released_at
      from jsonb_to_recordset(${tx.json(heads)}) as h(period_start date, data_version bigint,
        epsilon text, contribution_bound integer, released_at timestamptz)
      order by h.period_start
      on conflict (company_id, kind, period_start) do update set
        data_version = excluded.data_version, release_count = c.release_count + 1,
        epsilon = excluded.epsilon, contribution_bound = excluded.contribution_bound,
        released_at = excluded.released_at
      where c.data_version <> excluded.data_version and c.release_count < ${maxReleases}
      returning to_char(period_start, 'YYYY-MM-DD') as period_start`;
    if (won.length === 0) return 0;
    const winners = new Set(won.map((w) => w.period_start));
    const starts = [...winners];
    await tx`
      delete from company_release_value
      where company_id = ${companyId} and kind = ${kind}
        and period_start = any(${textArray(tx, starts)}::date[])`;
    const values = releases.filter((r) => winners.has(r.periodStart)).flatMap((r) =>
      Object.entries(r.values).map(([key, noisy]) => {
        const dot = key.indexOf(".");
        return {
          period_start: r.periodStart,
          task: key.slice(0, dot),
          metric: key.slice(dot + 1),
          noisy: noisy.toString(),
        };
      })
    );
    await tx`
      insert into company_release_value (company_id, kind, period_start, task, metric, noisy)
      select ${companyId}, ${kind}, v.period_start, v.task, v.metric, v.noisy
      from jsonb_to_recordset(${tx.json(values)}) as v(period_start date, task text,
        metric text, noisy bigint)`;
    return won.length;
  });
}

/** One stored release with its values. */
export interface StoredRelease {
  period_start: string;
  release_count: number;
  epsilon: string;
  contribution_bound: number;
  values: Record<QuantityKey, bigint>;
}

/** Returns the company's releases of a kind up to `lastStart`, oldest first. */
export async function readReleases(
  sql: Sql,
  companyId: string,
  kind: PeriodKind,
  lastStart: string,
): Promise<StoredRelease[]> {
  const rows = await sql<
    {
      period_start: string;
      release_count: number;
      epsilon: string;
      contribution_bound: number;
      task: string;
      metric: string;
      noisy: string;
    }[]
  >`
    select to_char(r.period_start, 'YYYY-MM-DD') as period_start, r.release_count, r.epsilon,
      r.contribution_bound, v.task, v.metric, v.noisy::text as noisy
    from company_release r
    join company_release_value v using (company_id, kind, period_start)
    where r.company_id = ${companyId} and r.kind = ${kind} and r.period_start <= ${lastStart}
    order by r.period_start, v.task, v.metric`;
  const out: StoredRelease[] = [];
  for (const row of rows) {
    let last = out[out.length - 1];
    if (!last || last.period_start !== row.period_start) {
      last = {
        period_start: row.period_start,
        release_count: row.release_count,
        epsilon: row.epsilon,
        contribution_bound: row.contribution_bound,
        values: {},
      };
      out.push(last);
    }
    last.values[`${row.task}.${row.metric}`] = BigInt(row.noisy);
  }
  return out;
}
