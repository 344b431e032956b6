-- Empty polls without SQL (issue 21, scale): every process keeps an in-memory hint of the devices
-- that have PENDING commands, fed by LISTEN device_commands. The notification is sent by this
-- trigger in the transaction that inserts the command, so it is delivered exactly when (and only
-- if) the command commits, whoever inserted it (docs/devices.md, "Empty polls").
create function device_commands_notify() returns trigger language plpgsql as $$
begin
  perform pg_notify('device_commands', new.device_id);
  return null;
end
$$;

create trigger device_commands_notify after insert on device_commands
  for each row when (new.status = 'PENDING') execute function device_commands_notify();
