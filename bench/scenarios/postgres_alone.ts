/**
 * Scenario 0 of `deno task bench`: PostgreSQL alone, no HTTP (commit latency, INSERT rate).
 */
import postgres from "postgres";
import { sessionEvents } from "../bodies.ts";
import { CONNECTIONS, quick, RUN } from "../params.ts";
import { progress, raw, rows } from "../report.ts";
import { f0, ms, percentile } from "../stats.ts";

// Scenarios

/**
 * Postgres alone, no HTTP: the latency of one autocommitted single-row INSERT (its commit waits
 * for the WAL flush) and the rate of 10 concurrent connections doing them (Postgres merges
 * concurrent WAL flushes). Context for the ingest figures: a request that is acknowledged only
 * once durable cannot complete faster than one commit.
 */
export async function postgresAloneScenario(url: string): Promise<void> {
  progress("scenario 0: Postgres alone (single-row INSERTs, no HTTP)");
  const sql = postgres(url, { max: CONNECTIONS, onnotice: () => {} });
  try {
    const insert = (k: number) => {
      const e = sessionEvents(`${RUN}pg`, k)[0];
      return sql`
        insert into bench_events (session_id, sequence_index, attempt_index, player_id,
          task_version, sequence_length, presented, input, is_correct, duration_ms, ts_utc,
          remediation_stage, volts_count, company_id)
        values (${e.session_id}, ${e.sequence_index}, ${e.attempt_index}, ${e.player_id},
          ${e.task_version}, ${e.sequence_length}, ${sql.json(e.presented)},
          ${sql.json(e.input)}, ${e.is_correct}, ${e.duration_ms}, ${new Date(e.ts_utc)},
          ${e.remediation_stage}, ${e.volts_count}, null)`;
    };
    let k = 0;
    for (let i = 0; i < 20; i++) await insert(k++);
    const times: number[] = [];
    for (let i = 0; i < (quick ? 50 : 300); i++) {
      const t0 = performance.now();
      await insert(k++);
      times.push(performance.now() - t0);
    }
    let count = 0;
    const seconds = quick ? 1 : 4;
    const deadline = performance.now() + seconds * 1000;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < deadline) {
        await insert(k++);
        count++;
      }
    }));
    const rate = count / ((performance.now() - t0) / 1000);
    const p50 = percentile(times, 50);
    const p99 = percentile(times, 99);
    raw.postgres_alone = {
      sequential_insert_commit_p50_ms: p50,
      sequential_insert_commit_p99_ms: p99,
      concurrent_inserts_per_second: rate,
      connections: CONNECTIONS,
    };
    rows.push({
      scenario: "Postgres alone: one single-row INSERT + commit, sequential: p50 / p99",
      service: "—",
      baseline: `${ms(p50)} / ${ms(p99)}`,
      ratio: "—",
    }, {
      scenario: "Postgres alone: single-row INSERTs/s over 10 connections (no HTTP)",
      service: "—",
      baseline: f0(rate),
      ratio: "—",
    });
    progress(`postgres alone: commit p50 ${ms(p50)}, p99 ${ms(p99)}; ${f0(rate)} inserts/s`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}
