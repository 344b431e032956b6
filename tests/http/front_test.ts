/** The TCP front: framing of the client's stream, and the deadlines it enforces on real sockets. */
import assert from "node:assert/strict";
import { ACCEPT_GRACE_MS, MAX_HEAD_BYTES, RequestFraming, startFront } from "../../http/front.ts";

const enc = (s: string) => new TextEncoder().encode(s);

/** Returns the phases a framing goes through for the given pieces, and its error. */
function phases(...pieces: string[]): { seen: string[]; error: string | null } {
  const seen: string[] = [];
  const f = new RequestFraming((p) => seen.push(p));
  for (const p of pieces) f.feed(enc(p));
  return { seen, error: f.error };
}

Deno.test("`RequestFraming` follows headers and Content-Length bodies, byte by byte or pipelined", () => {
  assert.deepEqual(phases("GET / HTTP/1.1\r\nHost: x\r\n\r\n").seen, ["head", "idle"]);
  assert.deepEqual(
    phases("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab", "c", "de").seen,
    ["head", "body", "idle"],
  );
  const split = "POST / HTTP/1.1\r\ncontent-length: 3\r\n\r\nabc".split("");
  assert.deepEqual(phases(...split).seen, ["head", "body", "idle"]);
  assert.deepEqual(
    phases(
      "GET /a HTTP/1.1\r\n\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 1\r\n\r\nxGET /c HTTP/1.1\r\n",
    )
      .seen,
    ["head", "idle", "head", "body", "idle", "head"],
  );
});

Deno.test("`RequestFraming` follows chunked bodies to their last chunk and trailers", () => {
  const head = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  assert.deepEqual(phases(head, "3\r\nabc\r\n", "0\r\n\r\n").seen, ["head", "body", "idle"]);
  assert.deepEqual(phases(head, "3;ext=1\r\nabc\r\n0\r\nX-T: 1\r\n\r\n").seen, [
    "head",
    "body",
    "idle",
  ]);
  assert.deepEqual(phases(head, "a\r\n0123456789\r\n").seen, ["head", "body"], "not finished");
  assert.equal(phases(head, "zz\r\n").error, "malformed");
});

Deno.test("`RequestFraming` refuses oversized heads and malformed lengths", () => {
  assert.equal(phases("GET / HTTP/1.1\r\nX: " + "a".repeat(MAX_HEAD_BYTES)).error, "too_large");
  assert.equal(phases("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n").error, "malformed");
});

Deno.test("`RequestFraming` ends a head of exactly MAX_HEAD_BYTES, and refuses one byte more", () => {
  const head = (size: number) => {
    const start = "GET / HTTP/1.1\r\nX: ";
    return start + "a".repeat(size - start.length - 4) + "\r\n\r\n";
  };
  assert.deepEqual(phases(head(MAX_HEAD_BYTES)), { seen: ["head", "idle"], error: null });
  const pieces = head(MAX_HEAD_BYTES).match(/[\s\S]{1,1000}/g)!;
  assert.deepEqual(phases(...pieces), { seen: ["head", "idle"], error: null }, "in pieces");
  const bytes = head(MAX_HEAD_BYTES).split("");
  assert.deepEqual(phases(...bytes), { seen: ["head", "idle"], error: null }, "byte by byte");
  assert.equal(phases(...head(MAX_HEAD_BYTES + 1).split("")).error, "too_large");
  // The buffer a connection keeps serves its next head (a small one after a large one).
  const heads: string[] = [];
  const f = new RequestFraming(() => {}, (text) => void heads.push(text));
  for (const text of [head(5000), "GET /b HTTP/1.1\r\n\r\n", head(3000)]) f.feed(enc(text));
  assert.deepEqual(heads, [head(5000), "GET /b HTTP/1.1\r\n\r\n", head(3000)]);
  assert.equal(phases(head(MAX_HEAD_BYTES + 1)).error, "too_large");
  // The blank line split across pieces, and a lone CR or LF that does not end the head.
  assert.deepEqual(phases("GET / HTTP/1.1\r\nA: 1\r", "\n\r", "\nGET").seen, [
    "head",
    "idle",
    "head",
  ]);
  assert.deepEqual(phases("GET / HTTP/1.1\r\nA: 1\n\r\n\r\rX").seen, ["head"], "not ended");
});

