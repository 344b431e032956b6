-- Company dashboard aggregates, kept up to date by triggers on session_summary, so a dashboard
-- read touches a few hundred rows instead of every session of the company.

-- Per company and bucket: sessions, distinct players, and the sums behind the averages.
-- kind 'a' = all time (bucket_start 1970-01-01), 'd' = UTC day of played_at, 'w' = ISO week
-- (Monday) of played_at. Sessions without a company are not counted.
create table company_bucket (
  company_id text not null,
  kind char(1) not null check (kind in ('a', 'd', 'w')),
  bucket_start date not null,
  n_sessions integer not null,
  n_players integer not null,
  sum_fta double precision not null,
  sum_burden double precision not null,
  sum_bucket bigint not null,
  primary key (company_id, kind, bucket_start)
);

-- Which players have a session in a bucket: n_players counts these rows, and complementary
-- suppression counts distinct players over several buckets here.
create table company_bucket_player (
  company_id text not null,
  kind char(1) not null check (kind in ('a', 'd', 'w')),
  bucket_start date not null,
  player_id text not null,
  primary key (company_id, kind, bucket_start, player_id)
);

-- The three buckets a session played at `played_at` counts in.
create function company_session_buckets(played_at timestamptz)
returns table (kind char(1), bucket_start date)
language sql immutable as $$
  values ('a'::char(1), date '1970-01-01'),
    ('d', date_trunc('day', played_at at time zone 'UTC')::date),
    ('w', date_trunc('week', played_at at time zone 'UTC')::date)
$$;

-- Recomputes the aggregates of the given companies (null = all) from session_summary. The
-- exclusive lock waits for concurrent inserts to commit and holds new ones back until this
-- transaction ends (they then add their rows on top); dashboard reads are not blocked.
create function company_aggregates_rebuild(p_companies text[]) returns void
language plpgsql as $$
begin
  if cardinality(p_companies) = 0 then
    return;
  end if;
  lock table company_bucket, company_bucket_player in exclusive mode;
  delete from company_bucket_player where p_companies is null or company_id = any(p_companies);
  delete from company_bucket where p_companies is null or company_id = any(p_companies);
  insert into company_bucket_player (company_id, kind, bucket_start, player_id)
  select distinct s.company_id, k.kind, k.bucket_start, s.player_id
  from session_summary s cross join lateral company_session_buckets(s.played_at) k
  where s.company_id is not null and (p_companies is null or s.company_id = any(p_companies));
  insert into company_bucket (company_id, kind, bucket_start, n_sessions, n_players, sum_fta,
    sum_burden, sum_bucket)
  select s.company_id, k.kind, k.bucket_start, count(*), count(distinct s.player_id),
    sum(s.fta_level), sum(s.repetition_burden), sum(s.earth_score_bucket)
  from session_summary s cross join lateral company_session_buckets(s.played_at) k
  where s.company_id is not null and (p_companies is null or s.company_id = any(p_companies))
  group by 1, 2, 3;
end
$$;

-- After an insert: adds the new sessions. Each company's all-time row is locked first (created
-- when missing, in company order) and held to the end of the transaction, so writers of one
-- company queue there and never deadlock on its presence or bucket rows, not even across several
-- statements of one transaction.
create function company_aggregates_add() returns trigger
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

  with inserted as (
    insert into company_bucket_player (company_id, kind, bucket_start, player_id)
    select distinct n.company_id, k.kind, k.bucket_start, n.player_id
    from new_rows n cross join lateral company_session_buckets(n.played_at) k
    where n.company_id is not null
    order by 1, 2, 3, 4
    on conflict do nothing
    returning company_id, kind, bucket_start
  )
  select coalesce(jsonb_agg(c), '[]') into fresh
  from (select company_id, kind, bucket_start, count(*) as n from inserted group by 1, 2, 3) c;

  insert into company_bucket as b (company_id, kind, bucket_start, n_sessions, n_players,
    sum_fta, sum_burden, sum_bucket)
  select s.company_id, s.kind, s.bucket_start, s.n_sessions, coalesce(f.n, 0), s.sum_fta,
    s.sum_burden, s.sum_bucket
  from (
    select n.company_id, k.kind, k.bucket_start, count(*) as n_sessions,
      sum(n.fta_level) as sum_fta, sum(n.repetition_burden) as sum_burden,
      sum(n.earth_score_bucket) as sum_bucket
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
    n_players = b.n_players + excluded.n_players,
    sum_fta = b.sum_fta + excluded.sum_fta,
    sum_burden = b.sum_burden + excluded.sum_burden,
    sum_bucket = b.sum_bucket + excluded.sum_bucket;
  return null;
end
$$;

-- After a delete or an update (the service does neither; a manual fix might): recomputes the
-- companies whose sessions changed in a way the aggregates see.
create function company_aggregates_remove() returns trigger
language plpgsql as $$
begin
  perform company_aggregates_rebuild(array(
    select distinct company_id from old_rows where company_id is not null));
  return null;
end
$$;

create function company_aggregates_change() returns trigger
language plpgsql as $$
begin
  -- The aggregates depend only on the multiset of these columns: compare the rows that way.
  perform company_aggregates_rebuild(array(
    select company_id from (
      (select company_id, player_id, played_at, fta_level, repetition_burden, earth_score_bucket
        from old_rows
      except all
      select company_id, player_id, played_at, fta_level, repetition_burden, earth_score_bucket
        from new_rows)
      union all
      (select company_id, player_id, played_at, fta_level, repetition_burden, earth_score_bucket
        from new_rows
      except all
      select company_id, player_id, played_at, fta_level, repetition_burden, earth_score_bucket
        from old_rows)
    ) changed
    where company_id is not null
    group by company_id));
  return null;
end
$$;

create function company_aggregates_clear() returns trigger
language plpgsql as $$
begin
  truncate company_bucket_player, company_bucket;
  return null;
end
$$;

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

-- Backfill from the sessions stored so far.
select company_aggregates_rebuild(null);
