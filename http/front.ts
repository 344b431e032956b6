/**
 * The TCP front: the layer that times out slow clients. Deno.serve (and node:http in Deno) has no
 * header or body timeout, and a handler that answers early cannot close the socket: the
 * connection stays open as long as the client trickles its body (docs/security.md, "Slow
 * clients"). So the public port is a plain TCP listener that relays each connection to the HTTP
 * server on a loopback port and follows the HTTP/1.1 framing of what the client sends:
 *
 * - headers must be complete within `headerTimeoutMs` of their first byte (and within 64 KiB);
 * - a body (Content-Length or chunked) must be complete within `bodyTimeoutMs` of its headers;
 * - except an upload the server vouched for (`vouch`, called by the upload handler once the
 *   ingest token is valid, on one of `upload.paths`): from then on its body may take as long as
 *   it needs while it keeps `upload.minBytesPerSecond`, averaged over each `upload.windowMs`
 *   (docs/security.md, "Slow uploads");
 * - a connection between requests (every request complete and answered) is closed after
 *   `idleTimeoutMs`;
 * - while the server holds a complete request whose answer is not complete, the server's time is
 *   not counted (a slow handler, a slowly streamed export): only a client that stops reading the
 *   answer (one relayed write to it pending for `idleTimeoutMs`) is cut.
 *
 * A request that misses its deadline is answered `408` and its connection closed, on both sides;
 * only closed when the server already answered it, when an answer is being relayed, or when an
 * earlier pipelined request is not answered yet (the client would take our 408 for the answer to
 * that one). Pipelined requests are relayed in order and answered by the server in order. One
 * timer per connection, reset per phase (or per rate window, or per idle period while the server
 * answers), never per chunk. Bytes are relayed with backpressure: the front holds at most one read
 * buffer per direction per connection.
 */

/** The rule of vouched uploads: no body deadline, a minimum rate per window instead. */
export interface UploadRate {
  /** The request paths (before any `?`) whose bodies may be vouched for. */
  paths: readonly string[];
  /** The least a vouched body must bring per second, averaged over each window. */
  minBytesPerSecond: number;
  /** The window (ms): a vouched body that brought less than the minimum in one is cut (408). */
  windowMs: number;
}

/** The deadlines of the front (ms). */
export interface FrontTimeouts {
  headerTimeoutMs: number;
  bodyTimeoutMs: number;
  idleTimeoutMs: number;
  /** Without it, no body is exempt from `bodyTimeoutMs`. */
  upload?: UploadRate;
}

/** A running front. */
export interface Front {
  /** The public address. */
  addr: Deno.NetAddr;
  /** Returns the client behind the relay socket the HTTP server saw (its peer), if any. */
  peerOf(relay: Deno.NetAddr): Deno.NetAddr | undefined;
  /**
   * Returns true when the body of the request the server is handling on `relay` (its peer) is
   * now held to the minimum upload rate instead of the body deadline: the request's path is an
   * upload path and its body is still arriving. The server calls it once the request's
   * credential is valid; anything else is refused (false) and keeps the body deadline.
   */
  vouch(relay: Deno.NetAddr): boolean;
  /** Connections open now. */
  connections(): number;
  /** Large relay buffers lent to connections now (at most `largeBuffers`, whatever the load). */
  largeBuffersLent(): number;
  /** Connections with a request under way: from its first byte until its answer is complete. */
  busy(): number;
  /** Stops accepting (open connections keep going). */
  stopAccepting(): void;
  /**
   * Drains for a shutdown: keeps accepting for a short grace (connections the kernel already
   * accepted would be reset if the listener closed at once), stops accepting, then resolves once
   * no request has been held for a moment (each answered) or at `deadline` (epoch ms), whichever
   * comes first. Woken by the requests' answers, never by polling.
   */
  drain(deadline: number): Promise<void>;
  /** Closes every connection. */
  closeAll(): void;
}

/** The most header bytes a request may send. */
export const MAX_HEAD_BYTES = 64 * 1024;
const READ_BUFFER = 4 * 1024;
/**
 * A large answer is relayed in LARGE_BUFFER pieces when one of the front's LARGE_BUFFERS is free
 * (a 133 KB series in 3 reads and writes instead of 33); the pool, not the connection count,
 * bounds what they hold (2 MiB), so slow readers cannot make the front hold more.
 */
