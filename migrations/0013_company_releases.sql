-- Company numbers released once per closed period (issue 19, docs/privacy.md "Company numbers").
--
-- company_period_version counts the changes to one company period's sessions: every insert,
-- delete or update of session_summary bumps the UTC day and the ISO week of each row it touches
-- (and, on insert, the week of the player's previous first session, whose "new players" count
-- moves). A release records the version it was computed from; a read re-releases a closed
-- period only when its version moved and its release budget is not spent.

create table company_period_version (
  company_id text not null,
  kind char(1) not null check (kind in ('d', 'w')),
  period_start date not null,
  version bigint not null check (version >= 1),
  primary key (company_id, kind, period_start)
);

-- One released period: the version and parameters it was computed with and how many times it
-- was released (the first release and every re-release count against the period's budget).
create table company_release (
  company_id text not null,
  kind char(1) not null check (kind in ('d', 'w')),
  period_start date not null,
  data_version bigint not null check (data_version >= 0),
  release_count integer not null check (release_count >= 1),
  epsilon text not null,
  contribution_bound integer not null check (contribution_bound >= 1),
  released_at timestamptz not null,
  primary key (company_id, kind, period_start)
);

-- The released noisy integers of a period, long form: per task its players and sessions, per
-- metric the centred sum (scaled units), for weeks the new players (task 'all').
create table company_release_value (
  company_id text not null,
  kind char(1) not null,
  period_start date not null,
  task text not null,
  metric text not null,
  noisy bigint not null,
  primary key (company_id, kind, period_start, task, metric),
  foreign key (company_id, kind, period_start) references company_release on delete cascade
);

-- Bumps the given kinds of period of every (company_id, played_at) row, in key order.
create function company_period_bump(p_rows jsonb, p_kinds char(1)[]) returns void
language sql as $$
  insert into company_period_version as v (company_id, kind, period_start, version)
  select distinct r.company_id, k.kind, k.period_start, 1::bigint
  from jsonb_to_recordset(p_rows) as r(company_id text, played_at timestamptz)
  cross join lateral (values
    ('d'::char(1), date_trunc('day', r.played_at at time zone 'UTC')::date),
    ('w'::char(1), date_trunc('week', r.played_at at time zone 'UTC')::date)
  ) as k(kind, period_start)
  where r.company_id is not null and k.kind = any(p_kinds)
  order by 1, 2, 3
  on conflict (company_id, kind, period_start) do update set version = v.version + 1
$$;

create function company_release_touch_insert() returns trigger
language plpgsql as $$
begin
  perform company_period_bump(
    (select coalesce(jsonb_agg(jsonb_build_object('company_id', company_id,
      'played_at', played_at)), '[]') from new_rows where company_id is not null),
    array['d', 'w']::char(1)[]);
  -- A new session before a player's first one moves them between two weeks' new players.
  perform company_period_bump(
    (select coalesce(jsonb_agg(jsonb_build_object('company_id', company_id,
      'played_at', first_played)), '[]')
    from (
      select s.company_id, min(s.played_at) as first_played
      from session_summary s
      join (select distinct company_id, player_id from new_rows where company_id is not null) n
        on n.company_id = s.company_id and n.player_id = s.player_id
      where s.id not in (select id from new_rows)
      group by s.company_id, s.player_id
    ) f),
    array['w']::char(1)[]);
  return null;
end
$$;

create function company_release_touch_old() returns trigger
language plpgsql as $$
begin
  perform company_period_bump(
    (select coalesce(jsonb_agg(jsonb_build_object('company_id', company_id,
      'played_at', played_at)), '[]') from old_rows where company_id is not null),
    array['d', 'w']::char(1)[]);
  return null;
end
$$;

create function company_release_touch_update() returns trigger
language plpgsql as $$
begin
  perform company_period_bump(
    (select coalesce(jsonb_agg(jsonb_build_object('company_id', company_id,
      'played_at', played_at)), '[]')
    from (select company_id, played_at from old_rows union select company_id, played_at
      from new_rows) r where company_id is not null),
    array['d', 'w']::char(1)[]);
  return null;
end
$$;

-- Named after the company aggregate triggers so they run after them (alphabetical order), when
-- the writer already holds its company's aggregate row lock.
create trigger session_summary_release_add after insert on session_summary
  referencing new table as new_rows
  for each statement execute function company_release_touch_insert();
create trigger session_summary_release_delete after delete on session_summary
  referencing old table as old_rows
  for each statement execute function company_release_touch_old();
create trigger session_summary_release_update after update on session_summary
  referencing old table as old_rows new table as new_rows
  for each statement execute function company_release_touch_update();

-- The periods of the sessions stored so far.
insert into company_period_version (company_id, kind, period_start, version)
select distinct company_id, k.kind, k.period_start, 1::bigint
from session_summary s
cross join lateral (values
  ('d'::char(1), date_trunc('day', s.played_at at time zone 'UTC')::date),
  ('w'::char(1), date_trunc('week', s.played_at at time zone 'UTC')::date)
) as k(kind, period_start)
where s.company_id is not null;
