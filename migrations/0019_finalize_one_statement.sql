-- A finalize's insert trigger in one statement for the aggregates (issue 23, "No loss"): what an
-- insert into session_summary does is unchanged, row for row; it is done in fewer statements.
--
-- - The metrics check is one statement instead of two (the first bad metric, or a row whose
--   metrics are not its task's registered ones; each refused with its own message, as before).
-- - The players of each bucket, the metric rows, the bucket rows and the period versions are
--   one statement of data-modifying CTEs instead of four: the bucket's stored `metrics` is built
--   from the metric rows this statement upserts (their RETURNING) and the bucket's other metric
--   rows as they were (a statement sees the tables as they were before it), which is the bucket's
--   metric rows after the upsert, as when a second statement read them again.
-- - Each company's all-time row is still created and locked first, in company order, so two
--   writers of one company still run one after the other, and the CTEs' row locks cannot cross.
--
-- No SQL below names a task or a metric.

create or replace function company_aggregates_add() returns trigger
language plpgsql as $$
declare
  bad record;
begin
  -- Migration 0012's check: stored metrics are exactly the registered ones of the row's task,
  -- of their kind, in range and (where levels are set) one of the levels.
  select n.session_id, n.task, e.key, e.value into bad
  from new_rows n
  left join lateral (
    select e.key, e.value
    from jsonb_each(n.metrics) e
    left join task_metric d on d.task = n.task and d.metric = e.key
    where d.metric is null or jsonb_typeof(e.value) <> d.kind
      or case when d.kind = 'number' and jsonb_typeof(e.value) = 'number'
        then (e.value)::float8 not between d.lo and d.hi
          or (d.levels is not null and not (e.value)::float8 = any(d.levels))
        else false end
    limit 1
  ) e on true
  where e.key is not null
    or (select count(*) from jsonb_object_keys(n.metrics))
      <> (select count(*) from task_metric d where d.task = n.task)
    or not exists (select 1 from task_metric d where d.task = n.task)
  limit 1;
  if found and bad.key is not null then
    raise exception 'session % of task %: metric % = % is not a registered value',
      bad.session_id, bad.task, bad.key, bad.value using errcode = '23514';
  elsif found then
    raise exception 'session % of task %: metrics are not the task''s registered ones',
      bad.session_id, bad.task using errcode = '23514';
  end if;

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

  with sessions as (
    select n.company_id, k.kind, k.bucket_start, n.player_id, n.task, n.metrics
    from new_rows n cross join lateral company_session_buckets(n.played_at) k
    where n.company_id is not null
  ), incoming as (
    select company_id, kind, bucket_start, player_id,
      array_agg(distinct task order by task) as tasks
    from sessions
    group by 1, 2, 3, 4
  ), known as (
    select i.company_id, i.kind, i.bucket_start, i.player_id, i.tasks,
      p.player_id is not null as present, coalesce(p.tasks, '{}') as had
    from incoming i
    left join company_bucket_player p on p.company_id = i.company_id and p.kind = i.kind
      and p.bucket_start = i.bucket_start and p.player_id = i.player_id
  ), players as (
    insert into company_bucket_player as p (company_id, kind, bucket_start, player_id, tasks)
    select company_id, kind, bucket_start, player_id, tasks from known
    where not present or not (tasks <@ had)
    order by 1, 2, 3, 4
    on conflict (company_id, kind, bucket_start, player_id) do update set
      tasks = array(select distinct t from unnest(p.tasks || excluded.tasks) t order by t)
  ), new_players as (
    select company_id, kind, bucket_start, count(*) as n from known where not present
    group by 1, 2, 3
  ), new_task_players as (
    select company_id, kind, bucket_start, t.task, count(*) as n
    from known cross join unnest(tasks) t(task)
    where not (t.task = any(had))
    group by 1, 2, 3, 4
  ), metrics as (
    insert into company_metric as m (company_id, kind, bucket_start, task, metric, n_sessions,
      n_players, sum)
    select s.company_id, s.kind, s.bucket_start, s.task, s.metric, s.n_sessions,
      coalesce(f.n, 0), s.sum
    from (
      select s.company_id, s.kind, s.bucket_start, s.task, e.key as metric,
        count(*) as n_sessions, sum((e.value)::float8) as sum
      from sessions s cross join lateral jsonb_each(s.metrics) e
      join task_metric d on d.task = s.task and d.metric = e.key and d.company
      group by 1, 2, 3, 4, 5
    ) s
    left join new_task_players f on f.company_id = s.company_id and f.kind = s.kind
      and f.bucket_start = s.bucket_start and f.task = s.task
    order by 1, 2, 3, 4, 5
    on conflict (company_id, kind, bucket_start, task, metric) do update set
      n_sessions = m.n_sessions + excluded.n_sessions,
      n_players = m.n_players + excluded.n_players,
      sum = m.sum + excluded.sum
    returning m.company_id, m.kind, m.bucket_start, m.task, m.metric, m.n_sessions,
      m.n_players, m.sum
  ), versions as (
    -- Migration 0013's bumps: the day and week of every new session, and the week of each
    -- player's previous first session in the company (its "new players" count may move).
    insert into company_period_version as v (company_id, kind, period_start, version)
    select company_id, kind, period_start, count(*)
    from (
      select distinct n.company_id, k.kind, k.period_start
      from new_rows n
      cross join lateral (values
        ('d'::char(1), date_trunc('day', n.played_at at time zone 'UTC')::date),
        ('w'::char(1), date_trunc('week', n.played_at at time zone 'UTC')::date)
      ) as k(kind, period_start)
      where n.company_id is not null
      union all
      select distinct p.company_id, 'w'::char(1),
        date_trunc('week', f.played_at at time zone 'UTC')::date
      from (select distinct company_id, player_id from new_rows where company_id is not null) p
      cross join lateral (
        select s.played_at from session_summary s
        where s.player_id = p.player_id and s.company_id = p.company_id
          and s.id not in (select id from new_rows)
        order by s.played_at
        limit 1
      ) f
    ) bumps
    group by 1, 2, 3
    order by 1, 2, 3
    on conflict (company_id, kind, period_start) do update set
      version = v.version + excluded.version
  )
  insert into company_bucket as b (company_id, kind, bucket_start, n_sessions, n_players,
    metrics)
  select s.company_id, s.kind, s.bucket_start, s.n_sessions, coalesce(f.n, 0), p.metrics
  from (
    select company_id, kind, bucket_start, count(*) as n_sessions
    from sessions
    group by 1, 2, 3
  ) s
  left join new_players f
    on f.company_id = s.company_id and f.kind = s.kind and f.bucket_start = s.bucket_start
  cross join lateral (
    select coalesce(json_agg(json_build_array(x.task, x.metric, x.n_sessions, x.n_players,
      case when d.levels is null then x.sum / nullif(x.n_sessions, 0)
        else (x.sum::numeric / nullif(x.n_sessions, 0))::float8 end)
      order by x.task, x.metric), '[]') as metrics
    from (
      select m.task, m.metric, m.n_sessions, m.n_players, m.sum from metrics m
      where m.company_id = s.company_id and m.kind = s.kind and m.bucket_start = s.bucket_start
      union all
      select c.task, c.metric, c.n_sessions, c.n_players, c.sum from company_metric c
      where c.company_id = s.company_id and c.kind = s.kind and c.bucket_start = s.bucket_start
        and not exists (
          select 1 from metrics m
          where m.company_id = c.company_id and m.kind = c.kind
            and m.bucket_start = c.bucket_start and m.task = c.task and m.metric = c.metric
        )
    ) x
    left join task_metric d on d.task = x.task and d.metric = x.metric
  ) p
  order by 1, 2, 3
  on conflict (company_id, kind, bucket_start) do update set
    n_sessions = b.n_sessions + excluded.n_sessions,
    n_players = b.n_players + excluded.n_players,
    metrics = excluded.metrics;
  return null;
end
$$;
