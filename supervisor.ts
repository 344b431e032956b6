/**
 * Several worker processes on one port (WORKERS > 1, real Postgres only): the parent migrates
 * once, starts the workers (each serves with SO_REUSEPORT, so the kernel spreads connections),
 * restarts a worker that dies, and forwards SIGINT/SIGTERM so every worker drains and exits.
 */
import type { Config } from "./config.ts";

const WORKER_FLAG = "ETL_WORKER";

/** Returns true when this process is a worker started by the supervisor. */
export function isWorker(): boolean {
  return Deno.env.get(WORKER_FLAG) === "1";
}

function spawnWorker(index: number): Deno.ChildProcess {
  const main = new URL("./main.ts", import.meta.url).pathname;
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--unstable-net", "-A", main],
    env: { [WORKER_FLAG]: "1", WORKER_INDEX: String(index) },
    stdin: "null",
  }).spawn();
}

/** Runs `config.workers` workers until a signal; resolves with the exit code to use. */
export async function supervise(config: Config): Promise<number> {
  const workers: Deno.ChildProcess[] = [];
  let stopping = false;
  const watch = (index: number) => {
    const child = spawnWorker(index);
    workers[index] = child;
    child.status.then((status) => {
      if (stopping) return;
      console.error(`worker ${index} exited with ${status.code}; restarting in 1 s`);
      setTimeout(() => !stopping && watch(index), 1000);
    });
  };
  for (let i = 0; i < config.workers; i++) watch(i);

  const signal = await new Promise<Deno.Signal>((resolve) => {
    Deno.addSignalListener("SIGINT", () => resolve("SIGINT"));
    Deno.addSignalListener("SIGTERM", () => resolve("SIGTERM"));
  });
  stopping = true;
  for (const w of workers) {
    try {
      w.kill(signal);
    } catch {
      // already gone
    }
  }
  const codes = await Promise.all(workers.map(async (w) => (await w.status).code));
  return codes.every((c) => c === 0) ? 0 : 1;
}