Deno.test("`RequestFraming` refuses a start line that is not HTTP/1.x (the HTTP/2 preface)", () => {
  assert.equal(phases("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").error, "malformed");
  assert.equal(phases("GET /\r\n\r\n").error, "malformed");
  assert.equal(phases("G T / HTTP/1.1\r\n\r\n").error, "malformed");
  assert.deepEqual(phases("GET /x?a=1 HTTP/1.0\r\nHost: x\r\n\r\n"), {
    seen: ["head", "idle"],
    error: null,
  });
  // Answers are framed by the same class: a status line passes.
  const answer = phases("HTTP/1.1 204 No Content\r\n\r\n");
  assert.deepEqual(answer, { seen: ["head", "idle"], error: null });
});

/** Returns what a raw socket received until the peer closed it, or null if still open at `ms`. */
async function readUntilClosed(conn: Deno.Conn, ms: number): Promise<string | null> {
  const buf = new Uint8Array(4096);
  let got = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const closed = (async () => {
    while (true) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) return got;
      got += new TextDecoder().decode(buf.subarray(0, n));
    }
  })();
  const result = await Promise.race([
    closed,
    new Promise<null>((r) => timer = setTimeout(() => r(null), ms)),
  ]);
  clearTimeout(timer);
  try {
    conn.close();
  } catch {
    // closed by the peer
  }
  await closed;
  return result;
}

Deno.test(
  "`startFront` answers 408 and closes slow heads and bodies, closes idle sockets, relays the rest",
  { sanitizeOps: false, sanitizeResources: false },
  async () => {
    const seen: (string | undefined)[] = [];
    let front: ReturnType<typeof startFront> | null = null;
    const backend = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req, info) => {
      seen.push(front?.peerOf(info.remoteAddr)?.hostname);
      // Answers early, as the sign-in form does for a large declared body (which also says
      // Connection: close).
      if (new URL(req.url).pathname === "/close") {
        return new Response("refused", { status: 413, headers: { Connection: "close" } });
      }
      return new Response(req.method === "POST" ? "early" : "ok");
    });
    front = startFront({ hostname: "127.0.0.1", port: 0 }, {
      hostname: "127.0.0.1",
      port: backend.addr.port,
    }, { headerTimeoutMs: 200, bodyTimeoutMs: 200, idleTimeoutMs: 400 });
    const open = () => Deno.connect({ hostname: "127.0.0.1", port: front!.addr.port });
    try {
      // A normal request passes, and the app learns the real client.
      const ok = await fetch(`http://127.0.0.1:${front.addr.port}/x`);
      assert.equal(await ok.text(), "ok");
      assert.deepEqual(seen, ["127.0.0.1"]);

      const head = await open();
      await head.write(enc("GET / HTTP/1.1\r\nHost: x\r\n"));
      const headAnswer = await readUntilClosed(head, 10_000);
      assert.match(headAnswer ?? "still open", /^HTTP\/1\.1 408 Request Timeout\r\n/);

      // The server answered early; the front still closes the trickling socket.
      const body = await open();
      await body.write(enc("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\na"));
      const bodyAnswer = await readUntilClosed(body, 10_000);
      assert.match(bodyAnswer ?? "still open", /^HTTP\/1\.1 200 OK\r\n[\s\S]*early$/);
      assert.doesNotMatch(bodyAnswer!, /HTTP\/1\.1 408/, "no second answer after the server's");

      // An answer that says Connection: close closes the socket as soon as it is out, long
      // before the body deadline of this second front (10 minutes).
      const patient = startFront({ hostname: "127.0.0.1", port: 0 }, {
        hostname: "127.0.0.1",
        port: backend.addr.port,
      }, { headerTimeoutMs: 600_000, bodyTimeoutMs: 600_000, idleTimeoutMs: 600_000 });
      const early = await Deno.connect({ hostname: "127.0.0.1", port: patient.addr.port });
      await early.write(enc("POST /close HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\na"));
      const earlyAnswer = await readUntilClosed(early, 10_000);
      patient.stopAccepting();
      patient.closeAll();
      assert.match(earlyAnswer ?? "still open", /^HTTP\/1\.1 413 [\s\S]*refused$/);

      const quiet = await open();
      assert.equal(await readUntilClosed(quiet, 10_000), "");

      const slowNoAnswer = await open();
      await slowNoAnswer.write(enc("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"));
      assert.match((await readUntilClosed(slowNoAnswer, 10_000)) ?? "still open", /408/);

      // The HTTP/2 preface without a credential: closed at once with 400, not held (the server
      // would answer it in binary frames the front never finishes reading).
      const preface = await open();
      await preface.write(enc("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
      assert.match((await readUntilClosed(preface, 10_000)) ?? "still open", /^HTTP\/1\.1 400 /);

      const huge = await open();
      await huge.write(enc("GET / HTTP/1.1\r\nX: " + "a".repeat(MAX_HEAD_BYTES)));
      assert.match((await readUntilClosed(huge, 10_000)) ?? "still open", /^HTTP\/1\.1 431/);
      assert.equal(front.connections(), 0);
    } finally {
      front.stopAccepting();
      front.closeAll();
      await backend.shutdown();
    }
  },
);

