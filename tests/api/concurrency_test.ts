/** 32 clients at once resending attempts, finalizing sessions and ingesting summaries. */
import assert from "node:assert/strict";
import { dbTestOptions, postJson, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";
import { sessionEvents } from "../helpers/play.ts";

const db = testDatabase();
const t = testApp(db.sql);
const CLIENTS = 32;
const ingest = { Authorization: "Bearer dev-ingest-token" };

Deno.test(
  "32 clients: one row per attempt, one summary per session, one ok per summary",
  dbTestOptions,
  async () => {
    const sessions = ["cc-1", "cc-2", "cc-3"];
    const events = sessions.flatMap((s, i) =>
      sessionEvents({
        player: `p-cc-${i}`,
        session: s,
        pattern: [2, 1, 3],
        start: "2026-11-20T10:00:00Z",
      })
    );
    const summaries = sessions.map((s, i) => ({
      session_id: `sum-${s}`,
      user_external_id: `u-cc-${i}`,
      started_at: "2026-11-20T10:00:00Z",
      duration_seconds: 300,
      sentiment_score: 0.7,
    }));

    // Every client resends every attempt (singles and a batch) and every summary.
    const sends = await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
      const statuses: number[] = [];
      if (c % 2 === 0) {
        statuses.push((await t.request("/events/batch", postJson({ events }))).status);
      } else {
        const answers = await Promise.all(events.map((e) => t.request("/events", postJson(e))));
        statuses.push(...answers.map((r) => r.status));
      }
      const ok: string[] = [];
      for (const s of summaries) {
        const res = await t.request("/internal/ingest/session_summary", postJson(s, ingest));
        statuses.push(res.status);
        ok.push((await res.json()).status);
      }
      return { statuses, ok };
    }));
    assert.deepEqual(new Set(sends.flatMap((s) => s.statuses)), new Set([200]));
    const oks = sends.flatMap((s) => s.ok).filter((s) => s === "ok").length;
    assert.equal(oks, summaries.length, "exactly one ok per summary");

    const finals = await Promise.all(
      Array.from(
        { length: CLIENTS },
        (_, c) =>
          t.request(`/sessions/${sessions[c % sessions.length]}/finalize`, { method: "POST" }),
      ),
    );
    assert.deepEqual(
      new Set(finals.map((r) => r.status)),
      new Set([200]),
    );
    const ids = new Map<string, Set<number>>();
    for (const body of await Promise.all(finals.map((r) => r.json()))) {
      ids.set(body.session_id, (ids.get(body.session_id) ?? new Set()).add(body.id));
    }
    assert.deepEqual([...ids.values()].map((s) => s.size), [1, 1, 1]);

    const raw = await db.sql`
    select session_id, count(*)::int as n, count(distinct (sequence_index, attempt_index))::int as k
    from raw_events where session_id = any(${sessions}) group by 1 order by 1`;
    assert.deepEqual(raw.map((r) => [r.session_id, r.n, r.k]), sessions.map((s) => [s, 6, 6]));
    const sums = await db
      .sql`select count(*)::int as n from session_summary where session_id = any(${sessions})`;
    assert.equal(sums[0].n, 3);
    const eng = await db.sql`
    select source, count(*)::int as n from engagement_sessions
    where session_id = any(${[...sessions, ...summaries.map((s) => s.session_id)]})
    group by 1 order by 1`;
    assert.deepEqual(eng.map((r) => [r.source, r.n]), [["device", 3], ["earth_task", 3]]);
  },
);
