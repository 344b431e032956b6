import assert from "node:assert/strict";
import { createMetrics } from "../../http/metrics.ts";
import { dbTestOptions, postJson, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";
import { sessionEvents } from "../helpers/play.ts";
import { productionEnv } from "../helpers/env.ts";

const db = testDatabase();
const PRODUCTION = productionEnv();

/** Returns the sample lines of an exposition (no comments, no memory gauges). */
function samples(text: string, prefix: string): string[] {
  return text.split("\n").filter((l) => l.startsWith(prefix));
}

Deno.test(
  "`createMetrics` renders counters and cumulative histograms in the text format",
  dbTestOptions,
  () => {
    const m = createMetrics();
    m.request("GET", "/players/:player_id/sessions", 200, 0.00390625);
    m.request("GET", "/players/:player_id/sessions", 200, 0.03125);
    m.request("POST", "/events", 409, 20);
    m.request("BREW", 'we"ird\\', 418, 0);
    m.eventsStored(3);
    m.batch("events", 1);
    m.batch("events", 7);
    const text = m.render();
    assert.deepEqual(samples(text, "etl_http_requests_total"), [
      'etl_http_requests_total{method="GET",route="/players/:player_id/sessions",status="200"} 2',
      'etl_http_requests_total{method="POST",route="/events",status="409"} 1',
      'etl_http_requests_total{method="OTHER",route="we\\"ird\\\\",status="418"} 1',
    ]);
    const getLatency = samples(text, "etl_http_request_duration_seconds").slice(0, 14);
    assert.deepEqual(getLatency, [
      'etl_http_request_duration_seconds_bucket{method="GET",route="/players/:player_id/sessions",le="0.005"} 1',
      'etl_http_request_duration_seconds_bucket{method="GET",route="/players/:player_id/sessions",le="0.01"} 1',
      'etl_http_request_duration_seconds_bucket{method="GET",route="/players/:player_id/sessions",le="0.025"} 1',
      'etl_http_request_duration_seconds_bucket{method="GET",route="/players/:player_id/sessions",le="0.05"} 2',
      'etl_http_request_duration_seconds_bucket{method="GET",route="/players/:player_id/sessions",le="0.1"} 2',
      'etl_http_request_duration_seconds_bucket{method="GET",route="/players/:player_id/sessions",le="0.25"} 2',
      'etl_http_request_duration_seconds_bucket{method="GET",route="/players/:player_id/sessions",le="0.5"} 2',
      'etl_http_request_duration_seconds_bucket{method="GET",route="/players/:player_id/sessions",le="1"} 2',
      'etl_http_request_duration_seconds_bucket{method="GET",route="/players/:player_id/sessions",le="2.5"} 2',
      'etl_http_request_duration_seconds_bucket{method="GET",route="/players/:player_id/sessions",le="5"} 2',
      'etl_http_request_duration_seconds_bucket{method="GET",route="/players/:player_id/sessions",le="10"} 2',
      'etl_http_request_duration_seconds_bucket{method="GET",route="/players/:player_id/sessions",le="+Inf"} 2',
      'etl_http_request_duration_seconds_sum{method="GET",route="/players/:player_id/sessions"} 0.03515625',
      'etl_http_request_duration_seconds_count{method="GET",route="/players/:player_id/sessions"} 2',
    ]);
    assert.ok(
      text.includes(
        'etl_http_request_duration_seconds_bucket{method="POST",route="/events",le="10"} 0\n' +
          'etl_http_request_duration_seconds_bucket{method="POST",route="/events",le="+Inf"} 1\n',
      ),
    );
    assert.deepEqual(samples(text, "etl_events_stored_total"), ["etl_events_stored_total 3"]);
    assert.deepEqual(
      samples(text, "etl_group_commit_batch_size").filter((l) => !l.includes("le=")),
      [
        'etl_group_commit_batch_size_sum{queue="events"} 8',
        'etl_group_commit_batch_size_count{queue="events"} 2',
      ],
    );
    assert.ok(text.includes('etl_group_commit_batch_size_bucket{queue="events",le="4"} 1\n'));
    assert.ok(text.includes('etl_group_commit_batch_size_bucket{queue="events",le="8"} 2\n'));
    assert.match(
      text,
      /# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes [1-9]\d+\n/,
    );
    assert.match(text, /\ndeno_heap_used_bytes [1-9]\d+\n/);
    assert.ok(!text.includes("etl_db_pool"), "no pool lines without a database");
  },
);

Deno.test(
  "GET /metrics counts requests by route template, events stored, batches and the pool",
  dbTestOptions,
  async () => {
    const t = testApp(db.sql);
    for (const player of ["p-metrics-1", "p-metrics-2"]) {
      assert.equal((await t.request(`/players/${player}/sessions`)).status, 200);
    }
    assert.equal((await t.request("/no/such/path/42")).status, 404);
    const events = sessionEvents({
      player: "p-metrics",
      session: "s-metrics",
      pattern: [1, 2, 1],
      start: "2026-11-20T10:00:00Z",
    });
    assert.equal(events.length, 4);
    assert.equal((await t.request("/events", postJson(events[0]))).status, 200);
    assert.equal((await t.request("/events", postJson(events[0]))).status, 200, "duplicate");
    const batch = await t.request("/events/batch", postJson({ events: events.slice(0, 3) }));
    assert.deepEqual(await batch.json(), { stored: 2, duplicates: 1 });

    const res = await t.request("/metrics");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    const text = await res.text();
    assert.deepEqual(samples(text, "etl_http_requests_total"), [
      'etl_http_requests_total{method="GET",route="/players/:player_id/sessions",status="200"} 2',
      'etl_http_requests_total{method="GET",route="unmatched",status="404"} 1',
      'etl_http_requests_total{method="POST",route="/events",status="200"} 2',
      'etl_http_requests_total{method="POST",route="/events/batch",status="200"} 1',
    ]);
    assert.ok(!text.includes("p-metrics"), "never a raw path with an id");
    assert.ok(text.includes(
      'etl_http_request_duration_seconds_count{method="GET",route="/players/:player_id/sessions"} 2\n',
    ));
    assert.deepEqual(samples(text, "etl_events_stored_total"), ["etl_events_stored_total 3"]);
    assert.deepEqual(samples(text, "etl_group_commit_batch_size_count"), [
      'etl_group_commit_batch_size_count{queue="events"} 2',
    ]);
    assert.deepEqual(samples(text, "etl_db_pool"), [
      `etl_db_pool_connections ${db.kind === "embedded" ? 1 : 10}`,
      "etl_db_pool_in_use 0",
      "etl_db_pool_waiting 0",
    ]);
    // The scrape itself is counted by the next one.
    const again = await (await t.request("/metrics")).text();
    assert.ok(
      again.includes('etl_http_requests_total{method="GET",route="/metrics",status="200"} 1\n'),
    );
  },
);

Deno.test(
  "GET /metrics needs METRICS_TOKEN in production and is off without it",
  dbTestOptions,
  async () => {
    const off = testApp(db.sql, PRODUCTION);
    assert.equal((await off.request("/metrics")).status, 404);
    const on = testApp(db.sql, {
      ...PRODUCTION,
      METRICS_TOKEN: "scrape-secret-kkkkkkkkkkkkkkkkkk",
    });
    const missing = await on.request("/metrics");
    assert.equal(missing.status, 401);
    assert.deepEqual(await missing.json(), { detail: "Missing Authorization header" });
    const wrong = await on.request("/metrics", {
      headers: { Authorization: "Bearer scrape-secreT" },
    });
    assert.equal(wrong.status, 401);
    assert.deepEqual(await wrong.json(), { detail: "Invalid metrics token" });
    const ok = await on.request("/metrics", {
      headers: { Authorization: "Bearer scrape-secret-kkkkkkkkkkkkkkkkkk" },
    });
    assert.equal(ok.status, 200);
    assert.match(
      await ok.text(),
      /\netl_http_requests_total\{method="GET",route="\/metrics",status="401"\} 2\n/,
    );
    // Development: open.
    assert.equal((await testApp(db.sql).request("/metrics")).status, 200);
  },
);
