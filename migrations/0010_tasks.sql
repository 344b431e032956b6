-- Several task types (issue 14): water_v1 sessions carry a stress score instead of the four earth
-- metrics, models are kept per player and task, and the company aggregates count each metric's
-- sessions and distinct players apart (an average is shown only when enough players stand behind
-- that very average).
--
-- Which metrics a session has decides where it counts, not its task_version: a session is an
-- earth session when fta_level is set (earth_v1 and every unknown version), a water session when
-- stress_score is set (core/tasks.ts).

alter table session_summary
  alter column fta_level drop not null,
  alter column fta_strict drop not null,
  alter column repetition_burden drop not null,
  alter column earth_score_bucket drop not null,
  add column stress_score double precision check (stress_score between 0 and 100),
  -- The four earth metrics are set together or not at all, and every session has some metric.
  add constraint session_summary_earth_metrics check (
    (fta_level is null) = (fta_strict is null)
    and (fta_level is null) = (repetition_burden is null)
    and (fta_level is null) = (earth_score_bucket is null)),
  add constraint session_summary_some_metric check (
    fta_level is not null or stress_score is not null);

drop index session_summary_company_idx;
create index session_summary_company_idx on session_summary (company_id, played_at)
  include (player_id, fta_level, repetition_burden, earth_score_bucket, stress_score);

-- One model per player and task ('earth', 'water'); existing rows are earth models.
alter table model_state
  add column model_name text not null default 'earth' check (model_name in ('earth', 'water')),
  drop constraint model_state_pkey,
  add primary key (player_id, model_name);

-- Per bucket: sessions and distinct players per metric. n_sessions and n_players still count
-- every session; sum_fta, sum_burden and sum_bucket are now sums over earth sessions only.
alter table company_bucket
  add column n_earth_sessions integer not null default 0,
  add column n_earth_players integer not null default 0,
  add column n_water_sessions integer not null default 0,
  add column n_water_players integer not null default 0,
  add column sum_stress double precision not null default 0;

-- Per player and bucket: whether the player has an earth / a water session there.
alter table company_bucket_player
  add column earth boolean not null default false,
  add column water boolean not null default false;

create or replace function company_aggregates_rebuild(p_companies text[]) returns void
language plpgsql as $$
begin
  if cardinality(p_companies) = 0 then
    return;
  end if;
  lock table company_bucket, company_bucket_player in exclusive mode;
  delete from company_bucket_player where p_companies is null or company_id = any(p_companies);
  delete from company_bucket where p_companies is null or company_id = any(p_companies);
  insert into company_bucket_player (company_id, kind, bucket_start, player_id, earth, water)
  select s.company_id, k.kind, k.bucket_start, s.player_id, bool_or(s.fta_level is not null),
    bool_or(s.stress_score is not null)
  from session_summary s cross join lateral company_session_buckets(s.played_at) k
  where s.company_id is not null and (p_companies is null or s.company_id = any(p_companies))
  group by 1, 2, 3, 4;
  insert into company_bucket (company_id, kind, bucket_start, n_sessions, n_players, sum_fta,
    sum_burden, sum_bucket, n_earth_sessions, n_earth_players, n_water_sessions,
    n_water_players, sum_stress)
  select s.company_id, k.kind, k.bucket_start, count(*), count(distinct s.player_id),
    coalesce(sum(s.fta_level), 0), coalesce(sum(s.repetition_burden), 0),
    coalesce(sum(s.earth_score_bucket), 0), count(s.fta_level),
    count(distinct s.player_id) filter (where s.fta_level is not null), count(s.stress_score),
    count(distinct s.player_id) filter (where s.stress_score is not null),
    coalesce(sum(s.stress_score), 0)
  from session_summary s cross join lateral company_session_buckets(s.played_at) k
  where s.company_id is not null and (p_companies is null or s.company_id = any(p_companies))
  group by 1, 2, 3;
end
$$;

-- After an insert: adds the new sessions. Each company's all-time row is locked first (created
-- when missing, in company order) and held to the end of the transaction, so writers of one
-- company queue there and never deadlock on its presence or bucket rows. Holding that lock, the
-- presence rows read before the upsert are the committed state no other writer can change, so
-- comparing them with the incoming ones counts the players new to a bucket and to each metric.
create or replace function company_aggregates_add() returns trigger
language plpgsql as $$
declare
  fresh jsonb;
