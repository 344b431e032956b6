-- Company reads without the long-form fan-out (issue 23, "No loss"): each company_bucket row
-- also carries its company_metric rows pivoted into one json array, so a time series of N
-- buckets reads N rows (as before tasks became data) instead of N rows plus a row per bucket,
-- task and metric. company_metric stays the long form the aggregates are kept in; `metrics` is
-- derived from it by the same trigger statement that updates the bucket's counts, and by the
-- rebuild. No SQL below names a task or a metric.
--
-- metrics: [[task, metric, n_sessions, n_players, avg], ...], one entry per company_metric row of
-- the bucket in task and metric order, where avg is the mean as the company reads computed it
-- from company_metric (float8 division; numeric first for a metric with levels). json, not
-- jsonb: a read sends the stored text as it is (no jsonb output conversion per row), and
-- float8out's shortest round-trip digits parse back to the very doubles a float8 column gives.

alter table company_bucket add column metrics json not null default '[]';

-- As in migration 0012, plus company_bucket.metrics.
create or replace function company_aggregates_rebuild(p_companies text[]) returns void
language plpgsql as $$
begin
  if cardinality(p_companies) = 0 then
    return;
  end if;
  lock table company_bucket, company_bucket_player, company_metric in exclusive mode;
  delete from company_bucket_player where p_companies is null or company_id = any(p_companies);
  delete from company_bucket where p_companies is null or company_id = any(p_companies);
  delete from company_metric where p_companies is null or company_id = any(p_companies);
  insert into company_bucket_player (company_id, kind, bucket_start, player_id, tasks)
  select s.company_id, k.kind, k.bucket_start, s.player_id,
    array_agg(distinct s.task order by s.task)
  from session_summary s cross join lateral company_session_buckets(s.played_at) k
  where s.company_id is not null and (p_companies is null or s.company_id = any(p_companies))
  group by 1, 2, 3, 4;
  insert into company_metric (company_id, kind, bucket_start, task, metric, n_sessions,
    n_players, sum)
  select s.company_id, k.kind, k.bucket_start, s.task, e.key, count(*),
    count(distinct s.player_id), sum((e.value)::float8)
  from session_summary s cross join lateral company_session_buckets(s.played_at) k
  cross join lateral jsonb_each(s.metrics) e
  join task_metric d on d.task = s.task and d.metric = e.key and d.company
  where s.company_id is not null and (p_companies is null or s.company_id = any(p_companies))
  group by 1, 2, 3, 4, 5;
  insert into company_bucket (company_id, kind, bucket_start, n_sessions, n_players, metrics)
  select c.company_id, c.kind, c.bucket_start, c.n_sessions, c.n_players,
    coalesce(p.metrics, '[]')
  from (
    select s.company_id, k.kind, k.bucket_start, count(*) as n_sessions,
      count(distinct s.player_id) as n_players
    from session_summary s cross join lateral company_session_buckets(s.played_at) k
    where s.company_id is not null and (p_companies is null or s.company_id = any(p_companies))
    group by 1, 2, 3
  ) c
  left join (
    select m.company_id, m.kind, m.bucket_start,
      json_agg(json_build_array(m.task, m.metric, m.n_sessions, m.n_players,
        case when d.levels is null then m.sum / nullif(m.n_sessions, 0)
          else (m.sum::numeric / nullif(m.n_sessions, 0))::float8 end)
        order by m.task, m.metric) as metrics
    from company_metric m
    left join task_metric d on d.task = m.task and d.metric = m.metric
    where p_companies is null or m.company_id = any(p_companies)
    group by 1, 2, 3
  ) p on p.company_id = c.company_id and p.kind = c.kind and p.bucket_start = c.bucket_start;
end
$$;

-- As in migration 0012, with the metric rows upserted before the bucket rows, so the bucket
-- upsert sets each touched bucket's metrics from its final company_metric rows.
create or replace function company_aggregates_add() returns trigger
language plpgsql as $$
declare
  fresh jsonb;
  fresh_tasks jsonb;