const LARGE_BUFFER = 64 * 1024;
const LARGE_BUFFERS = 32;
/** How long a connection closed after a closing answer still drops what the client sends (ms). */
const LINGER_MS = 2000;
/** How long a draining front keeps accepting before it closes its listener (ms). */
export const ACCEPT_GRACE_MS = 300;
/** How long no request must be held before a drain counts the front as settled (ms). */
const DRAIN_QUIET_MS = 20;

/** Returns a complete HTTP/1.1 answer that closes the connection, with a JSON detail. */
function closingAnswer(status: string, detail: string): Uint8Array {
  const body = JSON.stringify({ detail });
  return new TextEncoder().encode(
    `HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${body.length}\r\n\r\n${body}`,
  );
}

const TIMEOUT_ANSWER = closingAnswer("408 Request Timeout", "Request took too long");
const SLOW_UPLOAD_ANSWER = closingAnswer(
  "408 Request Timeout",
  "Upload slower than the minimum rate (UPLOAD_MIN_BYTES_PER_SECOND)",
);
const TOO_LARGE_ANSWER = closingAnswer(
  "431 Request Header Fields Too Large",
  "Request headers too big",
);
const BAD_ANSWER = closingAnswer("400 Bad Request", "Malformed request");

/** Writes every byte of `bytes` to `conn`. */
async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let sent = 0;
  while (sent < bytes.length) sent += await conn.write(bytes.subarray(sent));
}

type Phase = "idle" | "head" | "body";

