/**
 * How the app is served: Deno.serve on a loopback port behind the TCP front (http/front.ts),
 * which times out slow clients and names each client to the app. Each request's `env` carries
 * the real client (`remoteAddr`) and `vouchBody`, with which a handler that checked the
 * request's credential lets its upload body outlast the body deadline at the minimum rate.
 * Used by main.ts and the tests that go through a real socket.
 */
import type { Context } from "hono";
import type { Config } from "../config.ts";
import { type Front, type FrontTimeouts, startFront } from "./front.ts";

/** What each request is served with besides itself. */
export interface ServeBindings {
  /** The client (the front's peer), not the relay socket. */
  remoteAddr: Deno.NetAddr;
  /** Returns true when the request's body is now held to the minimum upload rate. */
  vouchBody: () => boolean;
}

/** Returns the front's deadlines from the configuration, `uploadPaths` taking the rate rule. */
export function frontTimeouts(config: Config, uploadPaths: readonly string[]): FrontTimeouts {
  return {
    headerTimeoutMs: config.headerTimeoutSeconds * 1000,
    bodyTimeoutMs: config.bodyTimeoutSeconds * 1000,
    idleTimeoutMs: config.idleTimeoutSeconds * 1000,
    upload: {
      paths: uploadPaths,
      minBytesPerSecond: config.uploadMinBytesPerSecond,
      windowMs: config.uploadRateWindowSeconds * 1000,
    },
  };
}

/**
 * Returns true when the request came through the front and its body (an upload path's, still
 * arriving) is now held to the minimum upload rate instead of the body deadline. Call it only
 * once the request's credential is valid. Without a front (tests calling `app.request`) false.
 */
export function vouchForBody(c: Context): boolean {
  const env = c.env as Partial<ServeBindings> | undefined;
  return env?.vouchBody?.() ?? false;
}

/** A served app: the loopback HTTP server and the public front. */
export interface Served {
  server: Deno.HttpServer<Deno.NetAddr>;
  front: Front;
}

/** Returns the app served on loopback behind a front listening on `listen`. */
export function serveBehindFront(
  app: { fetch(req: Request, env: ServeBindings): Response | Promise<Response> },
  listen: Deno.ListenOptions,
  timeouts: FrontTimeouts,
): Served {
  let front: Front | null = null;
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    (req, info) =>
      app.fetch(req, {
        remoteAddr: front?.peerOf(info.remoteAddr) ?? info.remoteAddr,
        vouchBody: () => front?.vouch(info.remoteAddr) ?? false,
      }),
  );
  front = startFront(listen, { hostname: "127.0.0.1", port: server.addr.port }, timeouts);
  return { server, front };
}
