-- Tasks as data (issue 23): a session stores its task and its task's metrics in one generic
-- jsonb object, checked against the metric catalog the task registry (core/tasks.ts) writes
-- (task_metric); the company aggregates keep per bucket the counts of every session
-- (company_bucket) and, in long form, per task and metric the sessions, distinct players and sum
-- (company_metric). No SQL below names a task or a metric: a new task needs no migration.

-- The aggregates are rebuilt at the end; the old triggers and functions go first.
drop trigger session_summary_company_add on session_summary;
drop trigger session_summary_company_delete on session_summary;
drop trigger session_summary_company_update on session_summary;
drop trigger session_summary_company_truncate on session_summary;
drop function company_aggregates_add();
drop function company_aggregates_remove();
drop function company_aggregates_change();
drop function company_aggregates_clear();
drop function company_aggregates_rebuild(text[]);

-- One row per metric of every registered task (db/tasks.ts writes the registry's).
create table task_metric (
  task text not null check (task ~ '^[a-z][a-z0-9_]{0,62}$'),
  metric text not null check (metric ~ '^[a-z][a-z0-9_]{0,62}$'),
  kind text not null check (kind in ('number', 'boolean')),
  lo double precision not null,
  hi double precision not null,
  -- When set, the only values allowed.
  levels double precision[],
  -- Averaged for the company dashboards (company_metric).
  company boolean not null,
  primary key (task, metric),
  check (lo <= hi)
);
insert into task_metric (task, metric, kind, lo, hi, levels, company) values
  ('earth', 'fta_level', 'number', 0, 1, null, true),
  ('earth', 'fta_strict', 'boolean', 0, 1, null, false),
  ('earth', 'repetition_burden', 'number', 1, 3, null, true),
  ('earth', 'earth_score_bucket', 'number', 0, 10, '{0,5,10}', true),
  ('water', 'stress_score', 'number', 0, 100, null, true);

alter table session_summary
  add column task text,
  add column metrics jsonb;
-- Which metrics a session has decided its task (migration 0010).
update session_summary set
  task = case when fta_level is not null then 'earth' else 'water' end,
  metrics = case when fta_level is not null
    then jsonb_build_object('fta_level', fta_level, 'fta_strict', fta_strict,
      'repetition_burden', repetition_burden, 'earth_score_bucket', earth_score_bucket)
    else jsonb_build_object('stress_score', stress_score) end;
drop index session_summary_company_idx;
alter table session_summary
  drop constraint session_summary_earth_metrics,
  drop constraint session_summary_some_metric,
  drop column fta_level,
  drop column fta_strict,
  drop column repetition_burden,
  drop column earth_score_bucket,
  drop column stress_score,
  alter column task set not null,
  alter column metrics set not null,
  add constraint session_summary_task check (task ~ '^[a-z][a-z0-9_]{0,62}$'),
  add constraint session_summary_metrics check (jsonb_typeof(metrics) = 'object');
create index session_summary_company_idx on session_summary (company_id, played_at)
  include (player_id, task);

-- A model per player and task; any task the registry declares.
alter table model_state
  drop constraint model_state_model_name_check,
  add constraint model_state_model_name_check check (model_name ~ '^[a-z][a-z0-9_]{0,62}$');

-- Per bucket: every session and distinct player (n_sessions, n_players stay).
alter table company_bucket
  drop column sum_fta,
  drop column sum_burden,
  drop column sum_bucket,
  drop column n_earth_sessions,
  drop column n_earth_players,
  drop column n_water_sessions,
  drop column n_water_players,
  drop column sum_stress;

-- Per player and bucket: the tasks the player has a session of there (sorted, distinct).
alter table company_bucket_player
  drop column earth,
  drop column water,
  add column tasks text[] not null default '{}';

-- Per bucket, task and company metric: the task's sessions, their distinct players, the sum.
create table company_metric (
  company_id text not null,
  kind char(1) not null check (kind in ('a', 'd', 'w')),
  bucket_start date not null,
  task text not null,
  metric text not null,
  n_sessions integer not null,
  n_players integer not null,
  sum double precision not null,
  primary key (company_id, kind, bucket_start, task, metric)
);

-- Refuses stored metrics that are not exactly the registered ones of the row's task, of their
-- kind, in range and (where levels are set) one of the levels.
create function session_summary_check_metrics() returns trigger
language plpgsql as $$
declare
  bad record;
begin
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
  return null;
end
$$;

-- Recomputes the aggregates of the given companies (null = all) from session_summary; the
-- exclusive lock as in migration 0003.
create function company_aggregates_rebuild(p_companies text[]) returns void
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
  insert into company_bucket (company_id, kind, bucket_start, n_sessions, n_players)
  select s.company_id, k.kind, k.bucket_start, count(*), count(distinct s.player_id)
  from session_summary s cross join lateral company_session_buckets(s.played_at) k
  where s.company_id is not null and (p_companies is null or s.company_id = any(p_companies))
  group by 1, 2, 3;
  insert into company_metric (company_id, kind, bucket_start, task, metric, n_sessions,
    n_players, sum)
  select s.company_id, k.kind, k.bucket_start, s.task, e.key, count(*),
    count(distinct s.player_id), sum((e.value)::float8)
  from session_summary s cross join lateral company_session_buckets(s.played_at) k
  cross join lateral jsonb_each(s.metrics) e
  join task_metric d on d.task = s.task and d.metric = e.key and d.company
  where s.company_id is not null and (p_companies is null or s.company_id = any(p_companies))
  group by 1, 2, 3, 4, 5;
end
$$;

-- After an insert: adds the new sessions. Each company's all-time row is locked first (created
-- when missing, in company order) and held to the end of the transaction, so writers of one
-- company queue there and never deadlock on its presence or bucket rows. Holding that lock, the
-- presence rows read before the upsert are the committed state no other writer can change, so
-- comparing them with the incoming ones counts the players new to a bucket and to each task.
create function company_aggregates_add() returns trigger
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

  insert into company_bucket as b (company_id, kind, bucket_start, n_sessions, n_players)
  select s.company_id, s.kind, s.bucket_start, s.n_sessions, coalesce(f.n, 0)
  from (
    select n.company_id, k.kind, k.bucket_start, count(*) as n_sessions
    from new_rows n cross join lateral company_session_buckets(n.played_at) k
    where n.company_id is not null
    group by 1, 2, 3
  ) s
  left join jsonb_to_recordset(fresh) as f(company_id text, kind char(1), bucket_start date,
    n integer)
    on f.company_id = s.company_id and f.kind = s.kind and f.bucket_start = s.bucket_start
  order by 1, 2, 3
  on conflict (company_id, kind, bucket_start) do update set
    n_sessions = b.n_sessions + excluded.n_sessions,
    n_players = b.n_players + excluded.n_players;

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
  return null;