/** An HTTP/1.x request line (RFC 9112 3) or status line (RFC 9112 4). */
const START_LINE =
  /^(?:[!#$%&'*+.^_`|~0-9A-Za-z-]+ [^\s]+ HTTP\/1\.[01]|HTTP\/1\.[01] \d{3}(?: .*)?)$/;

/** One decoder for every head (decoding without `stream` keeps no state between calls). */
const LATIN1 = new TextDecoder("latin1");
/** A head buffer's first size: most heads fit, and it is kept for the connection's next head. */
const HEAD_BUFFER = 1024;

/**
 * Follows the framing of a client's request stream: which phase it is in, and when a phase
 * changes. Fed every byte the client sends, in order.
 */
export class RequestFraming {
  phase: Phase = "idle";
  /** Set when the stream cannot be framed (the connection must close). */
  error: "too_large" | "malformed" | null = null;
  /**
   * The head's bytes so far (the first `headLength` of one buffer, grown by doubling up to
   * MAX_HEAD_BYTES: a head trickled a byte per read costs no more than one sent at once), and how
   * many bytes of the blank line that ends it were last seen (`\r` 1, `\r\n` 2, `\r\n\r` 3).
   */
  private head = new Uint8Array(0);
  private headLength = 0;
  private matched = 0;
  private remaining = 0;
  private chunked = false;
  /** Chunked body sub-state. */
  private chunk: "size" | "data" | "data_crlf" | "trailer" = "size";
  private line: number[] = [];

  constructor(
    private readonly onPhase: (phase: Phase) => void,
    /**
     * Called with each complete head (start line and headers), before its phase change. Returns
     * true when the message has no body whatever its headers say (an answer to HEAD, a 204 or
     * 304: RFC 9112 6.3).
     */
    private readonly onHead: (head: string) => boolean | void = () => {},
  ) {}

  /** Consumes bytes, calling `onPhase` at every change. */
  feed(bytes: Uint8Array): void {
    let i = 0;
    while (i < bytes.length && this.error === null) {
      if (this.phase === "idle") {
        // Blank lines between requests are allowed (RFC 9112 2.2).
        if (bytes[i] === 13 || bytes[i] === 10) {
          i++;
          continue;
        }
        this.set("head");
      }
      if (this.phase === "head") {
        i = this.feedHead(bytes, i);
        continue;
      }
      // body
      if (!this.chunked) {
        const take = Math.min(this.remaining, bytes.length - i);
        this.remaining -= take;
        i += take;
        if (this.remaining === 0) this.set("idle");
        continue;
      }
      i = this.feedChunked(bytes, i);
    }
  }

  /** Returns the index after the head bytes consumed from `i` (ending the head when complete). */
  private feedHead(bytes: Uint8Array, i: number): number {
    const start = i;
    // Room left under MAX_HEAD_BYTES: the head may not reach it.
    const stop = Math.min(bytes.length, start + MAX_HEAD_BYTES - this.headLength);
    let matched = this.matched;
    let end = -1;
    while (i < stop) {
      const b = bytes[i++];
      if (b === 13) matched = matched === 2 ? 3 : 1;
      else if (b !== 10) matched = 0;
      else if (matched === 3) {
        end = i;
        break;
      } else matched = matched === 1 ? 2 : 0;
    }
    this.matched = matched;
    const length = this.headLength + (i - start);
    if (length > this.head.length) {
      const grown = new Uint8Array(
        Math.min(MAX_HEAD_BYTES, Math.max(length, 2 * this.head.length, HEAD_BUFFER)),
      );
      grown.set(this.head.subarray(0, this.headLength));
      this.head = grown;
    }
    this.head.set(bytes.subarray(start, i), this.headLength);
    this.headLength = length;
    if (end >= 0) this.endOfHead();
    else if (this.headLength >= MAX_HEAD_BYTES) this.error = "too_large";
    return i;
  }

  private set(phase: Phase): void {
    this.phase = phase;
    this.onPhase(phase);
  }

  private endOfHead(): void {
    const text = LATIN1.decode(this.head.subarray(0, this.headLength));
    // The buffer is kept for the connection's next head, unless a large head grew it.
    if (this.head.length > HEAD_BUFFER) this.head = new Uint8Array(0);
    this.headLength = 0;
    this.matched = 0;
    // Only HTTP/1.x is framed: anything else (the HTTP/2 preface `PRI * HTTP/2.0`, which the
    // server would answer in binary frames this parser never finishes) closes the connection.
    if (!START_LINE.test(text.slice(0, text.indexOf("\r\n")))) {
      this.error = "malformed";
      return;
    }
    if (this.onHead(text) === true) {
      this.chunked = false;
      this.remaining = 0;
      this.set("idle");
      return;
    }
    let length = 0;
    let chunked = false;
    for (const line of text.split("\r\n").slice(1)) {
      const colon = line.indexOf(":");
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === "content-length") {
        if (!/^\d{1,15}$/.test(value)) {
          this.error = "malformed";
          return;
        }
        length = Number(value);
      } else if (name === "transfer-encoding") {
        chunked = /(?:^|,)\s*chunked\s*$/i.test(value);
      }
    }
    this.chunked = chunked;
    this.remaining = chunked ? 0 : length;
    this.chunk = "size";
    this.line = [];
    if (chunked || length > 0) this.set("body");
    else this.set("idle");
  }

  /** Returns the index after the bytes of a chunked body consumed from `i`. */
  private feedChunked(bytes: Uint8Array, i: number): number {
    while (i < bytes.length) {
      if (this.chunk === "data") {
        const take = Math.min(this.remaining, bytes.length - i);
        this.remaining -= take;
        i += take;
        if (this.remaining === 0) this.chunk = "data_crlf";
        continue;
      }
      const b = bytes[i++];
      if (b !== 10) {
        if (b !== 13) this.line.push(b);
        if (this.line.length > 4096) {
          this.error = "malformed";
          return i;
        }
        continue;
      }
      const line = LATIN1.decode(new Uint8Array(this.line));
      this.line = [];
      if (this.chunk === "data_crlf") {
        this.chunk = "size";
      } else if (this.chunk === "size") {
        const size = /^([0-9a-fA-F]{1,12})(?:;.*)?$/.exec(line.trim());
        if (!size) {
          this.error = "malformed";
          return i;
        }
        this.remaining = parseInt(size[1], 16);
        this.chunk = this.remaining === 0 ? "trailer" : "data";
      } else if (line === "") {
        // trailer: the empty line ends the body
        this.set("idle");
        return i;
      }
    }
    return i;
  }
}

/**
 * Turns Nagle's algorithm off on a relay socket: an answer relayed in several writes (head, then
 * body) would otherwise hold its last segment until the client's delayed ACK, 40 ms later
 * (measured: `GET /api/heartbeats?limit=100` p50 52 ms → 5.6 ms). A socket already gone is left.
 */
function noDelay(conn: Deno.TcpConn): void {
  try {
    conn.setNoDelay(true);
  } catch {
    // closed already: the relay notices on its first read or write
  }
}

/**
 * Returns a running front relaying `listen` to the HTTP server at `backend`, with a pool of
 * `largeBuffers` (default LARGE_BUFFERS) large relay buffers.
 */
export function startFront(
  listen: Deno.ListenOptions,
  backend: { hostname: string; port: number },
  timeouts: FrontTimeouts,
  options: { largeBuffers?: number } = {},
): Front {
  const listener = Deno.listen({ ...listen, transport: "tcp" });
  const largeBuffers = options.largeBuffers ?? LARGE_BUFFERS;
  /** The large relay buffers not lent now, and how many were ever made (at most `largeBuffers`). */
  const spare: Uint8Array[] = [];
  let made = 0;
  const lend = (): Uint8Array | null =>
    spare.pop() ?? (made < largeBuffers ? (made++, new Uint8Array(LARGE_BUFFER)) : null);
  const peers = new Map<number, Deno.NetAddr>();
  /** Each relayed connection's vouch function, by the relay socket's local port. */
  const vouchers = new Map<number, () => boolean>();
  const upload = timeouts.upload;
  const open = new Set<() => void>();
  /** The connections (by their close function) with a request whose answer is not complete. */
  const busy = new Set<() => void>();
  /** Called once when `busy` empties (a drain waiting for the held requests). */
  let onIdle: (() => void) | null = null;
  const notBusy = (close: () => void) => {
    if (!busy.delete(close) || busy.size > 0 || onIdle === null) return;
    onIdle();
    onIdle = null;
  };

  const serve = async (client: Deno.TcpConn) => {
    // No Nagle on either leg: the relay writes an answer in READ_BUFFER pieces, and with Nagle
    // each piece after the first waits for the ACK of the one before, which a client delays by
    // up to 40 ms (every answer over 4 KiB took 40+ ms more through the front).
    noDelay(client);
    // The HTTP server is connected to only once the first request's head is complete: a socket
    // that never finishes its headers costs one socket and one small buffer, nothing more.
    let server: Deno.TcpConn | null = null;
    let relayPort = -1;
    let closed = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    /** True once a request head was complete (the server must be connected). */
    let headDone = false;
    const close = () => {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      open.delete(close);
      notBusy(close);
      peers.delete(relayPort);
      vouchers.delete(relayPort);
      for (const conn of [client, server]) {
        try {
          conn?.close();
        } catch {
          // already closed
        }
      }
    };
    open.add(close);
    /** Set once the answer that closes the connection is out: the client's bytes are dropped. */
    let draining = false;
    /**
     * Closes after a complete closing answer: the sending side first, then the socket once the
     * client closed too or LINGER_MS passed (closing with unread bytes would reset the
     * connection and could destroy the answer before the client read it).
     */
    const finish = () => {
      if (closed || draining) return;
      draining = true;
      clearTimeout(timer);
      try {
        server?.close();
      } catch {
        // already closed
      }
      client.closeWrite().catch(() => {});
      timer = setTimeout(close, LINGER_MS);
    };
    /**
     * Sends our own `answer` and closes, or only closes when the client would take it for the
     * answer of another request: when an answer is partly relayed, or an earlier request is not
     * answered yet (pipelined requests are answered in order).
     */
    const refuse = async (answer: Uint8Array) => {
      const between = writingSince === null && answers.error === null && answers.phase === "idle";
      if (between && answersDone === before && !refusing) {
        refusing = true;
        // A client that does not read even this is closed at the idle deadline.
        clearTimeout(timer);
        timer = setTimeout(close, idleMs);
        try {
          await writeAll(client, answer);
        } catch {
          // the client is gone
        }
      }
      close();
    };
    /** Request heads seen, and final (non-1xx) answer heads: the server handles request
     * `finalAnswers + 1` (HTTP/1.1 answers in order, one request at a time). */
    let requests = 0;
    let finalAnswers = 0;
    /** Final answers relayed completely; the requests before the current one (its number − 1). */
    let answersDone = 0;
    let before = 0;
    /** Set while our own answer is written: the relay writes nothing more. */
    let refusing = false;
    /** True while the answer being relayed is a final one (not a 1xx). */
    let finalHead = false;
    /** The numbers of the HEAD requests not answered yet: their answers have no body. */
    const headRequests: number[] = [];
    /** When the relayed write to the client now pending began (performance.now()), or null. */
    let writingSince: number | null = null;
    const idleMs = timeouts.idleTimeoutMs;
    /**
     * Watches a connection whose requests are complete while the server answers: it is cut only
     * when a write to the client has been pending for `idleTimeoutMs` (the client stopped
     * reading); the server's own time is not counted. One timer, re-armed once per period.
     */
    const watch = () => {
      const stalled = writingSince === null ? 0 : performance.now() - writingSince;
      if (stalled >= idleMs) return close();
      timer = setTimeout(watch, idleMs - stalled);
    };
    /**
     * Arms the timer once the client's requests are complete: the idle deadline when every one is
     * answered (or when the answers cannot be followed), else the watch while the server answers.
     */
    const settle = () => {
      clearTimeout(timer);
      if (answers.error === null && answersDone < requests) {
        timer = setTimeout(watch, idleMs);
        return;
      }
      notBusy(close);
      timer = setTimeout(close, idleMs);
    };
    /** True when the current request's path is an upload path. */
    let uploadPath = false;
    /** Set while the current body is vouched for: bytes received in this rate window. */
    let windowBytes = -1;
    const rateWindow = () => {
      timer = setTimeout(() => {
        if (windowBytes < upload!.minBytesPerSecond * upload!.windowMs / 1000) {
          refuse(SLOW_UPLOAD_ANSWER);
          return;
        }
        windowBytes = 0;
        rateWindow();
      }, upload!.windowMs);
    };
    const vouch = () => {
      if (!upload || closed || draining || framing.phase !== "body" || !uploadPath) return false;
      if (requests !== finalAnswers + 1) return false;
      if (windowBytes >= 0) return true;
      clearTimeout(timer);
      windowBytes = 0;
      rateWindow();
      return true;
    };
    const framing = new RequestFraming((phase) => {
      if (draining) return;
      clearTimeout(timer);
      windowBytes = -1;
      if (phase === "idle") {
        headDone = true;
        settle();
        return;
      }
      if (phase === "head") {
        before = requests;
        busy.add(close);
      } else headDone = true;
      const ms = phase === "head" ? timeouts.headerTimeoutMs : timeouts.bodyTimeoutMs;
      timer = setTimeout(() => refuse(TIMEOUT_ANSWER), ms);
    }, (head) => {
      requests++;
      if (head.startsWith("HEAD ")) headRequests.push(requests);
      if (!upload) return;
      const target = /^[A-Z]+ ([^ ?]*)/.exec(head)?.[1] ?? "";
      uploadPath = upload.paths.includes(target);
    });
    timer = setTimeout(close, timeouts.idleTimeoutMs);

    let downstream: Promise<void> = Promise.resolve();
    // The server's answers are followed too: once an answer that says `Connection: close` is
    // complete, the connection is closed at once (e.g. a form refused for its declared size,
    // while the client would keep trickling the body until the body timeout).
    let closeAfterAnswer = false;
    const answers = new RequestFraming((phase) => {
      if (phase !== "idle" || !finalHead) return;
      answersDone++;
      if (closeAfterAnswer) finish();
      else if (framing.phase === "idle" && !draining && !closed) settle();
    }, (head) => {
      const interim = /^HTTP\/1\.[01] 1\d\d/.test(head);
      finalHead = !interim;
      closeAfterAnswer = !interim && /\r\nconnection:[ \t]*close[ \t]*(?:\r\n|$)/i.test(head);
      if (interim) return true;
      finalAnswers++;
      const toHead = headRequests[0] === finalAnswers;
      if (toHead) headRequests.shift();
      return toHead || /^HTTP\/1\.[01] (?:204|304)/.test(head);
    });
    const relay = async (conn: Deno.TcpConn) => {
      const small = new Uint8Array(READ_BUFFER);
      /** A large buffer lent while an answer that filled a read is relayed. */
      let large: Uint8Array | null = null;
      try {
        while (!closed) {
          const buf = large ?? small;
          const n = await conn.read(buf);
          if (n === null) break;
          if (!refusing) {
            const chunk = buf.subarray(0, n);
            writingSince = performance.now();
            await writeAll(client, chunk);
            writingSince = null;
            if (answers.error === null) {
              answers.feed(chunk);
              // Answers that cannot be followed: back to the idle deadline (never no deadline).
              if (answers.error !== null && framing.phase === "idle" && !draining) settle();
            }
          }
          // A full read lends a large buffer for the rest of the answer; it goes back to the pool
          // once the answer is complete (or, for answers that cannot be followed, at a short
          // read), and only after its bytes are written.
          if (large === null) {
            if (n === buf.length) large = lend();
          } else if (answers.phase === "idle" || (answers.error !== null && n < buf.length)) {
            spare.push(large);
            large = null;
          }
        }
      } finally {
        if (large !== null) spare.push(large);
      }
    };
    const upstream = async () => {
      const buf = new Uint8Array(READ_BUFFER);
      let pending: Uint8Array[] = [];
      while (!closed) {
        const n = await client.read(buf);
        if (n === null) break;
        if (draining || refusing) continue;
        const chunk = buf.subarray(0, n);
        if (windowBytes >= 0) windowBytes += n;
        framing.feed(chunk);
        if (framing.error !== null) {
          await refuse(framing.error === "too_large" ? TOO_LARGE_ANSWER : BAD_ANSWER);
          return;
        }
        if (server === null) {
          pending.push(chunk.slice());
          if (!headDone) continue;
          server = await Deno.connect({ ...backend, transport: "tcp" });
          noDelay(server);
          if (closed) {
            server.close();
            return;
          }
          relayPort = server.localAddr.port;
          peers.set(relayPort, client.remoteAddr);
          vouchers.set(relayPort, vouch);
          downstream = relay(server).catch(() => {}).finally(() => draining || close());
          for (const piece of pending) await writeAll(server, piece);
          pending = [];
          continue;
        }
        await writeAll(server, chunk);
      }
      // The client finished sending: let the server answer what it has, then it closes.
      if (server === null || draining) close();
      else await server.closeWrite().catch(() => {});
    };
    await upstream().catch(close);
    await downstream;
    if (!draining) close();
  };

  (async () => {
    try {
      for await (const conn of listener) serve(conn);
    } catch {
      // the listener was closed
    }
  })();

  const stopAccepting = () => {
    try {
      listener.close();
    } catch {
      // already closed
    }
  };
  /** Resolves after `ms` (at once for 0 or less). */
  const after = (ms: number): { done: Promise<void>; cancel(): void } => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms))));
    return { done, cancel: () => clearTimeout(timer) };
  };
  return {
    addr: listener.addr,
    peerOf: (relay) => peers.get(relay.port),
    vouch: (relay) => vouchers.get(relay.port)?.() ?? false,
    connections: () => open.size,
    largeBuffersLent: () => made - spare.length,
    busy: () => busy.size,
    stopAccepting,
    drain: async (deadline) => {
      await after(Math.min(ACCEPT_GRACE_MS, deadline - Date.now())).done;
      stopAccepting();
      // Settled once no request has been held for DRAIN_QUIET_MS: a kept-alive connection's
      // next request (or an accepted connection's first) may start right after an answer.
      let over = false;
      const settled = new Promise<void>((resolve) => {
        const check = () => {
          if (over) return;
          if (busy.size > 0) return void (onIdle = check);
          after(DRAIN_QUIET_MS).done.then(() => (busy.size === 0 ? resolve() : check()));
        };
        check();
      });
      const timeout = after(deadline - Date.now());
      await Promise.race([settled, timeout.done]);
      over = true;
      timeout.cancel();
      onIdle = null;
    },
    closeAll: () => {
      for (const close of [...open]) close();
    },
  };
}
