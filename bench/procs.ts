/**
 * Processes of the benchmark: the service (main.ts) and the bare baseline (bench/baseline.ts),
 * each spawned on a free loopback port and timed from spawn to a healthy `/health`; their peak
 * resident memory is read from /proc (VmHWM).
 */
import { freePort } from "./scratch.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const KEEP_OUTPUT = 64 * 1024;

/** A running server process. */
export interface Server {
  name: string;
  pid: number;
  baseUrl: string;
  /** Milliseconds from spawn to the first 200 from GET /health. */
  startupMs: number;
  /** The process and every descendant (the supervisor's workers), by pid. */
  pids(): number[];
  /** Peak resident set (VmHWM) of the process and its descendants, in KiB. */
  peakRssKb(): number;
  /** The last stderr output (for errors). */
  output(): string;
  /** Sends SIGTERM, waits for the exit (SIGKILL after 10 s). */
  stop(): Promise<void>;
}

function passThrough(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "DENO_DIR", "TMPDIR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** Returns the pids of a process's children (from /proc/<pid>/task/<tid>/children). */
function children(pid: number): number[] {
  const found: number[] = [];
  try {
    for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
      const text = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/children`).trim();
      if (text) found.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // gone
  }
  return found;
}

/** Command lines of the two contenders (run from the project root). */
export const SERVICE_ARGS = ["run", "--unstable-net", "-A", "main.ts"];
export const BASELINE_ARGS = ["run", "-A", "bench/baseline.ts"];

/** Milliseconds per clock tick of /proc CPU times (getconf CLK_TCK = 100 on Linux). */
export const TICK_MS = 10;

/** Returns a `/proc/<pid>/status` memory field in KiB (0 when the process is gone). */
export function statusKb(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Returns the machine's busy and total CPU ticks so far (all cores, from /proc/stat). */
export function machineTicks(): { busy: number; total: number } {
  try {
    const line = Deno.readTextFileSync("/proc/stat").split("\n")[0];
    const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    // user nice system idle iowait irq softirq steal: idle and iowait are not busy.
    return { busy: total - v[3] - v[4], total };
  } catch {
    return { busy: NaN, total: NaN };
  }
}

/** Returns utime + stime of a process in clock ticks, or null when it is gone. */
export function cpuTicks(pid: number): number | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

/** Returns utime + stime of a process in ms, from /proc (NaN when it is gone). */
export function cpuMs(pid: number): number {
  return (cpuTicks(pid) ?? NaN) * TICK_MS;
}

async function drain(stream: ReadableStream<Uint8Array>, into: { text: string }): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    into.text = (into.text + decoder.decode(chunk, { stream: true })).slice(-KEEP_OUTPUT);
  }
}

/**
 * Returns a running server once GET /health answers 200 (throws with its output otherwise).
 * stdout (one JSON log line per request in the service) goes to /dev/null so logging costs the
 * service what it costs in production without filling the benchmark's memory.
 */
export async function startServer(
  name: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
  cwd = ROOT,
): Promise<Server> {
  const port = freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: { ...passThrough(), ...env, PORT: String(port), HOST: "127.0.0.1" },
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const out = { text: "" };
  const reading = drain(child.stderr, out);
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  while (true) {
    if (exited || performance.now() - started > timeoutMs) {
      try {
        child.kill("SIGKILL");
      } catch {
        // gone
      }
      await reading;
      throw new Error(`${name} did not become healthy:\n${out.text}`);
    }
    try {
      const res = await fetch(`${baseUrl}/health`);
      await res.body?.cancel();
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const startupMs = performance.now() - started;
  const tree = (): number[] => {
    const all = [child.pid];
    for (let i = 0; i < all.length; i++) all.push(...children(all[i]));
    return all;
  };
  return {
    name,
    pid: child.pid,
    baseUrl,
    startupMs,
    pids: tree,
    peakRssKb: () => tree().reduce((sum, pid) => sum + statusKb(pid, "VmHWM"), 0),
    output: () => out.text,
    async stop() {
      if (exited) return;
      const family = tree();
      try {
        child.kill("SIGTERM");
      } catch {
        // gone
      }
      const timer = setTimeout(() => {
        for (const pid of family) {
          try {
            Deno.kill(pid, "SIGKILL");
          } catch {
            // gone
          }
        }
      }, 10_000);
      await status;
      clearTimeout(timer);
      await reading;
    },
  };
}
