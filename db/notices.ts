/**
 * LISTEN/NOTIFY for the service: a hub dispatching a connection's notifications to the handlers
 * of their channel, re-issuing every LISTEN after the connection closes (a restart, a network
 * cut, a recycled connection) and telling the handlers when they were lost and when they listen
 * again, so a cache fed by notifications knows when it may have missed some.
 *
 * On a real server the hub owns a dedicated one-connection client (a LISTEN holds its session).
 * The embedded database has a single session shared by everything, so its hub rides on the main
 * client: a session receives its own notifications, and every statement runs on that session.
 */
import type postgres from "postgres";

type Sql = postgres.Sql;

/** What a listener is told. */
export interface NoticeHandlers {
  /** One notification's payload. */
  notify(payload: string): void;
  /** Called after every LISTEN that took effect (the first and each after a loss). */
  listening(): void | Promise<void>;
  /** Called when the connection carrying the LISTEN closed: notifications may be missed. */
  lost(): void;
}

/** Notifications of a database. */
export interface Notices {
  /** Resolves once `channel` is listened to (after `listening` ran); returns the way to stop. */
  listen(channel: string, handlers: NoticeHandlers): Promise<() => void>;
  /** Stops re-listening (call before the client ends). */
  close(): void;
}

/** The client options a hub needs on the connection it listens on. */
export interface NoticeHooks {
  onnotify(channel: string, payload: string): void;
  onclose(): void;
}

/** How long to wait before retrying a LISTEN that failed (the database is out). */
const RELISTEN_RETRY_MS = 500;

/** A hub whose client is attached after it is made (the client is built with its hooks). */
export interface NoticeHub extends Notices {
  hooks: NoticeHooks;
  attach(client: Sql): void;
}

/** Returns a hub; pass `hooks` to the client's options, then `attach` the client. */
export function createNoticeHub(): NoticeHub {
  const channels = new Map<string, Set<NoticeHandlers>>();
  let client: Sql | null = null;
  let closed = false;
  let relistening = false;

  const listenSql = (c: Sql, channel: string) => c`listen ${c(channel)}`;

  const relisten = async () => {
    if (relistening || closed || client === null) return;
    relistening = true;
    try {
      for (const channel of channels.keys()) await listenSql(client, channel);
      relistening = false;
      for (const set of channels.values()) for (const h of set) await h.listening();
    } catch {
      relistening = false;
      if (!closed) setTimeout(() => void relisten(), RELISTEN_RETRY_MS);
    }
  };

  return {
    hooks: {
      onnotify(channel, payload) {
        for (const h of channels.get(channel) ?? []) h.notify(payload);
      },
      onclose() {
        if (closed || channels.size === 0) return;
        for (const set of channels.values()) for (const h of set) h.lost();
        void relisten();
      },
    },
    attach(c) {
      client = c;
    },
    async listen(channel, handlers) {
      if (client === null) throw new Error("notices: no client attached");
      let set = channels.get(channel);
      if (!set) {
        set = new Set();
        channels.set(channel, set);
      }
      set.add(handlers);
      try {
        await listenSql(client, channel);
      } catch {
        // The database is out: listen (and tell `listening`) once it is back.
        setTimeout(() => void relisten(), RELISTEN_RETRY_MS);
        return unlisten(channel, set, handlers);
      }
      await handlers.listening();
      return unlisten(channel, set, handlers);
    },
    close() {
      closed = true;
    },
  };

  function unlisten(channel: string, set: Set<NoticeHandlers>, handlers: NoticeHandlers) {
    return () => {
      set.delete(handlers);
      if (set.size === 0 && channels.get(channel) === set) {
        channels.delete(channel);
        if (!closed) void client!`unlisten ${client!(channel)}`.catch(() => {});
      }
    };
  }
}

/**
 * Returns the notices of a real server: a hub over its own one-connection client made by
 * `make` from the hooks (ended by the returned `end`).
 */
export function serverNotices(
  make: (hooks: NoticeHooks) => postgres.Sql,
): Notices & { end(): Promise<void> } {
  const hub = createNoticeHub();
  const client = make(hub.hooks);
  hub.attach(client);
  return {
    listen: hub.listen,
    close: hub.close,
    async end() {
      hub.close();
      await client.end({ timeout: 1 });
    },
  };
}