begin
  insert into company_bucket (company_id, kind, bucket_start, n_sessions, n_players, sum_fta,
    sum_burden, sum_bucket)
  select distinct company_id, 'a', date '1970-01-01', 0, 0, 0, 0, 0
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
      bool_or(n.fta_level is not null) as earth, bool_or(n.stress_score is not null) as water
    from new_rows n cross join lateral company_session_buckets(n.played_at) k
    where n.company_id is not null
    group by 1, 2, 3, 4
  ), known as (
    select i.company_id, i.kind, i.bucket_start, i.player_id, i.earth, i.water,
      p.player_id is not null as present, coalesce(p.earth, false) as had_earth,
      coalesce(p.water, false) as had_water
    from incoming i
    left join company_bucket_player p on p.company_id = i.company_id and p.kind = i.kind
      and p.bucket_start = i.bucket_start and p.player_id = i.player_id
  ), upserted as (
    insert into company_bucket_player as p (company_id, kind, bucket_start, player_id, earth,
      water)
    select company_id, kind, bucket_start, player_id, earth, water from known
    where not present or (earth and not had_earth) or (water and not had_water)
    order by 1, 2, 3, 4
    on conflict (company_id, kind, bucket_start, player_id) do update set
      earth = p.earth or excluded.earth, water = p.water or excluded.water
  )
  select coalesce(jsonb_agg(c), '[]') into fresh
  from (
    select company_id, kind, bucket_start, count(*) filter (where not present) as n,
      count(*) filter (where earth and not had_earth) as n_earth,
      count(*) filter (where water and not had_water) as n_water
    from known group by 1, 2, 3
  ) c;

  insert into company_bucket as b (company_id, kind, bucket_start, n_sessions, n_players,
    sum_fta, sum_burden, sum_bucket, n_earth_sessions, n_earth_players, n_water_sessions,
    n_water_players, sum_stress)
  select s.company_id, s.kind, s.bucket_start, s.n_sessions, coalesce(f.n, 0), s.sum_fta,
    s.sum_burden, s.sum_bucket, s.n_earth_sessions, coalesce(f.n_earth, 0), s.n_water_sessions,
    coalesce(f.n_water, 0), s.sum_stress
  from (
    select n.company_id, k.kind, k.bucket_start, count(*) as n_sessions,
      coalesce(sum(n.fta_level), 0) as sum_fta,
      coalesce(sum(n.repetition_burden), 0) as sum_burden,
      coalesce(sum(n.earth_score_bucket), 0) as sum_bucket,
      count(n.fta_level) as n_earth_sessions, count(n.stress_score) as n_water_sessions,
      coalesce(sum(n.stress_score), 0) as sum_stress
    from new_rows n cross join lateral company_session_buckets(n.played_at) k
    where n.company_id is not null
    group by 1, 2, 3
  ) s
  left join jsonb_to_recordset(fresh) as f(company_id text, kind char(1), bucket_start date,
    n integer, n_earth integer, n_water integer)
    on f.company_id = s.company_id and f.kind = s.kind and f.bucket_start = s.bucket_start
  order by 1, 2, 3
  on conflict (company_id, kind, bucket_start) do update set
    n_sessions = b.n_sessions + excluded.n_sessions,
    n_players = b.n_players + excluded.n_players,
    sum_fta = b.sum_fta + excluded.sum_fta,
    sum_burden = b.sum_burden + excluded.sum_burden,
    sum_bucket = b.sum_bucket + excluded.sum_bucket,
    n_earth_sessions = b.n_earth_sessions + excluded.n_earth_sessions,
    n_earth_players = b.n_earth_players + excluded.n_earth_players,
    n_water_sessions = b.n_water_sessions + excluded.n_water_sessions,
    n_water_players = b.n_water_players + excluded.n_water_players,
    sum_stress = b.sum_stress + excluded.sum_stress;
  return null;
end
$$;

create or replace function company_aggregates_change() returns trigger
language plpgsql as $$
begin
  -- The aggregates depend only on the multiset of these columns: compare the rows that way.
  perform company_aggregates_rebuild(array(
    select company_id from (
      (select company_id, player_id, played_at, fta_level, repetition_burden, earth_score_bucket,
        stress_score from old_rows
      except all
      select company_id, player_id, played_at, fta_level, repetition_burden, earth_score_bucket,
        stress_score from new_rows)
      union all
      (select company_id, player_id, played_at, fta_level, repetition_burden, earth_score_bucket,
        stress_score from new_rows
      except all
      select company_id, player_id, played_at, fta_level, repetition_burden, earth_score_bucket,
        stress_score from old_rows)
    ) changed
    where company_id is not null
    group by company_id));
  return null;
end
$$;

-- Backfill: every stored session so far is an earth session.
select company_aggregates_rebuild(null);
