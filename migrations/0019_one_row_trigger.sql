-- A finalize's insert trigger in simpler statements (issue 23, "No loss"): what an insert
-- into session_summary does is unchanged, row for row.
--
-- Most of the trigger's time was not the rows it writes but the start of each statement's
-- plan (grouping, sorting, the json hand-over of new players between statements), built again
-- on every execution: Postgres keeps a plpgsql statement's plan, not its executor state. A
-- statement of one row, every finalize, now takes a path of its own whose statements have
-- none of that (a row's buckets cannot repeat, so there is nothing to group or to order); it
-- writes exactly what the general path, migration 0018's, writes for that row
-- (tests/db/one_row_trigger_test.ts runs the same inserts through both and compares every
-- aggregate row). Any other statement takes migration 0018's path, unchanged.
--
-- No SQL below names a task or a metric.

create or replace function company_aggregates_add() returns trigger
language plpgsql as $$
declare
  r record;
  new_player_kinds char(1)[];
  new_task_kinds char(1)[];
  fresh jsonb;
  fresh_tasks jsonb;
  bad record;
begin
  -- One row (every finalize): the same work in statements without grouping or sorting.
  select n.*, (select count(*) from new_rows) as n_rows into r from new_rows n limit 1;
  if r.n_rows = 1 then
    -- Migration 0012's check (as below) in one statement: a bad value first, then a wrong set
    -- of metrics.
    select e.key, e.value, e.key is null as wrong_set into bad
    from (select 1) one
    left join lateral (
      select e.key, e.value
      from jsonb_each(r.metrics) e
      left join task_metric d on d.task = r.task and d.metric = e.key
      where d.metric is null or jsonb_typeof(e.value) <> d.kind
        or case when d.kind = 'number' and jsonb_typeof(e.value) = 'number'
          then (e.value)::float8 not between d.lo and d.hi
            or (d.levels is not null and not (e.value)::float8 = any(d.levels))
          else false end
      limit 1
    ) e on true
    where e.key is not null
      or (select count(*) from jsonb_object_keys(r.metrics))
        <> (select count(*) from task_metric d where d.task = r.task)
      or not exists (select 1 from task_metric d where d.task = r.task);
    if found and not bad.wrong_set then
      raise exception 'session % of task %: metric % = % is not a registered value',
        r.session_id, r.task, bad.key, bad.value using errcode = '23514';
    elsif found then
      raise exception 'session % of task %: metrics are not the task''s registered ones',
        r.session_id, r.task using errcode = '23514';
    end if;
    if r.company_id is null then
      return null;
    end if;
    -- The company's all-time row, locked (created when missing).
    perform 1 from company_bucket
    where company_id = r.company_id and kind = 'a' and bucket_start = date '1970-01-01'
    for update;
    if not found then
      insert into company_bucket (company_id, kind, bucket_start, n_sessions, n_players)
      values (r.company_id, 'a', date '1970-01-01', 0, 0)
      on conflict do nothing;
      perform 1 from company_bucket
      where company_id = r.company_id and kind = 'a' and bucket_start = date '1970-01-01'
      for update;
    end if;
    -- The player in each of the session's buckets: new to the bucket (no row), or new to the
    -- task there.
    with known as (
      select k.kind, k.bucket_start, p.tasks
      from company_session_buckets(r.played_at) k
      left join company_bucket_player p on p.company_id = r.company_id and p.kind = k.kind
        and p.bucket_start = k.bucket_start and p.player_id = r.player_id
    ), upserted as (
      insert into company_bucket_player as p (company_id, kind, bucket_start, player_id, tasks)
      select r.company_id, kind, bucket_start, r.player_id, array[r.task] from known
      where tasks is null or not (r.task = any(tasks))
      on conflict (company_id, kind, bucket_start, player_id) do update set
        tasks = array(select distinct t from unnest(p.tasks || excluded.tasks) t order by t)
    )
    select coalesce(array_agg(kind) filter (where tasks is null), '{}'),
      coalesce(array_agg(kind) filter (where tasks is null or not (r.task = any(tasks))), '{}')
    into new_player_kinds, new_task_kinds
    from known;
    -- The company metrics are exactly the task's registered ones (checked above).
    insert into company_metric as m (company_id, kind, bucket_start, task, metric, n_sessions,
      n_players, sum)
    select r.company_id, k.kind, k.bucket_start, r.task, d.metric, 1,
      (k.kind = any(new_task_kinds))::int, (r.metrics -> d.metric)::float8
    from company_session_buckets(r.played_at) k
    cross join task_metric d
    where d.task = r.task and d.company
    on conflict (company_id, kind, bucket_start, task, metric) do update set
      n_sessions = m.n_sessions + excluded.n_sessions,
      n_players = m.n_players + excluded.n_players,
      sum = m.sum + excluded.sum;
    insert into company_bucket as b (company_id, kind, bucket_start, n_sessions, n_players,
      metrics)
    select r.company_id, k.kind, k.bucket_start, 1, (k.kind = any(new_player_kinds))::int,
      p.metrics
    from company_session_buckets(r.played_at) k
    cross join lateral (
      select coalesce(json_agg(json_build_array(m.task, m.metric, m.n_sessions, m.n_players,
        case when d.levels is null then m.sum / nullif(m.n_sessions, 0)
          else (m.sum::numeric / nullif(m.n_sessions, 0))::float8 end)
        order by m.task, m.metric), '[]') as metrics
      from company_metric m
      left join task_metric d on d.task = m.task and d.metric = m.metric
      where m.company_id = r.company_id and m.kind = k.kind and m.bucket_start = k.bucket_start
    ) p
    on conflict (company_id, kind, bucket_start) do update set
      n_sessions = b.n_sessions + excluded.n_sessions,
      n_players = b.n_players + excluded.n_players,
      metrics = excluded.metrics;
    -- Its day and week, and the week of the player's previous first session.
    insert into company_period_version as v (company_id, kind, period_start, version)
    select r.company_id, kind, period_start, count(*)
    from (
      values ('d'::char(1), date_trunc('day', r.played_at at time zone 'UTC')::date),
        ('w'::char(1), date_trunc('week', r.played_at at time zone 'UTC')::date)
      union all
      select 'w'::char(1), date_trunc('week', f.played_at at time zone 'UTC')::date
      from (
        select s.played_at from session_summary s
        where s.player_id = r.player_id and s.company_id = r.company_id and s.id <> r.id
        order by s.played_at
        limit 1
      ) f
    ) bumps(kind, period_start)
    group by 1, 2, 3
    on conflict (company_id, kind, period_start) do update set
      version = v.version + excluded.version;
    return null;
  end if;

  -- Any other number of rows.
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
