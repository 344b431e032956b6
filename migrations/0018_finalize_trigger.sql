-- A finalize's insert trigger in fewer statements (issue 23, "No loss"): what an insert into
-- session_summary does is unchanged, row for row; it is done with less work.
--
-- - One trigger function instead of three: the metrics check of an insert (migration 0012's
--   session_summary_check_metrics) and the period versions of the company releases (migration
--   0013's company_release_touch_insert) run inside company_aggregates_add. An update is still
--   checked by session_summary_metrics_update and bumped by session_summary_release_update.
-- - The two period-version bumps of an insert are one statement: each bump added 1 to the
--   version of every distinct period it touched, so a period now gets the number of bumps that
--   touch it, as before. The player's previous first session is the first row of the player
--   index (no longer every session of the player, grouped).
--
-- (Upserting the metric and bucket rows in one statement, the changed metrics entries merged into
-- the stored company_bucket.metrics from the metric rows' RETURNING, was measured and dropped:
-- the json merge cost more than the read of the bucket's company_metric rows it saves.)
--
-- No SQL below names a task or a metric.

drop trigger session_summary_metrics_insert on session_summary;
drop trigger session_summary_release_add on session_summary;
drop function company_release_touch_insert();

-- As in migration 0017, with the metrics check first and the period-version bumps last (once
-- the company's all-time row is locked, as when the release trigger ran after this one).
create or replace function company_aggregates_add() returns trigger
language plpgsql as $$
declare
  fresh jsonb;
  fresh_tasks jsonb;
  bad record;
begin
  -- Migration 0012's check: stored metrics are exactly the registered ones of the row's task,
  -- of their kind, in range and (where levels are set) one of the levels.
  select n.session_id, n.task, e.key, e.value into bad
  from new_rows n cross join lateral jsonb_each(n.metrics) e
  left join task_metric d on d.task = n.task and d.metric = e.key
  where d.metric is null or jsonb_typeof(e.value) <> d.kind
    or case when d.kind = 'number' and jsonb_typeof(e.value) = 'number'
      then (e.value)::float8 not between d.lo and d.hi
        or (d.levels is not null and not (e.value)::float8 = any(d.levels))
      else false end
  limit 1;
  if found then
    raise exception 'session % of task %: metric % = % is not a registered value',
      bad.session_id, bad.task, bad.key, bad.value using errcode = '23514';
  end if;
  select n.session_id, n.task, null::text, null::jsonb into bad
  from new_rows n
  where (select count(*) from jsonb_object_keys(n.metrics))
    <> (select count(*) from task_metric d where d.task = n.task)
    or not exists (select 1 from task_metric d where d.task = n.task)
  limit 1;
  if found then
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
    version = v.version + excluded.version;
  return null;
end
$$;
