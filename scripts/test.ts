/**
 * `deno task test [deno test flags] [paths…]`: runs the given test files or folders, or all of
 * tests/ when no path is given (`deno task` only appends its arguments, so a fixed `tests/` in the
 * task would always run everything). Flags such as `--filter name` are passed through; an
 * argument counts as a path when it names an existing file or folder. The ops and resources
 * sanitizers are on.
 */
const PERMISSIONS = [
  "--allow-net",
  "--allow-env",
  "--allow-read",
  "--allow-write",
  "--allow-sys",
  "--allow-run",
];

/**
 * Deno 2.9 runs tests without the ops and resources sanitizers unless asked: every test that does
 * not opt out (`dbTestOptions`, for a connection that outlives one test) must finish every async
 * operation it started and close every resource it opened.
 */
const SANITIZERS = ["--sanitize-ops", "--sanitize-resources"];

/** Returns the `deno test` arguments for the task's arguments. */
export function testArgs(args: readonly string[], exists: (path: string) => boolean): string[] {
  const hasPath = args.some((arg) => !arg.startsWith("-") && exists(arg));
  return ["test", ...PERMISSIONS, ...SANITIZERS, ...args, ...(hasPath ? [] : ["tests/"])];
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

if (import.meta.main) {
  const child = new Deno.Command(Deno.execPath(), {
    args: testArgs(Deno.args, exists),
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  // Ctrl-C reaches the whole process group; wait for deno test to report and exit.
  Deno.addSignalListener("SIGINT", () => {});
  const { code, signal } = await child.status;
  Deno.exit(signal ? 1 : code);
}