begin
  insert into company_bucket (company_id, kind, bucket_start, n_sessions, n_players)
  select distinct company_id, 'a', date '1970-01-01', 0, 0
  from new_rows where company_id is not null
  order by 1
  on conflict do nothing;
  perform 1 from company_bucket
  where kind = 'a' and bucket_start = date '1970-01-01'
    and company_id in (select company_id from new_rows)
  order by company_id
  for update;

  with incoming as (
    select n.company_id, k.kind, k.bucket_start, n.player_id,
      array_agg(distinct n.task order by n.task) as tasks
    from new_rows n cross join lateral company_session_buckets(n.played_at) k
    where n.company_id is not null
    group by 1, 2, 3, 4
  ), known as (
    select i.company_id, i.kind, i.bucket_start, i.player_id, i.tasks,
      p.player_id is not null as present, coalesce(p.tasks, '{}') as had
    from incoming i
    left join company_bucket_player p on p.company_id = i.company_id and p.kind = i.kind
      and p.bucket_start = i.bucket_start and p.player_id = i.player_id
  ), upserted as (
    insert into company_bucket_player as p (company_id, kind, bucket_start, player_id, tasks)
    select company_id, kind, bucket_start, player_id, tasks from known
    where not present or not (tasks <@ had)
    order by 1, 2, 3, 4
    on conflict (company_id, kind, bucket_start, player_id) do update set
      tasks = array(select distinct t from unnest(p.tasks || excluded.tasks) t order by t)
  ), new_players as (
    select coalesce(jsonb_agg(c), '[]') as j
    from (
      select company_id, kind, bucket_start, count(*) as n from known where not present
      group by 1, 2, 3
    ) c
  ), new_task_players as (
    select coalesce(jsonb_agg(c), '[]') as j
    from (
      select company_id, kind, bucket_start, t.task, count(*) as n
      from known cross join unnest(tasks) t(task)
      where not (t.task = any(had))
      group by 1, 2, 3, 4
    ) c
  )
  select new_players.j, new_task_players.j into fresh, fresh_tasks
  from new_players, new_task_players;

  insert into company_metric as m (company_id, kind, bucket_start, task, metric, n_sessions,
    n_players, sum)
  select s.company_id, s.kind, s.bucket_start, s.task, s.metric, s.n_sessions,
    coalesce(f.n, 0), s.sum
  from (
    select n.company_id, k.kind, k.bucket_start, n.task, e.key as metric,
      count(*) as n_sessions, sum((e.value)::float8) as sum
    from new_rows n cross join lateral company_session_buckets(n.played_at) k
    cross join lateral jsonb_each(n.metrics) e
    join task_metric d on d.task = n.task and d.metric = e.key and d.company
    where n.company_id is not null
    group by 1, 2, 3, 4, 5
  ) s
  left join jsonb_to_recordset(fresh_tasks) as f(company_id text, kind char(1),
    bucket_start date, task text, n integer)
    on f.company_id = s.company_id and f.kind = s.kind and f.bucket_start = s.bucket_start
      and f.task = s.task
  order by 1, 2, 3, 4, 5
  on conflict (company_id, kind, bucket_start, task, metric) do update set
    n_sessions = m.n_sessions + excluded.n_sessions,
    n_players = m.n_players + excluded.n_players,
    sum = m.sum + excluded.sum;

  insert into company_bucket as b (company_id, kind, bucket_start, n_sessions, n_players,
    metrics)
  select s.company_id, s.kind, s.bucket_start, s.n_sessions, coalesce(f.n, 0), p.metrics
  from (
    select n.company_id, k.kind, k.bucket_start, count(*) as n_sessions
    from new_rows n cross join lateral company_session_buckets(n.played_at) k
    where n.company_id is not null
    group by 1, 2, 3
  ) s
  left join jsonb_to_recordset(fresh) as f(company_id text, kind char(1), bucket_start date,
    n integer)
    on f.company_id = s.company_id and f.kind = s.kind and f.bucket_start = s.bucket_start
  cross join lateral (
    select coalesce(json_agg(json_build_array(m.task, m.metric, m.n_sessions, m.n_players,
      case when d.levels is null then m.sum / nullif(m.n_sessions, 0)
        else (m.sum::numeric / nullif(m.n_sessions, 0))::float8 end)
      order by m.task, m.metric), '[]') as metrics
    from company_metric m
    left join task_metric d on d.task = m.task and d.metric = m.metric
    where m.company_id = s.company_id and m.kind = s.kind and m.bucket_start = s.bucket_start
  ) p
  order by 1, 2, 3
  on conflict (company_id, kind, bucket_start) do update set
    n_sessions = b.n_sessions + excluded.n_sessions,
    n_players = b.n_players + excluded.n_players,
    metrics = excluded.metrics;
  return null;
end
$$;

select company_aggregates_rebuild(null);

-- Migration 0013's company_period_bump, unchanged in what it does, in plpgsql: a finalize's
-- insert trigger calls it twice, and a language sql function that is not inlined plans its
-- insert again on every call, where plpgsql keeps the plan for the connection (0.98 → 0.46 ms
-- for both calls of one finalize).
create or replace function company_period_bump(p_rows jsonb, p_kinds char(1)[]) returns void
language plpgsql as $$
begin
  insert into company_period_version as v (company_id, kind, period_start, version)
  select distinct r.company_id, k.kind, k.period_start, 1::bigint
  from jsonb_to_recordset(p_rows) as r(company_id text, played_at timestamptz)
  cross join lateral (values
    ('d'::char(1), date_trunc('day', r.played_at at time zone 'UTC')::date),
    ('w'::char(1), date_trunc('week', r.played_at at time zone 'UTC')::date)
  ) as k(kind, period_start)
  where r.company_id is not null and k.kind = any(p_kinds)
  order by 1, 2, 3
  on conflict (company_id, kind, period_start) do update set version = v.version + 1;
end
$$;
