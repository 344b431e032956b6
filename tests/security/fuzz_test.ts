/**
 * Hostile input, part 1: a seeded, reproducible fuzz run over every endpoint and page.
 *
 * Every case is generated up front from one seed (`FUZZ_SEED`, default below; `FUZZ_REQUESTS`
 * sets how many, at least 2,000), sent through `app.request()` eight at a time, and checked:
 * no 5xx, every JSON 4xx has the documented `detail` shape, every API 4xx is JSON, every answer
 * carries X-Request-ID, bodies over 1 MiB get 413. A failure prints the seed and the case number,
 * so `FUZZ_SEED=<seed> deno task test tests/security/fuzz_test.ts` replays the same requests.
 * A second test speaks raw HTTP/1.1 to the app behind `Deno.serve` for what `Request` cannot
 * express (TRACE, CONNECT, garbage request lines, oversized header blocks).
 */
import assert from "node:assert/strict";
import { dashboardTokenFor } from "../../core/company.ts";
import { DEV_DASHBOARD_TOKEN_SALT } from "../../config.ts";
import { dbTestOptions, postJson, type TestApp, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";
import { playSession, sessionEvents } from "../helpers/play.ts";
import { type Case, type FuzzContext, fuzzGenerator, pathSweep } from "./_fuzz_cases.ts";
import { check, describe, detailProblem, requestInit } from "./_fuzz_checks.ts";
import { MIB } from "./_fuzz_values.ts";
import { productionEnv } from "../helpers/env.ts";

const SEED = Number(Deno.env.get("FUZZ_SEED") ?? "20261121") >>> 0;
const REQUESTS = Math.max(2000, Number(Deno.env.get("FUZZ_REQUESTS") ?? "2400") || 0);
const CONCURRENCY = 8;

const db = testDatabase();
const opts = dbTestOptions;

const PROD_ENV = productionEnv({
  DASHBOARD_TOKEN_MAP: "fuzz-dash-token-kkkkkkkkkkkkkkkk:fz-p1,fuzz-star-token-kkkkkkkkkkkkkkkk:*",
  ADMIN_KEY: "fuzz-admin-key-kkkkkkkkkkkkkkkkk",
  AUTH_FAIL_LIMIT: "0",
});
const apps: Record<"open" | "prod", TestApp> = {
  open: testApp(db.sql, { AUTH_FAIL_LIMIT: "0" }),
  prod: testApp(db.sql, PROD_ENV),
};

// A company with five players, so the dashboards' success paths are reachable too.
const COMPANY = "c_fuzzco000001";
const COMPANY_TOKEN = dashboardTokenFor(COMPANY, DEV_DASHBOARD_TOKEN_SALT);
db.prepare(async () => {
  for (let i = 1; i <= 5; i++) {
    await playSession(apps.open, {
      player: `fz-p${i}`,
      session: `fz-setup-${i}`,
      pattern: [1, 2, 0],
      start: "2026-01-05T10:00:00Z",
      company_id: COMPANY,
    });
  }
});

/** Returns a page-session cookie ("name=value") signed in with a dashboard token. */
async function signIn(app: TestApp, token: string): Promise<string> {
  const res = await app.request("/engagement/fz-p1", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: `token=${token}`,
  });
  assert.equal(res.status, 303, "sign-in for the fuzz run");
  return res.headers.get("set-cookie")!.split(";")[0];
}
const cookies = { open: "", prod: "" };
db.prepare(async () => {
  cookies.open = await signIn(apps.open, "dev-dashboard-token");
  cookies.prod = await signIn(apps.prod, "fuzz-star-token-kkkkkkkkkkkkkkkk");
});

const ctx: FuzzContext = {
  seed: SEED,
  company: COMPANY,
  companyToken: COMPANY_TOKEN,
  cookies,
  prodAdminKey: PROD_ENV.ADMIN_KEY,
  prodIngestToken: PROD_ENV.INGEST_SERVICE_TOKEN,
};
const { generate, jsonPosts, validAuth } = fuzzGenerator(ctx);

