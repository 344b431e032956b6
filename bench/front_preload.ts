/**
 * Bench-only harness: serves an older checkout's service (one that calls `Deno.serve` itself,
 * before the TCP front of http/front.ts existed) behind this checkout's front, so a before/after
 * comparison holds the transport equal (docs/performance.md, "Tasks as data (issue 23)").
 *
 * It is loaded only with `--preload` on the command line of the older checkout's benchmark:
 *
 *     cd /work/wt-23-before && deno run --allow-all \
 *       --preload=/work/wt27-23/bench/front_preload.ts bench/run.ts --quick --only=ingest,...
 *
 * In that benchmark process it adds itself as `--preload` to the service's command line
 * (`deno run … main.ts`); in the service process it replaces `Deno.serve` with this checkout's
 * `serveBehindFront` (the code main.ts serves with: the same front, on the same thread, with
 * the front deadlines of the default configuration). Nothing outside bench/ imports it (the
 * folder rules of tests/layers_test.ts), and it refuses to wrap this checkout's own main.ts,
 * which has its front already.
 */
import { loadConfig } from "../config.ts";
import { frontTimeouts, serveBehindFront, type ServeBindings } from "../http/serve.ts";

const SELF = new URL(import.meta.url).pathname;
const OWN_MAIN = new URL("../main.ts", import.meta.url).href;
const main = Deno.mainModule;

type Handler = (req: Request, info: ServeBindings) => Response | Promise<Response>;

if (main === OWN_MAIN) {
  throw new Error("bench/front_preload.ts wraps an older checkout's service, not this one");
} else if (main.endsWith("/main.ts")) {
  // The service process: serve behind the front instead of on the public port.
  const timeouts = frontTimeouts(loadConfig({}, 1), []);
  const serve = Object.getOwnPropertyDescriptor(Deno, "serve")!;
  const wrapped = {
    configurable: true,
    value: (options: Deno.ServeTcpOptions, handler: Handler) => {
      if (typeof handler !== "function") {
        throw new Error("bench/front_preload.ts handles only Deno.serve(options, handler)");
      }
      const listen = {
        port: options.port ?? 8000,
        hostname: options.hostname ?? "0.0.0.0",
        reusePort: options.reusePort ?? false,
      } as Deno.ListenOptions;
      // serveBehindFront calls Deno.serve itself (for its loopback server): the real one.
      Object.defineProperty(Deno, "serve", serve);
      let served;
      try {
        served = serveBehindFront({ fetch: handler }, listen, timeouts);
      } finally {
        Object.defineProperty(Deno, "serve", wrapped);
      }
      const { server, front } = served;
      (options.onListen as ((addr: Deno.NetAddr) => void) | undefined)?.(front.addr);
      const shutdown = server.shutdown.bind(server);
      return Object.assign(server, {
        shutdown: async () => {
          front.stopAccepting();
          await shutdown();
          front.closeAll();
        },
      });
    },
  };
  Object.defineProperty(Deno, "serve", wrapped);
} else if (main.endsWith("/bench/run.ts")) {
  // The benchmark process: the service it spawns gets this file as its preload too.
  const Command = Deno.Command;
  class PreloadedCommand extends Command {
    constructor(command: string | URL, options?: Deno.CommandOptions) {
      const args = options?.args?.map(String) ?? [];
      const service = args[0] === "run" && args.at(-1) === "main.ts";
      super(
        command,
        service ? { ...options, args: ["run", `--preload=${SELF}`, ...args.slice(1)] } : options,
      );
    }
  }
  Object.defineProperty(Deno, "Command", { configurable: true, value: PreloadedCommand });
}