Deno.test(
  "`drain` stops accepting and resolves once the held request is answered, or at its deadline",
  { sanitizeOps: false, sanitizeResources: false },
  async () => {
    const backend = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      () => new Response("done"),
    );
    const long = { headerTimeoutMs: 600_000, bodyTimeoutMs: 600_000, idleTimeoutMs: 600_000 };
    const front = startFront({ hostname: "127.0.0.1", port: 0 }, {
      hostname: "127.0.0.1",
      port: backend.addr.port,
    }, long);
    try {
      // A request whose head is still arriving is held: the drain waits for it.
      const held = await Deno.connect({ hostname: "127.0.0.1", port: front.addr.port });
      await held.write(enc("GET / HTTP/1.1\r\nHost: x\r\n"));
      while (front.busy() === 0) await new Promise((r) => setTimeout(r, 5));
      let drained = false;
      const draining = front.drain(Date.now() + 600_000).then(() => (drained = true));
      await new Promise((r) => setTimeout(r, ACCEPT_GRACE_MS + 100));
      assert.equal(drained, false, "still holding the request after the accept grace");
      await held.write(enc("Connection: close\r\n\r\n"));
      const answer = await readUntilClosed(held, 10_000);
      assert.match(answer ?? "still open", /^HTTP\/1\.1 200 OK\r\n[\s\S]*done$/);
      await draining;
      assert.equal(front.busy(), 0);
      await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port: front.addr.port }));

      // A request that never completes: the drain gives up at its deadline.
      const stuck = startFront({ hostname: "127.0.0.1", port: 0 }, {
        hostname: "127.0.0.1",
        port: backend.addr.port,
      }, long);
      const slow = await Deno.connect({ hostname: "127.0.0.1", port: stuck.addr.port });
      await slow.write(enc("GET / HTTP/1.1\r\n"));
      while (stuck.busy() === 0) await new Promise((r) => setTimeout(r, 5));
      await stuck.drain(Date.now() + 100);
      assert.equal(stuck.busy(), 1, "the drain resolved with the request still held");
      stuck.closeAll();
      slow.close();
    } finally {
      front.closeAll();
      await backend.shutdown();
    }
  },
);

