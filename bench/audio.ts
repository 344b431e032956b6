/**
 * `deno task bench audio [--quick]`: upload throughput and the service's peak memory with 20
 * concurrent 20 MiB FLAC uploads (`--quick`: 4 × 1 MiB), on the filesystem store and on a local
 * S3-compatible server (s3rver, its own process). The service is main.ts in development mode on a
 * scratch database of BENCH_DATABASE_URL (default the local server) or, with
 * BENCH_DATABASE_URL=embedded, on PGlite. Peak memory is the service's VmHWM (/proc), against its
 * resident set after one warm-up upload; the bound checked is that the growth stays below half of
 * the bytes in flight (the service must stream, not buffer). Prints a table; returns the figures.
 */
import { createScratchDatabase } from "./scratch.ts";
import { type Server, SERVICE_ARGS, startServer, statusKb } from "./procs.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const MiB = 1024 * 1024;
const INGEST = "bench-audio-ingest-token";

export interface AudioBenchOptions {
  concurrency: number;
  /** Target size of each upload (bytes); the FLAC file is noise of about that size. */
  fileBytes: number;
  stores: ("filesystem" | "s3")[];
}

export const FULL: AudioBenchOptions = {
  concurrency: 20,
  fileBytes: 20 * MiB,
  stores: ["filesystem", "s3"],
};
export const QUICK: AudioBenchOptions = {
  concurrency: 4,
  fileBytes: 1 * MiB,
  stores: ["filesystem", "s3"],
};

/** One store's figures. */
export interface AudioBenchResult {
  store: "filesystem" | "s3";
  uploads: number;
  file_bytes: number;
  statuses: Record<string, number>;
  wall_seconds: number;
  throughput_mib_s: number;
  latency_median_ms: number;
  latency_max_ms: number;
  /** Resident set of the service after a warm-up upload (MiB). */
  rss_before_mib: number;
  /** Its peak resident set over the run (VmHWM, MiB). */
  peak_rss_mib: number;
  /** Bytes of all concurrent uploads (MiB): what a buffering service would hold. */
  in_flight_mib: number;
  /** Peak growth below half of the bytes in flight. */
  bound_holds: boolean;
}