/** Sends one case to its app and checks the answer. */
async function send(c: Case) {
  return check(c, await apps[c.app].request(c.path, requestInit(c)));
}

// ---------------------------------------------------------------------------------------------

Deno.test(
  `fuzz: ${REQUESTS} seeded requests plus a path sweep over every endpoint, zero 5xx, documented error shapes`,
  opts,
  async () => {
    const sweep = pathSweep(ctx);
    const cases = [
      ...sweep,
      ...Array.from({ length: REQUESTS }, (_, n) => generate(sweep.length + n)),
    ];
    const started = performance.now();
    const statuses = new Map<number, number>();
    const kinds = new Map<string, number>();
    const failures: string[] = [];
    for (let i = 0; i < cases.length; i += CONCURRENCY) {
      const chunk = cases.slice(i, i + CONCURRENCY);
      const outcomes = await Promise.all(chunk.map((c) =>
        send(c).catch((err: unknown) => ({
          status: 0,
          problem: `request threw ${err instanceof Error ? `${err.name}: ${err.message}` : err}`,
        }))
      ));
      outcomes.forEach((o, j) => {
        statuses.set(o.status, (statuses.get(o.status) ?? 0) + 1);
        kinds.set(chunk[j].kind, (kinds.get(chunk[j].kind) ?? 0) + 1);
        if (o.problem) failures.push(`${describe(chunk[j])}\n    → ${o.problem}`);
      });
    }
    const ms = performance.now() - started;
    const histogram = Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0]));
    console.log(
      `fuzz: FUZZ_SEED=${SEED} requests=${cases.length} ` +
        `(${sweep.length} path sweep + ${REQUESTS} random) in ${(ms / 1000).toFixed(1)} s ` +
        `(${Math.round(cases.length / (ms / 1000))} req/s) db=${db.kind}`,
    );
    console.log(`fuzz: statuses ${JSON.stringify(histogram)}`);
    console.log(`fuzz: kinds ${JSON.stringify(Object.fromEntries([...kinds].sort()))}`);
    const fiveHundreds = [...statuses].filter(([s]) => s >= 500).reduce((a, [, n]) => a + n, 0);
    console.log(`fuzz: 5xx=${fiveHundreds} problems=${failures.length}`);

    assert.equal(
      failures.length,
      0,
      `FUZZ_SEED=${SEED}: ${failures.length} of ${cases.length} requests failed a check:\n` +
        failures.slice(0, 25).join("\n"),
    );
    const errorLines = [...apps.open.logs, ...apps.prod.logs].filter((l) =>
      l.startsWith('{"level":"error"')
    );
    assert.deepEqual(errorLines.slice(0, 3), [], "no unhandled error was logged");
  },
);

Deno.test(
  "after the fuzz run the app still serves: /health, /healthz, ingest, finalize",
  opts,
  async () => {
    for (const app of [apps.open, apps.prod]) {
      const health = await app.request("/health");
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: "ok" });
      assert.equal((await app.request("/healthz")).status, 200);
    }
    const [e] = sessionEvents({
      player: "fz-after",
      session: "fz-after-s",
      pattern: [1, 1, 1],
      start: "2026-01-07T10:00:00Z",
    });
    assert.deepEqual(await (await apps.open.request("/events", postJson(e))).json(), {
      stored: true,
    });
    const fin = await apps.open.request("/sessions/fz-after-s/finalize", { method: "POST" });
    assert.equal(fin.status, 200);
    assert.equal((await fin.json()).player_id, "fz-after");
  },
);