Deno.test(
  "`vouch` holds only the handled request's body on an upload path to the rate, while it arrives",
  { sanitizeOps: false, sanitizeResources: false },
  async () => {
    const vouched: string[] = [];
    let front: ReturnType<typeof startFront> | null = null;
    const backend = Deno.serve(
      { port: 0, hostname: "127.0.0.1", onListen() {} },
      async (req, info) => {
        vouched.push(`${new URL(req.url).pathname} ${front!.vouch(info.remoteAddr)}`);
        await req.arrayBuffer();
        return new Response("done");
      },
    );
    // Long deadlines: nothing here depends on time.
    front = startFront({ hostname: "127.0.0.1", port: 0 }, {
      hostname: "127.0.0.1",
      port: backend.addr.port,
    }, {
      headerTimeoutMs: 600_000,
      bodyTimeoutMs: 600_000,
      idleTimeoutMs: 600_000,
      upload: { paths: ["/up"], minBytesPerSecond: 1, windowMs: 600_000 },
    });
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: front.addr.port });
    /** Sends half a body, waits for the handler's vouch, then the rest; returns the vouch. */
    const halfThenRest = async (method: string, path: string) => {
      const count = vouched.length;
      await conn.write(enc(`${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab`));
      while (vouched.length === count) await new Promise((r) => setTimeout(r, 5));
      await conn.write(enc("cd"));
      const buf = new Uint8Array(4096);
      let got = "";
      while (!got.endsWith("done")) {
        got += new TextDecoder().decode(buf.subarray(0, (await conn.read(buf))!));
      }
      return vouched.at(-1);
    };
    try {
      assert.equal(await halfThenRest("POST", "/up"), "/up true");
      assert.equal(await halfThenRest("POST", "/up?x=1"), "/up true", "the query is not the path");
      assert.equal(await halfThenRest("POST", "/other"), "/other false");
      assert.equal(await halfThenRest("PUT", "/upload"), "/upload false");
      // Without a body still arriving (a bodiless request) there is nothing to vouch for.
      const count = vouched.length;
      await conn.write(enc("GET /up HTTP/1.1\r\nHost: x\r\n\r\n"));
      while (vouched.length === count) await new Promise((r) => setTimeout(r, 5));
      assert.equal(vouched.at(-1), "/up false");
      // An address that is no relay socket of this front.
      assert.equal(front.vouch({ transport: "tcp", hostname: "127.0.0.1", port: 9 }), false);
    } finally {
      conn.close();
      front.stopAccepting();
      front.closeAll();
      await backend.shutdown();
    }
  },
);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Returns the bytes a raw socket received once `done` holds for them (or the peer closed). */
async function readUntil(conn: Deno.Conn, done: (got: string) => boolean): Promise<string> {
  const buf = new Uint8Array(4096);
  let got = "";
  while (!done(got)) {
    const n = await conn.read(buf);
    if (n === null) break;
    got += new TextDecoder().decode(buf.subarray(0, n));
  }
  return got;
}

/** The backend of the server-time tests: slow answers, a streamed one, a huge one. */
function slowBackend() {
  return Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/slow") {
      await sleep(1000);
      return new Response("slow");
    }
    if (path === "/stream") {
      // Six pieces over 750 ms: each gap is shorter than the idle timeout, the whole is longer.
      let i = 0;
      return new Response(
        new ReadableStream({
          async pull(c) {
            if (i > 0) await sleep(150);
            if (i === 6) return c.close();
            c.enqueue(enc(`piece${i++};`));
          },
        }),
      );
    }
    if (path === "/big") {
      // 64 MiB, far more than the socket buffers hold: a client that reads nothing stalls it.
      let left = 64;
      const mib = new Uint8Array(1024 * 1024).fill(97);
      return new Response(
        new ReadableStream({
          pull(c) {
            if (left-- === 0) c.close();
            else c.enqueue(mib);
          },
        }),
      );
    }
    // (To HEAD as well: its answer says Content-Length: 2 and carries no body.)
    return new Response("ok");
  });
}

Deno.test(
  "`startFront` does not count the server's time against the idle timeout, only a client that stops reading",
  { sanitizeOps: false, sanitizeResources: false },
  async () => {
    const backend = slowBackend();
    const front = startFront({ hostname: "127.0.0.1", port: 0 }, {
      hostname: "127.0.0.1",
      port: backend.addr.port,
    }, { headerTimeoutMs: 5000, bodyTimeoutMs: 5000, idleTimeoutMs: 300 });
    const open = () => Deno.connect({ hostname: "127.0.0.1", port: front.addr.port });
    try {
      // A handler that takes 1 s (more than three idle timeouts) is answered in full.
      const slow = await open();
      await slow.write(enc("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"));
      const slowAnswer = await readUntil(slow, (got) => got.endsWith("slow"));
      assert.match(slowAnswer, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nslow$/);
      // Once answered, the connection is idle again: closed after the idle timeout.
      const started = performance.now();
      assert.equal(await readUntilClosed(slow, 10_000), "");
      assert.ok(performance.now() - started < 5000, "closed at the idle deadline");

      // An answer streamed over 750 ms, each piece within the idle timeout of the last.
      const stream = await open();
      await stream.write(enc("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n"));
      const streamed = await readUntil(stream, (got) => got.endsWith("0\r\n\r\n"));
      for (let i = 0; i < 6; i++) assert.ok(streamed.includes(`piece${i};`), streamed);
      stream.close();

      // A client that stops reading a 64 MiB answer is cut once a write to it has been pending
      // for the idle timeout: what it reads afterwards is a part, then the end.
      const stalled = await open();
      await stalled.write(enc("GET /big HTTP/1.1\r\nHost: x\r\n\r\n"));
      await sleep(1500);
      const part = await readUntilClosed(stalled, 10_000);
      assert.notEqual(part, null, "still open");
      assert.match(part!, /^HTTP\/1\.1 200 OK\r\n/);
      assert.ok(part!.length < 64 * 1024 * 1024, `${part!.length} bytes`);
      while (front.connections() > 0) await sleep(10);
    } finally {
      front.stopAccepting();
      front.closeAll();
      await backend.shutdown();
    }
  },
);

