/** `deno task chaos [--soak]`: the slow fault tests (chaos/); --soak runs the 10-minute soak. */
const soak = Deno.args.includes("--soak");
const env = { CHAOS_SOAK_SECONDS: soak ? "600" : Deno.env.get("CHAOS_SOAK_SECONDS") ?? "20" };
const root = new URL("../", import.meta.url).pathname;
const { code } = await new Deno.Command(Deno.execPath(), {
  args: ["test", "--allow-all", "chaos/"],
  cwd: root,
  env,
}).spawn().status;
Deno.exit(code);
