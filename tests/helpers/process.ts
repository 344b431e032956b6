/** Spawns the real service (main.ts) as a child process for end-to-end tests. */

const ROOT = new URL("../../", import.meta.url).pathname;

export interface Service {
  port: number;
  baseUrl: string;
  process: Deno.ChildProcess;
  /** Milliseconds from spawn to the first healthy /health. */
  startupMs: number;
  /** Sends a signal and returns the exit code and everything the process printed. */
  stop(signal?: Deno.Signal): Promise<{ code: number; output: string }>;
}

/** Returns a free loopback port. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Returns a spawned main.ts with `env` (plus PORT), not yet waited for. */
export function spawnMain(env: Record<string, string>): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--unstable-net", "-A", "main.ts"],
    cwd: ROOT,
    env: { APP_ENV: "test", ...env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function collect(stream: ReadableStream<Uint8Array>, into: string[]): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of stream) into.push(decoder.decode(chunk, { stream: true }));
}

/** Returns a running service once /health answers, or throws with its output. */
export async function startService(
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<Service> {
  const port = freePort();
  const started = performance.now();
  const child = spawnMain({ PORT: String(port), ...env });
  const output: string[] = [];
  const reading = Promise.all([collect(child.stdout, output), collect(child.stderr, output)]);
  const baseUrl = `http://127.0.0.1:${port}`;
  let exited = false;
  child.status.then(() => exited = true);
  while (true) {
    if (exited || performance.now() - started > timeoutMs) {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await reading;
      throw new Error(`service did not become healthy:\n${output.join("")}`);
    }
    try {
      const res = await fetch(`${baseUrl}/health`);
      await res.body?.cancel();
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const startupMs = performance.now() - started;
  return {
    port,
    baseUrl,
    process: child,
    startupMs,
    async stop(signal: Deno.Signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch { /* already gone */ }
      const status = await child.status;
      await reading;
      return { code: status.code, output: output.join("") };
    },
  };
}

/** Returns the exit code and output of a main.ts run expected to stop by itself. */
export async function runMain(
  env: Record<string, string>,
): Promise<{ code: number; output: string }> {
  const child = spawnMain({ PORT: String(freePort()), ...env });
  const out = await child.output();
  const decoder = new TextDecoder();
  return { code: out.code, output: decoder.decode(out.stdout) + decoder.decode(out.stderr) };
}