Deno.test(
  "every POST endpoint answers 413 over 1 MiB (declared or streamed) and 415 without JSON",
  opts,
  async () => {
    const big = `{"x":"${"a".repeat(MIB)}"}`;
    for (const post of jsonPosts) {
      const headers = { "content-type": "application/json", ...validAuth("open", post.auth) };
      const declared = await apps.open.request(post.path, { method: "POST", headers, body: big });
      assert.equal(declared.status, 413, post.path);
      assert.deepEqual(await declared.json(), { detail: "Request body too large (limit 1 MiB)" });
      const streamed = await apps.open.request(
        post.path,
        requestInit({
          n: 0,
          kind: "enormous",
          app: "open",
          method: "POST",
          path: post.path,
          headers,
          body: { streamBytes: MIB + 1 },
        }),
      );
      assert.equal(streamed.status, 413, `${post.path} streamed`);
      const plain = await apps.open.request(post.path, {
        method: "POST",
        headers: { ...headers, "content-type": "text/plain" },
        body: JSON.stringify(post.body()),
      });
      assert.equal(plain.status, 415, `${post.path} text/plain`);
      assert.equal(detailProblem(415, await plain.json()), null);
    }
  },
);

Deno.test(
  "raw HTTP/1.1: TRACE, CONNECT, garbage and oversized header blocks never give 5xx",
  opts,
  async () => {
    const controller = new AbortController();
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, signal: controller.signal, onListen() {} },
      (req, info) => apps.open.app.fetch(req, info),
    );
    const port = server.addr.port;
    /** Returns the status line the server answered, or "" when it closed the connection. */
    async function raw(bytes: Uint8Array): Promise<string> {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        await conn.write(bytes);
        const buf = new Uint8Array(4096);
        const timer = setTimeout(() => conn.close(), 3000);
        let n: number | null = null;
        try {
          n = await conn.read(buf);
        } catch {
          n = null;
        } finally {
          clearTimeout(timer);
        }
        return n ? new TextDecoder().decode(buf.subarray(0, n)).split("\r\n")[0] : "";
      } finally {
        try {
          conn.close();
        } catch { /* already closed */ }
      }
    }
    const line = (text: string) => new TextEncoder().encode(text);
    const close = "Host: x\r\nConnection: close\r\n\r\n";
    const cases: [string, Uint8Array][] = [
      ["TRACE", line(`TRACE /health HTTP/1.1\r\n${close}`)],
      ["CONNECT", line("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")],
      ["unknown method", line(`FOO /health HTTP/1.1\r\n${close}`)],
      ["garbage", line("\x00\x01garbage\r\n\r\n")],
      ["200 KB header", line(`GET /health HTTP/1.1\r\nX-Big: ${"a".repeat(200_000)}\r\n${close}`)],
      [
        "500 headers",
        line(
          `GET /health HTTP/1.1\r\n${
            Array.from({ length: 500 }, (_, i) => `X-H${i}: v\r\n`).join("")
          }${close}`,
        ),
      ],
      ["bare % in path", line(`GET /players/%/sessions HTTP/1.1\r\n${close}`)],
      [
        "raw 0xFF in path",
        new Uint8Array([
          ...line("GET /players/"),
          0xff,
          0xfe,
          ...line(`/sessions HTTP/1.1\r\n${close}`),
        ]),
      ],
      ["absolute URI", line(`GET http://evil.example/health HTTP/1.1\r\n${close}`)],
      ["OPTIONS *", line(`OPTIONS * HTTP/1.1\r\n${close}`)],
      ["HTTP/1.0", line("GET /health HTTP/1.0\r\n\r\n")],
      ["HTTP/9.9", line(`GET /health HTTP/9.9\r\n${close}`)],
    ];
    const seen: string[] = [];
    try {
      for (const [label, bytes] of cases) {
        const status = await raw(bytes);
        seen.push(`${label} → ${status || "(closed)"}`);
        const code = Number(/^HTTP\/\d\.\d (\d{3})/.exec(status)?.[1] ?? "0");
        assert.ok(code < 500, `${label}: ${status}`);
      }
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      assert.equal(health.status, 200);
      await health.body?.cancel();
    } finally {
      controller.abort();
      await server.finished;
    }
    console.log(`raw HTTP: ${seen.join("; ")}`);
  },
);
