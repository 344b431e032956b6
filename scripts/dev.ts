/**
 * `deno task dev`: runs main.ts and restarts it when a source file changes. Each restart sends
 * SIGTERM and waits for the old process to close its database (and release the DATA_DIR lock)
 * before the new one starts.
 */
const WATCHED = [
  "api",
  "core",
  "db",
  "services",
  "openapi",
  "routes",
  "islands",
  "static",
  "migrations",
];
const root = new URL("../", import.meta.url).pathname;

function start(): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--unstable-net", "-A", "main.ts"],
    cwd: root,
    stdin: "null",
  }).spawn();
}

let child = start();
let timer: ReturnType<typeof setTimeout> | undefined;
const watcher = Deno.watchFs([
  ...WATCHED.map((d) => `${root}${d}`),
  `${root}main.ts`,
  `${root}config.ts`,
]);

const stop = async () => {
  try {
    child.kill("SIGTERM");
  } catch {
    // already exited
  }
  await child.status;
};
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    await stop();
    Deno.exit(0);
  });
}

for await (const event of watcher) {
  if (!event.paths.some((p) => /\.(ts|tsx|sql|css)$/.test(p))) continue;
  clearTimeout(timer);
  timer = setTimeout(async () => {
    console.log("[dev] change detected, restarting");
    await stop();
    child = start();
  }, 150);
}