end
$$;

-- After a delete: recomputes the companies whose sessions went (a manual fix; erasure).
create function company_aggregates_remove() returns trigger
language plpgsql as $$
begin
  perform company_aggregates_rebuild(array(
    select distinct company_id from old_rows where company_id is not null));
  return null;
end
$$;

-- After an update: recomputes the companies whose sessions changed in a way the aggregates see
-- (they depend only on the multiset of these columns).
create function company_aggregates_change() returns trigger
language plpgsql as $$
begin
  perform company_aggregates_rebuild(array(
    select company_id from (
      (select company_id, player_id, played_at, task, metrics from old_rows
      except all
      select company_id, player_id, played_at, task, metrics from new_rows)
      union all
      (select company_id, player_id, played_at, task, metrics from new_rows
      except all
      select company_id, player_id, played_at, task, metrics from old_rows)
    ) changed
    where company_id is not null
    group by company_id));
  return null;
end
$$;

create function company_aggregates_clear() returns trigger
language plpgsql as $$
begin
  truncate company_bucket_player, company_bucket, company_metric;
  return null;
end
$$;

create trigger session_summary_metrics_insert after insert on session_summary
  referencing new table as new_rows
  for each statement execute function session_summary_check_metrics();
create trigger session_summary_metrics_update after update on session_summary
  referencing new table as new_rows
  for each statement execute function session_summary_check_metrics();
create trigger session_summary_company_add after insert on session_summary
  referencing new table as new_rows
  for each statement execute function company_aggregates_add();
create trigger session_summary_company_delete after delete on session_summary
  referencing old table as old_rows
  for each statement execute function company_aggregates_remove();
create trigger session_summary_company_update after update on session_summary
  referencing old table as old_rows new table as new_rows
  for each statement execute function company_aggregates_change();
create trigger session_summary_company_truncate after truncate on session_summary
  for each statement execute function company_aggregates_clear();

select company_aggregates_rebuild(null);