/** Returns a FLAC file of white noise (sox, 48 kHz stereo 16-bit) of about `bytes` bytes. */
async function noiseFlac(bytes: number, dir: string): Promise<Uint8Array> {
  const path = `${dir}/noise.flac`;
  const make = async (seconds: number) => {
    const out = await new Deno.Command("sox", {
      args: [
        "-r",
        "48000",
        "-n",
        "-r",
        "48000",
        "-c",
        "2",
        "-b",
        "16",
        path,
        "synth",
        String(seconds),
        "whitenoise",
      ],
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
    return await Deno.readFile(path);
  };
  // How well noise compresses depends on sox's generator: measure one second, then scale.
  const perSecond = (await make(1)).length;
  return await make(Math.max(1, Math.round(bytes / perSecond)));
}

function multipart(meta: unknown, file: Uint8Array): { body: Uint8Array; type: string } {
  const boundary = "bench-audio-boundary-1b2c3d";
  const enc = new TextEncoder();
  const head = enc.encode(
    `--${boundary}\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n${
      JSON.stringify(meta)
    }\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="t.flac"\r\n\r\n`,
  );
  const tail = enc.encode(`\r\n--${boundary}--\r\n`);
  const body = new Uint8Array(head.length + file.length + tail.length);
  body.set(head);
  body.set(file, head.length);
  body.set(tail, head.length + file.length);
  return { body, type: `multipart/form-data; boundary=${boundary}` };
}

async function startS3(dir: string): Promise<{ port: number; stop(): Promise<void> }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "bench/s3_server.ts", dir, "bench-audio"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/port \d+/.test(text)) {
    const { done, value } = await reader.read();
    if (done) throw new Error("the local S3 server did not start");
    text += value;
  }
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  return {
    port: Number(/port (\d+)/.exec(text)![1]),
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

async function uploadAll(server: Server, file: Uint8Array, n: number, sha256: string) {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const started = performance.now();
  await Promise.all(Array.from({ length: n }, async (_, i) => {
    const { body, type } = multipart({
      session_id: crypto.randomUUID(),
      device_id: "bench-device",
      turn_number: i,
      role: "user",
      recorded_at: new Date().toISOString(),
      duration_ms: 1000,
      participant_id: `bench-${i}`,
      sha256,
    }, file);
    const t0 = performance.now();
    const res = await fetch(`${server.baseUrl}/internal/ingest/session_audio`, {
      method: "POST",
      headers: { authorization: `Bearer ${INGEST}`, "content-type": type },
      body: body as Uint8Array<ArrayBuffer>,
    });
    await res.body?.cancel();
    latencies.push(performance.now() - t0);
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
  }));
  return { wall: (performance.now() - started) / 1000, latencies, statuses };
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Returns the figures of one run per store (see the module). */
export async function runAudioBench(options: AudioBenchOptions): Promise<AudioBenchResult[]> {
  const work = await Deno.makeTempDir({ prefix: "etl_bench_audio_" });
  const results: AudioBenchResult[] = [];
  const base = Deno.env.get("BENCH_DATABASE_URL")?.trim() ||
    "postgres://postgres@127.0.0.1:5432/postgres";
  try {
    const file = await noiseFlac(options.fileBytes, work);
    const sha = await sha256Hex(file);
    for (const store of options.stores) {
      const dataDir = `${work}/${store}`;
      await Deno.mkdir(dataDir);
      const scratch = base === "embedded" ? null : await createScratchDatabase(base);
      const s3 = store === "s3" ? await startS3(`${work}/s3-objects`) : null;
      let server: Server | null = null;
      try {
        server = await startServer("service", SERVICE_ARGS, {
          APP_ENV: "development",
          DATA_DIR: dataDir,
          INGEST_SERVICE_TOKEN: INGEST,
          AUDIO_MAX_BYTES: String(Math.max(options.fileBytes * 2, 1024 * 1024)),
          LOG_LEVEL: "warn",
          ...(scratch ? { DATABASE_URL: scratch.url } : {}),
          ...(s3
            ? {
              S3_ENDPOINT: `http://127.0.0.1:${s3.port}`,
              S3_BUCKET: "bench-audio",
              S3_REGION: "us-east-1",
              S3_ACCESS_KEY_ID: "S3RVER",
              S3_SECRET_ACCESS_KEY: "S3RVER",
            }
            : {}),
        });
        await uploadAll(server, file, 1, sha); // warm-up: code paths compiled, pools open
        const before = statusKb(server.pid, "VmRSS") / 1024;
        const run = await uploadAll(server, file, options.concurrency, sha);
        const peak = statusKb(server.pid, "VmHWM") / 1024;
        const sorted = [...run.latencies].sort((a, b) => a - b);
        const inFlight = (options.concurrency * file.length) / MiB;
        results.push({
          store,
          uploads: options.concurrency,
          file_bytes: file.length,
          statuses: run.statuses,
          wall_seconds: round(run.wall, 2),
          throughput_mib_s: round(inFlight / run.wall, 1),
          latency_median_ms: Math.round(sorted[Math.floor(sorted.length / 2)]),
          latency_max_ms: Math.round(sorted[sorted.length - 1]),
          rss_before_mib: round(before, 1),
          peak_rss_mib: round(peak, 1),
          in_flight_mib: round(inFlight, 1),
          bound_holds: peak - before < inFlight / 2,
        });
      } finally {
        await server?.stop();
        await s3?.stop();
        await scratch?.drop();
      }
    }
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
  return results;
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Prints the results as a table. */
export function printAudioBench(results: AudioBenchResult[]): void {
  const load = Deno.loadavg().map((l) => l.toFixed(2)).join(" ");
  console.log(`load average at the end: ${load}`);
  console.log(
    "| store | uploads × size | statuses | wall s | MiB/s | median / max ms | RSS before MiB | peak RSS MiB | in flight MiB | bound |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const r of results) {
    console.log(
      `| ${r.store} | ${r.uploads} × ${round(r.file_bytes / MiB, 2)} MiB | ${
        JSON.stringify(r.statuses)
      } | ${r.wall_seconds} | ${r.throughput_mib_s} | ${r.latency_median_ms} / ${r.latency_max_ms} | ${r.rss_before_mib} | ${r.peak_rss_mib} | ${r.in_flight_mib} | ${
        r.bound_holds ? "holds" : "BROKEN"
      } |`,
    );
  }
}

if (import.meta.main) {
  const results = await runAudioBench(Deno.args.includes("--quick") ? QUICK : FULL);
  printAudioBench(results);
  Deno.exit(results.every((r) => r.bound_holds && r.statuses["200"] === r.uploads) ? 0 : 1);
}
