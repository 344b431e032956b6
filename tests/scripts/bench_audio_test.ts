import assert from "node:assert/strict";
import { runAudioBench } from "../../bench/audio.ts";
import { serverUrl } from "../helpers/db.ts";

const opts = { sanitizeOps: false, sanitizeResources: false } as const;

Deno.test(
  "`runAudioBench` (short mode) uploads on both stores and reports the memory bound",
  opts,
  async () => {
    const base = serverUrl();
    const previous = Deno.env.get("BENCH_DATABASE_URL");
    Deno.env.set("BENCH_DATABASE_URL", base ?? "embedded");
    try {
      const results = await runAudioBench({
        concurrency: 3,
        fileBytes: 400_000,
        stores: ["filesystem", "s3"],
      });
      assert.deepEqual(results.map((r) => r.store), ["filesystem", "s3"]);
      for (const r of results) {
        assert.deepEqual(r.statuses, { "200": 3 }, r.store);
        assert.equal(r.uploads, 3);
        assert.ok(r.file_bytes > 300_000, `a real noise FLAC file (${r.file_bytes} bytes)`);
        assert.equal(r.in_flight_mib, Math.round((3 * r.file_bytes / 1024 / 1024) * 10) / 10);
        assert.ok(r.peak_rss_mib >= r.rss_before_mib);
        assert.equal(typeof r.bound_holds, "boolean");
      }
    } finally {
      if (previous === undefined) Deno.env.delete("BENCH_DATABASE_URL");
      else Deno.env.set("BENCH_DATABASE_URL", previous);
    }
  },
);
