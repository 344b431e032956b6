/**
 * The heartbeat's light path (api/devices.ts `lightHeartbeat`): a valid heartbeat as a device
 * sends it (JSON, a Content-Length, the ingest token) is answered and counted as the full path
 * answers and counts it, without a request log line; whatever it does not accept is answered by
 * the full path exactly as before.
 */
import assert from "node:assert/strict";
import { dbTestOptions, testApp } from "../helpers/app.ts";
import { testDatabase, unreachableDatabase } from "../helpers/db.ts";
import { createMetrics } from "../../http/metrics.ts";
import { heartbeat as example } from "../../openapi/device_examples.ts";

const db = testDatabase();
const metrics = createMetrics();
const t = testApp(db.sql, { INGEST_SERVICE_TOKEN: "svc" }, { deps: { metrics } });
const NOW = new Date("2025-10-22T18:00:00Z");

/**
 * Posts `body` (bytes or JSON) as a device does (with its Content-Length), or `full`: with a
 * content type the light path leaves to the app (the full path, the reference).
 */
async function send(body: unknown, { full = false, token = "svc" } = {}) {
  const bytes = body instanceof Uint8Array ? body : new TextEncoder().encode(JSON.stringify(body));
  t.setNow(NOW);
  const logged = t.logs.length;
  const res = await t.request("/internal/heartbeat", {
    method: "POST",
    headers: {
      "content-type": full ? "application/json; charset=utf-8" : "application/json",
      "content-length": String(bytes.length),
      authorization: `Bearer ${token}`,
      "x-request-id": "req-1",
    },
    body: bytes as Uint8Array<ArrayBuffer>,
  });
  const headers = [...res.headers].filter(([name]) => name !== "content-length").sort();
  return { status: res.status, text: await res.text(), headers, logged: t.logs.length - logged };
}

/** Returns a counter line's value from the metrics. */
const counter = (line: string) =>
  Number(new RegExp(`^${line.replace(/[{}]/g, "\\$&")} (\\d+)$`, "m").exec(metrics.render())?.[1]);

Deno.test(
  "`lightHeartbeat` answers and counts a valid heartbeat as the full path does, without a log line",
  dbTestOptions,
  async () => {
    const route = 'etl_http_requests_total{method="POST",route="/internal/heartbeat",status="200"}';
    const full = await send({ ...example, device_id: "light-1" }, { full: true });
    assert.equal(full.logged, 1, "the full path logs its line");
    const before = { stored: counter("etl_heartbeats_received_total"), requests: counter(route) };
    const light = await send({ ...example, device_id: "light-1", extra: [1] });
    assert.deepEqual({ ...light, logged: 0 }, { ...full, logged: 0 });
    assert.equal(light.status, 200);
    assert.equal(light.text, '{"status":"ok"}');
    assert.equal(light.logged, 0, "the light path took it (no request log line)");
    assert.deepEqual(
      { stored: counter("etl_heartbeats_received_total"), requests: counter(route) },
      { stored: before.stored + 1, requests: before.requests + 1 },
    );
    // Stored like the full path's: both heartbeats are in the device's log.
    const [row] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from device_heartbeats where device_id = 'light-1'`;
    assert.equal(row.n, 2);
  },
);

Deno.test(
  "`lightHeartbeat` hands what it does not accept to the full path: the same status and body",
  dbTestOptions,
  async () => {
    const bodies: unknown[] = [
      { ...example, device_id: "" },
      { ...example, timestamp: "2025-10-22T17:59:58" },
      { ...example, network: null },
      { ...example, connectivity: "5g" },
      [example],
      "text",
      new TextEncoder().encode("{not json"),
      new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
    ];
    const statuses: number[] = [];
    for (const body of bodies) {
      const full = await send(body, { full: true });
      const light = await send(body);
      assert.deepEqual(
        { ...light, headers: light.headers.filter(([n]) => n !== "x-request-id") },
        { ...full, headers: full.headers.filter(([n]) => n !== "x-request-id") },
      );
      assert.equal(light.logged, 1, "answered by the full path");
      statuses.push(light.status);
    }
    assert.deepEqual(statuses, [422, 422, 422, 422, 422, 422, 400, 400]);
    // A wrong token never reaches the light path's body reading: 401 as before.
    const wrong = await send(example, { token: "nope" });
    assert.equal(wrong.status, 401);
  },
);

Deno.test(
  "`lightHeartbeat` answers a database outage itself with 503 and Retry-After, written once",
  dbTestOptions,
  async () => {
    const dead = unreachableDatabase();
    const down = testApp(dead, { INGEST_SERVICE_TOKEN: "svc" });
    try {
      const bytes = new TextEncoder().encode(JSON.stringify({ ...example, device_id: "down-1" }));
      const res = await down.request("/internal/heartbeat", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "content-length": String(bytes.length),
          authorization: "Bearer svc",
        },
        body: bytes,
      });
      assert.equal(res.status, 503);
      assert.deepEqual(await res.json(), { detail: "Database unavailable" });
      assert.equal(res.headers.get("retry-after"), "2");
      assert.equal(res.headers.get("cache-control"), "no-store");
      // The light path answered (the full path logs a line): the batch was not tried again.
      assert.equal(down.logs.length, 0);
    } finally {
      await dead.end();
    }
  },
);