/** Returns the answers in a relayed stream: status line and body of each, in order. */
function answersIn(stream: string, bodiless: number[] = []): string[] {
  const out: string[] = [];
  let rest = stream;
  while (rest.length > 0) {
    const end = rest.indexOf("\r\n\r\n");
    const head = rest.slice(0, end);
    rest = rest.slice(end + 4);
    const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
    const body = bodiless.includes(out.length) ? "" : rest.slice(0, length);
    rest = rest.slice(body.length);
    out.push(`${head.split("\r\n")[0]} ${body}`.trim());
  }
  return out;
}

Deno.test(
  "`startFront` relays pipelined requests in order, each answered once, a slow first one and HEAD included",
  { sanitizeOps: false, sanitizeResources: false },
  async () => {
    const backend = slowBackend();
    const front = startFront({ hostname: "127.0.0.1", port: 0 }, {
      hostname: "127.0.0.1",
      port: backend.addr.port,
    }, { headerTimeoutMs: 300, bodyTimeoutMs: 300, idleTimeoutMs: 300 });
    const open = () => Deno.connect({ hostname: "127.0.0.1", port: front.addr.port });
    try {
      const conn = await open();
      await conn.write(enc(
        "GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /a HTTP/1.1\r\nHost: x\r\n\r\n" +
          "GET /b HTTP/1.1\r\nHost: x\r\n\r\nHEAD /c HTTP/1.1\r\nHost: x\r\n\r\n",
      ));
      // The whole stream, then the close at the idle deadline once all four are answered (the
      // answer to HEAD says Content-Length: 2 and has no body: the front does not wait for one).
      const stream = await readUntilClosed(conn, 10_000);
      assert.notEqual(stream, null, "still open");
      assert.match(stream!, /\r\ncontent-length: 2\r\n[^]*\r\n\r\n$/);
      assert.deepEqual(answersIn(stream!, [3]), [
        "HTTP/1.1 200 OK slow",
        "HTTP/1.1 200 OK ok",
        "HTTP/1.1 200 OK ok",
        "HTTP/1.1 200 OK",
      ]);

      // A pipelined head that misses its deadline while the request before it is still being
      // answered: closed without our 408, which the client would take for the first answer.
      const late = await open();
      await late.write(enc("GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /a HTTP/1.1\r\nHost"));
      assert.equal(await readUntilClosed(late, 10_000), "");

      // The same head on its own is answered 408.
      const alone = await open();
      await alone.write(enc("GET /a HTTP/1.1\r\nHost"));
      assert.match((await readUntilClosed(alone, 10_000)) ?? "still open", /^HTTP\/1\.1 408 /);
      while (front.connections() > 0) await sleep(10);
    } finally {
      front.stopAccepting();
      front.closeAll();
      await backend.shutdown();
    }
  },
);

