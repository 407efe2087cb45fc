// Starts a real Veilig server for the client tests: the veilig binary on a fresh embedded
// database seeded with the demo region (veilig demo), trusting dev tokens (veilig token), on a
// free loopback port. Nothing here is a stand-in: the tests talk to the same binary that
// production runs.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** A running server and what a test needs to call it. */
export interface TestServer {
  baseUrl: string;
  /** A dev token of a lead professional of the demo region. */
  token: string;
  leadId: string;
  /** A household the lead's care team works with. */
  householdId: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? ok(addr.port) : fail(new Error("no port"))));
    });
  });
}

/**
 * startServer runs the binary named by VEILIG_BIN, or builds ./backend/cmd/veilig when it is
 * not set, and resolves once the server answers health checks.
 */
export async function startServer(): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), "veilig-ts-"));
  let bin = process.env.VEILIG_BIN;
  if (!bin) {
    bin = join(dir, "veilig");
    execFileSync("go", ["build", "-o", bin, "./backend/cmd/veilig"], { cwd: repoRoot, stdio: "inherit" });
  }
  const data = join(dir, "data");
  const common = ["--data-dir", data, "--log-format", "json", "--log-level", "warn"];
  const demo = execFileSync(bin, ["demo", ...common], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const leadId = / token (?:.* )?--user (\S+)\)\s+# a lead professional/.exec(demo)?.[1];
  const householdId = /"householdId": "([0-9a-f-]+)"/.exec(demo)?.[1];
  if (!leadId || !householdId) throw new Error(`veilig demo printed no lead and household:\n${demo}`);
  const token = execFileSync(bin, ["token", ...common, "--user", leadId], { encoding: "utf8" }).trim();

  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(bin, ["serve", ...common, "--addr", `127.0.0.1:${port}`, "--metrics-addr=", "--scheduler=off"], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  const exited = new Promise<void>((ok) => child.once("exit", () => ok()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`veilig serve exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${baseUrl}/grpc.health.v1.Health/Check`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: "{}",
      });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill();
      throw new Error("veilig serve did not become healthy within 30 s");
    }
    await new Promise((ok) => setTimeout(ok, 100));
  }
  return {
    baseUrl,
    token,
    leadId,
    householdId,
    async stop() {
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
