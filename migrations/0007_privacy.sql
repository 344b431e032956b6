-- Data-subject rights (issue 15): erasure and export find a participant's play sessions by
-- player id (and page through them by session id) instead of scanning every session.
create index play_sessions_player_idx on play_sessions (player_id, session_id);
