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
      assert.doesNotMatch(bodyAnswer!, /408/, "no second answer after the server's");

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
