/**
 * The in-process hint of which devices may have a PENDING command, so that a poll for a device
 * with nothing pending (nearly every poll) is answered without any SQL (docs/devices.md, "Empty
 * polls").
 *
 * Fed by LISTEN device_commands (the insert trigger of migration 0016 notifies in the inserting
 * transaction, from any process or host on the database); on every (re)LISTEN the whole set is
 * reloaded from the partial index of pending commands; `refresh` (the fleet maintenance
 * schedule) reloads it as a safety net. While not listening (before the first LISTEN, after the
 * connection carrying it closed, until the reload that follows) every poll goes to SQL.
 *
 * The race of a poll that finds nothing while a command for its device is being queued: each
 * hint carries the sequence number of the notification (or reload) that set it, a poll takes a
 * ticket (the current sequence number) before its query, and deletes the hint only when it was
 * set at or before that ticket. A notification is delivered after its command commits, so a
 * command the poll's query did not see always leaves a hint newer than the ticket.
 */
import type { Sql } from "../db/client.ts";
import { COMMAND_CHANNEL, pendingCommandDevices } from "../db/commands.ts";
import type { Notices } from "../db/notices.ts";
import type { CommandHints } from "../core/command_hints.ts";

export type { CommandHints, HintProbe } from "../core/command_hints.ts";

/** Returns hints over `sql` not yet fed by notifications (`start` listens; tests drive them). */
export function createCommandHints(sql: Sql): CommandHints & {
  /** Marks the notifications lost: polls go to SQL until the next `listening`. */
  lost(): void;
  /** Reloads, then answers polls from the hints (unless lost again meanwhile). */
  listening(): Promise<void>;
} {
  let hints = new Map<string, number>();
  let seq = 0;
  let epoch = 0;
  let isReady = false;
  let connected = false;

  /** Reloads the set; polls are answered from it afterwards when listening all along. */
  const reload = async () => {
    const at = epoch;
    const start = ++seq;
    const devices = await pendingCommandDevices(sql);
    const next = new Map<string, number>();
    for (const d of devices) next.set(d, start);
    // Hints set after the reload's query started are newer than its snapshot: keep them.
    for (const [d, s] of hints) if (s > start) next.set(d, s);
    hints = next;
    if (connected && epoch === at) isReady = true;
  };

  return {
    probe(deviceId) {
      if (isReady && !hints.has(deviceId)) return { kind: "none" };
      return { kind: "ask", ticket: seq };
    },
    settle(deviceId, ticket) {
      const s = hints.get(deviceId);
      if (s !== undefined && s <= ticket) hints.delete(deviceId);
    },
    add(deviceId) {
      hints.set(deviceId, ++seq);
    },
    refresh: reload,
    ready: () => isReady,
    size: () => hints.size,
    lost() {
      epoch++;
      connected = false;
      isReady = false;
    },
    async listening() {
      epoch++;
      connected = true;
      isReady = false;
      await reload();
    },
  };
}

/** Returns hints listening on the database's notices (resolves once listening and loaded). */
export async function startCommandHints(
  sql: Sql,
  notices: Notices,
  log?: (level: "warn", fields: Record<string, unknown>) => void,
): Promise<CommandHints & { stop(): void }> {
  const hints = createCommandHints(sql);
  const unlisten = await notices.listen(COMMAND_CHANNEL, {
    notify: (deviceId) => hints.add(deviceId),
    lost: () => hints.lost(),
    listening: async () => {
      try {
        await hints.listening();
      } catch (err) {
        // Not ready: polls keep going to SQL until the next reload succeeds.
        log?.("warn", { msg: "command hints not reloaded", error: String(err) });
      }
    },
  });
  return { ...hints, stop: unlisten };
}
