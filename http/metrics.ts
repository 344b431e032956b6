/**
 * Process metrics in the Prometheus text format (GET /metrics): requests by route template and
 * status, a latency histogram, events stored, group-commit batch sizes, the database pool and
 * process memory. Every series is of this process; with several workers or instances, scrape
 * each (docs/operations.md). The endpoint and the request counter are `http/metrics_endpoint.ts`.
 */
import type { Sql } from "../db/client.ts";

/** Latency buckets in seconds. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Group-commit batch size buckets (items per statement). */
export const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 500];

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(readonly buckets: readonly number[]) {
    this.counts = buckets.map(() => 0);
  }
  observe(value: number): void {
    this.sum += value;
    this.count++;
    const i = this.buckets.findIndex((b) => value <= b);
    if (i >= 0) this.counts[i]++;
  }
}

/** The metrics of one process. */
export interface Metrics {
  /** Counts one answered request under its route template. */
  request(method: string, route: string, status: number, seconds: number): void;
  /** Counts events newly stored (duplicates excluded). */
  eventsStored(n: number): void;
  /** Counts one audio upload answered with `outcome`, and the bytes it newly stored. */
  recordingUpload(outcome: string, storedBytes: number): void;
  /** Counts one heartbeat stored. */
  heartbeat(): void;
  /** Counts one empty poll answered from the command hints (light path, no request log line). */
  hintedPoll(): void;
  /** Records the size of one group-commit statement of `queue`. */
  batch(queue: string, size: number): void;
  /** Returns the exposition text, reading the pool of `sql` and process memory now. */
  render(sql?: Sql): string;
}

/** Returns `value` escaped for a Prometheus label. */
function label(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function labels(pairs: Record<string, string>): string {
  const parts = Object.entries(pairs).map(([k, v]) => `${k}="${label(v)}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

function histogramLines(name: string, key: Record<string, string>, h: Histogram): string[] {
  const lines: string[] = [];
  let cumulative = 0;
  h.buckets.forEach((b, i) => {
    cumulative += h.counts[i];
    lines.push(`${name}_bucket${labels({ ...key, le: String(b) })} ${cumulative}`);
  });
  lines.push(`${name}_bucket${labels({ ...key, le: "+Inf" })} ${h.count}`);
  lines.push(`${name}_sum${labels(key)} ${h.sum}`);
  lines.push(`${name}_count${labels(key)} ${h.count}`);
  return lines;
}

/** Returns an empty metrics registry. */
export function createMetrics(): Metrics {
  const requests = new Map<string, { key: Record<string, string>; n: number }>();
  const latency = new Map<string, { key: Record<string, string>; h: Histogram }>();
  const batches = new Map<string, Histogram>();
  let eventsStored = 0;
  const uploads = new Map<string, number>();
  let recordingBytes = 0;
  let heartbeats = 0;
  let hintedPolls = 0;

  return {
    request(method, route, status, seconds) {
      const m = METHODS.has(method) ? method : "OTHER";
      const key = { method: m, route, status: String(status) };
      const id = JSON.stringify(key);
      const entry = requests.get(id) ?? { key, n: 0 };
      entry.n++;
      requests.set(id, entry);
      const lid = JSON.stringify([m, route]);
      const l = latency.get(lid) ??
        { key: { method: m, route }, h: new Histogram(LATENCY_BUCKETS) };
      l.h.observe(seconds);
      latency.set(lid, l);
    },
    eventsStored(n) {
      eventsStored += n;
    },
    recordingUpload(outcome, storedBytes) {
      uploads.set(outcome, (uploads.get(outcome) ?? 0) + 1);
      recordingBytes += storedBytes;
    },
    heartbeat() {
      heartbeats++;
    },
    hintedPoll() {
      hintedPolls++;
    },
    batch(queue, size) {
      const h = batches.get(queue) ?? new Histogram(BATCH_BUCKETS);
      h.observe(size);
      batches.set(queue, h);
    },
    render(sql) {
      const out: string[] = [];
      const head = (name: string, type: string, help: string) =>
        out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      head(
        "etl_http_requests_total",
        "counter",
        "HTTP requests answered, by route template and status.",
      );
      for (const { key, n } of requests.values()) {
        out.push(`etl_http_requests_total${labels(key)} ${n}`);
      }
      head("etl_http_request_duration_seconds", "histogram", "Time to answer a request.");
      for (const { key, h } of latency.values()) {
        out.push(...histogramLines("etl_http_request_duration_seconds", key, h));
      }
      head(
        "etl_events_stored_total",
        "counter",
        "Attempt events newly stored (duplicates excluded).",
      );
      out.push(`etl_events_stored_total ${eventsStored}`);
      head(
        "etl_recording_uploads_total",
        "counter",
        "Audio uploads answered, by outcome (stored, duplicate, or the refusal).",
      );
      for (const [outcome, n] of uploads) {
        out.push(`etl_recording_uploads_total${labels({ outcome })} ${n}`);
      }
      head(
        "etl_recording_bytes_stored_total",
        "counter",
        "Bytes of audio newly stored in the object store (duplicates excluded).",
      );
      out.push(`etl_recording_bytes_stored_total ${recordingBytes}`);
      head("etl_heartbeats_received_total", "counter", "Device heartbeats stored.");
      out.push(`etl_heartbeats_received_total ${heartbeats}`);
      head(
        "etl_command_polls_hinted_total",
        "counter",
        "Empty command polls answered from the command hints without SQL (and without a log line).",
      );
      out.push(`etl_command_polls_hinted_total ${hintedPolls}`);
      head("etl_group_commit_batch_size", "histogram", "Items written per group-commit statement.");
      for (const [queue, h] of batches) {
        out.push(...histogramLines("etl_group_commit_batch_size", { queue }, h));
      }
      if (sql) {
        const pool = sql.stats();
        head("etl_db_pool_connections", "gauge", "Database connections the pool may open.");
        out.push(`etl_db_pool_connections ${pool.max}`);
        head("etl_db_pool_in_use", "gauge", "Database connections busy with queries or reserved.");
        out.push(`etl_db_pool_in_use ${pool.busy + pool.full + pool.reserved}`);
        head("etl_db_pool_waiting", "gauge", "Queries waiting for a free database connection.");
        out.push(`etl_db_pool_waiting ${pool.waiting}`);
      }
      const mem = Deno.memoryUsage();
      head("process_resident_memory_bytes", "gauge", "Resident set size.");
      out.push(`process_resident_memory_bytes ${mem.rss}`);
      head("deno_heap_used_bytes", "gauge", "V8 heap in use.");
      out.push(`deno_heap_used_bytes ${mem.heapUsed}`);
      head("deno_heap_total_bytes", "gauge", "V8 heap reserved.");
      out.push(`deno_heap_total_bytes ${mem.heapTotal}`);
      head("deno_external_memory_bytes", "gauge", "Memory of objects outside the V8 heap.");
      out.push(`deno_external_memory_bytes ${mem.external}`);
      return out.join("\n") + "\n";
    },
  };
}