Deno.test(
  "`vouch` under pipelining: refused to the first request's handler, granted to the next once it is the handled one",
  { sanitizeOps: false, sanitizeResources: false },
  async () => {
    const vouched: string[] = [];
    let second: () => void = () => {};
    const handled = new Promise<void>((r) => (second = r));
    let front: ReturnType<typeof startFront> | null = null;
    const backend = Deno.serve(
      { port: 0, hostname: "127.0.0.1", onListen() {} },
      async (req, info) => {
        const n = vouched.length + 1;
        // The second handler vouches once the test read the first answer (the front saw it).
        if (n === 2) await handled;
        vouched.push(`${n} ${front!.vouch(info.remoteAddr)}`);
        const body = await req.text();
        return new Response(`done ${n} ${body}`);
      },
    );
    front = startFront({ hostname: "127.0.0.1", port: 0 }, {
      hostname: "127.0.0.1",
      port: backend.addr.port,
    }, {
      headerTimeoutMs: 5000,
      bodyTimeoutMs: 400,
      idleTimeoutMs: 5000,
      // At least one byte per 400 ms window.
      upload: { paths: ["/up"], minBytesPerSecond: 2.5, windowMs: 400 },
    });
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: front.addr.port });
    try {
      // Both heads in one write: when the first handler runs, the front is on the second body.
      await conn.write(enc(
        "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcd" +
          "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n\r\nab",
      ));
      const first = await readUntil(conn, (got) => got.endsWith("done 1 abcd"));
      assert.match(first, /^HTTP\/1\.1 200 OK\r\n[\s\S]*done 1 abcd$/);
      assert.deepEqual(vouched, ["1 false"], "the first handler cannot vouch for the next body");
      second();
      while (vouched.length < 2) await sleep(5);
      assert.deepEqual(vouched, ["1 false", "2 true"]);
      // The vouched body takes 900 ms (past the 400 ms body deadline) at one byte per 150 ms.
      for (const byte of "cdefgh") {
        await sleep(150);
        await conn.write(enc(byte));
      }
      const rest = await readUntil(conn, (got) => got.endsWith("done 2 abcdefgh"));
      assert.match(rest, /^HTTP\/1\.1 200 OK\r\n[\s\S]*done 2 abcdefgh$/);
    } finally {
      second();
      conn.close();
      front.stopAccepting();
      front.closeAll();
      await backend.shutdown();
    }
  },
);

Deno.test(
  "`startFront` relays large answers byte for byte to clients that read late, lending at most its pool",
  { sanitizeOps: false, sanitizeResources: false },
  async () => {
    // Larger than what the sockets of one connection buffer: a client that does not read stalls
    // its relay in the middle of the answer, holding the buffer it was lent.
    const SIZE = 16 * 1024 * 1024;
    const PIECE = 64 * 1024;
    /** Byte `i` of answer `k`: distinct per answer, so a buffer shared too early shows. */
    const byte = (k: number, i: number) => (i * 7 + k * 13 + (i >> 16)) & 0xff;
    const backend = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req) => {
      const k = Number(new URL(req.url).searchParams.get("k"));
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          const piece = new Uint8Array(Math.min(PIECE, SIZE - sent));
          for (let j = 0; j < piece.length; j++) piece[j] = byte(k, sent + j);
          sent += piece.length;
          controller.enqueue(piece);
          if (sent === SIZE) controller.close();
        },
      });
      return new Response(stream, { headers: { "Content-Length": String(SIZE) } });
    });
    const front = startFront(
      { hostname: "127.0.0.1", port: 0 },
      {
        hostname: "127.0.0.1",
        port: backend.addr.port,
      },
      { headerTimeoutMs: 5000, bodyTimeoutMs: 5000, idleTimeoutMs: 20_000 },
      { largeBuffers: 2 },
    );
    const conns: Deno.TcpConn[] = [];
    try {
      for (let k = 0; k < 4; k++) {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port: front.addr.port });
        await conn.write(enc(`GET /?k=${k} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
        conns.push(conn);
      }
      // Nobody reads yet: every relay stalls; two hold the pool's buffers, the others 4 KiB ones.
      for (let waited = 0; front.largeBuffersLent() < 2 && waited < 5000; waited += 50) {
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(front.largeBuffersLent(), 2, "four stalled large answers, two buffers lent");
      const bad = await Promise.all(conns.map(async (conn, k) => {
        const buf = new Uint8Array(256 * 1024);
        let head = "";
        let at = -1;
        let wrong = 0;
        while (true) {
          const n = await conn.read(buf);
          if (n === null) break;
          let j = 0;
          if (at < 0) {
            head += new TextDecoder("latin1").decode(buf.subarray(0, n));
            const end = head.indexOf("\r\n\r\n");
            if (end < 0) continue;
            j = n - (head.length - end - 4);
            at = 0;
          }
          for (; j < n; j++, at++) if (buf[j] !== byte(k, at)) wrong++;
        }
        assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
        return { k, bytes: at, wrong };
      }));
      assert.deepEqual(bad, [0, 1, 2, 3].map((k) => ({ k, bytes: SIZE, wrong: 0 })));
      assert.equal(front.largeBuffersLent(), 0, "every buffer is back once the answers are out");
    } finally {
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // closed by the front
        }
      }
      front.stopAccepting();
      front.closeAll();
      await backend.shutdown();
    }
  },
);
